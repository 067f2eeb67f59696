package io.reflex.runtime.session;

import io.reflex.runtime.frontend.FrontEnd;
import io.reflex.runtime.journal.JournalFaults;
import io.reflex.runtime.pipeline.PipelineCounters;
import java.util.function.LongSupplier;

/**
 * The drain phase, which every run ends with, live or not: ingest stops, the ring drains, the journal closes, and
 * the report gets the live figures (counters, collections and allocation since the live baseline, R², latency), the
 * journal's and the engines' accounts and the lab streams'. A journal fault makes the run failed whatever else
 * ended it.
 */
final class DrainPhase {
    private DrainPhase() {
    }

    /**
     * Drains and reports.
     *
     * @param controlNotJournaled control actions that never reached the journal's queue or still wait in it
     */
    static SessionReport run(SessionRun r, PhaseEnv env, LongSupplier controlNotJournaled) {
        long liveEndNs = System.nanoTime();
        SessionReport report = r.report;
        long gcCount1 = LiveBaseline.gcCount(r.gcs);
        long gcTime1 = LiveBaseline.gcTime(r.gcs);
        long alloc1 = LiveBaseline.allocated(r.pipeline.threads());
        env.publish(SessionCounters.DRAIN);
        env.listener().onPhase("drain", "stopping ingest, draining the ring, closing the journal");
        r.pipeline.close();
        if (r.journal != null) {
            // The journal thread closed it already; this covers a thread that did not stop in time.
            r.journal.close();
        }
        PipelineCounters c = r.pipeline.counters();
        if (r.pipeline.frontEnd() != null) {
            report.frontEnd = frontEndFigures(r.pipeline.frontEnd());
        }
        boolean wasLive = r.baseline.live();
        report.liveSeconds = wasLive ? (liveEndNs - r.baseline.startNs()) * 1e-9 : 0;
        report.frames = c.framesOut.get() - r.baseline.frames();
        report.dropped = c.dropped.get() - r.baseline.dropped();
        // Counted once, when ingest stops at the end of the run: all of it falls in the last phase.
        report.notTakenIn = c.notTakenIn.get();
        report.deadlineMisses = c.deadlineMisses() - r.baseline.deadlineMisses();
        report.invalidInput = c.invalidInput.get() - r.baseline.invalidInput();
        report.safeOutputs = c.safeOutputs.get() - r.baseline.safeOutputs();
        report.decodeFaults = c.decodeFaults.get() - r.baseline.decodeFaults();
        report.stageErrors = c.stageErrors.get();
        report.sourceErrors = c.sourceErrors.get();
        r.errors.flush();
        report.observerErrors = c.observerErrors.get();
        if (wasLive) {
            report.gcCount = gcCount1 - r.baseline.gcCount();
            report.gcTimeMs = gcTime1 - r.baseline.gcTimeMs();
            report.pipelineAllocatedBytes = r.baseline.allocatedBytes() < 0 || alloc1 < 0 ? -1
                    : alloc1 - r.baseline.allocatedBytes();
            report.r2.put(r.live.name(), r.scorer.live.meanR2());
            for (int i = 0; i < r.compare.size(); i++) {
                report.r2.put(r.compare.get(i).name(), r.scorer.others[i].meanR2());
            }
        }
        for (String track : r.pipeline.latency().trackNames()) {
            report.latencyNs.put(track, r.pipeline.latency().snapshot(track));
        }
        if (r.journal != null) {
            report.journalFrames = r.journal.framesWritten();
            report.journalFramesNotWritten = r.journal.framesNotWritten();
            long[] ctl = r.journal.controlActions();
            report.controlActionsJournaled = ctl[0];
            // taken but not written, never queued, or still waiting when the journal closed
            report.controlActionsNotJournaled = ctl[1] + controlNotJournaled.getAsLong();
        } else {
            report.controlActionsNotJournaled = controlNotJournaled.getAsLong();
        }
        report.journalFault = env.faults().dataFault();
        report.stimJournalFault = env.faults().stimFault();
        String journalFailure = journalFailure(env.faults());
        if (journalFailure != null) {
            // Whatever else ended the run, it has no trustworthy record past this point: it failed.
            report.ending = "failed";
            report.failure = report.failure == null ? journalFailure : journalFailure + "; " + report.failure;
        }
        env.notices(r.engines);
        if (report.decoderFinalGeneration > 0) {
            r.engines.report(report, report.decoderFinalGeneration);
        } else if (r.initialRun != null) {
            // never live: the chain as it stood (why an engine was refused), no golden check
            r.initialRun.report(report);
        }
        r.engines.close();
        env.lab().poll(env.listener());
        env.lab().report(report);
        env.publish(SessionCounters.ENDED);
        return report;
    }

    /** The failure text of the run's journal faults, or null when neither journal faulted. */
    private static String journalFailure(JournalFaults faults) {
        String data = faults.dataFault();
        String stim = faults.stimFault();
        if (data == null && stim == null) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        if (data != null) {
            sb.append("journal fault: ").append(data);
        }
        if (stim != null) {
            sb.append(data == null ? "" : "; ").append("stim journal fault: ").append(stim);
        }
        return sb.toString();
    }

    /** The front end's figures, read once the pipeline has drained (the features stage has stopped). */
    private static SessionReport.FrontEndFigures frontEndFigures(FrontEnd fe) {
        FrontEnd.Context fc = fe.context();
        SessionReport.FrontEndFigures f = new SessionReport.FrontEndFigures();
        if (fc.crossings()) {
            f.outputs.add("crossings");
        }
        if (fc.power()) {
            f.outputs.add("power");
        }
        f.features = fe.featureCount();
        f.car = fc.car();
        f.filter = fc.describeFilter();
        f.thresholdK = fc.thresholdK();
        f.calibrated = fe.isCalibrated();
        f.deadChannels = fe.deadChannels();
        f.deadDescription = fe.describeDead();
        f.crossings = fe.crossingsTotal();
        f.nonFiniteValues = fe.nonFiniteValues();
        if (fc.crossings() && fe.isCalibrated()) {
            double[] rms = new double[fc.channels()];
            int n = 0;
            for (int ch = 0; ch < rms.length; ch++) {
                double v = fe.rms(ch);
                if (!Float.isNaN(fe.threshold(ch)) && Double.isFinite(v)) {
                    rms[n++] = v;
                }
            }
            if (n > 0) {
                java.util.Arrays.sort(rms, 0, n);
                f.medianRmsUv = n % 2 == 1 ? rms[n / 2] : (rms[n / 2 - 1] + rms[n / 2]) / 2;
            }
        }
        return f;
    }
}
