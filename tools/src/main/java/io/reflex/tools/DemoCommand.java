package io.reflex.tools;

import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.config.DecoderCatalog;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.session.ClosedLoopSession;
import io.reflex.runtime.session.DetectionScorer;
import io.reflex.runtime.session.SessionReport;
import io.reflex.runtime.session.Sources;
import io.reflex.runtime.source.BroadbandGenerator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code reflex demo}: a closed loop on the synthetic center-out source, paced in real time, on embedded defaults.
 *
 * <p>How it is built, so that other sources, decoders and sinks plug in without rewriting it: the options only edit
 * a {@link ReflexConfig} ({@link #configure}) and a {@link ClosedLoopSession.Context} ({@link #session}); the
 * session does the work; {@link Reports} prints the result. A new source ({@code --lsl}) sets
 * {@code config.source}, a new decoder name ({@code --decoder lfads}) only needs {@link DecoderCatalog} to know
 * it, and a new output ({@code --stim}) adds a sink to the session context.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        header = "Closed-loop decoding of synthetic motor-cortex activity, with a latency summary.",
        description = {"Closed-loop decoding of synthetic motor-cortex activity (center-out reaching, cosine-tuned"
                + " Poisson neurons), paced in real time: a calibration block recorded by the runtime, a fit of"
                + " the Kalman and Wiener decoders on it, then live decoding with the selected one while the other"
                + " is scored on the same frames. Ends with a summary (or one JSON object with --json)."})
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--seconds", paramLabel = "N", defaultValue = "20",
            description = "Total run time in seconds, calibration included (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--calibration-seconds", paramLabel = "N",
            description = "Seconds of calibration (default: half of --seconds).")
    Double calibrationSeconds;

    @Option(names = "--channels", paramLabel = "N",
            description = "Synthetic channels (neurons) (default: 96 for center-out, 70 for lorenz: the LFADS models'"
                    + " input sizes).")
    Integer channels;

    @Option(names = "--decoder", paramLabel = "NAME", defaultValue = "kalman",
            description = "Decoder run live: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).",
            completionCandidates = DecoderNames.class)
    String decoder;

    @Option(names = "--compare", paramLabel = "NAMES", split = ",", defaultValue = "kalman,wiener",
            description = "Decoders fitted on the same calibration block and scored on the same live frames, off the"
                    + " critical path (default: ${DEFAULT-VALUE}; the live decoder is left out; 'none' for none).")
    List<String> compare;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the synthetic source (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--topology", paramLabel = "T",
            description = "Thread layout: fused, per-stage or single (default: fused).")
    String topology;

    @Option(names = "--hot-idle", paramLabel = "S",
            description = "Idle strategy of the ingest thread: busy-spin, yield, backoff or park (default: backoff)."
                    + " busy-spin gives the lowest acquisition-to-ingest latency and uses a whole core.")
    String hotIdle;

    @Option(names = "--deadline-us", paramLabel = "US", description = "Per-frame deadline, ingest to emit, in µs (default: 5000).")
    Long deadlineUs;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Start from this config file (as for daemon); the options above override it.")
    Path config;

    @Option(names = "--journal-dir", paramLabel = "DIR",
            description = "Parent directory of the run's journal (default: reflex-journal).")
    String journalDir;

    @Option(names = "--no-journal", description = "Do not record a journal.")
    boolean noJournal;

    @Option(names = "--json", description = "Print one JSON object on stdout (progress still goes to stderr).")
    boolean json;

    @Option(names = "--stim", description = "Close the loop through stimulation: a threshold policy on the decoded x"
            + " velocity issues pulse trains through the safety envelope, the interlock and the write-ahead journal"
            + " to a simulated stimulator on loopback TCP, which checks every command it receives.")
    boolean stim;

    @Option(names = "--stim-udp", paramLabel = "HOST:PORT",
            description = "With --stim: also mirror accepted commands as UDP frames to this unicast address.")
    String stimUdp;

    @Option(names = "--stim-lsl", description = "With --stim: also publish accepted commands on an LSL outlet"
            + " (type StimCommands, loopback-only LSL configuration).")
    boolean stimLsl;

    @Option(names = "--lsl", description = "Run the synthetic source as a separate process publishing on loopback"
            + " LSL; the runtime ingests it through an LSL inlet and publishes the decoded output as an LSL outlet."
            + " The report gains an \"lsl\" object (staleness, time correction). With --config naming an LSL"
            + " source (source.type lsl), ingest that stream instead, with the config's kinematics stream and"
            + " decoded outlet (docs/lab-setup.md).")
    boolean lsl;

    @Option(names = "--xdf", paramLabel = "FILE", description = "Decode an XDF recording: play it on loopback LSL in"
            + " this process and ingest its neural stream (the numeric stream with the most values per second, or"
            + " --xdf-stream), with a stream labelling vx, vy as the kinematics for calibration. --seconds is cut to"
            + " what the recording holds.")
    Path xdf;

    @Option(names = "--xdf-stream", paramLabel = "NAME", description = "With --xdf: the stream to decode.")
    String xdfStream;

    @Option(names = "--broadband", description = "Decode from raw voltage (docs/frontend.md): the synthetic source"
            + " becomes 30 kHz broadband (the center-out units as spike waveforms in noise, line hum and LFP; the"
            + " last three channels dead: NaN, flat, clipped) and the features stage runs the front end (CAR,"
            + " band-pass, threshold crossings at -4.5 RMS estimated on the first 2 s of calibration). The report"
            + " gains \"frontend\" (dead channels, RMS) and \"detection\" (crossings scored against the true spikes:"
            + " hit rate, false positives per second). No journal unless --journal-dir is given.")
    boolean broadband;

    @Option(names = "--lsl-backend", paramLabel = "NAME", defaultValue = "java",
            description = "LSL implementation for --lsl: java, native or auto (default: ${DEFAULT-VALUE}).")
    String lslBackend;

    @Option(names = {"-q", "--quiet"}, description = "No progress display.")
    boolean quiet;

    @Option(names = "--source", paramLabel = "NAME",
            description = "Synthetic source: center-out (cosine-tuned neurons during center-out reaches, scored by"
                    + " velocity R2) or lorenz (Lorenz-driven Poisson spikes in trials, the data the LFADS demo models"
                    + " were trained on, scored by latent R2) (default: lorenz with --decoder lfads, else center-out).")
    String source;

    @Option(names = "--engine", paramLabel = "NAME[,NAME...]", split = ",",
            description = "Engine chain of a model decoder (lfads, snn), in order of preference, e.g."
                    + " rtl-sim,cpu-fixed (default: the config's decoder.engines, cpu-fixed). On a fault the next engine"
                    + " takes the same bin over from the same state.")
    List<String> engines;

    @Option(names = "--inject-fault", paramLabel = "ENGINE@STEP",
            description = "Failover drill: the named engine of the chain faults at its STEP-th bin, so that the next"
                    + " one takes over; the report shows the failover and the golden-model check.")
    String injectFault;

    @Option(names = "--model", paramLabel = "BUNDLE",
            description = "With --decoder lfads: a model bundle file or a shipped model name (default: the shipped"
                    + " model trained on the source: lfads-lorenz-causal or lfads-centerout-causal).")
    String model;

    /** The decoder names, for help and completion. */
    static final class DecoderNames extends ArrayList<String> {
        private static final long serialVersionUID = 1L;

        DecoderNames() {
            super(DecoderCatalog.names());
        }
    }

    /** Sample rate of the {@code --broadband} source, Hz. */
    static final double BROADBAND_RATE_HZ = 30_000;

    /** Channels of the Lorenz source: the input size of the shipped Lorenz LFADS models. */
    static final int LORENZ_CHANNELS = 70;

    /** Applies the options to a config. */
    ReflexConfig configure(ReflexConfig c) {
        if (!(seconds > 0)) {
            throw new ConfigException("--seconds", String.valueOf(seconds), "a number of seconds > 0");
        }
        double cal = calibrationSeconds != null ? calibrationSeconds : seconds / 2;
        if (!(cal >= 0 && cal < seconds)) {
            throw new ConfigException("--calibration-seconds", String.valueOf(cal), "a number in [0, --seconds)");
        }
        // --lsl with a config whose source is an LSL stream (a lab's amplifier): ingest that stream, with the config's
        // kinematics stream and decoded outlet, instead of starting a demo source process
        boolean lslFromConfig = lsl && "lsl".equals(c.source.type);
        if (broadband && (lsl || source != null || stim || stimUdp != null || stimLsl)) {
            throw new ConfigException("--broadband", "runs the in-process broadband source without --lsl, --source"
                    + " or --stim (publish it over LSL with 'reflex source --broadband' and ingest it with a config"
                    + " that has a frontend section)");
        }
        String src = source != null ? source : "lfads".equals(decoder) ? "lorenz" : "center-out";
        if (lslFromConfig) {
            if (source != null) {
                throw new ConfigException("--source", source, "no --source: with --lsl the config's LSL stream"
                        + " (source.type lsl) is the source");
            }
        } else {
            switch (src) {
                case "center-out" -> c.source.type = "synthetic";
                case "lorenz" -> c.source.type = "lorenz";
                default -> throw new ConfigException("--source", src, "center-out or lorenz");
            }
            if (lsl && "lorenz".equals(src)) {
                throw new ConfigException("--lsl", "the LSL demo publishes the center-out source; drop --lsl or use"
                        + " --source center-out");
            }
        }
        c.source.channels = channels != null ? channels : lslFromConfig ? c.source.channels
                : "lorenz".equals(src) ? LORENZ_CHANNELS : 96;
        if (broadband) {
            if (!"broadband".equals(c.source.type)) {
                c.source.sampleRateHz = BROADBAND_RATE_HZ;
            }
            c.source.type = "broadband";
            if (c.frontend == null) {
                c.frontend = new ReflexConfig.FrontEndConfig();
            }
            if (journalDir == null && config == null) {
                // 96 channels at 30 kHz is 11 MB/s of raw samples
                c.journal.enabled = false;
            }
        }
        c.source.seed = seed;
        if (!decoder.equals(c.decoder.name)) {
            c.decoder.options = new java.util.LinkedHashMap<>();
        }
        c.decoder.name = decoder;
        if (model != null) {
            c.decoder.options.put("model", model);
        }
        if (engines != null) {
            c.decoder.engines = new ArrayList<>(engines);
        }
        if (injectFault != null) {
            c.decoder.injectFault = injectFault;
        }
        c.decoder.compare = new ArrayList<>();
        for (String n : compare) {
            if (n.equals("none") || n.equals(decoder) || c.decoder.compare.contains(n)) {
                continue;
            }
            if (!DecoderCatalog.trainableNames().contains(n)) {
                throw new ConfigException("--compare", n, "one of " + DecoderCatalog.trainableNames() + " or none");
            }
            c.decoder.compare.add(n);
        }
        c.calibration.seconds = cal;
        c.run.seconds = seconds - cal;
        if (topology != null) {
            c.pipeline.topology = topology;
        }
        if (hotIdle != null) {
            c.pipeline.hotIdle = hotIdle;
        }
        if (deadlineUs != null) {
            c.pipeline.deadlineUs = deadlineUs;
        } else if (config == null && DecoderCatalog.usesEngines(c.decoder.name) && !c.decoder.engines.isEmpty()
                && c.decoder.engines.get(0).equals("rtl-sim")) {
            // The verilated kernel takes milliseconds of wall time per bin (tens of µs per simulated clock): give it
            // the whole bin, as a simulator of the card rather than the card itself.
            c.pipeline.deadlineUs = c.pipeline.binWidthUs;
            System.err.println("reflex demo: the RTL simulation decodes in milliseconds per bin; deadline set to one"
                    + " bin (" + c.pipeline.binWidthUs + " us); --deadline-us overrides");
        }
        if (journalDir != null) {
            c.journal.dir = journalDir;
        }
        if (noJournal) {
            c.journal.enabled = false;
        }
        return c.validate();
    }

    /** The stimulation part of the run ({@code --stim}), or null. */
    private StimRun stimDemo;
    /** The recording played as the source ({@code --xdf}), or null. */
    private XdfDemo xdfDemo;
    /** The run's free-space guard and journal faults. */
    private RunJournals journals;

    /** The session context: where sinks and observers of other features are added. */
    ClosedLoopSession.Context session(ReflexConfig c, ProgressPrinter progress) {
        ClosedLoopSession.Context ctx = new ClosedLoopSession.Context().config(c).listener(progress);
        if (journals != null) {
            ctx.journalFaults(journals.faults).spaceGuard(journals.guard);
        }
        if (stimDemo != null) {
            ctx.sink(stimDemo.system().stage());
        }
        return ctx;
    }

    @Override
    public Integer call() throws Exception {
        ProgressPrinter progress = new ProgressPrinter(System.err, quiet);
        try {
            SessionReport report;
            try {
                ReflexConfig base = config != null ? ReflexConfig.load(config) : new ReflexConfig();
                if (xdf != null) {
                    if (lsl || source != null || broadband) {
                        throw new ConfigException("--xdf", xdf.toString(), "no --lsl, --source or --broadband with"
                                + " --xdf: the recording is the source");
                    }
                    xdfDemo = XdfDemo.open(xdf, xdfStream);
                    xdfDemo.configure(base, lslBackend);
                    double room = Math.floor(xdfDemo.spanS - 1.0);
                    if (seconds > room) {
                        if (!(room > 0)) {
                            throw new ConfigException("--xdf", xdf.toString(), "a recording longer than 2 s ("
                                    + xdfDemo.spanS + " s)");
                        }
                        System.err.println("reflex demo: --seconds cut to " + room + " s, what " + xdf + " holds");
                        seconds = room;
                    }
                    lsl = true; // the config's LSL source: the played stream
                }
                ReflexConfig c = configure(base);
                journals = new RunJournals(c, progress::onNotice);
                if (stim || stimUdp != null || stimLsl) {
                    stimDemo = StimRun.startDemo(c, stimUdp, stimLsl, progress::onNotice, journals.guard,
                            journals.faults);
                    progress.suffix(stimDemo::progressStatus);
                }
                if (lsl && !"lsl".equals(c.source.type)) {
                    return runOverLsl(c, progress);
                }
                if (xdfDemo != null) {
                    progress.onPhase("xdf", "playing " + xdf + " on loopback LSL: decoding '" + xdfDemo.input.name
                            + "'" + (xdfDemo.kinematics != null ? ", kinematics from '" + xdfDemo.kinematics.name
                            + "'" : ""));
                    xdfDemo.start(lslBackend);
                }
                if (broadband) {
                    return runBroadband(c, progress);
                }
                report = new ClosedLoopSession(session(c, progress)).run();
            } catch (ConfigException e) {
                progress.endLine();
                System.err.println("reflex demo: " + e.getMessage());
                return 2;
            }
            progress.endLine();
            closeStim();
            Json.Obj xdfReport = xdfDemo != null ? xdfDemo.report() : null;
            if (json) {
                Json.Obj o = withStim(Reports.json(report));
                if (xdfReport != null) {
                    o.put("xdf", xdfReport);
                }
                System.out.println(o.toJson());
            } else {
                System.out.print(Reports.text(report));
                if (xdfReport != null) {
                    System.out.println("  xdf: " + xdfReport.toJson());
                }
                printStim();
            }
            return exitCode(report);
        } finally {
            if (xdfDemo != null) {
                xdfDemo.close();
            }
            closeStim();
            if (journals != null) {
                journals.close();
            }
        }
    }

    private void closeStim() {
        if (stimDemo != null) {
            stimDemo.close();
        }
    }

    private Json.Obj withStim(Json.Obj o) {
        if (stimDemo != null) {
            stimDemo.addJson(o);
        }
        return o;
    }

    private void printStim() {
        if (stimDemo != null) {
            System.out.print(stimDemo.text());
        }
    }

    /**
     * The demo from raw voltage: the broadband generator in process (its last three channels dead when there are at
     * least eight), the front end in the features stage, and the crossings scored against the generator's true
     * spikes off the critical path.
     */
    private int runBroadband(ReflexConfig c, ProgressPrinter progress) throws Exception {
        int ch = c.source.channels;
        BroadbandGenerator.Context gc = Sources.broadbandContext(c.source);
        if (ch >= 8) {
            gc.deadChannels(ch - 3, ch - 2, ch - 1);
        }
        BroadbandGenerator gen = new BroadbandGenerator(gc);
        DetectionScorer scorer = c.frontend.outputs.contains("crossings")
                ? new DetectionScorer(gen, c.frontend.outputs.indexOf("crossings") * ch) : null;
        ClosedLoopSession.Context ctx = session(c, progress)
                .source(Sources.broadband(gen, org.agrona.concurrent.SystemNanoClock.INSTANCE, Long.MAX_VALUE));
        if (scorer != null) {
            ctx.observer("detection", scorer);
        }
        progress.onPhase("broadband", ch + " channels at " + c.source.sampleRateHz + " Hz; the first "
                + c.frontend.rmsSeconds + " s of calibration set the thresholds");
        SessionReport report = new ClosedLoopSession(ctx).run();
        progress.endLine();
        DetectionScorer.Summary d = scorer == null || report.frontEnd == null ? null
                : scorer.summary(report.frontEnd.deadChannels);
        if (json) {
            Json.Obj o = Reports.json(report);
            if (d != null) {
                o.put("detection", Reports.detection(d));
            }
            System.out.println(o.toJson());
        } else {
            System.out.print(Reports.text(report));
            if (d != null) {
                System.out.println(Reports.detectionText(d));
            }
        }
        return exitCode(report);
    }

    /** The demo with the source in another process, over loopback LSL. */
    private int runOverLsl(ReflexConfig c, ProgressPrinter progress) throws Exception {
        progress.onPhase("lsl", "starting 'reflex source' in a separate process on loopback LSL");
        SessionReport report;
        Json.Obj lslReport;
        try (LslDemo demo = new LslDemo(c.source.channels, c.source.sampleRateHz, c.source.seed, seconds,
                c.pipeline.binWidthUs, lslBackend)) {
            progress.onPhase("lsl", "ingesting " + demo.source().name());
            report = new ClosedLoopSession(session(c, progress).listener(demo.liveOnly(progress)).source(demo.source())
                    .sink(demo.sink())).run();
            lslReport = demo.report();
        } catch (IllegalStateException e) {
            progress.endLine();
            System.err.println("reflex demo --lsl: " + e.getMessage());
            return 1;
        }
        progress.endLine();
        closeStim();
        if (json) {
            System.out.println(withStim(Reports.json(report).put("lsl", lslReport)).toJson());
        } else {
            System.out.print(Reports.text(report));
            System.out.println("  lsl: " + lslReport.toJson());
            printStim();
        }
        return exitCode(report);
    }

    /**
     * 0; {@link RunJournals#EXIT_JOURNAL_FAULT} when a journal faulted; else {@link StimRun#EXIT_STIM_FAULT} when the
     * run ended with a stimulation fault latched; else {@link DaemonCommand#EXIT_RUN_FAILED} when the run failed
     * (e.g. calibration timed out).
     */
    private int exitCode(SessionReport report) {
        if (report.failure != null) {
            System.err.println("reflex demo: the run failed: " + report.failure);
        }
        if (RunJournals.faulted(report)) {
            return RunJournals.EXIT_JOURNAL_FAULT;
        }
        if (stimDemo != null && stimDemo.faultLatched()) {
            System.err.println("reflex demo: the run ended with a stimulation fault latched: "
                    + stimDemo.system().controller().faultReason());
            return StimRun.EXIT_STIM_FAULT;
        }
        return report.failure != null ? DaemonCommand.EXIT_RUN_FAILED : 0;
    }

    /** Names for tests. */
    static List<String> decoderNames() {
        return new DecoderNames();
    }
}
