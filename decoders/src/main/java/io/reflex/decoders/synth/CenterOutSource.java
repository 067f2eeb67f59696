package io.reflex.decoders.synth;

/**
 * Synthetic motor-cortex activity during center-out reaching (decoders/BASELINES.md §3), with the true kinematics so
 * that decoding can be scored.
 *
 * <p><b>Task.</b> {@code targetCount} targets evenly spaced on a circle of {@code targetRadiusM}; each trial is a
 * minimum-jerk reach from the centre to a target ({@code reachMs}), a hold there
 * ({@code holdMs}), a minimum-jerk return to the centre ({@code reachMs}) and a hold at the centre
 * ({@code holdMs}). Targets come in blocks: each block visits every target once in a random order (as in a
 * center-out session), so any {@code targetCount} consecutive trials cover all directions; with independent draws
 * an 8 s window can hold only vertical reaches, leaving vx constant and R² undefined. Minimum-jerk position {@code p0 + (p1−p0)(10s³ − 15s⁴ + 6s⁵)}, s = elapsed/duration.
 *
 * <p><b>Neurons.</b> Channel i is cosine-tuned to velocity (Georgopoulos): rate
 * {@code λ_i = max(0, b_i + m_i·(vx·cos θ_i + vy·sin θ_i))} Hz with {@code b_i ~ U(baseRateMinHz, baseRateMaxHz)},
 * {@code m_i ~ U(modulationMinHzPerMps, modulationMaxHzPerMps)} and {@code θ_i ~ U(0, 2π)}; each sample period
 * yields a count ~ Poisson(λ_i / sampleRateHz).
 *
 * <p><b>Default modulation depth.</b> The originally proposed m ~ U(5, 15) Hz per m/s (decoders/BASELINES.md §3)
 * is an order of magnitude too weak for its own target: a 10 cm minimum-jerk reach in 500 ms peaks at 0.375 m/s, so the modulation is at most
 * 5.6 Hz on a 5–20 Hz baseline, and a velocity Kalman filter on 96 such channels reaches R² ≈ 0.2 whatever the
 * calibration length (measured: 0.07–0.25 over 5 seeds with 12 s and with 120 s of calibration). The default here
 * is m ~ U(50, 150) Hz per m/s (19–56 Hz of modulation at peak speed, typical of recorded M1 cells), which gives
 * R² ≈ 0.85–0.9. Set the proposed values through the Context to reproduce them.
 *
 * <p><b>Determinism.</b> Three independent SplitMix64 streams derived from {@code seed} drive the tuning, the
 * target sequence and the spikes, so the same Context gives the same output bit for bit, and the kinematics do
 * not depend on the channel count. {@link #nextSample} and {@link #nextBin} allocate nothing. Not thread-safe.
 */
public final class CenterOutSource {

    /** Configuration; fluent setters, defaults in the field initialisers, validated once by {@link #conclude()}. */
    public static final class Context {
        private int channels = 96;
        private double sampleRateHz = 1000.0;
        private long seed = 1L;
        private double baseRateMinHz = 5.0;
        private double baseRateMaxHz = 20.0;
        private double modulationMinHzPerMps = 50.0;
        private double modulationMaxHzPerMps = 150.0;
        private int targetCount = 8;
        private double targetRadiusM = 0.10;
        private double reachMs = 500.0;
        private double holdMs = 300.0;
        private boolean concluded;

        /** Number of neurons (channels), 1…100000; default 96. */
        public Context channels(int channels) {
            this.channels = channels;
            return this;
        }

        public int channels() {
            return channels;
        }

        /** Sample rate of {@link #nextSample} in Hz, 1…1e6; default 1000 (1 ms samples). */
        public Context sampleRateHz(double sampleRateHz) {
            this.sampleRateHz = sampleRateHz;
            return this;
        }

        public double sampleRateHz() {
            return sampleRateHz;
        }

