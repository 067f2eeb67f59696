package io.reflex.runtime.frontend;

import io.reflex.runtime.check.Check;
import io.reflex.runtime.check.ConfigException;
import java.util.Arrays;
import java.util.List;

/**
 * The broadband front end of the features stage: one bin of sample-major voltage in, one feature vector out. Per
 * bin, in this order: {@link ChannelHealth} (dead channels latch and are excluded from everything after), common
 * average reference (all channels or contiguous groups; or none, which only zeroes dead and non-finite values),
 * the Butterworth filter ({@link BiquadBank}, state carried from bin to bin), then threshold crossings and/or
 * spike-band power on the filtered signal.
 *
 * <p><b>Calibration.</b> For the first {@link Context#rmsSeconds(double)} (after {@link #SETTLE_MS} ms in which the
 * filter's start-up transient dies away) the front end accumulates each channel's mean square of the filtered
 * signal; it then sets the thresholds at {@code -k × RMS} ({@link ThresholdCrossings#calibrateFromRms}). Until then
 * {@link #process} returns {@link #CALIBRATING} and the crossing features are 0 (the power features are already
 * real), so a session leaves those bins out of its decoder's calibration block. The RMS is accumulated, not the
 * samples kept, so a long block at 1,024 channels costs 8 B per channel.
 *
 * <p><b>Features.</b> {@link #featureCount()} = channels × outputs: crossings of channel c at {@code c}, then
 * (with both outputs) power of channel c at {@code channels + c}; with power alone, power of c at {@code c}.
 *
 * <p>Every array is sized at construction; {@link #process} allocates nothing and makes no per-sample virtual call
 * (each kernel is a final class looping over the whole bin). One owner thread (the features stage); the report
 * accessors are for after the pipeline has drained.
 */
public final class FrontEnd {
    /** {@link #process} result: features are live (thresholds set). */
    public static final int LIVE = 0;
    /** {@link #process} result: still estimating the RMS; crossing features are 0. */
    public static final int CALIBRATING = 1;
    /** Start-up transient of the filter left out of the RMS block, ms. */
    public static final double SETTLE_MS = 50;
    /** {@link Context#car(String)} values. */
    public static final List<String> CAR_MODES = List.of("none", "all", "groups");
    /** {@link Context#outputs(List)} values. */
    public static final List<String> OUTPUT_NAMES = List.of("crossings", "power");

    private final Context ctx;
    private final int channels;
    private final ChannelHealth health;
    private final CommonAverageReference car;
    private final BiquadBank filter;
    private final ThresholdCrossings crossings;
    private final SpikeBandPower power;
    private final float[] work;
    /** The input in µV when it comes in other units (int16 counts); null when it is µV already. */
    private final float[] scaled;
    private final float inputScale;
    private final float[] binCrossings;
    private final float[] binPower;
    private final boolean[] dead;
    private final double[] sumSquares;
    private final double[] rms;
    private final long settleSamples;
    private final long rmsSamples;
    private final int crossingsOffset;
    private final int powerOffset;
    private long samplesSeen;
    private long rmsCount;
    private int deadCount;
    private long crossingsTotal;
    private long nonFiniteValues;
    private long bins;

    public FrontEnd(Context ctx) {
        this.ctx = ctx.conclude();
        this.channels = ctx.channels;
        this.health = new ChannelHealth(channels, ctx.flatUv, ctx.clipUv, ctx.clippedFraction);
        if ("all".equals(ctx.car)) {
            car = new CommonAverageReference(channels);
        } else if ("groups".equals(ctx.car)) {
            int[] group = new int[channels];
            for (int c = 0; c < channels; c++) {
                group[c] = c / ctx.carGroupSize;
            }
            car = new CommonAverageReference(group);
        } else {
            car = null;
        }
        double[][] sos = ctx.filterSections();
        this.filter = sos == null ? null : new BiquadBank(sos, channels);
        this.crossings = ctx.crossings ? new ThresholdCrossings(channels, ctx.thresholdK, ctx.refractorySamples())
                : null;
        this.power = ctx.power ? new SpikeBandPower(channels) : null;
        this.work = new float[channels * ctx.samplesPerBin];
        this.inputScale = (float) ctx.inputScaleUv;
        this.scaled = ctx.inputScaleUv == 1.0 ? null : new float[channels * ctx.samplesPerBin];
        this.binCrossings = new float[channels];
        this.binPower = new float[channels];
        this.dead = new boolean[channels];
        this.sumSquares = new double[channels];
        this.rms = new double[channels];
        this.settleSamples = Math.round(SETTLE_MS * 1e-3 * ctx.sampleRateHz);
        this.rmsSamples = Math.max(1, Math.round(ctx.rmsSeconds * ctx.sampleRateHz));
        this.crossingsOffset = 0;
        this.powerOffset = ctx.crossings ? channels : 0;
    }

