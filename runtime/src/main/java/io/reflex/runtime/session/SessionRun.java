package io.reflex.runtime.session;

import io.reflex.decoders.CalibrationSet;
import io.reflex.decoders.Decoder;
import io.reflex.runtime.agent.RateLimitedErrorHandler;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.journal.Journal;
import io.reflex.runtime.pipeline.Pipeline;
import io.reflex.runtime.pipeline.PipelineCounters;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * One run's parts, assembled by {@link ClosedLoopSession} before its pipeline starts and handed from phase to phase:
 * {@link CalibratePhase}, {@link FitPhase}, {@link LivePhase}, {@link DrainPhase}. The phases fill in the report and
 * the live baseline; everything else is fixed for the run.
 */
final class SessionRun {
    final ReflexConfig cfg;
    final String sourceName;
    /** The decoder that goes live first (fitted on the calibration block unless loaded from a file). */
    final Decoder live;
    /** Decoders scored beside the live one on the same frames, off the critical path. */
    final List<Decoder> compare;
    final DecodeTargets targets;
    /** The calibration block to fill, or null when nothing needs fitting. */
    final CalibrationSet set;
    final int calibrationBins;
    final CalibrationRecorder recorder;
    final Scorer scorer;
    /** The run's data journal, or null without one. */
    final Journal journal;
    final Pipeline pipeline;
    final RateLimitedErrorHandler errors;
    final EngineRuns engines;
    /** The engine side of the first live decoder when it runs on an engine chain, else null. */
    final EngineRun initialRun;
    final SessionReport report;
    final List<GarbageCollectorMXBean> gcs = ManagementFactory.getGarbageCollectorMXBeans();
    /** Set when the live phase begins; {@link LiveBaseline#NONE} when the run never went live. */
    LiveBaseline baseline = LiveBaseline.NONE;
    /** The decoder generation live at the end of the live phase (0: never live). */
    int finalGeneration;

    SessionRun(ReflexConfig cfg, String sourceName, Decoder live, List<Decoder> compare, DecodeTargets targets,
               CalibrationSet set, int calibrationBins, CalibrationRecorder recorder, Scorer scorer, Journal journal,
               Pipeline pipeline, RateLimitedErrorHandler errors, EngineRuns engines, EngineRun initialRun,
               SessionReport report) {
        this.cfg = cfg;
        this.sourceName = sourceName;
        this.live = live;
        this.compare = compare;
        this.targets = targets;
        this.set = set;
        this.calibrationBins = calibrationBins;
        this.recorder = recorder;
        this.scorer = scorer;
        this.journal = journal;
        this.pipeline = pipeline;
        this.errors = errors;
        this.engines = engines;
        this.initialRun = initialRun;
        this.report = report;
    }

    PipelineCounters counters() {
        return pipeline.counters();
    }

    /** A progress snapshot of {@code phase}, begun at {@code t0}, planned for {@code seconds} (0: open-ended). */
    ClosedLoopSession.Progress progress(String phase, long t0, double seconds) {
        PipelineCounters c = counters();
        ClosedLoopSession.Progress p = new ClosedLoopSession.Progress();
        p.phase = phase;
        p.phaseElapsedS = (System.nanoTime() - t0) * 1e-9;
        p.phaseSeconds = seconds;
        p.frames = c.framesOut.get();
        p.dropped = c.dropped.get();
        p.deadlineMisses = c.deadlineMisses();
        p.safeOutputs = c.safeOutputs.get();
        p.totalFrames = p.frames;
        p.totalDropped = p.dropped;
        p.totalDeadlineMisses = p.deadlineMisses;
        p.totalSafeOutputs = p.safeOutputs;
        p.liveR2 = scorer.runningR2;
        p.latency = pipeline.latency();
        return p;
    }

    /** Closes what the run opened, after a phase threw. */
    void closeAfterError() {
        pipeline.close();
        if (journal != null) {
            journal.close();
        }
        engines.close();
    }
}