        /** Seed of all random streams; default 1. */
        public Context seed(long seed) {
            this.seed = seed;
            return this;
        }

        public long seed() {
            return seed;
        }

        /** Lower bound of the uniform baseline-rate draw, Hz, ≥ 0; default 5. */
        public Context baseRateMinHz(double value) {
            this.baseRateMinHz = value;
            return this;
        }

        public double baseRateMinHz() {
            return baseRateMinHz;
        }

        /** Upper bound of the uniform baseline-rate draw, Hz, ≥ baseRateMinHz; default 20. */
        public Context baseRateMaxHz(double value) {
            this.baseRateMaxHz = value;
            return this;
        }

        public double baseRateMaxHz() {
            return baseRateMaxHz;
        }

        /** Lower bound of the modulation-depth draw, Hz per m/s, ≥ 0; default 50 (see the class Javadoc). */
        public Context modulationMinHzPerMps(double value) {
            this.modulationMinHzPerMps = value;
            return this;
        }

        public double modulationMinHzPerMps() {
            return modulationMinHzPerMps;
        }

        /** Upper bound of the modulation-depth draw, Hz per m/s, ≥ modulationMinHzPerMps; default 150. */
        public Context modulationMaxHzPerMps(double value) {
            this.modulationMaxHzPerMps = value;
            return this;
        }

        public double modulationMaxHzPerMps() {
            return modulationMaxHzPerMps;
        }

        /** Number of targets on the circle, 1…360; default 8. */
        public Context targetCount(int value) {
            this.targetCount = value;
            return this;
        }

        public int targetCount() {
            return targetCount;
        }

        /** Distance of the targets from the centre, metres, (0, 10]; default 0.10. */
        public Context targetRadiusM(double value) {
            this.targetRadiusM = value;
            return this;
        }

        public double targetRadiusM() {
            return targetRadiusM;
        }

        /** Duration of each reach (out and back), milliseconds, ≥ 1 sample period; default 500. */
        public Context reachMs(double value) {
            this.reachMs = value;
            return this;
        }

        public double reachMs() {
            return reachMs;
        }

        /** Duration of each hold, milliseconds, ≥ 0; default 300. */
        public Context holdMs(double value) {
            this.holdMs = value;
            return this;
        }

        public double holdMs() {
            return holdMs;
        }

        /**
         * Validates every value (naming the field and the allowed range); idempotent.
         *
         * @return this
         * @throws IllegalArgumentException on the first invalid field
         */
        public Context conclude() {
            if (concluded) {
                return this;
            }
            requireRange("channels", channels, 1, 100_000);
            requireRange("sampleRateHz", sampleRateHz, 1.0, 1e6);
            requireRange("baseRateMinHz", baseRateMinHz, 0.0, 1e5);
            requireRange("baseRateMaxHz", baseRateMaxHz, baseRateMinHz, 1e5);
            requireRange("modulationMinHzPerMps", modulationMinHzPerMps, 0.0, 1e6);
            requireRange("modulationMaxHzPerMps", modulationMaxHzPerMps, modulationMinHzPerMps, 1e6);
            requireRange("targetCount", targetCount, 1, 360);
            if (!(targetRadiusM > 0 && targetRadiusM <= 10)) {
                throw new IllegalArgumentException("targetRadiusM must be in (0, 10], was " + targetRadiusM);
            }
            requireRange("reachMs", reachMs, 1000.0 / sampleRateHz, 1e7);
            requireRange("holdMs", holdMs, 0.0, 1e7);
            concluded = true;
            return this;
        }

        private static void requireRange(String field, int value, int min, int max) {
            if (value < min || value > max) {
                throw new IllegalArgumentException(field + " must be in [" + min + ", " + max + "], was " + value);
            }
        }

        private static void requireRange(String field, double value, double min, double max) {
            if (!(value >= min && value <= max)) {
                throw new IllegalArgumentException(field + " must be in [" + min + ", " + max + "], was " + value);
            }
        }
    }

