package io.reflex.decoders.snn;

/**
 * SplitMix64 (Steele, Lea &amp; Flood 2014), written out so that the network recipe of {@link NetworkGenerator} can be
 * reproduced outside Java (Python, C++) from its seed alone.
 * <pre>
 * state += 0x9E3779B97F4A7C15; z = state
 * z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9
 * z = (z ^ (z >>> 27)) * 0x94D049BB133111EB
 * return z ^ (z >>> 31)                      (all mod 2^64)
 * </pre>
 */
public final class SplitMix64 {
    private long state;

    /** Starts from {@code seed}. */
    public SplitMix64(long seed) {
        state = seed;
    }

    /** Next 64 random bits. */
    public long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, 2^53): the top 53 bits. */
    public long next53() {
        return nextLong() >>> 11;
    }

    /** Uniform integer in [lo, hi] as {@code lo + ((nextLong() >>> 1) mod (hi − lo + 1))} (bias below 2^-40). */
    public int nextInt(int lo, int hi) {
        long range = (long) hi - lo + 1;
        return (int) (lo + Long.remainderUnsigned(nextLong() >>> 1, range));
    }

    /** Standard normal by Box–Muller on two {@link #next53()} draws (used only for float initial conditions). */
    public double nextGaussian() {
        double u1 = (next53() + 1.0) / 9007199254740993.0;
        double u2 = next53() / 9007199254740992.0;
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }
}
