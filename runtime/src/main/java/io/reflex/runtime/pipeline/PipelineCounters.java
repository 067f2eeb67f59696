package io.reflex.runtime.pipeline;

import java.util.LinkedHashMap;
import java.util.Map;

/** The counters an operator reads; the Javadoc of each names the stage that bumps it. */
public final class PipelineCounters {
    /** Frames published into the ring (ingest). */
    public final Counter framesIn = new Counter("frames_in");
    /** Complete bins dropped because the ring was full (ingest). */
    public final Counter dropped = new Counter("dropped");
    /**
     * Complete bins the source had due by the stop that were never taken in (ingest held up; see
     * {@link IngestAgent}): neither published nor dropped.
     */
    public final Counter notTakenIn = new Counter("not_taken_in");
    /** Frames whose input held NaN or infinite samples (features). */
    public final Counter invalidInput = new Counter("invalid_input");
    /** Decodes that returned a status other than OK for a valid input (decode). */
    public final Counter decodeFaults = new Counter("decode_faults");
    /** Frames decoded by the decode stage past their deadline (decode). */
    public final Counter decodeDeadlineMisses = new Counter("decode_deadline_misses");
    /** Frames that reached the emit stage past their deadline (emit). */
    public final Counter emitDeadlineMisses = new Counter("emit_deadline_misses");
    /** Frames that left the emit stage (emit). */
    public final Counter framesOut = new Counter("frames_out");
    /** Frames whose output was the safe output, for any reason (emit). */
    public final Counter safeOutputs = new Counter("safe_outputs");
    /** Exceptions thrown by critical-stage handlers or sinks (their stage thread). */
    public final Counter stageErrors = new Counter("stage_errors");
    /** Exceptions thrown by the source while ingest polled it (ingest). */
    public final Counter sourceErrors = new Counter("source_errors");
    /** Exceptions thrown by observers such as the journal (observer thread). */
    public final Counter observerErrors = new Counter("observer_errors");

    /** All deadline misses, whichever stage saw them. */
    public long deadlineMisses() {
        return decodeDeadlineMisses.get() + emitDeadlineMisses.get();
    }

    /** Every counter by name, for reports. */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (Counter c : new Counter[] {framesIn, dropped, notTakenIn, invalidInput, decodeFaults, decodeDeadlineMisses,
                emitDeadlineMisses, framesOut, safeOutputs, stageErrors, sourceErrors, observerErrors}) {
            m.put(c.name(), c.get());
        }
        return m;
    }
}