    private static final long TUNING_STREAM = 0x7475_6e69_6e67_0001L;
    private static final long TRIAL_STREAM = 0x7472_6961_6c73_0002L;
    private static final long SPIKE_STREAM = 0x7370_696b_6573_0003L;
    /** Above this mean count a Gaussian approximation replaces the exact inversion (which needs ~λ iterations). */
    private static final double POISSON_EXACT_LIMIT = 30.0;

    private final Context ctx;
    private final int channels;
    private final double dtS;
    private final double[] baseRateHz;
    private final double[] modulationHzPerMps;
    private final double[] cosTheta;
    private final double[] sinTheta;
    private final double[] preferredDirectionRad;
    private final int reachSamples;
    private final int holdSamples;
    private final float[] binCounts;
    private final int[] targetOrder;
    private int blockPosition;
    private final double[] binKinematics;

    private long trialState;
    private long spikeState;
    private long sampleIndex;
    private int phase;
    private int phaseSample;
    private double targetX;
    private double targetY;
    private int targetIndex;

    /** Builds a source; concludes {@code ctx} if that has not happened. */
    public CenterOutSource(Context ctx) {
        this.ctx = ctx.conclude();
        this.channels = ctx.channels();
        this.dtS = 1.0 / ctx.sampleRateHz();
        this.reachSamples = Math.max(1, (int) Math.round(ctx.reachMs() * 1e-3 * ctx.sampleRateHz()));
        this.holdSamples = (int) Math.round(ctx.holdMs() * 1e-3 * ctx.sampleRateHz());
        baseRateHz = new double[channels];
        modulationHzPerMps = new double[channels];
        cosTheta = new double[channels];
        sinTheta = new double[channels];
        preferredDirectionRad = new double[channels];
        binCounts = new float[channels];
        binKinematics = new double[4];
        targetOrder = new int[ctx.targetCount()];
        blockPosition = targetOrder.length;
        long tuning = ctx.seed() ^ TUNING_STREAM;
        for (int i = 0; i < channels; i++) {
            tuning += GOLDEN;
            final double u1 = unit(mix(tuning));
            tuning += GOLDEN;
            final double u2 = unit(mix(tuning));
            tuning += GOLDEN;
            final double u3 = unit(mix(tuning));
            baseRateHz[i] = ctx.baseRateMinHz() + (ctx.baseRateMaxHz() - ctx.baseRateMinHz()) * u1;
            modulationHzPerMps[i] = ctx.modulationMinHzPerMps()
                    + (ctx.modulationMaxHzPerMps() - ctx.modulationMinHzPerMps()) * u2;
            preferredDirectionRad[i] = 2 * Math.PI * u3;
            cosTheta[i] = Math.cos(preferredDirectionRad[i]);
            sinTheta[i] = Math.sin(preferredDirectionRad[i]);
        }
        trialState = ctx.seed() ^ TRIAL_STREAM;
        spikeState = ctx.seed() ^ SPIKE_STREAM;
        phase = 0;
        phaseSample = 0;
        pickTarget();
    }

    /** The concluded configuration. */
    public Context context() {
        return ctx;
    }

    /** Number of channels. */
    public int channels() {
        return channels;
    }

    /** Sample rate of {@link #nextSample}, Hz. */
    public double sampleRateHz() {
        return ctx.sampleRateHz();
    }

    /** Index of the next sample {@link #nextSample} produces (0 for a new source). */
    public long sampleIndex() {
        return sampleIndex;
    }

    /** Index of the current (or next, during the centre hold) target, 0…targetCount−1. */
    public int targetIndex() {
        return targetIndex;
    }

    /** Baseline rate b_i of channel i, Hz. */
    public double baseRateHz(int channel) {
        return baseRateHz[channel];
    }

    /** Modulation depth m_i of channel i, Hz per m/s. */
    public double modulationHzPerMps(int channel) {
        return modulationHzPerMps[channel];
    }

