package io.reflex.runtime.pipeline;

import io.reflex.runtime.agent.LocalCounters;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * The counters an operator reads, as Agrona {@link AtomicCounter}s; the Javadoc of each names the stage that bumps
 * it. Each counter has a 128-byte slot of its own, so stages on different threads never write one cache line.
 * Increments are atomic (error counters are shared by the stages of a per-stage topology) and allocate nothing.
 * By default they live in this process's memory; a session with a counters file registers them there
 * ({@link #PipelineCounters(Function)}), where another process reads them as the stages write them.
 */
public final class PipelineCounters {
    /** Label prefix of every counter: {@code pipeline.frames_out} and so on. */
    public static final String PREFIX = "pipeline.";
    /** How many counters this registers. */
    public static final int COUNT = 12;

    /** Frames published into the ring (ingest). */
    public final AtomicCounter framesIn;
    /** Complete bins dropped because the ring was full (ingest). */
    public final AtomicCounter dropped;
    /**
     * Complete bins the source had due by the stop that were never taken in (ingest held up; see
     * {@link IngestAgent}): neither published nor dropped.
     */
    public final AtomicCounter notTakenIn;
    /** Frames whose input held NaN or infinite samples (features). */
    public final AtomicCounter invalidInput;
    /** Decodes that returned a status other than OK for a valid input (decode). */
    public final AtomicCounter decodeFaults;
    /** Frames decoded by the decode stage past their deadline (decode). */
    public final AtomicCounter decodeDeadlineMisses;
    /** Frames that reached the emit stage past their deadline (emit). */
    public final AtomicCounter emitDeadlineMisses;
    /** Frames that left the emit stage (emit). */
    public final AtomicCounter framesOut;
    /** Frames whose output was the safe output, for any reason (emit). */
    public final AtomicCounter safeOutputs;
    /** Exceptions thrown by critical-stage handlers or sinks (their stage thread). */
    public final AtomicCounter stageErrors;
    /** Exceptions thrown by the source while ingest polled it (ingest). */
    public final AtomicCounter sourceErrors;
    /** Exceptions thrown by observers such as the journal (observer thread). */
    public final AtomicCounter observerErrors;

    private final AtomicCounter[] all;
    private final String[] names;

    /** Counters in this process's memory. */
    public PipelineCounters() {
        this(LocalCounters.create(COUNT)::newCounter);
    }

    /** Counters made by {@code register} (given the label, e.g. a counters file's), each starting at 0. */
    public PipelineCounters(Function<String, AtomicCounter> register) {
        names = new String[] {"frames_in", "dropped", "not_taken_in", "invalid_input", "decode_faults",
                "decode_deadline_misses", "emit_deadline_misses", "frames_out", "safe_outputs", "stage_errors",
                "source_errors", "observer_errors"};
        all = new AtomicCounter[names.length];
        for (int i = 0; i < names.length; i++) {
            all[i] = register.apply(PREFIX + names[i]);
        }
        framesIn = all[0];
        dropped = all[1];
        notTakenIn = all[2];
        invalidInput = all[3];
        decodeFaults = all[4];
        decodeDeadlineMisses = all[5];
        emitDeadlineMisses = all[6];
        framesOut = all[7];
        safeOutputs = all[8];
        stageErrors = all[9];
        sourceErrors = all[10];
        observerErrors = all[11];
    }

    /** Sets every counter to 0 (a new pipeline over counters a previous one used). */
    public void reset() {
        for (AtomicCounter c : all) {
            c.setRelease(0);
        }
    }

    /** All deadline misses, whichever stage saw them. */
    public long deadlineMisses() {
        return decodeDeadlineMisses.get() + emitDeadlineMisses.get();
    }

    /** Every counter by name without the prefix ({@code frames_in}, ...), for reports. */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < all.length; i++) {
            m.put(names[i], all[i].get());
        }
        return m;
    }
}
