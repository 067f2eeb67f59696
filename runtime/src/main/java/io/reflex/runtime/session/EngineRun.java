package io.reflex.runtime.session;

import io.reflex.decoders.engine.EngineChain;
import io.reflex.decoders.engine.EngineDecoder;
import io.reflex.decoders.engine.EngineSpec;
import io.reflex.decoders.engine.EngineStatus;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The engine side of one decoder generation that runs on an engine chain (LFADS, SNN): the per-engine monitor and
 * the golden-model check (fed by {@link EngineRuns}, which hands each frame to the run of its generation), the
 * failover notices (written by the decode thread when a failover happens, printed by the session thread), and the
 * engine figures of the report.
 */
final class EngineRun {
    private final EngineDecoder live;
    /** The chain's figures when the decoder was swapped out and closed; null while it is live. */
    private List<EngineStatus> retiredStatuses;
    private long retiredFailovers;
    private long retiredColdTakeovers;
    private final EngineMonitor monitor;
    private final GoldenCheck golden = new GoldenCheck();
    private final Queue<String> notices = new ConcurrentLinkedQueue<>();
    private EngineDecoder twin;

    EngineRun(EngineDecoder live) {
        this.live = live;
        EngineChain chain = live.chain();
        this.monitor = new EngineMonitor(chain.engineCount());
        // Called on the decode thread, once per failover: the string is built then, the line printed by the session.
        chain.failoverListener((from, to, reason, bumpless) -> notices.add("engine failover: "
                + chain.engine(from).name() + " failed (" + reason + "); "
                + (to < 0 ? "no engine left: every frame from now on leaves with the safe output"
                : chain.engine(to).name() + " took the same bin over"
                + (bumpless ? " from the same state (bumpless)" : " from a reset (cold)"))));
    }

    EngineDecoder decoder() {
        return live;
    }

    /**
     * Keeps the chain's figures for the report, before the session closes the decoder it swapped out (its engines
     * go back to the device at once). Call once the decode stage no longer holds the decoder.
     */
    void retire() {
        EngineChain chain = live.chain();
        retiredStatuses = chain.statuses();
        retiredFailovers = chain.failovers();
        retiredColdTakeovers = chain.coldTakeovers();
    }

    EngineMonitor monitor() {
        return monitor;
    }

    GoldenCheck golden() {
        return golden;
    }

    /**
     * After the fit, before the live decoder is installed: the twin of the fitted decoder on the reference engine of
     * its arithmetic ({@code cpu-fixed} for the fixed family, {@code cpu} for float32).
     */
    void armGolden() {
        String reference = "float32".equals(live.arithmetic()) ? "cpu" : "cpu-fixed";
        twin = live.twin(List.of(EngineSpec.of(reference)));
        // the same stream start as the live decoder, which the decode stage resets when it takes it up
        twin.reset();
        golden.arm(twin, reference);
        monitor.start();
    }

    /**
     * The engine part of a progress snapshot, read on the session thread while the decode thread runs: the active
     * index and the failover count are plain fields of the chain, so the figures may be one tick behind.
     */
    void progress(ClosedLoopSession.Progress p) {
        EngineChain chain = live.chain();
        int active = chain.activeIndex();
        p.engine = active < 0 ? "none" : chain.engine(active).name();
        p.failovers = chain.failovers();
    }

    /** The failover lines written since the last call, oldest first. */
    String nextNotice() {
        return notices.poll();
    }

    /**
     * Fills the engine part of the report with this decoder's chain (the decoder live at the end of the run); call
     * after the pipeline has stopped (its threads no longer run). The golden figures are the caller's.
     */
    void report(SessionReport r) {
        EngineChain chain = live.chain();
        List<EngineStatus> statuses = retiredStatuses != null ? retiredStatuses : chain.statuses();
        long most = -1;
        int active = -1;
        for (EngineStatus s : statuses) {
            SessionReport.EngineFigures e = new SessionReport.EngineFigures();
            e.name = s.name();
            e.device = s.device();
            e.arithmetic = s.arithmetic();
            e.usable = s.usable();
            e.active = s.active();
            e.reason = s.reason();
            e.faults = s.faults();
            e.frames = monitor.frames(s.index());
            e.decodeNs = monitor.decodeNs(s.index());
            e.cycles = monitor.cycles(s.index());
            r.engines.add(e);
            if (e.frames > most) {
                most = e.frames;
                r.engine = e.name;
            }
            if (s.active()) {
                active = s.index();
            }
        }
        if (most <= 0) {
            r.engine = active < 0 ? "none" : statuses.get(active).name();
        }
        r.failovers = retiredStatuses != null ? retiredFailovers : chain.failovers();
        r.coldTakeovers = retiredStatuses != null ? retiredColdTakeovers : chain.coldTakeovers();
        r.modelType = live.modelType();
        r.model = live.bundle().name();
        if ("snn".equals(live.modelType())) {
            r.ticksPerBin = live.bundle().hpInt("bin_ticks");
            r.snnNeurons = live.featureCount();
        }
    }

    /** The engine that served most of this generation's frames, or the active one when none did. */
    String mainEngine() {
        SessionReport r = new SessionReport();
        report(r);
        return r.engine;
    }

    /** Failovers of this generation's chain so far (or when it was swapped out). */
    long failovers() {
        return retiredStatuses != null ? retiredFailovers : live.chain().failovers();
    }

    /** Closes the twin (the live decoder is closed by the session). */
    void close() {
        if (twin != null) {
            twin.close();
        }
    }
}
