package io.reflex.decoders;

/**
 * A preallocated block of calibration bins: one row of features (e.g. spike counts per channel) and one row of
 * targets (e.g. velocity x, y) per bin, in arrival order.
 *
 * <p>All storage is allocated by the constructor, so the runtime can {@link #add} on its decode thread during the
 * calibration block without allocating. A row holding a NaN or infinite value is refused (and counted) rather than
 * stored, because one bad row would poison every least-squares fit that reads the set. Rows are kept in order
 * because lagged decoders (Wiener) and state-space fits (Kalman) read consecutive rows as consecutive bins.
 *
 * <p>A row may start a new trial ({@link #markTrialStart()} before adding it): decoders with a per-trial state (the
 * engine decoders over LFADS and SNN streams) reset their stream before that row when they fit, as the runtime
 * resets them at trial starts when it decodes. Decoders without per-trial state ignore the flags.
 *
 * <p>Not thread-safe: one owner thread fills it, then hands it to {@link TrainableDecoder#fit}.
 */
public final class CalibrationSet {
    private final int capacityBins;
    private final int channels;
    private final int outputs;
    private final double[] features;
    private final double[] targets;
    private final boolean[] trialStarts;
    private boolean pendingTrialStart;
    private int size;
    private long rejectedNonFinite;
    private long rejectedFull;

    /**
     * @param capacityBins maximum number of rows, at least 1
     * @param channels     features per row, at least 1
     * @param outputs      targets per row, at least 1
     * @throws IllegalArgumentException naming the argument when a value is out of range or the storage would exceed
     *                                  {@code Integer.MAX_VALUE} elements
     */
    public CalibrationSet(int capacityBins, int channels, int outputs) {
        requirePositive("capacityBins", capacityBins);
        requirePositive("channels", channels);
        requirePositive("outputs", outputs);
        if ((long) capacityBins * Math.max(channels, outputs) > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("capacityBins*channels must fit in one array, was "
                    + capacityBins + "*" + channels);
        }
        this.capacityBins = capacityBins;
        this.channels = channels;
        this.outputs = outputs;
        this.features = new double[capacityBins * channels];
        this.targets = new double[capacityBins * outputs];
        this.trialStarts = new boolean[capacityBins];
    }

    private static void requirePositive(String field, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(field + " must be >= 1, was " + value);
        }
    }

    /**
     * Appends one row without allocating.
     *
     * @param features at least {@link #channels()} values; only the first {@code channels()} are read
     * @param targets  at least {@link #outputs()} values; only the first {@code outputs()} are read
     * @return true when stored; false when the set is full or a value is NaN/infinite (the row is dropped and
     *         {@link #rejectedFullCount()} or {@link #rejectedNonFiniteCount()} is incremented)
     * @throws IllegalArgumentException when an array is shorter than the set's row width (a wiring error, not data)
     */
    public boolean add(float[] features, float[] targets) {
        if (!admitFeatures(features, targets.length)) {
            return false;
        }
        for (int j = 0; j < outputs; j++) {
            if (!Float.isFinite(targets[j])) {
                rejectedNonFinite++;
                return false;
            }
        }
        final int to = size * outputs;
        for (int j = 0; j < outputs; j++) {
            this.targets[to + j] = targets[j];
        }
        commitFeatures(features);
        return true;
    }

    /**
     * Appends one row whose targets are doubles (e.g. the kinematics of
     * {@link io.reflex.decoders.synth.CenterOutSource}); the targets are stored as given, not rounded to float.
     * Otherwise identical to {@link #add(float[], float[])}.
     */
    public boolean add(float[] features, double[] targets) {
        if (!admitFeatures(features, targets.length)) {
            return false;
        }
        for (int j = 0; j < outputs; j++) {
            if (!Double.isFinite(targets[j])) {
                rejectedNonFinite++;
                return false;
            }
        }
        System.arraycopy(targets, 0, this.targets, size * outputs, outputs);
        commitFeatures(features);
        return true;
    }

    /**
     * The checks both {@code add} overloads share, before their targets are looked at: row widths (a wiring error,
     * thrown), capacity and finite features (data, counted and refused).
     */
    private boolean admitFeatures(float[] features, int targetsLength) {
        if (features.length < channels || targetsLength < outputs) {
            throw new IllegalArgumentException("row too short: features " + features.length + " (need " + channels
                    + "), targets " + targetsLength + " (need " + outputs + ")");
        }
        if (size == capacityBins) {
            rejectedFull++;
            return false;
        }
        for (int j = 0; j < channels; j++) {
            if (!Float.isFinite(features[j])) {
                rejectedNonFinite++;
                return false;
            }
        }
        return true;
    }

    /** Stores the features of the row whose targets are already in place, and counts the row. */
    private void commitFeatures(float[] features) {
        final int fo = size * channels;
        for (int j = 0; j < channels; j++) {
            this.features[fo + j] = features[j];
        }
        trialStarts[size] = pendingTrialStart;
        pendingTrialStart = false;
        size++;
    }

    /**
     * Marks the next row that will be stored as the first bin of a new trial (a row refused for NaN or a full set
     * does not consume the mark). Allocation-free.
     */
    public void markTrialStart() {
        pendingTrialStart = true;
    }

    /**
     * Whether row {@code row} starts a new trial (0-based, {@code row < size()}). A fit starts its stream from a reset
     * before row 0 whatever its flag.
     */
    public boolean startsTrial(int row) {
        checkIndex(row, 0, 1);
        return trialStarts[row];
    }

    /** Number of rows stored. */
    public int size() {
        return size;
    }

    /** Maximum number of rows. */
    public int capacity() {
        return capacityBins;
    }

    /** True when no further row can be added. */
    public boolean full() {
        return size == capacityBins;
    }

    /** Features per row. */
    public int channels() {
        return channels;
    }

    /** Targets per row. */
    public int outputs() {
        return outputs;
    }

    /** Feature {@code col} of row {@code row} (0-based, {@code row < size()}). */
    public double feature(int row, int col) {
        checkIndex(row, col, channels);
        return features[row * channels + col];
    }

    /** Target {@code col} of row {@code row} (0-based, {@code row < size()}). */
    public double target(int row, int col) {
        checkIndex(row, col, outputs);
        return targets[row * outputs + col];
    }

    private void checkIndex(int row, int col, int width) {
        if (row < 0 || row >= size || col < 0 || col >= width) {
            throw new IndexOutOfBoundsException("row " + row + " of " + size + ", col " + col + " of " + width);
        }
    }

    /** Rows refused because they held a NaN or infinite value, since construction or the last {@link #clear()}. */
    public long rejectedNonFiniteCount() {
        return rejectedNonFinite;
    }

    /** Rows refused because the set was full, since construction or the last {@link #clear()}. */
    public long rejectedFullCount() {
        return rejectedFull;
    }

    /** Empties the set, forgets a pending trial-start mark and zeroes the counters; keeps the storage. */
    public void clear() {
        size = 0;
        pendingTrialStart = false;
        rejectedNonFinite = 0;
        rejectedFull = 0;
    }
}
