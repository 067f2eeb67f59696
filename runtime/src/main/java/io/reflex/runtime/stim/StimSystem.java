package io.reflex.runtime.stim;

import io.reflex.decoders.DecodeStatus;
import io.reflex.lsl.LslBackend;
import io.reflex.runtime.agent.Agents;
import io.reflex.runtime.agent.ErrorHandler;
import io.reflex.runtime.check.Addresses;
import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.journal.FreeSpaceGuard;
import io.reflex.runtime.journal.JournalFaults;
import io.reflex.runtime.pipeline.Frame;
import io.reflex.stim.InMemoryStimJournal;
import io.reflex.stim.SafetyEnvelope;
import io.reflex.stim.StimAlarm;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimController;
import io.reflex.stim.StimFault;
import io.reflex.stim.StimLink;
import io.reflex.stim.StimVerdict;
import io.reflex.stim.StimWatchdog;
import io.reflex.stim.StimulatorDriver;
import io.reflex.stim.driver.FileStimSink;
import io.reflex.stim.driver.SimulatedStimulator;
import io.reflex.stim.driver.TcpStimulatorDriver;
import io.reflex.stim.driver.TeeDriver;
import io.reflex.stim.driver.UdpStimSink;
import io.reflex.stim.policy.StimPolicy;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;

/**
 * Everything closed-loop stimulation needs for one run, built from a {@link StimConfig}: the envelope, the
 * write-ahead {@link ChronicleStimJournal}, the stimulator (an in-process {@link SimulatedStimulator} on loopback,
 * or a TCP stimulator), optional UDP and LSL monitor outputs, the {@link StimController}, the {@link StimWatchdog}
 * on a thread of its own, the policy, and the {@link StimStage} to add to the pipeline as a sink.
 *
 * <p>Start-up refuses unsafe envelopes, unreachable stimulators and unwritable journals with a
 * {@link ConfigException}. The simulated stimulator gets a random per-run session token that only this process
 * knows and hands to its driver in-process: no other local process can open a session with it. The stimulator
 * link is opened on the driver's own thread when stimulation is about to be armed (see {@link StimStage}); the
 * pipeline never waits on it. {@link #close()} stops the watchdog, the outputs and the simulator, in that order.
 */
public final class StimSystem implements AutoCloseable {
    /**
     * The error source under which stimulation faults (stimulation stopped, a fault latched, the link cut) reach
     * the {@link ErrorHandler}, when they happen, from the thread that saw them; warnings come as {@code stim}.
     */
    public static final String FAULT_SOURCE = "stim-fault";

    private final StimConfig cfg;
    private final SafetyEnvelope envelope;
    private final ChronicleStimJournal journal;
    private final SimulatedStimulator simulator;
    private final TcpStimulatorDriver stimulator;
    private final List<StimulatorDriver> monitors = new ArrayList<>();
    private final StimController controller;
    private final StimWatchdog watchdog;
    private final AgentRunner watchdogRunner;
    private final ErrorHandler errorHandler;
    private final StimPolicy policy;
    private final StimStage stage;
    private final List<String> alarms = new ArrayList<>();