    /** The concluded context. */
    public Context context() {
        return ctx;
    }

    /** Features per bin: channels × outputs. */
    public int featureCount() {
        return ctx.featureCount();
    }

    /**
     * Processes one bin.
     *
     * @param samples     sample-major voltage, {@code channels} values per sample from index 0, in units of
     *                    {@link Context#inputScaleUv(double)} µV (µV by default; not modified)
     * @param sampleCount samples in the bin, 1..{@link Context#samplesPerBin(int)}
     * @param features    receives {@link #featureCount()} features
     * @return {@link #LIVE} or {@link #CALIBRATING}
     */
    public int process(float[] samples, int sampleCount, float[] features) {
        if (sampleCount < 1 || sampleCount > ctx.samplesPerBin) {
            throw new IllegalArgumentException("sampleCount must be in [1, " + ctx.samplesPerBin + "]; got "
                    + sampleCount);
        }
        bins++;
        final int values = sampleCount * channels;
        float[] in = samples;
        if (scaled != null) {
            final float k = inputScale;
            for (int i = 0; i < values; i++) {
                scaled[i] = samples[i] * k;
            }
            in = scaled;
        }
        int nowDead = health.assess(in, 0, sampleCount);
        if (nowDead != deadCount) {
            updateExclusions();
        }
        if (car != null) {
            nonFiniteValues += car.apply(in, 0, work, 0, sampleCount);
        } else {
            gate(in, values);
        }
        if (filter != null) {
            filter.processInPlace(work, sampleCount);
        }
        if (power != null) {
            power.accumulate(work, 0, sampleCount);
            power.drainBin(binPower);
            System.arraycopy(binPower, 0, features, powerOffset, channels);
        }
        int status = LIVE;
        if (crossings != null) {
            if (!crossings.isCalibrated()) {
                // the bin that completes the RMS block has no crossings counted either
                accumulateRms(sampleCount);
                status = CALIBRATING;
                Arrays.fill(features, crossingsOffset, crossingsOffset + channels, 0f);
            } else {
                crossingsTotal += crossings.accumulate(work, 0, sampleCount);
                crossings.drainBin(binCrossings);
                System.arraycopy(binCrossings, 0, features, crossingsOffset, channels);
            }
        }
        samplesSeen += sampleCount;
        return status;
    }

    /** Without a CAR: dead channels and non-finite values become 0, so the filter state stays finite. */
    private void gate(float[] samples, int values) {
        final int n = channels;
        for (int i = 0; i < values; i += n) {
            for (int c = 0; c < n; c++) {
                final float v = samples[i + c];
                final boolean bad = dead[c] || !Float.isFinite(v);
                if (!dead[c] && !Float.isFinite(v)) {
                    nonFiniteValues++;
                }
                work[i + c] = bad ? 0f : v;
            }
        }
    }

    private void accumulateRms(int sampleCount) {
        final int n = channels;
        final long skip = Math.max(0, Math.min(sampleCount, settleSamples - samplesSeen));
        for (int s = (int) skip; s < sampleCount && rmsCount < rmsSamples; s++) {
            final int base = s * n;
            for (int c = 0; c < n; c++) {
                final double v = work[base + c];
                sumSquares[c] += v * v;
            }
            rmsCount++;
        }
        if (rmsCount == rmsSamples) {
            for (int c = 0; c < n; c++) {
                rms[c] = Math.sqrt(sumSquares[c] / rmsCount);
            }
            crossings.calibrateFromRms(rms, dead);
        }
    }

