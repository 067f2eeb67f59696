package io.reflex.runtime.session;

import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.pipeline.FrameHandler;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The engine side of every decoder generation of a run that runs on an engine chain, so that a model decoder can be
 * swapped in or out during the live phase: two observers ({@link #monitor()}, {@link #golden()}) hand each frame to
 * the {@link EngineRun} of the frame's own decoder generation, so a swapped-in decoder is compared with its own
 * reference twin and never with the one before it (frames of the old generation still on their way to the observers
 * after the hand-over go to the old run). Generations of Kalman or Wiener decoders have no run and are passed over.
 *
 * <p>Runs are added by the session thread before their decoder is handed to the decode stage, so an observer finds
 * the run of every frame it sees; the table is copied on each addition and read through one volatile field.
 */
final class EngineRuns {
    private volatile EngineRun[] byGeneration = new EngineRun[0];
    /** In generation order; added by the swapping thread, read by the session thread. */
    private final List<Entry> runs = new CopyOnWriteArrayList<>();

    private record Entry(int generation, EngineRun run) {
    }

    private final FrameHandler monitor = f -> {
        EngineRun r = run(f.decoderGeneration);
        if (r != null) {
            r.monitor().onFrame(f);
        }
    };
    private final FrameHandler golden = f -> {
        EngineRun r = run(f.decoderGeneration);
        if (r != null) {
            r.golden().onFrame(f);
        }
    };

    private EngineRun run(int generation) {
        EngineRun[] a = byGeneration;
        return generation > 0 && generation < a.length ? a[generation] : null;
    }

    /** Per-engine figures of each frame, by its generation's chain. */
    FrameHandler monitor() {
        return monitor;
    }

    /** Each frame against its own generation's reference twin. */
    FrameHandler golden() {
        return golden;
    }

    /**
     * Adds the run of the decoder that will run as {@code generation}, armed (twin built, monitor counting); call
     * before the decoder is handed to the decode stage.
     */
    void add(int generation, EngineRun run) {
        run.armGolden();
        EngineRun[] a = byGeneration;
        EngineRun[] b = java.util.Arrays.copyOf(a, Math.max(a.length, generation + 1));
        b[generation] = run;
        runs.add(new Entry(generation, run));
        byGeneration = b;
    }

    /**
     * Takes back the run of a decoder that was never taken up (the hand-over was withdrawn): no frame carries its
     * generation, its twin is closed.
     */
    void remove(int generation) {
        EngineRun[] a = byGeneration.clone();
        EngineRun r = a[generation];
        a[generation] = null;
        byGeneration = a;
        runs.removeIf(e -> e.run() == r);
        r.close();
    }

    /** The run of {@code generation}, or null when that generation has no engine chain. */
    EngineRun get(int generation) {
        return run(generation);
    }

    /** Passes on the failover lines the decode thread left, of every generation, oldest run first. */
    String nextNotice() {
        for (Entry e : runs) {
            String n = e.run().nextNotice();
            if (n != null) {
                return n;
            }
        }
        return null;
    }

    /**
     * Fills the report once the pipeline has stopped: the chain figures of {@code finalGeneration} (the decoder live
     * at the end; none when it is a Kalman or Wiener decoder), the golden check summed over every generation that ran
     * on an engine chain (so a mismatch of a decoder swapped out is not hidden), and each engine generation's own
     * figures in {@link SessionReport#engineGenerations}.
     */
    void report(SessionReport r, int finalGeneration) {
        EngineRun last = run(finalGeneration);
        if (last != null) {
            last.report(r);
        }
        long compared = 0;
        long mismatches = 0;
        String engine = null;
        for (Entry entry : runs) {
            EngineRun run = entry.run();
            GoldenCheck g = run.golden();
            compared += g.compared();
            mismatches += g.mismatches();
            engine = g.engine();
            SessionReport.EngineGeneration e = new SessionReport.EngineGeneration();
            e.generation = entry.generation();
            e.decoder = run.decoder().name();
            e.model = run.decoder().bundle().name();
            e.engine = run.mainEngine();
            e.failovers = run.failovers();
            e.goldenEngine = g.engine();
            e.goldenCompared = g.compared();
            e.goldenMismatches = g.mismatches();
            e.firstMismatchSequence = g.firstMismatchSequence();
            r.engineGenerations.add(e);
        }
        if (!runs.isEmpty()) {
            r.goldenEngine = last != null ? last.golden().engine() : engine;
            r.goldenCompared = compared;
            r.goldenMismatches = mismatches;
        }
    }

    /** Closes every run's twin (the decoders themselves are the session's to close). */
    void close() {
        for (Entry e : runs) {
            e.run().close();
        }
    }
}