    /** Preferred direction θ_i of channel i, radians in [0, 2π). */
    public double preferredDirectionRad(int channel) {
        return preferredDirectionRad[channel];
    }

    /**
     * Produces one sample period.
     *
     * @param spikeCountsOut receives {@link #channels()} spike counts
     * @param kinematicsOut  receives {px, py, vx, vy} in metres and m/s at the start of the sample period
     */
    public void nextSample(float[] spikeCountsOut, double[] kinematicsOut) {
        kinematics(kinematicsOut);
        final double vx = kinematicsOut[2];
        final double vy = kinematicsOut[3];
        for (int i = 0; i < channels; i++) {
            final double rateHz = baseRateHz[i] + modulationHzPerMps[i] * (vx * cosTheta[i] + vy * sinTheta[i]);
            spikeCountsOut[i] = rateHz > 0 ? poisson(rateHz * dtS) : 0f;
        }
        advance();
    }

    /**
     * Produces one sample period of spike counts for a velocity given from outside (a closed-loop simulation, where
     * the task's intended velocity drives the simulated cortex) instead of the scripted reach; the scripted task does
     * not advance. Allocation-free.
     *
     * @param vxMps          x velocity, m/s
     * @param vyMps          y velocity, m/s
     * @param spikeCountsOut receives {@link #channels()} spike counts
     */
    public void spikesFor(double vxMps, double vyMps, float[] spikeCountsOut) {
        for (int i = 0; i < channels; i++) {
            final double rateHz = baseRateHz[i] + modulationHzPerMps[i] * (vxMps * cosTheta[i] + vyMps * sinTheta[i]);
            spikeCountsOut[i] = rateHz > 0 ? poisson(rateHz * dtS) : 0f;
        }
    }

    /**
     * Fills {@code set} (2 outputs) with bins of {@code samplesPerBin} sample periods: each row the bin's spike
     * counts with its mean velocity (vx, vy), as a calibration block records them. Advances this source.
     *
     * @throws IllegalArgumentException when {@code set} does not take this source's channels and 2 outputs
     * @throws IllegalStateException    when the set refuses the rows (it never should: counts and velocities are
     *                                  finite)
     */
    public void fillVelocityCalibration(io.reflex.decoders.CalibrationSet set, int samplesPerBin) {
        if (set.channels() != channels || set.outputs() != 2) {
            throw new IllegalArgumentException("calibration set of " + set.channels() + " channels and "
                    + set.outputs() + " outputs; this source has " + channels + " channels and 2 velocity outputs");
        }
        float[] counts = new float[channels];
        double[] kin = new double[4];
        float[] vel = new float[2];
        for (int tries = 0; !set.full(); tries++) {
            if (tries >= 2 * set.capacity()) {
                throw new IllegalStateException("the calibration set refused the center-out rows");
            }
            nextBin(samplesPerBin, counts, kin);
            vel[0] = (float) kin[2];
            vel[1] = (float) kin[3];
            set.add(counts, vel);
        }
    }

    /** The next {@code count} bins of {@code samples} sample periods each ({@code [count][channels]} counts). */
    public float[][] binStream(int samples, int count) {
        float[][] out = new float[count][channels()];
        double[] kinematics = new double[4];
        for (float[] bin : out) {
            nextBin(samples, bin, kinematics);
        }
        return out;
    }

