package io.reflex.tools;

import io.reflex.runtime.agent.ErrorHandler;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.journal.FreeSpaceGuard;
import io.reflex.runtime.journal.JournalFaults;
import io.reflex.runtime.lsl.LslBackend;
import io.reflex.runtime.lsl.LslConfig;
import io.reflex.runtime.stim.StimConfig;
import io.reflex.runtime.stim.StimSystem;
import io.reflex.runtime.time.NanoClock;
import io.reflex.stim.StimController;
import io.reflex.stim.StimFault;
import io.reflex.stim.driver.SimulatedStimulator;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** The stimulation part of {@code reflex demo --stim}: builds the {@link StimSystem} and reports on it. */
final class StimRun implements AutoCloseable {
    /** Fault messages printed per run; the journal keeps every one. */
    static final int MAX_FAULT_NOTICES = 20;
    /** Exit code of a run that ended with a stimulation fault latched (a journal fault, exit 4, comes first). */
    static final int EXIT_STIM_FAULT = 3;
    private final StimSystem system;
    private final Path journalDir;
    private boolean closed;
    private long unsafeEmitted;
    private long simulatorReceived;
    private long stopAllReceived;

    private StimRun(StimSystem system, Path journalDir) {
        this.system = system;
        this.journalDir = journalDir;
    }

    /**
     * The demo's stimulation: the {@code stim} section of {@code --config} when it has one, else the defaults;
     * armed at the first fresh decode (with the section's {@code armOnStart} reason, else "closed loop started");
     * {@code --stim-udp} / {@code --stim-lsl} add mirrors.
     */
    static StimRun startDemo(ReflexConfig c, String udp, boolean lsl, Consumer<String> notices,
                             FreeSpaceGuard guard, JournalFaults faults) {
        StimConfig sc = c.stim != null ? c.stim : new StimConfig();
        if (udp != null) {
            sc.udp = udp;
        }
        if (lsl) {
            sc.lsl = true;
        }
        if (sc.armOnStart == null) {
            sc.armOnStart = "closed loop started";
        }
        return start(c, sc.validate(), notices, guard, faults);
    }

    /**
     * Starts stimulation as {@code sc} describes, its journal under {@code c.journal.dir} unless
     * {@code sc.journalDir} is set. Stimulation faults go to {@code notices} when they happen (the first
     * {@value #MAX_FAULT_NOTICES}; all of them are in the journal), whatever the progress display. The stimulation
     * journal's free space is watched by {@code guard} and its fault goes to {@code faults}; any journal fault
     * reported there stops stimulation.
     *
     * @throws io.reflex.runtime.config.ConfigException naming the key when something is refused
     */
    static StimRun start(ReflexConfig c, StimConfig sc, Consumer<String> notices, FreeSpaceGuard guard,
                         JournalFaults faults) {
        Path dir = StimSystem.journalDir(sc, c.journal.dir);
        LslBackend backend = null;
        if (sc.lsl) {
            LslConfig net = switch (sc.lslNetwork) {
                case "loopback" -> LslConfig.loopback();
                case "default" -> LslConfig.fromEnvironment();
                default -> LslConfig.load(Path.of(sc.lslNetwork));
            };
            backend = LslBackend.select("java", net,
                    (where, message, cause) -> System.err.println("reflex lsl: " + where + ": " + message));
        }
        AtomicInteger shown = new AtomicInteger();
        ErrorHandler errors = (source, error) -> {
            // Faults are told at once (a daemon may run for hours); warnings such as a refused arm go to the
            // summary and the journal.
            if (StimSystem.FAULT_SOURCE.equals(source)) {
                int n = shown.incrementAndGet();
                if (n <= MAX_FAULT_NOTICES) {
                    notices.accept("STIMULATION FAULT: " + error.getMessage());
                } else if (n == MAX_FAULT_NOTICES + 1) {
                    notices.accept("further stimulation fault messages are not shown (see the stimulation journal)");
                }
            }
        };
        StimSystem s = StimSystem.start(sc, dir, c.pipeline.binWidthUs, NanoClock.SYSTEM, backend, errors, guard,
                faults);
        return new StimRun(s, dir);
    }

    StimSystem system() {
        return system;
    }

    /** True when a stimulation fault is latched (the run must say so in its exit code). */
    boolean faultLatched() {
        return system.controller().faultCode() != StimFault.NONE;
    }

    /** For the progress line: empty, or the latched fault. */
    String progressStatus() {
        StimController ctl = system.controller();
        int fault = ctl.faultCode();
        return fault == StimFault.NONE ? "  stim " + StimController.stateName(ctl.state())
                : "  STIM FAULT " + StimFault.name(fault);
    }

    void addJson(Json.Obj o) {
        StimController ctl = system.controller();
        Json.Obj rejected = Json.object();
        for (Map.Entry<String, Long> e : system.rejectedByReason().entrySet()) {
            rejected.put(e.getKey(), e.getValue());
        }
        o.put("stim_issued", ctl.issued())
                .put("stim_proposed", system.stage().proposals())
                .put("stim_rejected", rejected)
                .put("unsafe_emitted", unsafeEmitted)
                .put("stim_simulator_received", simulatorReceived)
                .put("stim_stop_all_received", stopAllReceived)
                .put("watchdog_bound_us", system.watchdog().boundNs() / 1000)
                .put("watchdog_trips", system.watchdog().trips())
                .put("stim_fault", StimFault.name(ctl.faultCode()))
                .put("stim_fault_reason", ctl.faultReason())
                .put("stim_journal", journalDir.toAbsolutePath().toString())
                .put("stim_journal_records", system.journal().records());
    }

    String text() {
        StimController ctl = system.controller();
        return String.format(Locale.ROOT, "  stimulation  %d trains issued of %d proposed; rejected %s; unsafe emitted"
                        + " %d (judged by the simulated stimulator, %d received); watchdog bound %d us, trips %d;"
                        + " fault %s%s%n  stim journal: %s (%d records)%n", ctl.issued(), system.stage().proposals(),
                system.rejectedByReason(), unsafeEmitted, simulatorReceived, system.watchdog().boundNs() / 1000,
                system.watchdog().trips(), StimFault.name(ctl.faultCode()),
                ctl.faultReason() == null ? "" : " (" + ctl.faultReason() + ")", journalDir.toAbsolutePath(),
                system.journal().records());
    }

    /** Stops stimulation from any thread (e.g. the SIGTERM hook): the next frame disarms, nothing more is issued. */
    void requestShutdown(String reason) {
        system.stage().requestShutdown(reason);
    }

    /** Closes stimulation and takes the simulator's final counts. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        system.close();
        SimulatedStimulator sim = system.simulator();
        if (sim != null) {
            unsafeEmitted = sim.violations();
            simulatorReceived = sim.commandsReceived();
            stopAllReceived = sim.stopAllReceived();
        }
    }
}
