package io.reflex.runtime.session;

import io.reflex.runtime.agent.CountersFile;
import io.reflex.runtime.pipeline.PipelineCounters;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * A session's figures in a {@link CountersFile}, for another process to read while the runs go on
 * ({@code reflex counters FILE}): the run number, its phase and a heartbeat, which the session's own thread sets at
 * every progress tick and phase change, and the pipeline's counters since the pipeline of the run started, which
 * the pipeline's threads count in as they go ({@link PipelineCounters}). A reader that sees the heartbeat stop
 * moving while the writer's process is alive knows the session thread is stalled.
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
    /** Counters this registers. */
    public static final int COUNT = 3 + PipelineCounters.COUNT;

    private final AtomicCounter heartbeat;
    private final AtomicCounter run;
    private final AtomicCounter phase;
    private final PipelineCounters pipeline;

    /** Registers the session's counters in {@code file}. */
    public SessionCounters(CountersFile file) {
        heartbeat = file.counter(HEARTBEAT);
        run = file.counter(RUN);
        phase = file.counter(PHASE);
        pipeline = new PipelineCounters(file::counter);
        heartbeat.setRelease(System.currentTimeMillis());
    }

    /** A run begins: the run number counts up, the phase is {@link #STARTING}, the pipeline figures restart at 0. */
    void runStarted() {
        run.incrementRelease();
        phase.setRelease(STARTING);
        pipeline.reset();
        heartbeat.setRelease(System.currentTimeMillis());
    }

    /**
     * The pipeline's counters in the file ({@code pipeline.frames_out} and so on), for each run's pipeline to count
     * in as it goes: the pipeline's own threads write them, and a pipeline sets them to 0 when it is built.
     */
    PipelineCounters pipeline() {
        return pipeline;
    }

    /** The phase now, and a heartbeat. */
    void publish(int phaseCode) {
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
