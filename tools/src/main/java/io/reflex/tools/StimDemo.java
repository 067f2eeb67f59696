package io.reflex.tools;

import io.reflex.runtime.agent.ErrorHandler;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.lsl.LslBackend;
import io.reflex.runtime.lsl.LslConfig;
import io.reflex.runtime.stim.StimConfig;
import io.reflex.runtime.stim.StimSystem;
import io.reflex.runtime.time.NanoClock;
import io.reflex.stim.StimController;
import io.reflex.stim.StimFault;
import io.reflex.stim.driver.SimulatedStimulator;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;

/** The stimulation part of {@code reflex demo --stim}: builds the {@link StimSystem} and reports on it. */
final class StimDemo implements AutoCloseable {
    private final StimSystem system;
    private final Path journalDir;
    private boolean closed;
    private long unsafeEmitted;
    private long simulatorReceived;
    private long stopAllReceived;

    private StimDemo(StimSystem system, Path journalDir) {
        this.system = system;
        this.journalDir = journalDir;
    }

    static StimDemo start(ReflexConfig c, String udp, boolean lsl) {
        StimConfig sc = new StimConfig();
        sc.udp = udp;
        sc.lsl = lsl;
        String run = "stim-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-"
                + ProcessHandle.current().pid();
        Path dir = sc.journalDir != null ? Path.of(sc.journalDir) : Path.of(c.journal.dir).resolve(run);
        LslBackend backend = lsl ? LslBackend.select("java", LslConfig.loopback(),
                (where, message, cause) -> System.err.println("reflex lsl: " + where + ": " + message)) : null;
        ErrorHandler errors = (source, error) -> {
            // stimulation alarms are reported in the summary; nothing is printed mid-run
        };
        StimSystem s = StimSystem.start(sc, dir, c.pipeline.binWidthUs, NanoClock.SYSTEM, backend, errors);
        return new StimDemo(s, dir);
    }

    StimSystem system() {
        return system;
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
