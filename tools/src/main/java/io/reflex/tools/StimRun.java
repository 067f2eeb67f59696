package io.reflex.tools;

import io.reflex.lsl.JavaOutlet;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.LslConfig;
import io.reflex.lsl.LslError;
import io.reflex.runtime.agent.ErrorHandler;
import io.reflex.runtime.agent.RateLimitedErrorHandler;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.journal.FreeSpaceGuard;
import io.reflex.runtime.journal.JournalFaults;
import io.reflex.runtime.stim.LslStimOutlet;
import io.reflex.runtime.stim.StimConfig;
import io.reflex.runtime.stim.StimSystem;
import io.reflex.stim.StimController;
import io.reflex.stim.StimFault;
import io.reflex.stim.StimulatorDriver;
import io.reflex.stim.driver.SimulatedStimulator;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.agrona.concurrent.SystemNanoClock;

/** The stimulation part of {@code reflex demo --stim}: builds the {@link StimSystem} and reports on it. */
final class StimRun implements AutoCloseable {
    /** Fault messages printed per run; the journal keeps every one. */
    static final int MAX_FAULT_NOTICES = 20;
    /** Exit code of a run that ended with a stimulation fault latched (a journal fault, exit 4, comes first). */
    static final int EXIT_STIM_FAULT = 3;
    /**
     * Queue budget of one consumer of the stimulation outlet ({@code stim.lsl}): about 1,800 commands of 16
     * electrodes, minutes of a closed loop's triggers, so a consumer that never reads costs at most this much.
     */
    static final long STIM_LSL_CONSUMER_MAX_BYTES = 256L << 10;
    /** LSL errors of one kind shown on stderr before one summary per {@link #LSL_ERROR_SUMMARY_NS} takes over. */
    static final int LSL_ERRORS_SHOWN = 5;
    static final long LSL_ERROR_SUMMARY_NS = 10_000_000_000L;
    /** Time an arm request from the control API has, beyond the stimulator's connect timeout, to be taken up. */
    static final long ARM_GRACE_NS = 3_000_000_000L;
    private final StimSystem system;
    private final Path journalDir;
    private final long armWaitNs;
    private final RateLimitedErrorHandler lslErrors;
    private boolean closed;
    private long unsafeEmitted;
    private long simulatorReceived;
    private long stopAllReceived;
    private long linkLossStops;

