package io.reflex.lsl;

/**
 * How an inlet buffers and hands out samples (Context: fluent setters, {@link #conclude()} validates).
 *
 * <ul>
 *   <li>{@link Mode#ALL}: every sample in order, up to {@link LslConfig#inletBufferS()} seconds buffered (the
 *   oldest dropped and counted beyond that), as liblsl does.</li>
 *   <li>{@link Mode#LATEST}: for closed loops; only the newest {@link #latestDepth()} samples are kept, older ones
 *   are skipped and counted, and every pulled sample's staleness (now minus its time-corrected timestamp) goes
 *   into a histogram. Time correction runs automatically.</li>
 * </ul>
 */
public final class InletOptions {
    /** Buffering policy. */
    public enum Mode { ALL, LATEST }

    private Mode mode = Mode.ALL;
    private int latestDepth = 1;
    private boolean recover = true;
    private boolean postprocessClockSync = false;
    private boolean timeCorrection = false;
    private int spinIterations = 0;
    private long stalenessMaxNs = 60_000_000_000L;

    public Mode mode() { return mode; }
    public InletOptions mode(Mode v) { mode = v; return this; }
    /** Samples kept in latest mode (1 = only the newest). */
    public int latestDepth() { return latestDepth; }
    public InletOptions latestDepth(int v) { latestDepth = v; return this; }
    /** Reconnect after errors and follow a restarted outlet by source_id. */
    public boolean recover() { return recover; }
    public InletOptions recover(boolean v) { recover = v; return this; }
    /** Return timestamps mapped to the local clock (adds the time correction). */
    public boolean postprocessClockSync() { return postprocessClockSync; }
    public InletOptions postprocessClockSync(boolean v) { postprocessClockSync = v; return this; }
    /** Start time-correction probing when the inlet opens (latest mode always does). */
    public boolean timeCorrection() { return timeCorrection || mode == Mode.LATEST || postprocessClockSync; }
    public InletOptions timeCorrection(boolean v) { timeCorrection = v; return this; }
    /** Busy-wait iterations before a pull parks (0 = park at once: right for 2-core machines). */
    public int spinIterations() { return spinIterations; }
    public InletOptions spinIterations(int v) { spinIterations = v; return this; }
    /** Largest staleness the histogram records (larger values are clamped), ns. */
    public long stalenessMaxNs() { return stalenessMaxNs; }
    public InletOptions stalenessMaxNs(long v) { stalenessMaxNs = v; return this; }

    /** Validates every value, naming the field and its range. */
    public InletOptions conclude() {
        if (mode == null) {
            throw new IllegalArgumentException("mode must be ALL or LATEST");
        }
        if (latestDepth < 1 || latestDepth > 1 << 20) {
            throw new IllegalArgumentException("latestDepth must be in [1, 1048576], got " + latestDepth);
        }
        if (spinIterations < 0 || spinIterations > 100_000_000) {
            throw new IllegalArgumentException("spinIterations must be in [0, 100000000], got " + spinIterations);
        }
        if (stalenessMaxNs < 1000 || stalenessMaxNs > 3_600_000_000_000L) {
            throw new IllegalArgumentException("stalenessMaxNs must be in [1000, 3600000000000], got "
                    + stalenessMaxNs);
        }
        return this;
    }
}
