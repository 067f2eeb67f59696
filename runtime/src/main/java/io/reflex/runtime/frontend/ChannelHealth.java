package io.reflex.runtime.frontend;

/**
 * Finds dead channels in sample-major blocks: a channel is dead when it carried a non-finite value (NaN or
 * infinity), when it is flat (peak-to-peak at most {@code flatPeakToPeakUv} over an assessed block), or when it is
 * clipped (at least {@code clippedFraction} of an assessed block's samples at or beyond {@code clipLevelUv} in
 * magnitude, the amplifier's rail). Verdicts latch: once dead, a channel stays dead until {@link #clear()}, so a
 * channel that goes bad during a run is excluded from then on and is named in {@link #describeDead()}.
 *
 * <p>{@link #assess} allocates nothing and may run on every chunk; {@link CommonAverageReference},
 * {@link ThresholdCrossings} and {@link SpikeBandPower} take the resulting mask ({@link #copyDeadMask}). Values
 * are in the block's units (µV for the float front end). Not thread-safe: one owner thread.
 */
public final class ChannelHealth {
    /** Reason bit: the channel carried NaN or an infinity. */
    public static final int NON_FINITE = 1;
    /** Reason bit: peak-to-peak at most the flat limit over an assessed block. */
    public static final int FLAT = 2;
    /** Reason bit: too many samples at the rail in an assessed block. */
    public static final int CLIPPED = 4;

    private final int channels;
    private final double flatPeakToPeakUv;
    private final double clipLevelUv;
    private final double clippedFraction;
    private final int[] reasons;
    private final float[] min;
    private final float[] max;
    private final int[] railCount;
    private final boolean[] nonFinite;

    /**
     * @param channels         channels per sample, >= 1
     * @param flatPeakToPeakUv a channel whose peak-to-peak over an assessed block is at most this is flat; >= 0
     * @param clipLevelUv      magnitude at or beyond which a sample is at the rail; > 0 (infinity disables)
     * @param clippedFraction  fraction of an assessed block's samples at the rail that makes a channel clipped,
     *                         in (0, 1]
     */
    public ChannelHealth(int channels, double flatPeakToPeakUv, double clipLevelUv, double clippedFraction) {
        if (channels < 1) {
            throw new IllegalArgumentException("channels must be >= 1; got " + channels);
        }
        if (!(flatPeakToPeakUv >= 0) || Double.isInfinite(flatPeakToPeakUv)) {
            throw new IllegalArgumentException("flatPeakToPeakUv must be finite and >= 0; got " + flatPeakToPeakUv);
        }
        if (!(clipLevelUv > 0)) {
            throw new IllegalArgumentException("clipLevelUv must be > 0; got " + clipLevelUv);
        }
        if (!(clippedFraction > 0 && clippedFraction <= 1)) {
            throw new IllegalArgumentException("clippedFraction must be in (0, 1]; got " + clippedFraction);
        }
        this.channels = channels;
        this.flatPeakToPeakUv = flatPeakToPeakUv;
        this.clipLevelUv = clipLevelUv;
        this.clippedFraction = clippedFraction;
        reasons = new int[channels];
        min = new float[channels];
        max = new float[channels];
        railCount = new int[channels];
        nonFinite = new boolean[channels];
    }

    public int channels() {
        return channels;
    }

    /**
     * Assesses one block and latches the verdicts. Flatness and clipping are judged over this block alone, so
     * assess blocks long enough for the judgement (the calibration block, or a whole bin); a non-finite value is
     * caught in a block of any length.
     *
     * @return the number of channels dead after this block
     */
    public int assess(float[] samples, int offset, int sampleCount) {
        if (sampleCount < 1 || offset < 0 || (long) offset + (long) sampleCount * channels > samples.length) {
            throw new IllegalArgumentException(sampleCount + " samples of " + channels + " channels from offset "
                    + offset + " do not fit an array of " + samples.length + " (at least one sample needed)");
        }
        final int n = channels;
        java.util.Arrays.fill(min, Float.POSITIVE_INFINITY);
        java.util.Arrays.fill(max, Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(railCount, 0);
        java.util.Arrays.fill(nonFinite, false);
        final float rail = (float) Math.min(clipLevelUv, Float.MAX_VALUE);
        for (int s = 0; s < sampleCount; s++) {
            final int base = offset + s * n;
            for (int c = 0; c < n; c++) {
                final float v = samples[base + c];
                if (!Float.isFinite(v)) {
                    nonFinite[c] = true;
                    continue;
                }
                if (v < min[c]) {
                    min[c] = v;
                }
                if (v > max[c]) {
                    max[c] = v;
                }
                if (Math.abs(v) >= rail) {
                    railCount[c]++;
                }
            }
        }
        int dead = 0;
        final double railLimit = clippedFraction * sampleCount;
        for (int c = 0; c < n; c++) {
            if (nonFinite[c]) {
                reasons[c] |= NON_FINITE;
            } else if ((double) max[c] - (double) min[c] <= flatPeakToPeakUv) {
                reasons[c] |= FLAT;
            }
            if (railCount[c] > 0 && railCount[c] >= railLimit) {
                reasons[c] |= CLIPPED;
            }
            if (reasons[c] != 0) {
                dead++;
            }
        }
        return dead;
    }

    /** Marks a channel dead by hand (e.g. known broken on the array); {@code reason} is one of the bits. */
    public void markDead(int channel, int reason) {
        checkChannel(channel);
        if (reason != NON_FINITE && reason != FLAT && reason != CLIPPED) {
            throw new IllegalArgumentException("reason must be NON_FINITE, FLAT or CLIPPED; got " + reason);
        }
        reasons[channel] |= reason;
    }

    /** Forgets every verdict. */
    public void clear() {
        java.util.Arrays.fill(reasons, 0);
    }

    public boolean isDead(int channel) {
        checkChannel(channel);
        return reasons[channel] != 0;
    }

    /** The reason bits of one channel (0 when alive). */
    public int reasons(int channel) {
        checkChannel(channel);
        return reasons[channel];
    }

    public int deadCount() {
        int dead = 0;
        for (int r : reasons) {
            if (r != 0) {
                dead++;
            }
        }
        return dead;
    }

    /** Writes {@code true} for each dead channel into {@code dst} (length >= channels). */
    public void copyDeadMask(boolean[] dst) {
        if (dst.length < channels) {
            throw new IllegalArgumentException("dst needs " + channels + " entries; got " + dst.length);
        }
        for (int c = 0; c < channels; c++) {
            dst[c] = reasons[c] != 0;
        }
    }

    /** The dead channels with their reasons, for reports: e.g. {@code "3 (non-finite), 7 (flat, clipped)"}; "" when none. */
    public String describeDead() {
        StringBuilder sb = new StringBuilder();
        for (int c = 0; c < channels; c++) {
            int r = reasons[c];
            if (r == 0) {
                continue;
            }
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(c).append(" (");
            String sep = "";
            if ((r & NON_FINITE) != 0) {
                sb.append("non-finite");
                sep = ", ";
            }
            if ((r & FLAT) != 0) {
                sb.append(sep).append("flat");
                sep = ", ";
            }
            if ((r & CLIPPED) != 0) {
                sb.append(sep).append("clipped");
            }
            sb.append(')');
        }
        return sb.toString();
    }

    private void checkChannel(int channel) {
        if (channel < 0 || channel >= channels) {
            throw new IllegalArgumentException("channel must be 0.." + (channels - 1) + "; got " + channel);
        }
    }
}