    /** A channel died (the health check latched it): leave it out of everything from this bin on. */
    private void updateExclusions() {
        health.copyDeadMask(dead);
        deadCount = health.deadCount();
        if (car != null) {
            car.setExcluded(dead);
        }
        if (power != null) {
            power.setExcluded(dead);
        }
        for (int c = 0; c < channels; c++) {
            if (dead[c]) {
                if (filter != null) {
                    filter.resetChannel(c);
                }
                if (crossings != null && crossings.isCalibrated() && !crossings.isExcluded(c)) {
                    crossings.exclude(c);
                }
            }
        }
    }

    /** True once the thresholds are set (always true without the crossings output). */
    public boolean isCalibrated() {
        return crossings == null || crossings.isCalibrated();
    }

    /** Channels found dead so far. */
    public int deadCount() {
        return health.deadCount();
    }

    /** The dead channels with their reasons, e.g. {@code "6 (non-finite), 7 (flat)"}; "" when none. */
    public String describeDead() {
        return health.describeDead();
    }

    /** Indices of the dead channels, ascending. */
    public int[] deadChannels() {
        int[] out = new int[health.deadCount()];
        int k = 0;
        for (int c = 0; c < channels && k < out.length; c++) {
            if (health.isDead(c)) {
                out[k++] = c;
            }
        }
        return out;
    }

    /** A channel's calibration RMS of the filtered signal (NaN before calibration or without crossings). */
    public double rms(int channel) {
        return crossings == null ? Double.NaN : crossings.rms(channel);
    }

    /** A channel's threshold (NaN when excluded, before calibration or without crossings). */
    public float threshold(int channel) {
        return crossings == null ? Float.NaN : crossings.threshold(channel);
    }

    /** Crossings counted since calibration, all channels. */
    public long crossingsTotal() {
        return crossingsTotal;
    }

    /** Non-finite values met on channels not (yet) excluded; they were replaced by 0. */
    public long nonFiniteValues() {
        return nonFiniteValues;
    }

    /** Bins processed. */
    public long bins() {
        return bins;
    }

    /**
     * The front end's configuration: fluent setters, defaults here, {@link #conclude()} validating every value with
     * the config key ({@code frontend.*}) in the message.
     */
    public static final class Context {
        private int channels = -1;
        private double sampleRateHz = -1;
        private int samplesPerBin = -1;
        private String car = "all";
        private int carGroupSize = 32;
        private int filterOrder = 2;
        private double highPassHz = 250;
        private double lowPassHz = 5_000;
        private double thresholdK = 4.5;
        private double refractoryMs = 1.0;
        private boolean crossings = true;
        private boolean power;
        private double rmsSeconds = 2.0;
        private double flatUv = 0.5;
        private double clipUv = 8_000;
        private double clippedFraction = 0.01;
        private double inputScaleUv = 1.0;
        private boolean concluded;

        /** Channels per sample (required). */
        public Context channels(int channels) {
            this.channels = channels;
            return this;
        }

        /** Sample rate, Hz (required). */
        public Context sampleRateHz(double sampleRateHz) {
            this.sampleRateHz = sampleRateHz;
            return this;
        }

        /** Samples per bin (required): the most {@link FrontEnd#process} takes at once. */
        public Context samplesPerBin(int samplesPerBin) {
            this.samplesPerBin = samplesPerBin;
            return this;
        }

        /** Common average reference: {@code none}, {@code all} (default) or {@code groups}. */
        public Context car(String car) {
            this.car = car;
            return this;
        }

        /** With {@code car = groups}: contiguous groups of this many channels (default 32; the last may be shorter). */
        public Context carGroupSize(int carGroupSize) {
            this.carGroupSize = carGroupSize;
            return this;
        }

        /** Butterworth order of each side (default 2); 0 disables the filter. */
        public Context filterOrder(int filterOrder) {
            this.filterOrder = filterOrder;
            return this;
        }

        /** High-pass corner, Hz (default 250); 0 leaves the high-pass out. */
        public Context highPassHz(double highPassHz) {
            this.highPassHz = highPassHz;
            return this;
        }

