package io.reflex.tools;

import io.reflex.lsl.JavaInlet;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.LslConfig;
import io.reflex.lsl.StreamInlet;
import io.reflex.lsl.StreamOutlet;
import io.reflex.lsl.TimeCorrector;
import io.reflex.runtime.lsl.LslOutputSink;
import io.reflex.runtime.lsl.LslSampleSource;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The LSL half of {@code reflex demo --lsl}: starts {@code reflex source} as a separate JVM publishing on loopback
 * LSL, opens the runtime's inlet on it, publishes the decoded output as an LSL outlet, and reports LSL staleness and
 * time-correction figures. Loopback only.
 */
final class LslDemo implements AutoCloseable {
    /** Silence of the demo's source process counted as an outage, ms (the config default). */
    static final double DEMO_OUTAGE_MS = 1000;

    private final Process child;
    private final LslSampleSource source;
    private final StreamOutlet outlet;
    private final LslOutputSink sink;
    private final String streamName;

    LslDemo(int channels, double rateHz, long seed, double seconds, long binWidthUs, String backendName) {
        LslConfig cfg = LslConfig.loopback().conclude();
        LslBackend backend = LslBackend.select(backendName, cfg, e -> { });
        long pid = ProcessHandle.current().pid();
        this.streamName = "reflex-demo-" + pid;
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(ReflexCli.class.getName());
        cmd.addAll(List.of("source", "--loopback", "--quiet", "--name", streamName, "--source-id", streamName,
                "--channels", Integer.toString(channels), "--rate", Double.toString(rateHz), "--seed",
                Long.toString(seed), "--seconds", Double.toString(seconds + 60), "--backend", backendName));
        try {
            this.child = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot start the LSL source process: " + e.getMessage(), e);
        }
        LslSampleSource s = null;
        StreamOutlet o = null;
        try {
            s = LslSampleSource.open(backend, new LslSampleSource.Selector().name(streamName).sourceId(streamName),
                    30);
            o = backend.createOutlet(LslOutputSink.describe("reflex-decoded-" + pid, "reflex-decoded-" + pid, 2,
                    binWidthUs, List.of("vx", "vy")));
        } catch (RuntimeException e) {
            if (s != null) {
                s.close();
            }
            child.destroy();
            throw e;
        }
        this.source = s.watchOutages(DEMO_OUTAGE_MS, org.agrona.concurrent.SystemNanoClock.INSTANCE);
        this.outlet = o;
        this.sink = new LslOutputSink(o);
    }

    LslSampleSource source() {
        return source;
    }

    LslOutputSink sink() {
        return sink;
    }

    /** Wraps the progress listener: staleness is measured over the live phase only (start-up backlog excluded). */
    io.reflex.runtime.session.ClosedLoopSession.Listener liveOnly(
            io.reflex.runtime.session.ClosedLoopSession.Listener inner) {
        return new io.reflex.runtime.session.ClosedLoopSession.Listener() {
            @Override
            public void onPhase(String phase, String detail) {
                if ("live".equals(phase) && source.inlet() instanceof JavaInlet j) {
                    j.requestStalenessReset();
                }
                inner.onPhase(phase, detail);
            }

            @Override
            public void onTick(io.reflex.runtime.session.ClosedLoopSession.Progress progress) {
                inner.onTick(progress);
            }
        };
    }

    /** LSL figures for the report: read after the session ended. */
    Json.Obj report() {
        StreamInlet inlet = source.inlet();
        Json.Obj o = Json.object().put("stream", streamName).put("source_pid", child.pid())
                .put("source_address", source.info().v4address() + ":" + source.info().v4dataPort())
                .put("samples_pulled", source.pulled()).put("inlet_dropped", inlet.droppedSamples())
                .put("output_stream", outlet.info().name()).put("output_samples", sink.published());
        double corr = inlet.timeCorrection(2.0);
        o.put("time_correction_us", Math.round(corr * 1e7) / 10.0);
        if (inlet instanceof JavaInlet j) {
            Histogram h = j.staleness();
            o.put("staleness_us", Json.object().put("count", h.getTotalCount())
                    .put("p50", h.getValueAtPercentile(50) / 1e3).put("p99", h.getValueAtPercentile(99) / 1e3)
                    .put("p999", h.getValueAtPercentile(99.9) / 1e3).put("max", h.getMaxValue() / 1e3));
            TimeCorrector tc = j.timeCorrector();
            if (tc != null) {
                o.put("time_correction_uncertainty_us", Math.round(tc.uncertaintyS() * 1e7) / 10.0)
                        .put("time_correction_waves", tc.waves());
            }
            o.put("inlet_reconnects", j.connects() - 1).put("inlet_errors", j.errors());
        }
        return o;
    }

    @Override
    public void close() {
        source.close();
        outlet.close();
        child.destroy();
        try {
            if (!child.waitFor(10, TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            child.destroyForcibly();
        }
    }
}