    private StimRun(StimSystem system, Path journalDir, RateLimitedErrorHandler lslErrors, long armWaitNs) {
        this.system = system;
        this.armWaitNs = armWaitNs;
        this.journalDir = journalDir;
        this.lslErrors = lslErrors;
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
     * @throws io.reflex.runtime.check.ConfigException naming the key when something is refused
     */
    static StimRun start(ReflexConfig c, StimConfig sc, Consumer<String> notices, FreeSpaceGuard guard,
                         JournalFaults faults) {
        Path dir = StimSystem.journalDir(sc, c.journal.dir);
        LslBackend backend = null;
        RateLimitedErrorHandler lslErrors = null;
        if (sc.lsl) {
            LslConfig net = switch (sc.lslNetwork) {
                case "loopback" -> LslConfig.loopback();
                case "default" -> LslConfig.fromEnvironment();
                default -> LslConfig.load(Path.of(sc.lslNetwork));
            };
            net.outletConsumerMaxBytes(Math.min(net.outletConsumerMaxBytes(), STIM_LSL_CONSUMER_MAX_BYTES));
            lslErrors = lslErrorHandler();
            backend = LslBackend.select("java", net, lslErrorsByKind(lslErrors));
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
        StimSystem s = StimSystem.start(sc, dir, c.pipeline.binWidthUs, SystemNanoClock.INSTANCE, backend, errors, guard,
                faults);
        return new StimRun(s, dir, lslErrors, sc.connectTimeoutMs * 1_000_000L + ARM_GRACE_NS);
    }

    /**
     * LSL errors (peers refused, cut off, accepts failing) on stderr, rate-limited: the first
     * {@value #LSL_ERRORS_SHOWN} of a kind, then one summary per 10 s; all of them counted. Its code path is run
     * once here on a throwaway handler so that every class it needs is loaded now: a process out of file
     * descriptors cannot load a class from a directory, and the error it must report is exactly that.
     */
    static RateLimitedErrorHandler lslErrorHandler() {
        ErrorHandler print = (kind, error) -> System.err.println("reflex lsl: "
                + (error instanceof RateLimitedErrorHandler.RepeatedError ? kind + ": " : "") + error.getMessage());
        RateLimitedErrorHandler warmUp = new RateLimitedErrorHandler((kind, error) -> { }, 1, 1, System::nanoTime);
        org.agrona.ErrorHandler byKind = lslErrorsByKind(warmUp);
        byKind.onError(new LslError("outlet 'x' connection /127.0.0.1:1", "class loading", null));
        byKind.onError(new LslError("outlet 'x' connection /127.0.0.1:2", "class loading", null));
        warmUp.flush();
        return new RateLimitedErrorHandler(print, LSL_ERRORS_SHOWN, LSL_ERROR_SUMMARY_NS, System::nanoTime);
    }

    /**
     * Passes LSL errors on as they come (an {@link LslError}: its message is {@code where: what}), one kind per
     * component: the error's {@link LslError#where()} with the peer's address left out.
     */
    static org.agrona.ErrorHandler lslErrorsByKind(RateLimitedErrorHandler limited) {
        return error -> {
            if (!(error instanceof LslError e)) {
                limited.onError("lsl", error); // the LSL library reports nothing else
                return;
            }
            String where = e.where();
            int peer = where.indexOf(" connection ");
            String kind = peer < 0 ? where : where.substring(0, peer + " connection".length());
            limited.onError("lsl " + kind, error);
        };
    }

    /** The stimulation LSL outlet ({@code stim.lsl}), or null. */
    private LslStimOutlet lslOutlet() {
        for (StimulatorDriver m : system.monitors()) {
            if (m instanceof LslStimOutlet l) {
                return l;
            }
        }
        return null;
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
                .put("stim_simulator_link_loss_stops", linkLossStops)
                .put("watchdog_bound_us", system.watchdog().boundNs() / 1000)
                .put("watchdog_trips", system.watchdog().trips())
                .put("stim_fault", StimFault.name(ctl.faultCode()))
                .put("stim_fault_reason", ctl.faultReason())
                .put("stim_journal", journalDir.toAbsolutePath().toString())
                .put("stim_journal_records", system.journal().records())
                .put("watchdog_late_frames", system.stage().lateHeartbeats());
        LslStimOutlet lsl = lslOutlet();
        if (lsl != null) {
            Json.Obj l = Json.object().put("stream", lsl.outlet().info().name()).put("samples", lsl.samples());
            if (lsl.outlet() instanceof JavaOutlet jo) {
                l.put("consumers", jo.consumers())
                        .put("connections_accepted", jo.connectionsAccepted())
                        .put("requests_refused", jo.requestsRefused())
                        .put("connections_shed", jo.connectionsShed())
                        .put("handshake_timeouts", jo.handshakeTimeouts())
                        .put("accept_failures", jo.acceptFailures())
                        .put("dropped_samples", jo.droppedSamples())
                        .put("errors", jo.errors());
            }
            l.put("errors_reported", lslErrors == null ? 0 : lslErrors.total());
            o.put("stim_lsl_outlet", l);
        }
    }

    String text() {
        StimController ctl = system.controller();
        return String.format(Locale.ROOT, "  stimulation  %d trains issued of %d proposed; rejected %s; unsafe emitted"
                        + " %d (judged by the simulated stimulator, %d received); watchdog bound %d us, trips %d;"
                        + " fault %s%s%n  stim journal: %s (%d records)%n", ctl.issued(), system.stage().proposals(),
                system.rejectedByReason(), unsafeEmitted, simulatorReceived, system.watchdog().boundNs() / 1000,
                system.watchdog().trips(), StimFault.name(ctl.faultCode()),
                ctl.faultReason() == null ? "" : " (" + ctl.faultReason() + ")", journalDir.toAbsolutePath(),
                system.journal().records()) + lslText();
    }

    private String lslText() {
        LslStimOutlet lsl = lslOutlet();
        if (lsl == null || !(lsl.outlet() instanceof JavaOutlet jo)) {
            return "";
        }
        return String.format(Locale.ROOT, "  stim lsl outlet '%s': %d samples; %d connections, %d refused, %d shed,"
                        + " %d handshake timeouts, %d failed accepts, %d samples dropped, %d errors%n",
                lsl.outlet().info().name(), lsl.samples(), jo.connectionsAccepted(), jo.requestsRefused(),
                jo.connectionsShed(), jo.handshakeTimeouts(), jo.acceptFailures(), jo.droppedSamples(), jo.errors());
    }

    /**
     * What the control API may do to this run's stimulation. Arming and disarming are handed to the pipeline's
     * emit thread, which owns the controller ({@link io.reflex.runtime.stim.StimStage#requestArm},
     * {@link StimController#requestDisarm}); an e-stop cuts the link from the calling thread. Only the calling
     * (HTTP) thread ever waits.
     */
    ControlServer.Stim control() {
        StimController ctl = system.controller();
        return new ControlServer.Stim() {
            @Override
            public String arm(String reason) throws InterruptedException {
                io.reflex.runtime.stim.StimStage.ArmRequest r = system.stage().requestArm(reason, armWaitNs);
                try {
                    return r.outcome().get(armWaitNs + ARM_GRACE_NS, java.util.concurrent.TimeUnit.NANOSECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    if (r.withdraw()) {
                        return "no frame reached the stimulation stage within " + armWaitNs / 1_000_000
                                + " ms (is the run live?); not armed";
                    }
                    // Taken up by the emit thread: arming is one journal record away.
                    try {
                        return r.outcome().get(ARM_GRACE_NS, java.util.concurrent.TimeUnit.NANOSECONDS);
                    } catch (java.util.concurrent.TimeoutException stuck) {
                        return "the pipeline has not finished arming within " + (armWaitNs + 2 * ARM_GRACE_NS)
                                / 1_000_000 + " ms; the outcome is unknown, see GET /api/status";
                    } catch (java.util.concurrent.ExecutionException ee) {
                        return "arming failed: " + ee.getCause();
                    }
                } catch (java.util.concurrent.ExecutionException e) {
                    return "arming failed: " + e.getCause();
                }
            }

            @Override
            public void disarm(String reason) throws InterruptedException {
                io.reflex.runtime.stim.StimStage.ArmRequest arming = system.stage().withdrawArm(
                        "withdrawn by a disarm");
                if (arming != null) {
                    // The emit thread is arming on it now (one journal record): let it finish, so that the disarm
                    // queued below is applied after the arm, not before it.
                    try {
                        arming.outcome().get(ARM_GRACE_NS, java.util.concurrent.TimeUnit.NANOSECONDS);
                    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                        // Disarm anyway; a stuck emit thread trips the watchdog.
                    }
                }
                ctl.requestDisarm(reason);
            }

            @Override
            public void estop(String reason) {
                system.stage().withdrawArm("withdrawn by an e-stop");
                ctl.estop(reason);
            }

            @Override
            public boolean armed() {
                return ctl.isArmed();
            }

            @Override
            public String fault() {
                int f = ctl.faultCode();
                return f == StimFault.NONE ? null : StimFault.name(f) + ": " + ctl.faultReason();
            }
        };
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
        if (lslErrors != null) {
            lslErrors.flush();
        }
        SimulatedStimulator sim = system.simulator();
        if (sim != null) {
            unsafeEmitted = sim.violations();
            simulatorReceived = sim.commandsReceived();
            stopAllReceived = sim.stopAllReceived();
            linkLossStops = sim.linkLossStops();
        }
    }
}
