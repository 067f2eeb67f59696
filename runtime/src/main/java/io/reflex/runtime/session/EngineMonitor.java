package io.reflex.runtime.session;

import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.pipeline.FrameHandler;
import io.reflex.runtime.pipeline.LatencyStats;
import io.reflex.runtime.pipeline.Stage;
import org.HdrHistogram.Histogram;

/**
 * Per-engine figures of the live phase, as an observer off the critical path: how many frames each engine of the
 * live decoder's chain decoded, the decode stage's wall time for them (features stamp to decode stamp) and the
 * device cycles of their calls (kernel cycles in the RTL simulation and on a card). Histograms are allocated here
 * and recorded without allocation; read them after the pipeline has closed.
 */
final class EngineMonitor implements FrameHandler {
    private final long[] frames;
    private final Histogram[] decodeNs;
    private final Histogram[] cycles;
    private volatile boolean live;

    /** @param engines engines in the chain */
    EngineMonitor(int engines) {
        frames = new long[engines];
        decodeNs = new Histogram[engines];
        cycles = new Histogram[engines];
        for (int i = 0; i < engines; i++) {
            decodeNs[i] = new Histogram(LatencyStats.HIGHEST_NS, 3);
            cycles[i] = new Histogram(1L << 40, 3);
        }
    }

    /** Starts counting (the live phase began). */
    void start() {
        live = true;
    }

    @Override
    public void onFrame(Frame f) {
        int e = f.engine;
        if (!live || f.decoderGeneration == 0 || e < 0 || e >= frames.length) {
            return;
        }
        frames[e]++;
        long ns = f.stampNs[Stage.DECODE.ordinal()] - f.stampNs[Stage.FEATURES.ordinal()];
        decodeNs[e].recordValue(Math.max(0, Math.min(ns, LatencyStats.HIGHEST_NS)));
        if (f.engineCycles >= 0) {
            cycles[e].recordValue(Math.min(f.engineCycles, (1L << 40) - 1));
        }
    }

    long frames(int engine) {
        return frames[engine];
    }

    Histogram decodeNs(int engine) {
        return decodeNs[engine];
    }

    Histogram cycles(int engine) {
        return cycles[engine];
    }
}
