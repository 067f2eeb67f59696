package io.reflex.runtime.session;

import io.reflex.runtime.agent.CountersFile;
import io.reflex.runtime.pipeline.PipelineCounters;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * A session's figures in a {@link CountersFile}, for another process to read while the runs go on
 * ({@code reflex counters FILE}): the run number, its phase, a heartbeat, and the pipeline's counters since the
 * pipeline of the run started. The session's own thread sets them at every progress tick and phase change; the
 * pipeline's threads are not touched. A reader that sees the heartbeat stop moving while the writer's process is
 * alive knows the session thread is stalled.
 */
public final class SessionCounters {
    /** Phase codes of {@link #PHASE}. */
    public static final int STARTING = 0;
    public static final int CALIBRATION = 1;
    public static final int FIT = 2;
    public static final int LIVE = 3;
    public static final int DRAIN = 4;
    public static final int ENDED = 5;

    /** Labels, in the order registered. */
    public static final String HEARTBEAT = "session.heartbeat_epoch_ms";
    public static final String RUN = "session.run";
    public static final String PHASE = "session.phase";
    public static final String FRAMES = "pipeline.frames_out";
    public static final String DROPPED = "pipeline.dropped";
    public static final String DEADLINE_MISSES = "pipeline.deadline_misses";
    public static final String SAFE_OUTPUTS = "pipeline.safe_outputs";
    public static final String DECODE_FAULTS = "pipeline.decode_faults";
    public static final String INVALID_INPUT = "pipeline.invalid_input";
    public static final String SOURCE_ERRORS = "pipeline.source_errors";
    /** Counters this registers. */
    public static final int COUNT = 10;

    private final AtomicCounter heartbeat;
    private final AtomicCounter run;
    private final AtomicCounter phase;
    private final AtomicCounter frames;
    private final AtomicCounter dropped;
    private final AtomicCounter deadlineMisses;
    private final AtomicCounter safeOutputs;
    private final AtomicCounter decodeFaults;
    private final AtomicCounter invalidInput;
    private final AtomicCounter sourceErrors;

    /** Registers the session's counters in {@code file}. */
    public SessionCounters(CountersFile file) {
        heartbeat = file.counter(HEARTBEAT);
        run = file.counter(RUN);
        phase = file.counter(PHASE);
        frames = file.counter(FRAMES);
        dropped = file.counter(DROPPED);
        deadlineMisses = file.counter(DEADLINE_MISSES);
        safeOutputs = file.counter(SAFE_OUTPUTS);
        decodeFaults = file.counter(DECODE_FAULTS);
        invalidInput = file.counter(INVALID_INPUT);
        sourceErrors = file.counter(SOURCE_ERRORS);
        heartbeat.setRelease(System.currentTimeMillis());
    }

    /** A run begins: the run number counts up, the phase is {@link #STARTING}, the pipeline figures restart at 0. */
    void runStarted() {
        run.incrementRelease();
        phase.setRelease(STARTING);
        for (AtomicCounter c : new AtomicCounter[] {frames, dropped, deadlineMisses, safeOutputs, decodeFaults,
                invalidInput, sourceErrors}) {
            c.setRelease(0);
        }
        heartbeat.setRelease(System.currentTimeMillis());
    }

    /** The phase now and the pipeline's counters (null: none yet). */
    void publish(int phaseCode, PipelineCounters c) {
        if (c != null) {
            frames.setRelease(c.framesOut.get());
            dropped.setRelease(c.dropped.get());
            deadlineMisses.setRelease(c.deadlineMisses());
            safeOutputs.setRelease(c.safeOutputs.get());
            decodeFaults.setRelease(c.decodeFaults.get());
            invalidInput.setRelease(c.invalidInput.get());
            sourceErrors.setRelease(c.sourceErrors.get());
        }
        phase.setRelease(phaseCode);
        heartbeat.setRelease(System.currentTimeMillis());
    }

    /** The phase code's name: {@code starting}, {@code calibration}, {@code fit}, {@code live}, {@code drain}, {@code ended}. */
    public static String phaseName(long code) {
        return switch ((int) code) {
            case STARTING -> "starting";
            case CALIBRATION -> "calibration";
            case FIT -> "fit";
            case LIVE -> "live";
            case DRAIN -> "drain";
            case ENDED -> "ended";
            default -> "unknown (" + code + ")";
        };
    }
}
