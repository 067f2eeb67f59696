package io.reflex.runtime.frontend;

/**
 * Spike-band power per channel per bin: the mean of the squared (band-passed) signal over the samples of the bin,
 * accumulated in double over any number of chunks. Non-finite samples are left out of both the sum and the count
 * (and counted: {@link #nonFiniteCount()}); excluded (dead) channels and channels with no finite sample in the bin
 * read 0. Arrays are sized at construction; {@link #accumulate} and {@link #drainBin} allocate nothing. Not
 * thread-safe: one owner thread.
 */
public final class SpikeBandPower {
    private final int channels;
    private final boolean[] excluded;
    private final double[] sumSquares;
    private final int[] count;
    private long nonFiniteCount;

    /** @param channels channels per sample, >= 1 */
    public SpikeBandPower(int channels) {
        if (channels < 1) {
            throw new IllegalArgumentException("channels must be >= 1; got " + channels);
        }
        this.channels = channels;
        excluded = new boolean[channels];
        sumSquares = new double[channels];
        count = new int[channels];
    }

    public int channels() {
        return channels;
    }

    /** Sets which channels are excluded (copied; e.g. from {@link ChannelHealth#copyDeadMask}). */
    public void setExcluded(boolean[] mask) {
        if (mask.length < channels) {
            throw new IllegalArgumentException("mask needs " + channels + " entries; got " + mask.length);
        }
        System.arraycopy(mask, 0, excluded, 0, channels);
    }

    /** Non-finite samples met (on any channel) since construction. */
    public long nonFiniteCount() {
        return nonFiniteCount;
    }

    /**
     * Adds {@code sampleCount} samples to the current bin.
     *
     * @return the non-finite samples met in this call (left out)
     */
    public int accumulate(float[] samples, int offset, int sampleCount) {
        if (sampleCount < 0 || offset < 0 || (long) offset + (long) sampleCount * channels > samples.length) {
            throw new IllegalArgumentException(sampleCount + " samples of " + channels + " channels from offset "
                    + offset + " do not fit an array of " + samples.length);
        }
        final int n = channels;
        int bad = 0;
        for (int s = 0; s < sampleCount; s++) {
            final int base = offset + s * n;
            for (int c = 0; c < n; c++) {
                final double v = samples[base + c];
                if (Double.isFinite(v)) {
                    sumSquares[c] += v * v;
                    count[c]++;
                } else {
                    bad++;
                }
            }
        }
        nonFiniteCount += bad;
        return bad;
    }

    /** Writes the current bin's mean squares into {@code dst} (length >= channels) and starts a new bin. */
    public void drainBin(float[] dst) {
        if (dst.length < channels) {
            throw new IllegalArgumentException("dst needs " + channels + " entries; got " + dst.length);
        }
        for (int c = 0; c < channels; c++) {
            dst[c] = excluded[c] || count[c] == 0 ? 0f : (float) (sumSquares[c] / count[c]);
            sumSquares[c] = 0;
            count[c] = 0;
        }
    }
}
