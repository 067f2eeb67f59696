package io.reflex.tools.rig;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.decoders.TrainableDecoder;
import io.reflex.decoders.file.DecoderFile;
import io.reflex.lsl.InletOptions;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.Resolver;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamInlet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The rig on loopback LSL, in separate processes: a source ({@code reflex rig-peer source}) publishes the signal on
 * the schedule; the real daemon ({@code reflex daemon}, LSL source, a decoder file fitted here so that it skips
 * calibration, its decoded outlet on) and the bare relay ({@code reflex rig-peer relay}, the same two LSL hops with
 * no decoding) both subscribe to it; this process is the sink, with one inlet on each output stream, matching every
 * output to its bin by timestamp.
 *
 * <p>Reflex and the relay run <b>at the same time on the same stream</b> (both read every sample of the one source
 * stream), not in turns: a turn would need the daemon's pipeline stopped and restarted. Machine noise therefore hits
 * both alike. So that neither waits for the CPU while the other handles a bin at the same instant, the relay's bins
 * are <b>interleaved</b> with the daemon's: they end half a bin later ({@link #relayOffsetSamples}), and its
 * latencies are charged on the same schedule shifted by that much. The run starts with a lead-in of {@code
 * warmupSeconds} at the measured rate, matched but not measured (the daemon's JIT, inlets connecting).
 */
public final class LslRig {
    /** How long a child may take to start, publish or connect (JVM start on a loaded 2-core machine). */
    static final double CONNECT_TIMEOUT_S = 60;
    /** Outputs of the velocity decoders the rig fits. */
    static final int OUTPUTS = 2;
    /** Bins a calibrating daemon (lfads, snn) records before its fit. */
    static final int CALIBRATION_BINS = 250;
    /** Time allowed for that fit and the engines' start before the lead-in's warm-up part begins, s. */
    static final double FIT_ALLOWANCE_S = 5;
    /** Seconds the source goes on sending after the measured bins on the stimulation path. */
    static final double STIM_TAIL_S = 1.5;

    private final RigRun.Options o;
    private final Consumer<String> progress;
    private final List<RigChild> children = new ArrayList<>();
    private final String id = UUID.randomUUID().toString().substring(0, 8);

    public LslRig(RigRun.Options options, Consumer<String> progress) {
        this.o = options.check();
        this.progress = progress;
    }

    /**
     * Runs the whole measurement; every child process is gone when it returns or throws.
     *
     * @return the report object (the {@code --json} output)
     * @throws IllegalStateException when a child died, a stream never appeared or a child did not answer
     */
    public ObjectNode run() throws InterruptedException {
        Path dir;
        try {
            dir = Files.createTempDirectory("reflex-rig-lsl-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the rig's temporary directory: " + e.getMessage(), e);
        }
        Thread hook = new Thread(this::killAll, "rig-lsl-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return measure(dir);
        } finally {
            killAll();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook runs anyway
            }
            deleteTree(dir);
        }
    }

    private ObjectNode measure(Path dir) throws InterruptedException {
        int spb = o.samplesPerBin();
        String sourceName = "reflex-rig-source-" + id;
        String decodedName = "reflex-rig-decoded-" + id;
        String relayName = "reflex-rig-relay-" + id;
        // a model decoder is calibrated by the daemon itself on the first bins, then fitted: all of it lead-in
        long calibration = calibrates() ? CALIBRATION_BINS + Math.round(FIT_ALLOWANCE_S * o.rateHz / spb) : 0;
        long lead = calibration
                + (o.warmupSeconds > 0 ? Math.max(1, Math.round(o.warmupSeconds * o.rateHz / spb)) : 0);
        long measured = Math.max(1, Math.round(o.seconds * o.rateHz / spb));
        long total = lead + measured;
        int offset = relayOffsetSamples(spb, o.chunk);
        // a safety net: should this process die without killing it, the daemon still ends (the peers end with stdin)
        long daemonSeconds = (long) Math.ceil(total * spb / o.rateHz + 2 * CONNECT_TIMEOUT_S + 60);
        // kalman and wiener: fitted here and handed over as a decoder file; a model decoder: fitted here only to choose
        // the stimulation threshold (the daemon fits its own on the same signal)
        TrainableDecoder fitted = !calibrates() || o.stim ? (TrainableDecoder) RigSignal.fittedDecoder(o.decoder,
                o.channels, spb, o.seed, java.util.List.of(), decoderOptions()) : null;
        StimRig stim = null;
        try {
            if (o.stim) {
                int probe = (int) Math.min(1000, total);
                float[] th = StimRig.chooseThreshold(fitted, RigSignal.generate(o.signal, o.channels, probe * spb,
                        o.seed), spb, probe);
                stim = new StimRig(o, total, th[0], th[1], dir.resolve("stim-journal"));
            }
            Path config = daemonConfig(dir, fitted, sourceName, decodedName, daemonSeconds, stim);
            return measure(dir, config, stim, sourceName, decodedName, relayName, lead, measured, total, offset);
        } finally {
            if (stim != null) {
                stim.close();
            }
            RigSignal.closeQuietly(fitted);
        }
    }

    /**
     * The decoder's options on these paths: for lfads, the shipped model whose input dimension is the channel count
     * (70 the Lorenz model, otherwise the center-out model, 96, which the daemon picks for any non-Lorenz source).
     */
    private java.util.Map<String, String> decoderOptions() {
        return "lfads".equals(o.decoder) ? java.util.Map.of("model", o.channels == 70
                ? io.reflex.runtime.config.DecoderCatalog.LORENZ_LFADS_MODEL
                : io.reflex.runtime.config.DecoderCatalog.CENTER_OUT_LFADS_MODEL) : null;
    }

    /**
     * Whether the daemon calibrates (lfads, snn: the rig leaves their fit to the daemon, on the same signal) instead of
     * loading a decoder file.
     */
    private boolean calibrates() {
        return !"kalman".equals(o.decoder) && !"wiener".equals(o.decoder);
    }

    private ObjectNode measure(Path dir, Path config, StimRig stim, String sourceName, String decodedName,
                               String relayName, long lead, long measured, long total, int offset)
            throws InterruptedException {
        int spb = o.samplesPerBin();

        List<String> sourceArgs = new ArrayList<>(List.of("rig-peer", "source", "--name", sourceName, "--channels",
                Integer.toString(o.channels), "--rate", Double.toString(o.rateHz), "--chunk",
                Integer.toString(o.chunk), "--samples-per-bin", Integer.toString(spb), "--bins",
                Long.toString(total + tailBins(stim != null, spb)),
                "--signal", o.signal, "--seed", Long.toString(o.seed), "--consumers",
                Integer.toString(o.baselines ? 2 : 1), "--extra-samples", Integer.toString(o.baselines ? offset : 0),
                "--connect-timeout-s", Double.toString(CONNECT_TIMEOUT_S)));
        if (calibrates()) {
            sourceArgs.add("--velocity");
        }
        RigChild source = spawn("source", dir, sourceArgs);
        source.await("ready", CONNECT_TIMEOUT_S);
        progress.accept("rig: lsl: source '" + sourceName + "' published (pid " + source.pid() + ")");
        RigChild relay = null;
        if (o.baselines) {
            relay = spawn("relay", dir, List.of("rig-peer", "relay", "--from", sourceName, "--to", relayName,
                    "--samples-per-bin", Integer.toString(spb), "--bin-us", Long.toString(o.binWidthUs),
                    "--outputs", Integer.toString(OUTPUTS), "--offset-samples", Integer.toString(offset),
                    "--hot-idle", o.hotIdle, "--connect-timeout-s",
                    Double.toString(CONNECT_TIMEOUT_S)));
        }
        RigChild daemon = spawn("daemon", dir, List.of("daemon", "--json", "--config", config.toString()));

        LslBackend backend = RigPeers.backend();
        List<StreamInlet> inlets = new ArrayList<>();
        try {
            StreamInlet decodedIn = open(backend, decodedName, daemon, children);
            inlets.add(decodedIn);
            StreamInlet relayIn = null;
            if (relay != null) {
                relay.await("ready", CONNECT_TIMEOUT_S, children);
                relayIn = open(backend, relayName, relay, children);
                inlets.add(relayIn);
            }
            source.await("connected", CONNECT_TIMEOUT_S, children);
            progress.accept("rig: lsl: daemon (pid " + daemon.pid() + ")" + (relay == null ? "" : " and relay (pid "
                    + relay.pid() + ")") + " connected; " + String.format(Locale.ROOT, "%.1f s lead-in, then %.1f s"
                    + " measured", lead * spb / o.rateHz, measured * spb / o.rateHz));

            RigSchedule schedule = new RigSchedule(System.nanoTime() + 200_000_000L, o.rateHz, o.chunk, spb);
            LatencyRecorder reflexRec = new LatencyRecorder("reflex", (int) Math.min(50_000_000, measured));
            LatencyRecorder relayRec = new LatencyRecorder("bare_relay", (int) Math.min(50_000_000, measured));
            List<Sink> sinks = new ArrayList<>();
            Sink decodedSink = new Sink(decodedIn, reflexRec, schedule, total, lead);
            sinks.add(decodedSink);
            if (relayIn != null) {
                // the relay's bins end `offset` samples after the daemon's: the same schedule, shifted
                RigSchedule shifted = new RigSchedule(schedule.t0Ns() + Math.round(offset * 1e9 / o.rateHz),
                        o.rateHz, o.chunk, spb);
                sinks.add(new Sink(relayIn, relayRec, shifted, total, lead));
            }
            for (Sink s : sinks) {
                s.thread.start();
            }
            source.send("start " + schedule.t0Ns());
            long timeoutNs = Math.max(2_000_000_000L, o.deadlineUs * 4000);
            long endNs = schedule.binSendNs(total - 1) + timeoutNs;
            try {
                for (Sink s : sinks) {
                    while (!s.complete.await(100, TimeUnit.MILLISECONDS) && System.nanoTime() - endNs < 0) {
                        for (RigChild c : children) {
                            if (!c.alive()) {
                                throw new IllegalStateException("during the run " + c.death());
                            }
                        }
                    }
                }
            } finally {
                for (Sink s : sinks) {
                    s.stop = true;
                }
                for (Sink s : sinks) {
                    s.thread.join(5_000);
                }
            }
            for (StreamInlet in : inlets) {
                in.close();
            }
            inlets.clear();
            double measuredS = measured * spb / o.rateHz;
            reflexRec.endSegment(measuredS);
            relayRec.endSegment(measuredS);

            // the daemon first (SIGTERM: it drains and prints its summary), while its source is still there (and on
            // the stimulation path still sending its tail: the next frame disarms)
            if (!daemon.terminate(CONNECT_TIMEOUT_S)) {
                throw new IllegalStateException("the daemon (pid " + daemon.pid() + ") did not stop within "
                        + CONNECT_TIMEOUT_S + " s of SIGTERM");
            }
            JsonNode summary = json(daemon.await("{", 5));
            JsonNode sent = json(source.await("sent ", CONNECT_TIMEOUT_S).substring(5));
            if (!"stopped".equals(summary.path("ending").asText())) {
                throw new IllegalStateException("the daemon's run ended '" + summary.path("ending").asText()
                        + "' (failure: " + summary.path("failure").asText("none") + ") instead of being stopped by"
                        + " the rig; its stderr:\n" + daemon.errTail());
            }
            JsonNode relayDone = null;
            if (relay != null) {
                relay.closeStdin();
                relayDone = json(relay.await("done ", CONNECT_TIMEOUT_S).substring(5));
            }
            source.closeStdin();
            for (Sink s : sinks) {
                if (s.lost) {
                    throw new IllegalStateException("the sink's inlet on '" + s.inlet.info().name() + "' lost its"
                            + " stream during the run");
                }
            }
            LatencyRecorder stimRec = null;
            StimRig.Joined joined = null;
            java.util.BitSet firings = null;
            if (stim != null) {
                // the daemon has exited: its stimulation journal is complete and closed
                firings = stim.expectedFirings(decodedSink.firstOutput, schedule, total);
                stimRec = new LatencyRecorder("reflex_stim", (int) Math.min(50_000_000, measured));
                stimRec.beginSegment(schedule, total, lead, firings);
                joined = stim.join(dir.resolve("stim-journal"), schedule, total, stimRec);
                stimRec.endSegment(measuredS);
            }
            ObjectNode r = report(reflexRec, relayIn != null ? relayRec : null, lead * spb / o.rateHz, summary, sent,
                    relayDone, stimRec);
            if (stim != null) {
                r.set("stim", stimReport(stim, joined, firings, lead, summary));
            }
            if (relayIn != null) {
                r.put("series_mode", offset > 0 ? "interleaved" : "concurrent");
                r.put("relay_offset_samples", offset);
            }
            ObjectNode pids = r.putObject("pids");
            for (RigChild c : children) {
                pids.put(c.role(), c.pid());
            }
            return r;
        } finally {
            for (StreamInlet in : inlets) {
                in.close();
            }
        }
    }

    /**
     * Bins the source sends after the measured ones on the stimulation path ({@value #STIM_TAIL_S} s), so that the
     * daemon still has frames when the rig stops it: a source that fell silent while stimulation is armed trips the
     * daemon's watchdog, as it should, which would end every run in a fault. Nothing sent in the tail is measured.
     */
    private long tailBins(boolean stim, int samplesPerBin) {
        return stim ? (long) Math.ceil(STIM_TAIL_S * o.rateHz / samplesPerBin) : 0;
    }

    /**
     * How many samples the relay's bins end after the daemon's: half a bin, in whole chunks (a chunk's samples are
     * sent together), so that the two do their per-bin work 10 ms apart at 20 ms bins instead of competing for the
     * CPU at the same instant; 0 when a bin is a single chunk.
     */
    static int relayOffsetSamples(int samplesPerBin, int chunk) {
        return (samplesPerBin / 2 / chunk) * chunk;
    }

    private RigChild spawn(String role, Path dir, List<String> args) {
        RigChild c = RigChild.start(role, dir, args);
        synchronized (children) {
            children.add(c);
        }
        return c;
    }

    private void killAll() {
        synchronized (children) {
            for (RigChild c : children) {
                c.close();
            }
        }
    }

    /** Resolves {@code name} on loopback (the child that publishes it must stay alive) and opens an inlet. */
    private static StreamInlet open(LslBackend backend, String name, RigChild publisher, List<RigChild> watched)
            throws InterruptedException {
        long deadline = System.nanoTime() + (long) (CONNECT_TIMEOUT_S * 1e9);
        String predicate = Resolver.byProperty("name", name);
        while (true) {
            for (RigChild c : watched) {
                if (!c.alive()) {
                    throw new IllegalStateException("the stream '" + name + "' never appeared: " + c.death());
                }
            }
            List<StreamInfo> found = backend.resolve(predicate, 1, 1.0);
            if (!found.isEmpty()) {
                StreamInlet in = backend.createInlet(found.get(0), new InletOptions());
                try {
                    in.open(CONNECT_TIMEOUT_S);
                } catch (RuntimeException e) {
                    in.close();
                    throw new IllegalStateException("cannot open an inlet on '" + name + "': " + e.getMessage(), e);
                }
                return in;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("the stream '" + name + "' of the " + publisher.role() + " process"
                        + " (pid " + publisher.pid() + ") did not appear on loopback LSL within " + CONNECT_TIMEOUT_S
                        + " s; its stderr:\n" + publisher.errTail());
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }

    /**
     * The daemon's config: LSL source on loopback, the decoder fitted here on the rig's bins saved as a decoder file
     * (no calibration), the decoded outlet waiting for the sink, no journal, the rig's pipeline options, a live phase
     * of {@code runSeconds} (the rig stops it with SIGTERM well before).
     */
    private Path daemonConfig(Path dir, TrainableDecoder fitted, String sourceName, String decodedName,
                              long runSeconds, StimRig stim) {
        Path decoderFile = dir.resolve("rig.rxdf");
        if (!calibrates()) {
            DecoderFile.write(decoderFile, fitted, o.binWidthUs, o.rateHz, 1000,
                    "{\"fitted_by\": \"reflex rig --path lsl\", \"seed\": " + o.seed + "}");
        }
        ObjectMapper m = new ObjectMapper();
        ObjectNode cfg = m.createObjectNode();
        ObjectNode src = cfg.putObject("source");
        src.put("type", "lsl");
        src.put("channels", o.channels);
        src.put("sampleRateHz", o.rateHz);
        ObjectNode lsl = src.putObject("lsl");
        lsl.put("name", sourceName);
        lsl.put("sourceId", sourceName);
        lsl.put("backend", "java");
        lsl.put("network", "loopback");
        lsl.put("resolveTimeoutS", CONNECT_TIMEOUT_S);
        ObjectNode dec = cfg.putObject("decoder");
        dec.put("name", o.decoder);
        if (calibrates()) {
            // calibrated on the stream's own vx, vy channels, like a task that sends them in-stream
            if (o.engines != null) {
                ArrayNode engines = dec.putArray("engines");
                for (String e : o.engines.split(",")) {
                    engines.add(e.trim());
                }
            }
            java.util.Map<String, String> options = decoderOptions();
            if (options != null) {
                options.forEach(dec.putObject("options")::put);
            }
            cfg.putObject("calibration").put("seconds", CALIBRATION_BINS * o.binWidthUs / 1e6);
        } else {
            dec.put("file", decoderFile.toString());
        }
        ObjectNode pipe = cfg.putObject("pipeline");
        pipe.put("binWidthUs", o.binWidthUs);
        pipe.put("deadlineUs", o.deadlineUs);
        pipe.put("topology", o.topology);
        pipe.put("hotIdle", o.hotIdle);
        pipe.put("idle", o.idle);
        cfg.putObject("run").put("seconds", runSeconds);
        cfg.putObject("journal").put("enabled", false);
        ObjectNode out = cfg.putObject("decodedOutlet");
        out.put("enabled", true);
        out.put("name", decodedName);
        out.put("sourceId", decodedName);
        out.put("waitForConsumerS", CONNECT_TIMEOUT_S);
        if (stim != null) {
            cfg.set("stim", stim.configJson(m));
        }
        try {
            return Files.writeString(dir.resolve("daemon.json"), m.writerWithDefaultPrettyPrinter()
                    .writeValueAsString(cfg));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the daemon's config: " + e.getMessage(), e);
        }
    }

    private ObjectNode report(LatencyRecorder reflexRec, LatencyRecorder relayRec, double leadInS, JsonNode daemon,
                              JsonNode sent, JsonNode relayDone, LatencyRecorder stimRec) {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = RigRun.header(m, o, stimRec != null ? "stim" : "lsl", !calibrates() ? "java"
                : o.engines != null ? o.engines : "default chain");
        root.put("series_mode", relayRec == null ? "reflex_only" : "concurrent");
        root.put("lead_in_s", RigRun.round(leadInS, 3));
        root.put("lsl_backend", "java");
        root.put("network", "loopback");
        ArrayNode series = root.putArray("series");
        List<LatencyRecorder> recs = new ArrayList<>();
        if (stimRec != null) {
            // the headline: input sample to the command's arrival at the stimulator
            series.add(RigRun.series(m, stimRec, "Reflex daemon, stimulation (LSL in, decode, policy, envelope,"
                    + " journal, TCP to the stimulator)", daemon.path("deadline_misses").asLong()));
            recs.add(stimRec);
        }
        series.add(RigRun.series(m, reflexRec, "Reflex daemon (LSL in, decode, LSL out)",
                daemon.path("deadline_misses").asLong()));
        recs.add(reflexRec);
        if (relayRec != null) {
            series.add(RigRun.series(m, relayRec, "bare LSL relay (same two hops, no decoding)", 0));
            recs.add(relayRec);
        }
        ObjectNode ratios = RigRun.ratios(m, recs);
        if (stimRec != null && relayRec != null) {
            // the decoded outlet's own ratio to the relay, as on the lsl path
            RigRun.ratios(m, List.of(reflexRec, relayRec)).fields().forEachRemaining(e ->
                    ratios.set("decoded_" + e.getKey(), e.getValue()));
        }
        root.set("ratios", ratios);
        ObjectNode d = root.putObject("daemon");
        for (String k : new String[] {"frames", "dropped", "deadline_misses", "safe_outputs",
            "errors", "decoder_loaded", "latency_us", "stage_latency_us", "decoded_outlet", "stim_issued",
            "stim_proposed", "stim_rejected", "unsafe_emitted", "watchdog_trips", "stim_fault", "stim_fault_reason",
            "engine", "engine_chain", "failovers", "calibration_frames", "calibration_seconds"}) {
            if (daemon.has(k)) {
                d.set(k, daemon.get(k));
            }
        }
        root.set("source", sent);
        if (relayDone != null) {
            root.set("relay", relayDone);
        }
        return root;
    }

    /** The {@code stim} object of the report: the policy the daemon ran and what the join of records found. */
    private ObjectNode stimReport(StimRig stim, StimRig.Joined j, java.util.BitSet firings, long lead,
                                  JsonNode daemon) {
        ObjectMapper m = new ObjectMapper();
        ObjectNode s = m.createObjectNode();
        io.reflex.runtime.stim.StimConfig c = stim.config();
        s.put("policy", "threshold");
        s.put("threshold", c.threshold);
        s.put("hysteresis", c.hysteresis);
        s.put("refractory_ms", c.refractoryMs);
        s.put("lead_us", c.leadUs);
        s.put("stimulator", c.stimulator);
        s.put("expected_firings", firings.cardinality());
        s.put("expected_firings_measured", firings.get((int) lead, Math.max((int) lead, firings.length()))
                .cardinality());
        s.put("commands_accepted", j.accepted());
        s.put("commands_refused", j.refused());
        ObjectNode by = s.putObject("refused_by");
        j.refusedBy().forEach(by::put);
        s.put("commands_received", j.commandsReceived());
        s.put("accepted_not_received", j.acceptedNotReceived());
        s.put("received_not_journaled", j.receivedNotJournaled());
        s.put("outside_schedule", j.outsideSchedule());
        s.put("tail_commands", j.tail());
        s.put("stimulator_violations", stim.violations());
        s.put("stop_all_received", stim.stopAllReceived());
        s.put("link_loss_stops", stim.linkLossStops());
        s.put("fault", daemon.path("stim_fault").asText("none"));
        ObjectNode stages = s.putObject("stage_latency_us");
        stages.set("bin_to_decision", RigRun.summary(m, j.decideNs()));
        stages.set("journal_to_arrival", RigRun.summary(m, j.sendNs()));
        return s;
    }

    private static JsonNode json(String text) {
        try {
            return new ObjectMapper().readTree(text);
        } catch (IOException e) {
            throw new IllegalStateException("a child printed unreadable JSON: " + text, e);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory left behind is harmless
        }
    }

    /** Pulls one output stream and records each sample against its bin; on its own thread. */
    private static final class Sink implements Runnable {
        final StreamInlet inlet;
        final LatencyRecorder recorder;
        final RigSchedule schedule;
        final CountDownLatch complete = new CountDownLatch(1);
        final Thread thread;
        final float[] sample;
        /** The first output of each bin received (NaN: none), for the stimulation path's policy replay. */
        final float[] firstOutput;
        volatile boolean stop;
        volatile boolean lost;

        Sink(StreamInlet inlet, LatencyRecorder recorder, RigSchedule schedule, long bins, long lead) {
            this.inlet = inlet;
            this.recorder = recorder;
            this.schedule = schedule;
            this.sample = new float[inlet.info().channelCount()];
            this.firstOutput = new float[(int) bins];
            Arrays.fill(firstOutput, Float.NaN);
            recorder.beginSegment(schedule, bins, lead);
            this.thread = new Thread(this, "rig-sink-" + recorder.name());
            thread.setDaemon(true);
        }

        @Override
        public void run() {
            while (!stop) {
                double ts = inlet.pullSample(sample, 0.1);
                if (ts == 0.0) {
                    if (inlet.lost()) {
                        lost = true;
                        return;
                    }
                    continue;
                }
                long arrivalNs = System.nanoTime();
                long bin = schedule.binNear(ts);
                recorder.arrive(bin, arrivalNs, Long.MIN_VALUE);
                if (bin >= 0 && bin < firstOutput.length && Float.isNaN(firstOutput[(int) bin])) {
                    firstOutput[(int) bin] = sample[0];
                }
                if (recorder.received() >= recorder.expected()) {
                    // done: anything later (the stimulation path's tail) is not pulled, so not counted
                    complete.countDown();
                    return;
                }
            }
        }
    }
}
