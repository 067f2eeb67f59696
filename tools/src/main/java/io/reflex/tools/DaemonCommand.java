package io.reflex.tools;

import java.io.PrintStream;

import io.reflex.runtime.config.ConfigException;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.session.ClosedLoopSession;
import io.reflex.runtime.session.SessionReport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code reflex daemon --config FILE}: the closed loop, headless. SIGTERM (or Ctrl-C) ends the live phase; the
 * pipeline drains, the journal is closed with every frame in it, the summary is printed, and only then does the
 * JVM exit.
 */
@Command(name = "daemon", mixinStandardHelpOptions = true,
        header = "Run the closed loop headless from a JSON config; SIGTERM stops it cleanly.",
        description = {"Run the closed loop headless from a JSON config file (see config/example.json and the"
                + " README). Stops cleanly on SIGTERM: ingest stops, in-flight frames drain, the journal is"
                + " flushed, and the summary is printed (JSON on stdout with --json)."})
final class DaemonCommand implements Callable<Integer> {
    /**
     * Exit code of a run that failed on its input (e.g. calibration timed out: every bin invalid, or none came),
     * the code of refused input.
     */
    static final int EXIT_RUN_FAILED = 2;

    @Option(names = "--config", paramLabel = "FILE", required = true, description = "The JSON config file.")
    Path config;

    @Option(names = "--json", description = "Print the final summary as one JSON object on stdout.")
    boolean json;

    @Option(names = "--check", description = "Validate the config (values, addresses, the heap it needs), print it"
            + " with defaults filled in (stdout) and its sized allocations (stderr), and exit.")
    boolean check;