        /** Low-pass corner, Hz (default 5 000); 0 leaves the low-pass out. */
        public Context lowPassHz(double lowPassHz) {
            this.lowPassHz = lowPassHz;
            return this;
        }

        /** Threshold at {@code -k × RMS} (default 4.5). */
        public Context thresholdK(double thresholdK) {
            this.thresholdK = thresholdK;
            return this;
        }

        /** Refractory period after a crossing, ms (default 1). */
        public Context refractoryMs(double refractoryMs) {
            this.refractoryMs = refractoryMs;
            return this;
        }

        /** Which features to output: {@code crossings} and/or {@code power} (default crossings). */
        public Context outputs(List<String> outputs) {
            Check.present("frontend.outputs", outputs, "a list of " + OUTPUT_NAMES);
            if (outputs.isEmpty()) {
                throw new ConfigException("frontend.outputs", "[]", "one or both of " + OUTPUT_NAMES);
            }
            boolean x = false;
            boolean p = false;
            for (int i = 0; i < outputs.size(); i++) {
                String o = outputs.get(i);
                Check.oneOf("frontend.outputs[" + i + "]", o, OUTPUT_NAMES);
                if (("crossings".equals(o) && x) || ("power".equals(o) && p)) {
                    throw new ConfigException("frontend.outputs[" + i + "]", "\"" + o + "\"", "each output once");
                }
                x |= "crossings".equals(o);
                p |= "power".equals(o);
            }
            this.crossings = x;
            this.power = p;
            return this;
        }

        /** Seconds of filtered signal the RMS is estimated on, after the settle time (default 2). */
        public Context rmsSeconds(double rmsSeconds) {
            this.rmsSeconds = rmsSeconds;
            return this;
        }

        /** A channel whose peak-to-peak over a bin is at most this is flat (dead), µV (default 0.5). */
        public Context flatUv(double flatUv) {
            this.flatUv = flatUv;
            return this;
        }

        /** The amplifier's rail, µV (default 8 000); infinity disables the clipping check. */
        public Context clipUv(double clipUv) {
            this.clipUv = clipUv;
            return this;
        }

        /** Fraction of a bin's samples at the rail that makes a channel clipped (default 0.01). */
        public Context clippedFraction(double clippedFraction) {
            this.clippedFraction = clippedFraction;
            return this;
        }

        /**
         * µV per input unit (default 1: the input is µV). An int16 amplifier stream (values arrive as whole
         * counts, exactly, as floats) sets its resolution here, e.g. 0.25 for Blackrock's 0.25 µV per bit; the
         * front end scales each bin once before everything else, so every other value stays in µV.
         */
        public Context inputScaleUv(double inputScaleUv) {
            this.inputScaleUv = inputScaleUv;
            return this;
        }

        public int channels() {
            return channels;
        }

        public int samplesPerBin() {
            return samplesPerBin;
        }

        public boolean crossings() {
            return crossings;
        }

        public boolean power() {
            return power;
        }

        public String car() {
            return car;
        }

        public double thresholdK() {
            return thresholdK;
        }

        /** Channels × outputs. */
        public int featureCount() {
            return channels * ((crossings ? 1 : 0) + (power ? 1 : 0));
        }

        /** The refractory period in whole samples at the sample rate (rounded). */
        public int refractorySamples() {
            return (int) Math.round(refractoryMs * 1e-3 * sampleRateHz);
        }

        /** The filter in words, e.g. {@code "band-pass 250-5000 Hz, order 2 each side"}, or {@code "none"}. */
        public String describeFilter() {
            if (filterOrder == 0 || (highPassHz == 0 && lowPassHz == 0)) {
                return "none";
            }
            if (highPassHz > 0 && lowPassHz > 0) {
                return "band-pass " + fmt(highPassHz) + "-" + fmt(lowPassHz) + " Hz, order " + filterOrder
                        + " each side";
            }
            return (highPassHz > 0 ? "high-pass " + fmt(highPassHz) : "low-pass " + fmt(lowPassHz)) + " Hz, order "
                    + filterOrder;
        }

        private static String fmt(double hz) {
            return hz == Math.rint(hz) ? Long.toString((long) hz) : Double.toString(hz);
        }

