package io.reflex.runtime.session;

import io.reflex.decoders.Decoder;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.pipeline.Pipeline;
import java.util.concurrent.TimeUnit;

/**
 * The live phase: the live decoder is installed, everything measured from then on is the live figure (the baseline),
 * and the loop reports progress until the configured time, a stop, a journal fault or the end of the source. Decoders
 * may be swapped in meanwhile ({@link ClosedLoopSession#swapDecoder}), through {@link Swaps}.
 */
final class LivePhase {
    private LivePhase() {
    }

    /** The session's swap state, which the live phase opens and closes. */
    interface Swaps {
        /** The first live decoder runs as {@code generation} from now on: swaps may begin. */
        void open(Pipeline pipeline, Decoder live, int generation, ReflexConfig cfg, EngineRuns engines);

        /** The decoder live now. */
        Decoder current();

        /** Its decoder generation. */
        int currentGeneration();

        /**
         * No swap once the live phase is over: writes the swaps done and the final decoder into {@code report}.
         *
         * @return the generation live at the end
         */
        int close(SessionReport report);
    }

    static void run(SessionRun r, PhaseEnv env, Swaps swaps) throws InterruptedException {
        Pipeline pipeline = r.pipeline;
        SessionReport report = r.report;
        if (r.initialRun != null) {
            r.engines.add(pipeline.decoderGeneration() + 1, r.initialRun);
        }
        pipeline.latency().reset();
        LiveBaseline baseline = LiveBaseline.of(r.counters(), LiveBaseline.gcCount(r.gcs),
                LiveBaseline.gcTime(r.gcs), LiveBaseline.allocated(pipeline.threads()));
        env.lab().liveStarted();
        baseline = baseline.startingAt(System.nanoTime());
        r.baseline = baseline;
        long liveStartNs = baseline.startNs();
        pipeline.installDecoder(r.live);
        swaps.open(pipeline, r.live, pipeline.decoderGeneration() + 1, r.cfg, r.engines);
        double liveS = r.cfg.run.seconds;
        env.publish(SessionCounters.LIVE);
        env.listener().onPhase("live", r.live.name() + (liveS > 0 ? " for " + liveS + " s" : " until stopped"));
        long endNs = liveS > 0 ? liveStartNs + (long) (liveS * 1e9) : Long.MAX_VALUE;
        while (!env.stopping() && !env.faults().any()) {
            long now = System.nanoTime();
            if (now >= endNs) {
                break;
            }
            if (pipeline.ingestStopped()) {
                report.ending = "source-ended";
                break;
            }
            if (env.stop().await(Math.min(env.tickMs() * 1_000_000L, endNs - now), TimeUnit.NANOSECONDS)) {
                break;
            }
            env.notices(r.engines);
            env.lab().poll(env.listener());
            ClosedLoopSession.Progress p = r.progress("live", liveStartNs, liveS);
            p.frames -= baseline.frames();
            p.dropped -= baseline.dropped();
            p.deadlineMisses -= baseline.deadlineMisses();
            p.safeOutputs -= baseline.safeOutputs();
            p.decoder = swaps.current().name();
            EngineRun liveRun = r.engines.get(swaps.currentGeneration());
            if (liveRun != null) {
                liveRun.progress(p);
            }
            env.publish(SessionCounters.LIVE);
            env.listener().onTick(p);
        }
        int finalGeneration = swaps.close(report);
        if (env.stopping()) {
            report.ending = "stopped";
        }
        report.decoderFinalGeneration = finalGeneration;
        r.finalGeneration = finalGeneration;
    }
}