    private StimSystem(StimConfig cfg, Path journalDir, long binWidthUs, NanoClock clock, LslBackend lsl,
                       ErrorHandler errorHandler, FreeSpaceGuard guard, JournalFaults faults) throws IOException {
        this.cfg = cfg.validate();
        this.errorHandler = errorHandler;
        this.envelope = cfg.envelope();
        this.policy = cfg.policy();
        org.agrona.ErrorHandler stimErrors = error -> {
            boolean fatal = StimAlarm.isFatal(error);
            synchronized (alarms) {
                if (alarms.size() < 100) {
                    alarms.add((fatal ? "fatal: " : "warning: ") + error.getMessage());
                }
            }
            errorHandler.onError(fatal ? FAULT_SOURCE : "stim", error);
        };
        long defaultTimeoutUs = 3 * binWidthUs;
        watchdog = new StimWatchdog.Context().clock(clock::nanoTime)
                .heartbeatTimeoutNs((cfg.heartbeatTimeoutUs > 0 ? cfg.heartbeatTimeoutUs : defaultTimeoutUs) * 1000)
                .decoderTimeoutNs((cfg.decoderTimeoutUs > 0 ? cfg.decoderTimeoutUs : defaultTimeoutUs) * 1000)
                .pollIntervalNs(cfg.watchdogPollUs * 1000).conclude();
        SimulatedStimulator sim = null;
        TcpStimulatorDriver tcp = null;
        ChronicleStimJournal j = null;
        try {
            InetAddress host;
            int port;
            byte[] token = null;
            if (cfg.stimulator.equals("simulated")) {
                token = SimulatedStimulator.newSessionToken();
                sim = new SimulatedStimulator(cfg.envelope(), 0, null, token);
                host = InetAddress.getLoopbackAddress();
                port = sim.port();
            } else {
                host = Addresses.unicast("stim.stimulator", cfg.stimulator, 4, "tcp:HOST:PORT");
                port = StimConfig.port(cfg.stimulator.substring(4));
            }
            tcp = new TcpStimulatorDriver.Context().host(host).port(port).clock(clock::nanoTime)
                    .heartbeatIntervalNs(cfg.linkHeartbeatIntervalMs * 1_000_000L)
                    .heartbeatTimeoutNs(cfg.linkHeartbeatTimeoutMs * 1_000_000L)
                    .ackTimeoutNs(cfg.ackTimeoutMs * 1_000_000L).connectTimeoutMs(cfg.connectTimeoutMs)
                    .sessionToken(token).conclude();
            try {
                // Probe now (bounded by connectTimeoutMs in total) so that an unreachable stimulator is refused at
                // start-up; the session's link is opened when stimulation is armed, because its heartbeats ride on
                // the frames.
                tcp.probe();
            } catch (IOException e) {
                throw new ConfigException("stim.stimulator", e.getMessage());
            }
            if (cfg.udp != null) {
                // The same rule as --check, applied to the address as resolved now (DNS may have changed).
                InetAddress udpHost = Addresses.unicast("stim.udp", cfg.udp, 0, "HOST:PORT");
                try {
                    monitors.add(new UdpStimSink(udpHost, StimConfig.port(cfg.udp)));
                } catch (IOException | IllegalArgumentException e) {
                    throw new ConfigException("stim.udp", "cannot send to " + cfg.udp + ": " + e.getMessage());
                }
            }
            if (cfg.file != null) {
                try {
                    monitors.add(new FileStimSink(Path.of(cfg.file)));
                } catch (IOException e) {
                    throw new ConfigException("stim.file", e.getMessage());
                }
            }
            if (cfg.lsl) {
                if (lsl == null) {
                    throw new ConfigException("stim.lsl", "an LSL outlet was asked for but no LSL backend is set up");
                }
                monitors.add(LslStimOutlet.open(lsl, cfg.lslName, envelope.context().maxChannelsPerCommand()));
            }
            j = ChronicleStimJournal.open(journalDir, guard, faults);
        } catch (IOException | RuntimeException e) {
            for (StimulatorDriver m : monitors) {
                m.close();
            }
            if (tcp != null) {
                tcp.close();
            }
            if (sim != null) {
                sim.close();
            }
            throw e;
        }
        simulator = sim;
        stimulator = tcp;
        journal = j;
        StimulatorDriver driver = monitors.isEmpty() ? tcp
                : new TeeDriver(tcp, stimErrors, monitors.toArray(new StimulatorDriver[0]));
        controller = new StimController.Context().envelope(envelope).journal(journal).driver(driver)
                .clock(clock::nanoTime).errorHandler(stimErrors).interlocks(watchdog)
                .maxInputAgeNs(cfg.maxInputAgeMs * 1_000_000L).conclude();
        watchdog.controller(controller);
        if (faults != null) {
            // Without its record the run cannot go on stimulating: either journal's fault stops stimulation (a
            // stop-all from the owning thread at its next frame) and latches until an explicit reset.
            faults.listener((which, reason) -> controller.requestFault(StimFault.JOURNAL, which + " fault: "
                    + reason));
        }
        long parkNs = Math.max(10_000L, cfg.watchdogPollUs * 1000 / 4);
        watchdogRunner = Agents.start(watchdog, new IdleStrategy() {
            @Override
            public void idle(int workCount) {
                LockSupport.parkNanos(parkNs);
            }

            @Override
            public void idle() {
                LockSupport.parkNanos(parkNs);
            }

            @Override
            public void reset() {
            }
        }, errorHandler);
        stage = new StimStage(controller, watchdog, policy, clock, cfg.armOnStart, tcp);
        warmUp(cfg);
    }

    /**
     * Runs the stimulation code path (policy, controller, envelope, in-memory journal, a null driver) a few
     * thousand times on throwaway instances so that the JIT compiles it before the first frame: at 50 frames per
     * second it would otherwise stay interpreted for minutes, and interpreted atomics cost tens of microseconds.
     */
    private static void warmUp(StimConfig cfg) {
        long[] t = {1_000_000_000L};
        StimController c = new StimController.Context().envelope(cfg.envelope())
                .journal(new InMemoryStimJournal(16)).driver(new WarmUpDriver()).clock(() -> t[0])
                .errorHandler(e -> { }).conclude();
        InMemoryStimJournal j = (InMemoryStimJournal) c.context().journal();
        StimWatchdog w = new StimWatchdog.Context().clock(() -> t[0]).conclude();
        StimStage stage = new StimStage(c, w, cfg.policy(), () -> t[0], "jit warm-up (throwaway controller)", null);
        Frame f = new Frame(1, 1, 1, Math.max(2, cfg.variable + cfg.stateCount + 1));
        f.decoderGeneration = 1;
        f.decodeStatus = DecodeStatus.OK;
        for (int i = 0; i < 20_000; i++) {
            t[0] += 20_000_000L;
            f.deadlineNs = t[0] + 1_000_000_000L;
            f.acquisitionTimeS = (t[0] - 1_000_000L) * 1e-9;
            f.output[cfg.variable] = (i & 1) == 0 ? 1e6f : -1e6f;
            stage.emit(f);
            if (j.size() > 8) {
                j.clear();
            }
        }
    }

