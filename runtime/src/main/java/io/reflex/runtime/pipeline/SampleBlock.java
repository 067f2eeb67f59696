package io.reflex.runtime.pipeline;

/**
 * A preallocated block of consecutive samples from one source: values (sample-major, {@code channels} per
 * sample), one acquisition timestamp per sample (LSL clock seconds) and an optional reference vector per sample
 * (e.g. the true kinematics a synthetic source knows). Sized once, never resized; {@link #clear()} reuses it.
 */
public final class SampleBlock {
    private final int channels;
    private final int capacity;
    private final int referenceCount;
    private final float[] samples;
    private final double[] timestamps;
    private final float[] reference;
    private int size;

    public SampleBlock(int channels, int capacity, int referenceCount) {
        if (channels < 1 || capacity < 1 || referenceCount < 0) {
            throw new IllegalArgumentException("channels and capacity must be >= 1, referenceCount >= 0; got "
                    + channels + ", " + capacity + ", " + referenceCount);
        }
        this.channels = channels;
        this.capacity = capacity;
        this.referenceCount = referenceCount;
        this.samples = new float[channels * capacity];
        this.timestamps = new double[capacity];
        this.reference = new float[Math.max(1, referenceCount * capacity)];
    }

    /**
     * Appends one sample.
     *
     * @param values     {@code channels} values starting at {@code offset}
     * @param timestampS acquisition time, LSL clock seconds
     * @param ref        {@code referenceCount} reference values (may be null when referenceCount is 0)
     * @return false (and changes nothing) when the block is full
     */
    public boolean append(float[] values, int offset, double timestampS, double[] ref) {
        if (size == capacity) {
            return false;
        }
        System.arraycopy(values, offset, samples, size * channels, channels);
        held(timestampS, ref);
        return true;
    }

    /**
     * Where the next sample's {@code channels} values go in {@link #samples()}, for a writer that decodes a sample
     * straight into the block (no array in between): it writes them there, then calls {@link #commit}. Until the
     * commit the block holds no more than before, so a writer that finds no sample just does not commit and the
     * next reserve gives the same place. The writer may also use the array beyond that sample, up to its end, as
     * room to spare (e.g. for values it separates out before the commit): nothing past {@link #size()} samples is
     * read, and a later sample overwrites it.
     *
     * @return the offset ({@code size() * channels()}), or -1 when the block is full
     */
    public int reserve() {
        return size == capacity ? -1 : size * channels;
    }

    /**
     * Makes the sample written at {@link #reserve()}'s offset the block's next one, with its timestamp and
     * reference values, as {@link #append} would.
     *
     * @param timestampS acquisition time, LSL clock seconds
     * @param ref        {@code referenceCount} reference values (may be null when referenceCount is 0)
     * @throws IllegalStateException when the block is full (nothing was reserved)
     */
    public void commit(double timestampS, double[] ref) {
        if (size == capacity) {
            throw new IllegalStateException("commit on a full block (" + capacity + " samples)");
        }
        held(timestampS, ref);
    }

    /** The sample at {@code size * channels} is in place: its timestamp and reference values, then size++. */
    private void held(double timestampS, double[] ref) {
        timestamps[size] = timestampS;
        if (referenceCount > 0) {
            int base = size * referenceCount;
            for (int k = 0; k < referenceCount; k++) {
                reference[base + k] = (float) ref[k];
            }
        }
        size++;
    }

    /** Copies everything from {@code other} (same shape) into this block. */
    public void copyFrom(SampleBlock other) {
        System.arraycopy(other.samples, 0, samples, 0, other.size * channels);
        System.arraycopy(other.timestamps, 0, timestamps, 0, other.size);
        if (referenceCount > 0) {
            System.arraycopy(other.reference, 0, reference, 0, other.size * referenceCount);
        }
        size = other.size;
    }

    /** Empties the block (the arrays are kept). */
    public void clear() {
        size = 0;
    }

    public int channels() {
        return channels;
    }

    public int capacity() {
        return capacity;
    }

    public int referenceCount() {
        return referenceCount;
    }

    /** Number of samples held. */
    public int size() {
        return size;
    }

    /** Free sample slots. */
    public int remaining() {
        return capacity - size;
    }

    public boolean isFull() {
        return size == capacity;
    }

    /** Sample-major values: sample {@code s}, channel {@code c} at {@code s * channels + c}. */
    public float[] samples() {
        return samples;
    }

    /** Acquisition timestamp (LSL clock seconds) of each sample. */
    public double[] timestamps() {
        return timestamps;
    }

    /** Reference values: sample {@code s}, component {@code k} at {@code s * referenceCount + k}. */
    public float[] reference() {
        return reference;
    }

    /**
     * The feature stage's binning: writes into {@code sums} each channel's sum over the samples held (a spike count
     * when samples are per-millisecond counts). Allocation-free; the summing loop has no branches, so it vectorises.
     *
     * @param sums at least {@link #channels()} long
     * @return whether every sum is finite: a sum is non-finite exactly when one of its samples is NaN or infinite (or
     *         the sum overflows), so checking the sums checks one value per channel, not one per sample
     */
    public boolean sumChannelsInto(float[] sums) {
        int n = size;
        for (int c = 0; c < channels; c++) {
            sums[c] = 0f;
        }
        for (int s = 0; s < n; s++) {
            int base = s * channels;
            for (int c = 0; c < channels; c++) {
                sums[c] += samples[base + c];
            }
        }
        boolean finite = true;
        for (int c = 0; c < channels; c++) {
            finite &= Float.isFinite(sums[c]);
        }
        return finite;
    }
}