        /** The filter's sections, or null when the filter is off. */
        double[][] filterSections() {
            if (filterOrder == 0 || (highPassHz == 0 && lowPassHz == 0)) {
                return null;
            }
            if (highPassHz > 0 && lowPassHz > 0) {
                return Butterworth.bandPass(filterOrder, highPassHz, lowPassHz, sampleRateHz);
            }
            return highPassHz > 0 ? Butterworth.highPass(filterOrder, highPassHz, sampleRateHz)
                    : Butterworth.lowPass(filterOrder, lowPassHz, sampleRateHz);
        }

        /** Validates every value (naming its {@code frontend.*} key and the allowed range); runs once. */
        public Context conclude() {
            if (concluded) {
                return this;
            }
            Check.range("frontend channels (source.channels)", channels, 1, 65_536);
            Check.range("frontend sample rate (source.sampleRateHz)", sampleRateHz, 1, 1_000_000);
            Check.range("frontend samples per bin", samplesPerBin, 1, 10_000_000);
            if ((long) channels * samplesPerBin > 256L << 20) {
                throw new ConfigException("pipeline.binWidthUs", channels + " channels x " + samplesPerBin
                        + " samples per bin is more than the front end's 256 Mi-value bin buffer");
            }
            Check.present("frontend.car", car, "one of " + CAR_MODES);
            Check.oneOf("frontend.car", car, CAR_MODES);
            if ("groups".equals(car)) {
                Check.range("frontend.carGroupSize", carGroupSize, 2, channels);
            }
            Check.range("frontend.filter.order", filterOrder, 0, Butterworth.MAX_ORDER);
            double nyquist = sampleRateHz / 2;
            if (highPassHz != 0 && !(highPassHz > 0 && highPassHz < nyquist)) {
                throw new ConfigException("frontend.filter.highPassHz", String.valueOf(highPassHz), "0 (off) or a"
                        + " corner strictly between 0 and the Nyquist frequency " + nyquist + " Hz (source.sampleRateHz"
                        + " " + sampleRateHz + " Hz)");
            }
            if (lowPassHz != 0 && !(lowPassHz > 0 && lowPassHz < nyquist)) {
                throw new ConfigException("frontend.filter.lowPassHz", String.valueOf(lowPassHz), "0 (off) or a"
                        + " corner strictly between 0 and the Nyquist frequency " + nyquist + " Hz (source.sampleRateHz"
                        + " " + sampleRateHz + " Hz)");
            }
            if (highPassHz > 0 && lowPassHz > 0 && !(lowPassHz > highPassHz)) {
                throw new ConfigException("frontend.filter.lowPassHz", String.valueOf(lowPassHz), "a corner above"
                        + " frontend.filter.highPassHz (" + highPassHz + " Hz) for a band-pass");
            }
            if (crossings) {
                if (!(thresholdK > 0 && thresholdK <= 100)) {
                    throw new ConfigException("frontend.threshold.k", String.valueOf(thresholdK),
                            "a multiple of the RMS in (0, 100] (the threshold is -k x RMS)");
                }
                Check.range("frontend.threshold.refractoryMs", refractoryMs, 0, 1_000);
                double binS = samplesPerBin / sampleRateHz;
                Check.range("frontend.rmsSeconds", rmsSeconds, Math.min(binS, 3_600), 3_600);
            }
            if (!(inputScaleUv > 0 && inputScaleUv <= 1e6)) {
                throw new ConfigException("frontend.inputScaleUv", String.valueOf(inputScaleUv),
                        "µV per input unit in (0, 1e6] (1 when the input is µV; e.g. 0.25 for int16 counts of"
                                + " 0.25 µV)");
            }
            Check.range("frontend.health.flatUv", flatUv, 0, 1e9);
            if (!(clipUv > 0)) {
                throw new ConfigException("frontend.health.clipUv", String.valueOf(clipUv),
                        "the amplifier's rail in µV, > 0 (or a huge value to disable the clipping check)");
            }
            if (!(clippedFraction > 0 && clippedFraction <= 1)) {
                throw new ConfigException("frontend.health.clippedFraction", String.valueOf(clippedFraction),
                        "a fraction in (0, 1]");
            }
            concluded = true;
            return this;
        }
    }
}
