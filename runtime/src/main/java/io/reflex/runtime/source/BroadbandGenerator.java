package io.reflex.runtime.source;

import io.reflex.decoders.synth.CenterOutSource;
import io.reflex.runtime.check.Check;
import io.reflex.runtime.check.ConfigException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Synthetic broadband voltage (µV) of an intracortical array during center-out reaching, with the true spike times
 * kept for scoring. One unit per channel: its spike train is the {@link CenterOutSource} of the same seed and
 * channel count run at the broadband rate (so the kinematics and the cosine tuning are those of the spike-count
 * source), with a dead time of one waveform ({@link #WAVEFORM_MS} ms): a spike drawn while the unit's previous
 * waveform is still running is dropped, so true spikes never overlap. Each spike adds a biphasic waveform (trough
 * of {@code -amplitude} at {@link #TROUGH_MS} ms, then a smaller, wider positive phase) with a per-channel trough
 * amplitude drawn uniformly from {@code [spikeMinUv, spikeMaxUv]}.
 *
 * <p>On top: white noise ({@code noiseUv} RMS, a sum of four uniforms: close to Gaussian, bounded at ±3.5 σ),
 * line hum ({@code humUv} amplitude at {@code humHz}, common to all channels), and LFP ({@code lfpUv} amplitude at
 * 7 Hz, a per-channel phase). Channels can be made dead for the dead-channel tests and demo: {@code nanChannel}
 * carries NaN in one sample of every 1,000, {@code flatChannel} is 0, {@code clippedChannel} is noise with an RMS
 * of half the rail held at the ±{@code railUv} rail (about 4.5 % of its samples). The NaN and flat channels' units
 * still fire in the truth; the clipped channel's do not. Dead channels are not scored.
 *
 * <p>True spikes go into a single-producer single-consumer ring ({@link #truth()}): one long per spike, the
 * sample index of its trough and its channel. The generator (ingest thread) writes; one scorer reads. Everything
 * is allocated at construction; {@link #nextSample} allocates nothing. Deterministic for a seed.
 */
public final class BroadbandGenerator implements SampleGenerator {
    /** Waveform length and the unit's dead time, ms. */
    public static final double WAVEFORM_MS = 1.5;
    /** Time of the trough from the spike's onset, ms. */
    public static final double TROUGH_MS = 0.3;
    private static final double LFP_HZ = 7;
    private static final int CHANNEL_BITS = 17;
    private static final long GOLDEN = 0x9E37_79B9_7F4A_7C15L;

    private final Context ctx;
    private final int channels;
    private final CenterOutSource units;
    private final float[] counts;
    private final float[] template;
    private final float[] amplitudeUv;
    private final double[] lfpCosPhase;
    private final double[] lfpSinPhase;
    private final int[] waveformAt;
    private final int troughOffset;
    private final Truth truth;
    private final double dtS;
    private long noiseState;
    private long sampleIndex;

    public BroadbandGenerator(Context ctx) {
        this.ctx = ctx.conclude();
        this.channels = ctx.channels;
        this.units = new CenterOutSource(new CenterOutSource.Context().channels(channels)
                .sampleRateHz(ctx.sampleRateHz).seed(ctx.seed));
        this.counts = new float[channels];
        this.dtS = 1.0 / ctx.sampleRateHz;
        int length = Math.max(3, (int) Math.round(WAVEFORM_MS * 1e-3 * ctx.sampleRateHz));
        this.template = new float[length];
        double t1 = TROUGH_MS * 1e-3;
        double s1 = 0.08e-3;
        double t2 = 0.65e-3;
        double s2 = 0.22e-3;
        double min = 0;
        double[] w = new double[length];
        for (int i = 0; i < length; i++) {
            double t = i * dtS;
            w[i] = -Math.exp(-sq((t - t1) / s1)) + 0.35 * Math.exp(-sq((t - t2) / s2));
            min = Math.min(min, w[i]);
        }
        int trough = 0;
        for (int i = 0; i < length; i++) {
            template[i] = (float) (w[i] / -min);
            if (template[i] < template[trough]) {
                trough = i;
            }
        }
        this.troughOffset = trough;
        this.amplitudeUv = new float[channels];
        this.lfpCosPhase = new double[channels];
        this.lfpSinPhase = new double[channels];
        long state = ctx.seed ^ 0x6272_6f61_6462_616eL;
        for (int c = 0; c < channels; c++) {
            state += GOLDEN;
            amplitudeUv[c] = (float) (ctx.spikeMinUv + (ctx.spikeMaxUv - ctx.spikeMinUv) * unit(mix(state)));
            state += GOLDEN;
            double phase = 2 * Math.PI * unit(mix(state));
            lfpCosPhase[c] = Math.cos(phase);
            lfpSinPhase[c] = Math.sin(phase);
        }
        this.waveformAt = new int[channels];
        java.util.Arrays.fill(waveformAt, -1);
        this.truth = new Truth(ctx.truthCapacity);
        this.noiseState = ctx.seed ^ 0x6e6f_6973_6500_0004L;
    }

    private static double sq(double x) {
        return x * x;
    }

    /** The concluded context. */
    public Context context() {
        return ctx;
    }

    /** The true spikes, for one scorer thread. */
    public Truth truth() {
        return truth;
    }

    /** Samples from a spike's onset to its trough (the sample a spike is scored at). */
    public int troughOffsetSamples() {
        return troughOffset;
    }

    /** Trough amplitude of channel {@code c}'s unit, µV (positive). */
    public float spikeAmplitudeUv(int c) {
        return amplitudeUv[c];
    }

    /** The spike-count source driving the units (its tuning, kinematics and seed). */
    public CenterOutSource units() {
        return units;
    }

    /**
     * Produces one sample: {@code channels} voltages in µV and the true kinematics {px, py, vx, vy} of the reach.
     */
    @Override
    public void nextSample(float[] valuesOut, double[] referenceOut) {
        units.nextSample(counts, referenceOut);
        final double t = sampleIndex * dtS;
        final double hum = ctx.humUv * Math.sin(2 * Math.PI * ctx.humHz * t);
        final double lfpArg = 2 * Math.PI * LFP_HZ * t;
        final double lfpSin = Math.sin(lfpArg);
        final double lfpCos = Math.cos(lfpArg);
        final float unitScale = (float) (Math.sqrt(3.0) / 65_536.0);
        final float noiseUv = (float) ctx.noiseUv;
        final int clipped = ctx.clippedChannel;
        final int length = template.length;
        for (int c = 0; c < channels; c++) {
            noiseState += GOLDEN;
            final long r = mix(noiseState);
            // four 16-bit uniforms, summed and centred: variance 4/12 of (2^16)^2, hence sqrt(3) / 2^16 for 1
            final long sum = (r & 0xFFFF) + ((r >>> 16) & 0xFFFF) + ((r >>> 32) & 0xFFFF) + (r >>> 48);
            final float unitNoise = (sum - 131_070) * unitScale;
            if (c == clipped) {
                // an amplifier driven into its rail: noise of half the rail's size, held at the rail
                final float rail = (float) ctx.railUv;
                valuesOut[c] = Math.max(-rail, Math.min(rail, 0.5f * rail * unitNoise));
                continue;
            }
            float v = unitNoise * noiseUv;
            int at = waveformAt[c];
            if (at < 0 && counts[c] > 0) {
                at = 0;
                truth.offer(((sampleIndex + troughOffset) << CHANNEL_BITS) | c);
            }
            if (at >= 0) {
                v += template[at] * amplitudeUv[c];
                at++;
                waveformAt[c] = at == length ? -1 : at;
            }
            // sin(a + φ) = sin a cos φ + cos a sin φ; the per-channel phase's cos and sin are fixed
            v += (float) (hum + ctx.lfpUv * (lfpSin * lfpCosPhase[c] + lfpCos * lfpSinPhase[c]));
            valuesOut[c] = v;
        }
        if (ctx.nanChannel >= 0 && sampleIndex % 1000 == 999) {
            valuesOut[ctx.nanChannel] = Float.NaN;
        }
        if (ctx.flatChannel >= 0) {
            valuesOut[ctx.flatChannel] = 0f;
        }
        sampleIndex++;
    }

    /** True spikes drawn so far (all channels, whether a scorer read them or not). */
    public long truthOffered() {
        return truth.written.get();
    }

    /** Samples produced so far. */
    public long sampleIndex() {
        return sampleIndex;
    }

    /**
     * The true spikes: a single-producer single-consumer ring of {@code (troughSample << 17) | channel}, in the
     * order they were drawn (so by trough sample). The producer never waits: a consumer that falls a whole ring
     * behind loses the oldest entries, counted by {@link #lost()}.
     */
    public static final class Truth {
        private final long[] ring;
        private final int mask;
        private final AtomicLong written = new AtomicLong();
        private long read;
        private long lost;

        Truth(int capacity) {
            this.ring = new long[capacity];
            this.mask = capacity - 1;
        }

        void offer(long entry) {
            long w = written.get();
            ring[(int) (w & mask)] = entry;
            written.lazySet(w + 1);
        }

        /**
         * The next true spike whose trough is before sample {@code endSample}, removed from the ring; or −1 when
         * there is none (yet).
         */
        public long pollBefore(long endSample) {
            long w = written.get();
            if (w - read > ring.length) {
                lost += w - read - ring.length;
                read = w - ring.length;
            }
            if (read == w) {
                return -1;
            }
            long e = ring[(int) (read & mask)];
            if ((e >>> CHANNEL_BITS) >= endSample) {
                return -1;
            }
            read++;
            return e;
        }

        /** Entries the consumer lost by falling a whole ring behind. */
        public long lost() {
            return lost;
        }

        /** The trough sample of an entry. */
        public static long sample(long entry) {
            return entry >>> CHANNEL_BITS;
        }

        /** The channel of an entry. */
        public static int channel(long entry) {
            return (int) (entry & ((1L << CHANNEL_BITS) - 1));
        }
    }

    /** The generator's configuration: fluent setters, defaults here, validated by {@link #conclude()}. */
    public static final class Context {
        private int channels = 96;
        private double sampleRateHz = 30_000;
        private long seed = 1;
        private double noiseUv = 10;
        private double spikeMinUv = 70;
        private double spikeMaxUv = 120;
        private double humUv = 20;
        private double humHz = 60;
        private double lfpUv = 50;
        private int nanChannel = -1;
        private int flatChannel = -1;
        private int clippedChannel = -1;
        private double railUv = 8_000;
        private int truthCapacity = 1 << 18;
        private boolean concluded;

        public Context channels(int v) {
            this.channels = v;
            return this;
        }

        public Context sampleRateHz(double v) {
            this.sampleRateHz = v;
            return this;
        }

        public Context seed(long v) {
            this.seed = v;
            return this;
        }

        /** White noise RMS, µV (default 10). */
        public Context noiseUv(double v) {
            this.noiseUv = v;
            return this;
        }

        /** Trough amplitudes are drawn per channel from [min, max] µV (default 70–120). */
        public Context spikeUv(double min, double max) {
            this.spikeMinUv = min;
            this.spikeMaxUv = max;
            return this;
        }

        /** Line hum amplitude, µV (default 20), and frequency, Hz (default 60). */
        public Context hum(double uv, double hz) {
            this.humUv = uv;
            this.humHz = hz;
            return this;
        }

        /** LFP amplitude at 7 Hz, µV (default 50). */
        public Context lfpUv(double v) {
            this.lfpUv = v;
            return this;
        }

        /** Dead channels for tests and the demo; −1 (the default) for none of a kind. */
        public Context deadChannels(int nan, int flat, int clipped) {
            this.nanChannel = nan;
            this.flatChannel = flat;
            this.clippedChannel = clipped;
            return this;
        }

        /** The rail the clipped channel sits at, µV (default 8 000). */
        public Context railUv(double v) {
            this.railUv = v;
            return this;
        }

        /** True spikes the ring holds before a slow scorer loses some (power of two, default 2^18). */
        public Context truthCapacity(int v) {
            this.truthCapacity = v;
            return this;
        }

        public int channels() {
            return channels;
        }

        public double sampleRateHz() {
            return sampleRateHz;
        }

        public long seed() {
            return seed;
        }

        /** Validates every value; runs once. */
        public Context conclude() {
            if (concluded) {
                return this;
            }
            Check.range("broadband channels", channels, 1, 1 << CHANNEL_BITS);
            Check.range("broadband sampleRateHz", sampleRateHz, 1_000, 1_000_000);
            Check.range("broadband noiseUv", noiseUv, 0, 1e6);
            Check.range("broadband spikeMinUv", spikeMinUv, 0, 1e6);
            Check.range("broadband spikeMaxUv", spikeMaxUv, spikeMinUv, 1e6);
            Check.range("broadband humUv", humUv, 0, 1e6);
            Check.range("broadband humHz", humHz, 0, sampleRateHz / 2);
            Check.range("broadband lfpUv", lfpUv, 0, 1e6);
            Check.range("broadband nanChannel", nanChannel, -1, channels - 1);
            Check.range("broadband flatChannel", flatChannel, -1, channels - 1);
            Check.range("broadband clippedChannel", clippedChannel, -1, channels - 1);
            Check.range("broadband railUv", railUv, 1, 1e9);
            if (truthCapacity < 2 || Integer.bitCount(truthCapacity) != 1) {
                throw new ConfigException("broadband truthCapacity", String.valueOf(truthCapacity),
                        "a power of two >= 2");
            }
            concluded = true;
            return this;
        }
    }

    /** SplitMix64 output function. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }

    private static double unit(long bits) {
        return (bits >>> 11) * 0x1.0p-53;
    }
}