    /** Accepts everything; only for {@link #warmUp}. */
    private static final class WarmUpDriver implements StimulatorDriver {
        @Override
        public String name() {
            return "warm-up";
        }

        @Override
        public int send(long sequence, StimCommand command) {
            return OK;
        }

        @Override
        public int stopAll(long sequence) {
            return OK;
        }

        @Override
        public int doWork(long nowNs) {
            return 0;
        }

        @Override
        public boolean isConnected() {
            return true;
        }

        @Override
        public void abort() {
        }

        @Override
        public String alarm() {
            return null;
        }

        @Override
        public void close() {
        }
    }

    /** The stimulator link (state, failed attempts, alarm). */
    public StimLink link() {
        return stimulator;
    }

    /**
     * Builds and starts stimulation for a run.
     *
     * @param journalDir  write-ahead journal directory
     * @param binWidthUs  the pipeline's bin width (the watchdog's default timeouts are 3 bins)
     * @param lsl         LSL backend for the outlet (may be null when {@code stim.lsl} is false)
     * @throws ConfigException naming the key when something is refused
     */
    public static StimSystem start(StimConfig cfg, Path journalDir, long binWidthUs, NanoClock clock, LslBackend lsl,
                                   ErrorHandler errorHandler) {
        return start(cfg, journalDir, binWidthUs, clock, lsl, errorHandler, null, null);
    }

    /**
     * Builds and starts stimulation for a run whose journals are guarded.
     *
     * @param guard  watches the stimulation journal's free space (refused at start below the reserve plus one
     *               block), or null
     * @param faults the run's journal faults: the stimulation journal reports to it, and any fault reported there
     *               stops stimulation ({@link StimController#requestFault}); or null
     * @throws ConfigException naming the key when something is refused
     */
    public static StimSystem start(StimConfig cfg, Path journalDir, long binWidthUs, NanoClock clock, LslBackend lsl,
                                   ErrorHandler errorHandler, FreeSpaceGuard guard, JournalFaults faults) {
        try {
            return new StimSystem(cfg, journalDir, binWidthUs, clock, lsl, errorHandler, guard, faults);
        } catch (IOException e) {
            throw new ConfigException("stim", "cannot start stimulation outputs: " + e.getMessage());
        }
    }

    /**
     * The write-ahead journal directory of a run: {@code stim.journalDir} when set, else a new
     * {@code stim-<yyyyMMdd-HHmmss>-<pid>} directory under {@code journalRoot} (the run journal's parent).
     */
    public static Path journalDir(StimConfig cfg, String journalRoot) {
        if (cfg.journalDir != null) {
            return Path.of(cfg.journalDir);
        }
        String run = "stim-" + java.time.LocalDateTime.now().format(
                java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-" + ProcessHandle.current().pid();
        return Path.of(journalRoot).resolve(run);
    }

    /** The pipeline sink. */
    public StimStage stage() {
        return stage;
    }

    public StimController controller() {
        return controller;
    }

    public StimWatchdog watchdog() {
        return watchdog;
    }

    public SafetyEnvelope envelope() {
        return envelope;
    }

    public ChronicleStimJournal journal() {
        return journal;
    }

    /** The in-process simulated stimulator, or null when a real one is configured. */
    public SimulatedStimulator simulator() {
        return simulator;
    }

    /** Monitor outputs (UDP, LSL). */
    public List<StimulatorDriver> monitors() {
        return monitors;
    }

    /** Alarms and warnings reported so far (first 100). */
    public List<String> alarms() {
        synchronized (alarms) {
            return new ArrayList<>(alarms);
        }
    }

    /** Commands rejected, by reason name (only reasons that occurred). */
    public Map<String, Long> rejectedByReason() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int v = 1; v < StimVerdict.COUNT; v++) {
            long n = controller.rejected(v);
            if (n > 0) {
                m.put(StimVerdict.name(v), n);
            }
        }
        return m;
    }

    /**
     * Disarms, waits (up to 500 ms) for the stimulator to acknowledge every frame sent, then stops the watchdog and
     * closes the outputs, the journal and the simulator. Call after the pipeline has stopped: the calling thread
     * becomes the controller's owner.
     */
    @Override
    public void close() {
        controller.disarm("stimulation shut down");
        long until = System.nanoTime() + 500_000_000L;
        while (stimulator.isConnected() && stimulator.outstanding() > 0 && System.nanoTime() < until) {
            controller.doWork();
            Thread.onSpinWait();
        }
        Agents.close(watchdogRunner, errorHandler);
        for (StimulatorDriver m : monitors) {
            m.close();
        }
        stimulator.close();
        journal.close();
        if (simulator != null) {
            simulator.close();
        }
    }
}