    @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "${env:REFLEX_LOG_FORMAT:-text}",
            description = "text (default) or json: one JSON object a line on stderr (phases, progress, notices, and"
                    + " every other stderr line wrapped); the default comes from REFLEX_LOG_FORMAT.")
    String logFormat;

    @Option(names = "--engine", paramLabel = "NAME[,NAME...]", split = ",",
            description = "Engine chain of a model decoder (lfads, snn), in order of preference; overrides the"
                    + " config's decoder.engines.")
    java.util.List<String> engines;

    @Override
    public Integer call() throws Exception {
        String format = logFormat == null ? "text" : logFormat.trim().toLowerCase(java.util.Locale.ROOT);
        if (!format.equals("text") && !format.equals("json")) {
            System.err.println("reflex daemon: --log-format (or REFLEX_LOG_FORMAT) must be text or json, was '"
                    + logFormat + "'");
            return 2;
        }
        PrintStream stderr = System.err;
        log = format.equals("json") ? JsonLines.install() : null;
        try {
            return runLogged();
        } finally {
            if (log != null) {
                System.err.flush();
                System.setErr(stderr);
            }
        }
    }

    /**
     * The control API's decoder swap: reads a decoder file (bounded, checked), requires it to match the run's
     * channels, bin width and rate, and hands it to the session, which swaps it in between two bins.
     */
    static Json.Obj swapFromFile(ReflexConfig cfg, ClosedLoopSession session, java.nio.file.Path file)
            throws InterruptedException {
        io.reflex.decoders.linear.DecoderFile.Contents c = io.reflex.decoders.linear.DecoderFile.read(file);
        c.requireMatches(cfg.source.channels, cfg.pipeline.binWidthUs, cfg.source.sampleRateHz);
        int generation = session.swapDecoder(c.decoder(), 5_000);
        return Json.object().put("swapped", true).put("decoder", c.type()).put("generation", generation)
                .put("file", file.toAbsolutePath().toString());
    }

    /** The structured log, or null for text. */
    private JsonLines log;

    private Integer runLogged() throws Exception {
        ReflexConfig cfg;
        try {
            cfg = ReflexConfig.load(config);
            if (engines != null) {
                cfg.decoder.engines = new java.util.ArrayList<>(engines);
                cfg.validate();
            }
        } catch (ConfigException e) {
            System.err.println("reflex daemon: " + e.getMessage());
            return 2;
        }
        if (check) {
            System.out.println(cfg.toJson());
            // The sizing goes to stderr so that stdout stays the config JSON.
            long heap = Runtime.getRuntime().maxMemory();
            System.err.print("reflex daemon: config valid; heap it will allocate, at least:\n"
                    + cfg.footprint().describe(heap));
            try {
                System.err.print("reflex daemon: journal disk space now:\n" + RunJournals.check(cfg));
            } catch (ConfigException e) {
                System.err.println("reflex daemon: " + e.getMessage());
                return 2;
            }
            return 0;
        }
        ProgressPrinter progress = new ProgressPrinter(System.err, false, log);
        try (RunJournals journals = new RunJournals(cfg, progress::onNotice)) {
            return run(cfg, progress, journals);
        }
    }

    private int run(ReflexConfig cfg, ProgressPrinter progress, RunJournals journals) throws Exception {
        StimRun stim = null;
        if (cfg.stim != null) {
            try {
                stim = StimRun.start(cfg, cfg.stim, progress::onNotice, journals.guard, journals.faults);
                progress.suffix(stim::progressStatus);
            } catch (ConfigException e) {
                System.err.println("reflex daemon: " + e.getMessage());
                return 2;
            }
        }
        ControlState control = cfg.control.enabled ? new ControlState(progress, stim,
                cfg.control.telemetryChannels.stream().mapToInt(Integer::intValue).toArray()) : null;
        ClosedLoopSession.Context sc = new ClosedLoopSession.Context().config(cfg)
                .listener(control != null ? control : progress)
                .journalFaults(journals.faults).spaceGuard(journals.guard);
        if (control != null) {
            // The control API (status, telemetry) reads the session's progress snapshot: take it at least as often
            // as telemetry is sent (on the session's thread, never the pipeline's).
            sc.tickMs(Math.max(16, Math.min(500, 1000 / cfg.control.telemetryHz)));
            // The last emitted output, copied off the critical path by an observer.
            sc.observer("control", control.outputObserver());
        }
        if (stim != null) {
            sc.sink(stim.system().stage());
        }
        ClosedLoopSession session = new ClosedLoopSession(sc);
        CountDownLatch reported = new CountDownLatch(1);
        final StimRun stimRun = stim;
        // SIGTERM and POST /api/stop end the run the same way: stimulation stops first (the next frame disarms
        // and sends a stop-all), then the pipeline drains.
        java.util.function.Consumer<String> stopRun = reason -> {
            if (control != null) {
                control.stopping();
            }
            if (stimRun != null) {
                stimRun.requestShutdown(reason);
            }
            session.requestStop();
        };
        ControlServer server = null;
        if (control != null) {
            server = new ControlServer(cfg, control, stopRun, stimRun == null ? null : stimRun.control());
            server.decoderSwap(file -> swapFromFile(cfg, session, file));
            server.dataJournal((who, act) -> session.journalControlAction(who, act[0], act[1]));
            try {
                server.start(System.err);
            } catch (ConfigException e) {
                // Nothing is left behind: the token file goes, the log closes.
                server.close();
                System.err.println("reflex daemon: " + e.getMessage());
                if (stim != null) {
                    stim.close();
                }
                return 2;
            }
        }
        Thread hook = new Thread(() -> {
            stopRun.accept("SIGTERM: daemon shutting down");
            try {
                // The JVM exits when this hook returns: wait until the journal is closed and the summary printed.
                reported.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "reflex-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            SessionReport report = session.run();
            progress.endLine();
            if (stim != null) {
                // Disarm (stop-all), wait for the stimulator's ACKs, stop the watchdog, close the outputs and
                // flush and close the stimulation journal, before the summary is written.
                stim.close();
            }
            if (json) {
                Json.Obj o = Reports.json(report);
                if (stim != null) {
                    stim.addJson(o);
                }
                System.out.println(o.toJson());
            } else {
                System.out.print(Reports.text(report));
                if (stim != null) {
                    System.out.print(stim.text());
                }
            }
            System.out.flush();
            if (report.failure != null) {
                System.err.println("reflex daemon: the run failed: " + report.failure);
            }
            if (RunJournals.faulted(report)) {
                return RunJournals.EXIT_JOURNAL_FAULT;
            }
            if (stim != null && stim.faultLatched()) {
                System.err.println("reflex daemon: the run ended with a stimulation fault latched: "
                        + stim.system().controller().faultReason());
                return StimRun.EXIT_STIM_FAULT;
            }
            return report.failure != null ? EXIT_RUN_FAILED : 0;
        } catch (ConfigException e) {
            System.err.println("reflex daemon: " + e.getMessage());
            return 2;
        } finally {
            if (server != null) {
                server.close();
            }
            if (stim != null) {
                stim.close();
            }
            reported.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Already shutting down (SIGTERM): the hook is running and now returns.
            }
        }
    }
}
