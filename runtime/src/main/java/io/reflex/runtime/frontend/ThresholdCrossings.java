package io.reflex.runtime.frontend;

/**
 * Negative-going threshold crossings per channel, counted per bin. A channel's threshold is {@code -k × RMS},
 * the RMS taken over a calibration block of the (band-passed) signal ({@link #calibrate}). A crossing is a sample
 * below the threshold whose predecessor was at or above it; after a crossing the next {@code refractorySamples}
 * samples cannot cross. The previous sample and the refractory countdown are carried from one call to the next,
 * so counts do not depend on how the signal is cut into chunks.
 *
 * <p>A channel is excluded (never counts) when the mask given to {@link #calibrate} marks it dead, or when its
 * calibration RMS is not finite or is 0 (a flat or broken channel would otherwise get a threshold of 0 or NaN);
 * {@link #isExcluded} and {@link #excludedCount} report them. A non-finite sample neither crosses nor lets the
 * next sample cross. Arrays are sized at construction; {@link #accumulate} and {@link #drainBin} allocate nothing.
 * Not thread-safe: one owner thread.
 */
public final class ThresholdCrossings {
    private final int channels;
    private final double thresholdK;
    private final int refractorySamples;
    private final float[] threshold;
    private final double[] rms;
    private final boolean[] excluded;
    private final float[] previous;
    private final int[] holdoff;
    private final int[] counts;
    private boolean calibrated;

    /**
     * @param channels          channels per sample, >= 1
     * @param thresholdK        the multiple of the RMS, > 0 and finite (e.g. 4.5 for a threshold at -4.5 RMS)
     * @param refractorySamples samples after a crossing that cannot cross, >= 0 (30 is 1 ms at 30 kHz)
     */
    public ThresholdCrossings(int channels, double thresholdK, int refractorySamples) {
        if (channels < 1) {
            throw new IllegalArgumentException("channels must be >= 1; got " + channels);
        }
        if (!(thresholdK > 0) || Double.isInfinite(thresholdK)) {
            throw new IllegalArgumentException("thresholdK must be finite and > 0; got " + thresholdK);
        }
        if (refractorySamples < 0) {
            throw new IllegalArgumentException("refractorySamples must be >= 0; got " + refractorySamples);
        }
        this.channels = channels;
        this.thresholdK = thresholdK;
        this.refractorySamples = refractorySamples;
        threshold = new float[channels];
        rms = new double[channels];
        excluded = new boolean[channels];
        previous = new float[channels];
        holdoff = new int[channels];
        counts = new int[channels];
        resetState();
    }

    public int channels() {
        return channels;
    }

    /**
     * Sets every channel's threshold from a calibration block (sample-major, at least one sample) and resets the
     * carried state and the bin. Call before {@link #accumulate}; may be called again to recalibrate.
     *
     * @param dead channels to exclude (length >= channels), or null for none
     * @return the number of channels excluded
     */
    public int calibrate(float[] samples, int offset, int sampleCount, boolean[] dead) {
        if (sampleCount < 1 || offset < 0 || (long) offset + (long) sampleCount * channels > samples.length) {
            throw new IllegalArgumentException("calibration block: " + sampleCount + " samples of " + channels
                    + " channels from offset " + offset + " do not fit an array of " + samples.length
                    + " (at least one sample needed)");
        }
        if (dead != null && dead.length < channels) {
            throw new IllegalArgumentException("dead mask needs " + channels + " entries; got " + dead.length);
        }
        java.util.Arrays.fill(rms, 0);
        for (int s = 0; s < sampleCount; s++) {
            final int base = offset + s * channels;
            for (int c = 0; c < channels; c++) {
                final double v = samples[base + c];
                rms[c] += v * v;
            }
        }
        for (int c = 0; c < channels; c++) {
            rms[c] = Math.sqrt(rms[c] / sampleCount);
        }
        return setThresholds(dead);
    }

