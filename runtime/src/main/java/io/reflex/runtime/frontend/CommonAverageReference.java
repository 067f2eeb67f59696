package io.reflex.runtime.frontend;

/**
 * Common average reference over a sample-major block: from every live channel, subtract the mean of the live
 * channels of its group at that sample. Channels marked excluded (dead, see {@link ChannelHealth}) take no part in
 * the mean and come out as 0, so that no later stage counts crossings or power on them. A non-finite value on a
 * channel not (yet) excluded is also left out of that sample's mean and comes out as 0, and is counted
 * ({@link #nonFiniteCount()}): a channel that goes bad between health checks cannot poison the average for that
 * sample either. A group whose channels are all excluded comes out as all 0.
 *
 * <p>Groups are given as one group index per channel (e.g. one group per electrode array or per headstage); the
 * single-group form uses every channel. Means are accumulated in double. All arrays are sized at construction;
 * {@link #apply} allocates nothing. Not thread-safe: one owner thread.
 */
public final class CommonAverageReference {
    private final int channels;
    private final int groups;
    private final int[] groupOfChannel;
    private final boolean[] excluded;
    private final double[] sum;
    private final int[] count;
    private final double[] mean;
    private long nonFiniteCount;

    /** One group of all {@code channels} channels. */
    public CommonAverageReference(int channels) {
        this(new int[Math.max(channels, 0)], channels);
    }

    /**
     * @param groupOfChannel the group of each channel, 0..groups-1; its length is the channel count (>= 1); every
     *                       group from 0 to the highest index used must have at least one channel
     */
    public CommonAverageReference(int[] groupOfChannel) {
        this(groupOfChannel, groupOfChannel.length);
    }

    private CommonAverageReference(int[] groupOfChannel, int channels) {
        if (channels < 1) {
            throw new IllegalArgumentException("channels must be >= 1; got " + channels);
        }
        int highest = 0;
        for (int c = 0; c < channels; c++) {
            if (groupOfChannel[c] < 0 || groupOfChannel[c] >= channels) {
                throw new IllegalArgumentException("groupOfChannel[" + c + "] must be 0.." + (channels - 1)
                        + "; got " + groupOfChannel[c]);
            }
            highest = Math.max(highest, groupOfChannel[c]);
        }
        boolean[] used = new boolean[highest + 1];
        for (int c = 0; c < channels; c++) {
            used[groupOfChannel[c]] = true;
        }
        for (int g = 0; g <= highest; g++) {
            if (!used[g]) {
                throw new IllegalArgumentException("group " + g + " has no channels (groups must be 0.." + highest
                        + " without gaps)");
            }
        }
        this.channels = channels;
        this.groups = highest + 1;
        this.groupOfChannel = groupOfChannel.clone();
        this.excluded = new boolean[channels];
        this.sum = new double[groups];
        this.count = new int[groups];
        this.mean = new double[groups];
    }

    public int channels() {
        return channels;
    }

    public int groups() {
        return groups;
    }

    /** Sets which channels are excluded (copied; e.g. from {@link ChannelHealth#copyDeadMask}). */
    public void setExcluded(boolean[] mask) {
        if (mask.length < channels) {
            throw new IllegalArgumentException("mask needs " + channels + " entries; got " + mask.length);
        }
        System.arraycopy(mask, 0, excluded, 0, channels);
    }

    /** Non-finite values met on channels not excluded, since construction. */
    public long nonFiniteCount() {
        return nonFiniteCount;
    }

    /**
     * Re-references {@code sampleCount} samples from {@code in} into {@code out}; the same array at the same
     * offset works in place.
     *
     * @return the number of non-finite values met on channels not excluded in this call (they came out as 0)
     */
    public int apply(float[] in, int inOffset, float[] out, int outOffset, int sampleCount) {
        checkRange("in", in, inOffset, sampleCount);
        checkRange("out", out, outOffset, sampleCount);
        final int n = channels;
        int bad = 0;
        for (int s = 0; s < sampleCount; s++) {
            final int inBase = inOffset + s * n;
            final int outBase = outOffset + s * n;
            if (groups == 1 && applyOneGroupFinite(in, inBase, out, outBase)) {
                continue;
            }
            java.util.Arrays.fill(sum, 0);
            java.util.Arrays.fill(count, 0);
            for (int c = 0; c < n; c++) {
                final float v = in[inBase + c];
                if (!excluded[c] && Float.isFinite(v)) {
                    final int g = groupOfChannel[c];
                    sum[g] += v;
                    count[g]++;
                }
            }
            for (int g = 0; g < groups; g++) {
                mean[g] = count[g] > 0 ? sum[g] / count[g] : 0;
            }
            for (int c = 0; c < n; c++) {
                final float v = in[inBase + c];
                if (excluded[c]) {
                    out[outBase + c] = 0f;
                } else if (Float.isFinite(v)) {
                    out[outBase + c] = (float) (v - mean[groupOfChannel[c]]);
                } else {
                    out[outBase + c] = 0f;
                    bad++;
                }
            }
        }
        nonFiniteCount += bad;
        return bad;
    }

    /**
     * The common case (one group, no non-finite value on a live channel) without per-channel branches or group
     * look-ups, so the JIT can vectorise it. A non-finite value on a live channel makes the sum non-finite; then
     * nothing has been written and the caller takes the general path for this sample.
     */
    private boolean applyOneGroupFinite(float[] in, int inBase, float[] out, int outBase) {
        final int n = channels;
        final boolean[] skip = excluded;
        double total = 0;
        int live = 0;
        for (int c = 0; c < n; c++) {
            final float v = in[inBase + c];
            total += skip[c] ? 0f : v;
            live += skip[c] ? 0 : 1;
        }
        if (!Double.isFinite(total)) {
            return false;
        }
        final float mean = live > 0 ? (float) (total / live) : 0f;
        for (int c = 0; c < n; c++) {
            out[outBase + c] = skip[c] ? 0f : in[inBase + c] - mean;
        }
        return true;
    }

    private void checkRange(String name, float[] a, int offset, int sampleCount) {
        if (sampleCount < 0 || offset < 0 || (long) offset + (long) sampleCount * channels > a.length) {
            throw new IllegalArgumentException(name + ": " + sampleCount + " samples of " + channels
                    + " channels from offset " + offset + " do not fit an array of " + a.length);
        }
    }
}
