package io.reflex.tools;

import java.io.PrintStream;

import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.session.ClosedLoopSession;
import io.reflex.runtime.session.SessionReport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code reflex daemon --config FILE}: the closed loop, headless. SIGTERM (or Ctrl-C) ends the live phase; the
 * pipeline drains, the journal is closed with every frame in it, the summary is printed, and only then does the
 * JVM exit. With {@code --serve} the daemon and its control API stay up between runs ({@link DaemonRuns}): a run
 * ends (stopped over the API, over, or failed) and the next starts when the API asks, disarmed.
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

    @Option(names = "--serve", description = "Keep the daemon and its control API up after a run ends (stopped"
            + " with POST /api/run/stop, run.seconds over, or a fault) and start the next with POST /api/run/start,"
            + " the same config, a new journal, stimulation disarmed. Needs control.enabled. SIGTERM ends the daemon:"
            + " exit code the highest of its runs' (143 when every run ended with 0).")
    boolean serve;

    @Option(names = "--engine", paramLabel = "NAME[,NAME...]", split = ",",
            description = "Engine chain of a model decoder (lfads, snn), in order of preference; overrides the"
                    + " config's decoder.engines.")
    java.util.List<String> engines;

    @Option(names = "--counters", paramLabel = "FILE", description = "Keep the run's counters (run, phase, heartbeat,"
            + " the pipeline's counters) in this memory-mapped file, for `reflex counters FILE` to read from outside"
            + " while the daemon runs; the file goes when the daemon exits.")
    java.nio.file.Path countersPath;

    /** The counters of --counters, or null. */
    private io.reflex.runtime.session.SessionCounters sessionCounters;

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
     * channels, bin width and rate, opens a saved LFADS or SNN decoder on the run's engine chain ({@code
     * decoder.engines}, without the {@code decoder.injectFault} drill), and hands it to the session, which swaps it
     * in between two bins.
     */
    static Json.Obj swapFromFile(ReflexConfig cfg, ClosedLoopSession session, java.nio.file.Path file)
            throws InterruptedException {
        io.reflex.decoders.file.DecoderFile.Contents c = io.reflex.decoders.file.DecoderFile.read(file);
        c.requireMatches(cfg.source.channels, cfg.pipeline.binWidthUs, cfg.source.sampleRateHz);
        io.reflex.decoders.Decoder next = c.isModel()
                ? c.openModel(io.reflex.runtime.config.DecoderCatalog.engines(c.type(), cfg.decoder.engines,
                cfg.decoder.engineOptions)) : c.decoder();
        int generation;
        try {
            generation = session.swapDecoder(next, 5_000);
        } catch (RuntimeException | InterruptedException e) {
            if (next instanceof AutoCloseable ac) {
                try {
                    ac.close();
                } catch (Exception ignored) {
                    // the refusal is what the operator needs to see
                }
            }
            throw e;
        }
        return Json.object().put("swapped", true).put("decoder", c.type()).put("generation", generation)
                .put("file", file.toAbsolutePath().toString());
    }

    /**
     * The control API's model swap: a decoder by name ({@code lfads}, {@code snn}, {@code kalman}, {@code wiener})
     * with its options, built on the run's engine chain and fitted on its calibration block by the session, then
     * swapped in between two bins.
     */
    static Json.Obj swapModel(ClosedLoopSession session, String decoder, java.util.Map<String, String> options)
            throws InterruptedException {
        int generation = session.swapModel(decoder, options, 10_000);
        Json.Obj o = Json.object().put("swapped", true).put("decoder", decoder).put("generation", generation)
                .put("engine", session.liveEngine());
        String model = session.liveModel();
        if (model != null) {
            o.put("model", model);
        }
        return o;
    }

    /** The control API's decoder swaps (file or model) on the daemon's live run. */
    static ControlServer.DecoderSwap decoderSwap(ReflexConfig cfg, java.util.function.Supplier<ClosedLoopSession> run) {
        return new ControlServer.DecoderSwap() {
            @Override
            public Json.Obj swap(java.nio.file.Path file) throws InterruptedException {
                return swapFromFile(cfg, live(), file);
            }

            @Override
            public Json.Obj swapModel(String decoder, java.util.Map<String, String> options)
                    throws InterruptedException {
                return DaemonCommand.swapModel(live(), decoder, options);
            }

            private ClosedLoopSession live() {
                ClosedLoopSession s = run.get();
                if (s == null) {
                    throw new IllegalStateException("no run is live");
                }
                return s;
            }
        };
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
        if (serve && !cfg.control.enabled) {
            System.err.println("reflex daemon: --serve keeps the control API up between runs, so it needs"
                    + " control.enabled true");
            return 2;
        }
        ProgressPrinter progress = new ProgressPrinter(System.err, false, log);
        if (countersPath == null) {
            return daemon(cfg, progress);
        }
        io.reflex.runtime.agent.CountersFile counters;
        try {
            counters = io.reflex.runtime.agent.CountersFile.create(countersPath,
                    io.reflex.runtime.session.SessionCounters.COUNT);
        } catch (IllegalStateException e) {
            System.err.println("reflex daemon: --counters: " + e.getMessage());
            return 2;
        }
        try (counters) {
            sessionCounters = new io.reflex.runtime.session.SessionCounters(counters);
            return daemon(cfg, progress);
        }
    }

    /** How one run ended: its exit code and, when not 0, why. */
    private record RunEnd(int exit, String fault) {
    }

    /**
     * The daemon: the control API (when enabled) for its whole life, the first run with the config as it is, and
     * with {@code --serve} every run asked for after it; returns the highest exit code of its runs.
     */
    private int daemon(ReflexConfig cfg, ProgressPrinter progress) throws Exception {
        DaemonRuns runs = new DaemonRuns(serve);
        RunJournals journals = new RunJournals(cfg, progress::onNotice);
        StimRun stim = null;
        if (cfg.stim != null) {
            try {
                stim = StimRun.start(cfg, cfg.stim, progress::onNotice, journals.guard, journals.faults);
            } catch (ConfigException e) {
                journals.close();
                System.err.println("reflex daemon: " + e.getMessage());
                return 2;
            }
        }
        ControlState control = cfg.control.enabled ? new ControlState(progress, stim,
                cfg.control.telemetryChannels.stream().mapToInt(Integer::intValue).toArray()) : null;
        ControlServer server = null;
        if (control != null) {
            control.runs(runs::json);
            // SIGTERM and POST /api/stop end the daemon the same way: the live run stops (stimulation first: the
            // next frame disarms and sends a stop-all, then the pipeline drains) and no other starts.
            server = new ControlServer(cfg, control, runs::shutdown, stim == null ? null : runs.stimControl());
            server.decoderSwap(decoderSwap(cfg, runs::session));
            server.dataJournal((who, act) -> runs.journalControlAction(who, act[0], act[1]));
            server.runs(runs);
            try {
                server.start(System.err);
            } catch (ConfigException e) {
                // Nothing is left behind: the token file goes, the log closes.
                server.close();
                System.err.println("reflex daemon: " + e.getMessage());
                if (stim != null) {
                    stim.close();
                }
                journals.close();
                return 2;
            }
        }
        CountDownLatch reported = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            runs.shutdown("SIGTERM: daemon shutting down");
            try {
                // The JVM exits when this hook returns: wait until the journal is closed and the summary printed.
                reported.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            int worst = runs.worstExit();
            if (serve && worst != 0) {
                // A JVM ended by SIGTERM exits 143; a daemon that held a failed run must say so in its exit code.
                // Everything is closed and written by now.
                System.out.flush();
                System.err.flush();
                Runtime.getRuntime().halt(worst);
            }
        }, "reflex-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            ReflexConfig runCfg = cfg;
            String runName = ClosedLoopSession.defaultRunName();
            DaemonRuns.Start start = null;
            int number = 1;
            // why the run asked for could not start (its stimulation was refused), or null
            String startFailure = null;
            while (true) {
                RunEnd end;
                if (startFailure == null) {
                    end = runOnce(runCfg, number, runName, start, progress, journals, stim, control, runs);
                } else {
                    end = new RunEnd(EXIT_RUN_FAILED, "run " + number + " could not start: " + startFailure);
                }
                journals = null;
                stim = null;
                if (runs.ended(end.exit(), end.fault())) {
                    control.idle();
                    control.onNotice("run " + number + " ended, exit " + end.exit() + (end.fault() == null ? ""
                            : ": " + end.fault()) + "; serving on: POST /api/run/start starts run " + (number + 1)
                            + "; SIGTERM exits " + (runs.worstExit() == 0 ? "143" : runs.worstExit()));
                }
                start = runs.awaitStart();
                if (start == null) {
                    return runs.worstExit();
                }
                number = start.number();
                control.onNotice("run " + number + " starting (" + start.who() + ", reason \"" + start.reason()
                        + "\")" + (cfg.stim != null ? "; stimulation disarmed" : ""));
                runName = ClosedLoopSession.defaultRunName() + "-" + number;
                startFailure = null;
                try {
                    runCfg = laterRun(cfg, number, runName);
                    journals = new RunJournals(runCfg, progress::onNotice);
                    if (runCfg.stim != null) {
                        stim = StimRun.start(runCfg, runCfg.stim, progress::onNotice, journals.guard,
                                journals.faults);
                    }
                } catch (ConfigException e) {
                    if (journals != null) {
                        journals.close();
                        journals = null;
                    }
                    startFailure = e.getMessage();
                    System.err.println("reflex daemon: " + e.getMessage());
                }
            }
        } finally {
            if (server != null) {
                server.close();
            }
            if (stim != null) {
                stim.close();
            }
            if (journals != null) {
                journals.close();
            }
            reported.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Already shutting down (SIGTERM): the hook is running and now returns.
            }
        }
    }

    /**
     * The config of run {@code number} (2 and on) of a daemon with {@code --serve}: the daemon's, with stimulation
     * disarmed at start whatever {@code stim.armOnStart} says (a restart never arms by itself) and its own
     * stimulation journal: {@code <journal.dir>/stim-<time>-<pid>-<number>}, or {@code <stim.journalDir>-run-<number>}
     * when that is set.
     */
    static ReflexConfig laterRun(ReflexConfig cfg, int number, String runName) {
        ReflexConfig c = ReflexConfig.parse(cfg.toJson());
        if (c.stim != null) {
            c.stim.armOnStart = null;
            c.stim.journalDir = c.stim.journalDir != null ? c.stim.journalDir + "-run-" + number
                    : java.nio.file.Path.of(c.journal.dir).resolve("stim-" + runName.substring("run-".length()))
                    .toString();
            c.stim.validate();
        }
        return c;
    }

    /**
     * One run: the session with the control API's listener and observer, its summary on stdout; closes the run's
     * stimulation and journal protection.
     */
    private RunEnd runOnce(ReflexConfig cfg, int number, String runName, DaemonRuns.Start start,
                           ProgressPrinter progress, RunJournals journals, StimRun stim, ControlState control,
                           DaemonRuns runs) throws InterruptedException {
        try {
            if (stim != null) {
                progress.suffix(stim::progressStatus);
            }
            if (control != null && number > 1) {
                control.newRun(stim);
            }
            ClosedLoopSession.Context sc = new ClosedLoopSession.Context().config(cfg)
                    .listener(control != null ? control : progress)
                    .journalFaults(journals.faults).spaceGuard(journals.guard).runName(runName)
                    .counters(sessionCounters);
            if (control != null) {
                // The control API (status, telemetry) reads the session's progress snapshot: take it at least as
                // often as telemetry is sent (on the session's thread, never the pipeline's).
                sc.tickMs(Math.max(16, Math.min(500, 1000 / cfg.control.telemetryHz)));
                // The last emitted output, copied off the critical path by an observer.
                sc.observer("control", control.outputObserver());
            }
            if (stim != null) {
                sc.sink(stim.system().stage());
            }
            ClosedLoopSession session = new ClosedLoopSession(sc);
            if (start != null) {
                // Queued now, written into the new run's data journal after its first frame.
                session.journalControlAction(start.who(), "run-start", "run " + number + " started; reason \""
                        + start.reason() + "\"");
            }
            Consumer<String> stopRun = reason -> {
                if (control != null) {
                    control.stopping();
                }
                if (stim != null) {
                    stim.requestShutdown(reason);
                }
                session.requestStop();
            };
            runs.running(session, stim, cfg.journal.enabled ? java.nio.file.Path.of(cfg.journal.dir).resolve(runName)
                    .toAbsolutePath().normalize().toString() : null, stopRun);
            SessionReport report;
            try {
                report = session.run();
            } catch (ConfigException e) {
                System.err.println("reflex daemon: " + e.getMessage());
                return new RunEnd(2, e.getMessage());
            }
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
                if (serve) {
                    o.put("run_number", number);
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
                return new RunEnd(RunJournals.EXIT_JOURNAL_FAULT, "journal fault: " + (report.journalFault != null
                        ? report.journalFault : report.stimJournalFault));
            }
            if (stim != null && stim.faultLatched()) {
                String why = stim.system().controller().faultReason();
                System.err.println("reflex daemon: the run ended with a stimulation fault latched: " + why);
                return new RunEnd(StimRun.EXIT_STIM_FAULT, "stimulation fault latched: " + why);
            }
            return report.failure != null ? new RunEnd(EXIT_RUN_FAILED, "the run failed: " + report.failure)
                    : new RunEnd(0, null);
        } finally {
            if (stim != null) {
                stim.close();
            }
            journals.close();
        }
    }
}