    /**
     * Produces one bin of {@code samples} sample periods: spike counts summed per channel and kinematics averaged
     * over the bin ({px, py, vx, vy}). Allocation-free.
     *
     * @param samples sample periods per bin, at least 1 (20 for 20 ms bins at 1 kHz)
     */
    public void nextBin(int samples, float[] spikeCountsOut, double[] kinematicsOut) {
        if (samples < 1) {
            throw new IllegalArgumentException("samples must be >= 1, was " + samples);
        }
        for (int i = 0; i < channels; i++) {
            spikeCountsOut[i] = 0f;
        }
        double px = 0;
        double py = 0;
        double vx = 0;
        double vy = 0;
        for (int s = 0; s < samples; s++) {
            nextSample(binCounts, binKinematics);
            for (int i = 0; i < channels; i++) {
                spikeCountsOut[i] += binCounts[i];
            }
            px += binKinematics[0];
            py += binKinematics[1];
            vx += binKinematics[2];
            vy += binKinematics[3];
        }
        kinematicsOut[0] = px / samples;
        kinematicsOut[1] = py / samples;
        kinematicsOut[2] = vx / samples;
        kinematicsOut[3] = vy / samples;
    }

    private void kinematics(double[] out) {
        if (phase == 0 || phase == 2) {
            final double s = (double) phaseSample / reachSamples;
            final double s2 = s * s;
            final double s3 = s2 * s;
            final double shape = s3 * (10 - 15 * s + 6 * s2);
            final double speed = 30 * s2 * (1 - 2 * s + s2) / (reachSamples * dtS);
            final double dx = phase == 0 ? targetX : -targetX;
            final double dy = phase == 0 ? targetY : -targetY;
            final double x0 = phase == 0 ? 0 : targetX;
            final double y0 = phase == 0 ? 0 : targetY;
            out[0] = x0 + dx * shape;
            out[1] = y0 + dy * shape;
            out[2] = dx * speed;
            out[3] = dy * speed;
        } else {
            out[0] = phase == 1 ? targetX : 0;
            out[1] = phase == 1 ? targetY : 0;
            out[2] = 0;
            out[3] = 0;
        }
    }

    private void advance() {
        sampleIndex++;
        phaseSample++;
        while (phaseSample >= (phase == 0 || phase == 2 ? reachSamples : holdSamples)) {
            phaseSample = 0;
            phase = (phase + 1) & 3;
            if (phase == 0) {
                pickTarget();
            }
        }
    }

    private void pickTarget() {
        if (blockPosition == targetOrder.length) {
            // New block: Fisher-Yates shuffle of all targets.
            for (int i = 0; i < targetOrder.length; i++) {
                targetOrder[i] = i;
            }
            for (int i = targetOrder.length - 1; i > 0; i--) {
                trialState += GOLDEN;
                final int j = (int) ((mix(trialState) >>> 33) % (i + 1));
                final int t = targetOrder[i];
                targetOrder[i] = targetOrder[j];
                targetOrder[j] = t;
            }
            blockPosition = 0;
        }
        targetIndex = targetOrder[blockPosition++];
        final double angle = 2 * Math.PI * targetIndex / ctx.targetCount();
        targetX = ctx.targetRadiusM() * Math.cos(angle);
        targetY = ctx.targetRadiusM() * Math.sin(angle);
    }

    private float poisson(double mean) {
        if (mean < POISSON_EXACT_LIMIT) {
            // Inversion by sequential search: one uniform and ~mean+1 multiplications.
            final double u = nextSpikeUniform();
            double prob = Math.exp(-mean);
            double cdf = prob;
            int k = 0;
            while (u > cdf && k < 10_000) {
                k++;
                prob *= mean / k;
                cdf += prob;
                if (prob == 0) {
                    break;
                }
            }
            return k;
        }
        // Box-Muller; one normal per call keeps the stream position simple.
        final double u1 = 1.0 - nextSpikeUniform();
        final double u2 = nextSpikeUniform();
        final double normal = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
        return (float) Math.max(0, Math.rint(mean + Math.sqrt(mean) * normal));
    }

    private double nextSpikeUniform() {
        spikeState += GOLDEN;
        return unit(mix(spikeState));
    }

    private static final long GOLDEN = 0x9E37_79B9_7F4A_7C15L;

    /** SplitMix64 output function (Steele, Lea, Flood 2014). */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, 1) from the top 53 bits. */
    private static double unit(long bits) {
        return (bits >>> 11) * 0x1.0p-53;
    }
}
