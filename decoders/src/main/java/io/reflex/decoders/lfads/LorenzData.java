package io.reflex.decoders.lfads;

/**
 * Synthetic Lorenz-driven Poisson spiking (decoders/LFADS.md, "Lorenz benchmark data"), generated exactly as
 * tools/python/lorenz_data.py does, so that a model trained in Python fits the data Java makes (counts agree bit for bit except when Java's and
 * numpy's {@code exp} differ in the last ulp right at a Poisson CDF boundary, which is very rare).
 *
 * <p>Choices (the NDT recipe's b = −10 gives almost no spikes): σ = 10, ρ = 28, β = 8/3, Euler dt = 0.01,
 * 300 transient steps, 2 Euler steps per bin; the state is normalised as ((x, y, z) − (0, 0, 25)) / 10; neuron
 * {@code n} has {@code logλ = b_n + W_n·latent} with {@code W ~ U(−1, 1)} and {@code b ~ U(−1.6, −1.0)} (counts
 * per bin), which gives about 0.3 counts per 20 ms bin, i.e. ~15 spikes/s per neuron. All random numbers come
 * from SplitMix64 (see the Python module's docstring for the exact index layout).
 */
public final class LorenzData {
    public static final double SIGMA = 10.0;
    public static final double RHO = 28.0;
    public static final double BETA = 8.0 / 3.0;
    public static final double DT = 0.01;
    public static final int TRANSIENT = 300;
    public static final int STEPS_PER_BIN = 2;
    public static final long READOUT_SEED = 20261124L;
    public static final double B_CENTER = -1.3;
    public static final double B_SPREAD = 0.3;
    public static final int POISSON_MAX = 1000;
    public static final int LATENT_DIM = 3;

    private static final long GAMMA = 0x9E3779B97F4A7C15L;
    private static final long M1 = 0xBF58476D1CE4E5B9L;
    private static final long M2 = 0x94D049BB133111EBL;

    private final int neurons;
    private final int bins;
    private final double[] w;
    private final double[] b;

    /** A population of {@code neurons} cells observed for {@code bins} bins per trial. */
    public LorenzData(int neurons, int bins) {
        if (neurons <= 0 || bins <= 0) {
            throw new IllegalArgumentException("neurons and bins must be > 0, found " + neurons + ", " + bins);
        }
        this.neurons = neurons;
        this.bins = bins;
        this.w = new double[neurons * LATENT_DIM];
        this.b = new double[neurons];
        for (int n = 0; n < neurons; n++) {
            for (int k = 0; k < LATENT_DIM; k++) {
                w[n * LATENT_DIM + k] = 2.0 * uniform(READOUT_SEED, n * 4L + k) - 1.0;
            }
            b[n] = B_CENTER + B_SPREAD * (2.0 * uniform(READOUT_SEED, n * 4L + 3) - 1.0);
        }
    }

    public int neurons() {
        return neurons;
    }

    public int bins() {
        return bins;
    }

    /** Output number {@code index} of SplitMix64 seeded with {@code seed}. */
    public static long splitmix64(long seed, long index) {
        long z = seed + (index + 1) * GAMMA;
        z = (z ^ (z >>> 30)) * M1;
        z = (z ^ (z >>> 27)) * M2;
        return z ^ (z >>> 31);
    }

    /** Uniform double in [0, 1): {@code (splitmix64 >>> 11)·2^-53}. */
    public static double uniform(long seed, long index) {
        return (splitmix64(seed, index) >>> 11) * 0x1.0p-53;
    }

    /**
     * {@code count} consecutive bins of data set {@code seed}, trial after trial ({@code [count][neurons]} counts): a
     * stream of inputs for causal decoding, as the benchmarks feed it.
     */
    public float[][] binStream(long seed, int count) {
        float[] trial = new float[bins * neurons];
        float[][] out = new float[count][neurons];
        for (int i = 0; i < count; i++) {
            if (i % bins == 0) {
                trial(seed, i / bins, trial, null, null);
            }
            System.arraycopy(trial, (i % bins) * neurons, out[i], 0, neurons);
        }
        return out;
    }

    /**
     * Fills one trial of data set {@code seed}.
     *
     * @param counts   receives {@code [bins][neurons]} Poisson counts (may be null)
     * @param latents  receives {@code [bins][3]} normalised Lorenz states (may be null)
     * @param logRates receives {@code [bins][neurons]} true log-rates in counts per bin (may be null)
     */
    public void trial(long seed, long trialIndex, float[] counts, double[] latents, double[] logRates) {
        long base = trialIndex * (3L + (long) bins * neurons);
        double x = -15.0 + 30.0 * uniform(seed, base);
        double y = -15.0 + 30.0 * uniform(seed, base + 1);
        double z = 10.0 + 30.0 * uniform(seed, base + 2);
        for (int s = 0; s < TRANSIENT; s++) {
            double dx = SIGMA * (y - x);
            double dy = x * (RHO - z) - y;
            double dz = x * y - BETA * z;
            x += DT * dx;
            y += DT * dy;
            z += DT * dz;
        }
        for (int t = 0; t < bins; t++) {
            double l0 = x / 10.0;
            double l1 = y / 10.0;
            double l2 = (z - 25.0) / 10.0;
            if (latents != null) {
                latents[t * 3] = l0;
                latents[t * 3 + 1] = l1;
                latents[t * 3 + 2] = l2;
            }
            for (int n = 0; n < neurons; n++) {
                double lr = b[n] + (w[n * 3] * l0 + w[n * 3 + 1] * l1 + w[n * 3 + 2] * l2);
                if (logRates != null) {
                    logRates[t * neurons + n] = lr;
                }
                if (counts != null) {
                    counts[t * neurons + n] = poisson(Math.exp(lr), uniform(seed, base + 3 + (long) t * neurons + n));
                }
            }
            for (int s = 0; s < STEPS_PER_BIN; s++) {
                double dx = SIGMA * (y - x);
                double dy = x * (RHO - z) - y;
                double dz = x * y - BETA * z;
                x += DT * dx;
                y += DT * dy;
                z += DT * dz;
            }
        }
    }

    /** Inverse-CDF Poisson sample of mean {@code lambda} for the uniform {@code u}. */
    public static int poisson(double lambda, double u) {
        int k = 0;
        double p = Math.exp(-lambda);
        double cdf = p;
        while (u > cdf && k < POISSON_MAX) {
            k++;
            p = p * (lambda / k);
            cdf = cdf + p;
        }
        return k;
    }
}