    /**
     * Sets every channel's threshold from RMS values measured elsewhere (e.g. accumulated over a calibration block
     * too long to keep), and resets the carried state and the bin, as {@link #calibrate} does. Allocation-free.
     *
     * @param rmsIn one RMS per channel (length >= channels), in the block's units; a non-finite or zero RMS excludes
     *              its channel
     * @param dead  channels to exclude (length >= channels), or null for none
     * @return the number of channels excluded
     */
    public int calibrateFromRms(double[] rmsIn, boolean[] dead) {
        if (rmsIn.length < channels) {
            throw new IllegalArgumentException("rms needs " + channels + " entries; got " + rmsIn.length);
        }
        if (dead != null && dead.length < channels) {
            throw new IllegalArgumentException("dead mask needs " + channels + " entries; got " + dead.length);
        }
        System.arraycopy(rmsIn, 0, rms, 0, channels);
        return setThresholds(dead);
    }

    /**
     * Excludes one channel from now on (found dead after calibration): it never counts again and its bin count is
     * dropped. Allocation-free.
     */
    public void exclude(int channel) {
        if (channel < 0 || channel >= channels) {
            throw new IllegalArgumentException("channel must be in [0, " + (channels - 1) + "]; got " + channel);
        }
        excluded[channel] = true;
        threshold[channel] = Float.NaN;
        counts[channel] = 0;
        holdoff[channel] = 0;
    }

    /** Whether thresholds have been set ({@link #calibrate} or {@link #calibrateFromRms}). */
    public boolean isCalibrated() {
        return calibrated;
    }

    private int setThresholds(boolean[] dead) {
        int out = 0;
        for (int c = 0; c < channels; c++) {
            excluded[c] = (dead != null && dead[c]) || !Double.isFinite(rms[c]) || rms[c] == 0;
            threshold[c] = excluded[c] ? Float.NaN : (float) (-thresholdK * rms[c]);
            if (excluded[c]) {
                out++;
            }
        }
        calibrated = true;
        resetState();
        return out;
    }

    /**
     * Counts the crossings in {@code sampleCount} samples into the current bin.
     *
     * @return the crossings counted in this call, over all channels
     */
    public int accumulate(float[] samples, int offset, int sampleCount) {
        if (!calibrated) {
            throw new IllegalStateException("calibrate before accumulate");
        }
        if (sampleCount < 0 || offset < 0 || (long) offset + (long) sampleCount * channels > samples.length) {
            throw new IllegalArgumentException(sampleCount + " samples of " + channels + " channels from offset "
                    + offset + " do not fit an array of " + samples.length);
        }
        final int n = channels;
        final int refractory = refractorySamples;
        int total = 0;
        for (int s = 0; s < sampleCount; s++) {
            final int base = offset + s * n;
            for (int c = 0; c < n; c++) {
                final float v = samples[base + c];
                final int h = holdoff[c];
                if (h > 0) {
                    holdoff[c] = h - 1;
                } else if (v < threshold[c] && previous[c] >= threshold[c]) {
                    // Comparisons with a NaN threshold (excluded) or a NaN sample are false: no crossing.
                    counts[c]++;
                    holdoff[c] = refractory;
                    total++;
                }
                previous[c] = v;
            }
        }
        return total;
    }

    /**
     * Writes the current bin's counts into {@code dst} (length >= channels) and starts a new bin; excluded
     * channels read 0.
     */
    public void drainBin(float[] dst) {
        if (dst.length < channels) {
            throw new IllegalArgumentException("dst needs " + channels + " entries; got " + dst.length);
        }
        for (int c = 0; c < channels; c++) {
            dst[c] = counts[c];
            counts[c] = 0;
        }
    }

    /** The calibration RMS of a channel (NaN before calibration). */
    public double rms(int channel) {
        return calibrated ? rms[channel] : Double.NaN;
    }

    /** A channel's threshold ({@code -k × RMS}; NaN when excluded or before calibration). */
    public float threshold(int channel) {
        return threshold[channel];
    }

    public boolean isExcluded(int channel) {
        return excluded[channel];
    }

    public int excludedCount() {
        int out = 0;
        for (boolean e : excluded) {
            if (e) {
                out++;
            }
        }
        return out;
    }

    private void resetState() {
        // NaN as the previous sample: the first sample after (re)calibration cannot count as a crossing.
        java.util.Arrays.fill(previous, Float.NaN);
        java.util.Arrays.fill(holdoff, 0);
        java.util.Arrays.fill(counts, 0);
        if (!calibrated) {
            java.util.Arrays.fill(threshold, Float.NaN);
        }
    }
}
