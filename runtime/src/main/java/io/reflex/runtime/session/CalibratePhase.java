package io.reflex.runtime.session;

import io.reflex.runtime.pipeline.Pipeline;
import java.util.concurrent.TimeUnit;

/**
 * The calibration phase: the pipeline runs with no decoder (safe output) while {@link CalibrationRecorder} fills the
 * calibration block with features and true targets. It ends when the block is full, or the run stops, faults, runs
 * out of source, or times out ({@code calibration.timeoutS}, with a failure that says what arrived).
 */
final class CalibratePhase {
    private CalibratePhase() {
    }

    /**
     * Records the calibration block; a run without one (nothing to fit) passes straight on.
     *
     * @return true when the block is full and the run goes on to {@link FitPhase}; false when it goes to
     *         {@link DrainPhase} (the report's ending and failure say why)
     */
    static boolean run(SessionRun r, PhaseEnv env) throws InterruptedException {
        if (r.set == null) {
            return true;
        }
        SessionReport report = r.report;
        env.publish(SessionCounters.CALIBRATION);
        env.listener().onPhase("calibration", r.calibrationBins + " bins (" + r.cfg.calibration.seconds + " s)");
        long t0 = System.nanoTime();
        double timeoutS = r.cfg.calibration.effectiveTimeoutS();
        long timeoutNs = (long) (timeoutS * 1e9);
        while (!env.stopping() && !r.recorder.done.await(env.tickMs(), TimeUnit.MILLISECONDS)) {
            if (env.faults().any()) {
                break;
            }
            if (r.pipeline.ingestStopped()) {
                report.ending = "source-ended";
                break;
            }
            if (System.nanoTime() - t0 >= timeoutNs) {
                report.ending = "failed";
                report.failure = failure(timeoutS, r.recorder, r.calibrationBins, r.pipeline, r.sourceName)
                        + env.lab().calibrationHint();
                break;
            }
            env.lab().poll(env.listener());
            ClosedLoopSession.Progress p = r.progress("calibration", t0, r.cfg.calibration.seconds);
            p.calibrationFrames = r.recorder.recorded;
            p.calibrationTarget = r.calibrationBins;
            env.publish(SessionCounters.CALIBRATION);
            env.listener().onTick(p);
        }
        report.calibrationFrames = r.recorder.recorded;
        report.calibrationSeconds = (System.nanoTime() - t0) * 1e-9;
        if (env.stopping() || env.faults().any() || !r.recorder.done.await(0, TimeUnit.MILLISECONDS)) {
            if (env.stopping()) {
                report.ending = "stopped";
                report.failure = null;
            }
            return false;
        }
        return true;
    }

    /** Why calibration timed out: what arrived, what of it was invalid, and the source's last error. */
    static String failure(double timeoutS, CalibrationRecorder recorder, int target, Pipeline pipeline,
                          String sourceName) {
        long arrived = recorder.seen;
        long invalid = arrived - recorder.recorded;
        StringBuilder sb = new StringBuilder();
        sb.append("calibration timed out after ").append(timeoutS).append(" s (calibration.timeoutS) with ")
                .append(recorder.recorded).append(" of ").append(target).append(" bins recorded: ");
        if (arrived == 0) {
            sb.append("no bin arrived from ").append(sourceName);
        } else {
            sb.append(arrived).append(" bins arrived, ").append(invalid == arrived ? "every one" : invalid + " of them")
                    .append(" invalid (NaN/Inf samples or targets)");
            if (invalid < arrived) {
                sb.append(", and the source delivered too slowly for the rest");
            }
        }
        long sourceErrors = pipeline.counters().sourceErrors.get();
        if (sourceErrors > 0) {
            sb.append("; ").append(sourceErrors).append(" source errors, the last: ")
                    .append(pipeline.lastSourceError());
        }
        return sb.toString();
    }
}
