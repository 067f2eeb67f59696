package io.reflex.lsl;

/**
 * The LSL clock: CLOCK_MONOTONIC in seconds, the clock liblsl's {@code lsl_local_clock()} reads on Linux.
 *
 * <p>On Linux {@link System#nanoTime()} reads CLOCK_MONOTONIC, so timestamps taken here agree with those of
 * liblsl programs on the same host. Never use wall-clock time for LSL timestamps.
 */
public final class LslClock {
    private LslClock() {
    }

    /** Seconds on the LSL clock. */
    public static double now() {
        return System.nanoTime() * 1e-9;
    }

    /** Nanoseconds on the LSL clock (for histograms and deadlines). */
    public static long nowNs() {
        return System.nanoTime();
    }
}
