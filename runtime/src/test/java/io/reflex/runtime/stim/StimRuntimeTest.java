package io.reflex.runtime.stim;

import static io.reflex.runtime.TestClocks.clockAt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.decoders.DecodeStatus;
import io.reflex.lsl.InletOptions;
import io.reflex.lsl.JavaInlet;
import io.reflex.lsl.JavaOutlet;
import io.reflex.lsl.LslConfig;
import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.pipeline.Frame;
import io.reflex.stim.InMemoryStimJournal;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimController;
import io.reflex.stim.StimEvent;
import io.reflex.stim.StimFault;
import io.reflex.stim.StimVerdict;
import io.reflex.stim.StimWatchdog;
import io.reflex.stim.StimulatorDriver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.CachedNanoClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class StimRuntimeTest {
    @TempDir
    Path dir;

    private static StimCommand command() {
        StimCommand c = new StimCommand();
        c.addChannel(1);
        c.addChannel(5);
        return c.symmetric(40_000, 100_000, 20_000).pulseCount(3).frequencyMilliHz(100_000).triggerTimeNs(777);
    }

    @Test
    void chronicleJournalRoundTripsAndFailsOnceClosed() {
        ChronicleStimJournal j = ChronicleStimJournal.open(dir.resolve("stim"));
        assertThat(j.recordEvent(1, StimEvent.ARMED, 0, "go")).isZero();
        assertThat(j.recordCommand(9, 2, command(), StimVerdict.ACCEPTED)).isZero();
        j.close();
        assertThat(j.recordCommand(10, 3, command(), StimVerdict.ACCEPTED)).isEqualTo(ChronicleStimJournal.FAILED);
        List<String> seen = new ArrayList<>();
        long n = ChronicleStimJournal.read(dir.resolve("stim"), new ChronicleStimJournal.Visitor() {
            @Override
            public void command(long sequence, long timeNs, int verdict, StimCommand c) {
                seen.add(sequence + " " + StimVerdict.name(verdict) + " " + c.sameAs(StimRuntimeTest.command()));
            }

            @Override
            public void event(long timeNs, int event, int code, String reason) {
                seen.add(StimEvent.name(event) + " " + reason);
            }
        });
        assertThat(n).isEqualTo(3);
        assertThat(seen).containsExactly("journal_opened stimulation journal opened", "armed go", "9 accepted true");
    }

    @Test
    void chronicleJournalKeepsStopAllsWithTheirSequenceAndCommandsWithTheirInputTime() {
        ChronicleStimJournal j = ChronicleStimJournal.open(dir.resolve("stim-seq"));
        assertThat(j.recordCommand(4, 2, command().inputTimeNs(1_234), StimVerdict.ACCEPTED)).isZero();
        assertThat(j.recordStopAll(5, 3)).isZero();
        j.close();
        List<String> seen = new ArrayList<>();
        ChronicleStimJournal.read(dir.resolve("stim-seq"), new ChronicleStimJournal.Visitor() {
            @Override
            public void command(long sequence, long timeNs, int verdict, StimCommand c) {
                seen.add("command " + sequence + " input " + c.inputTimeNs());
            }

            @Override
            public void event(long timeNs, int event, int code, String reason) {
            }

            @Override
            public void stopAll(long sequence, long timeNs) {
                seen.add("stop_all " + sequence + " at " + timeNs);
            }
        });
        assertThat(seen).containsExactly("command 4 input 1234", "stop_all 5 at 3");
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aCommandDecidedOnStaleInputNeverReachesTheStimulator() {
        StimConfig cfg = new StimConfig();
        cfg.armOnStart = "test: closed loop started";
        cfg.maxInputAgeMs = 50;
        // The send path must refuse on its own: a watchdog that would see the stop only later (10 s timeouts
        // stand for a watchdog thread not yet scheduled) must not be what stops the command.
        cfg.heartbeatTimeoutUs = 10_000_000;
        cfg.decoderTimeoutUs = 10_000_000;
        cfg.linkHeartbeatIntervalMs = 1_000; // nor the link's own silence timeout
        cfg.linkHeartbeatTimeoutMs = 10_000;
        CachedNanoClock clock = clockAt(System.nanoTime());
        Path journalDir = dir.resolve("stale");
        final long t = clock.nanoTime();
        try (StimSystem s = StimSystem.start(cfg, journalDir, 20_000, clock::nanoTime, null, (src, err) -> { })) {
            armThroughFrames(s, () -> frame(0, 0f, t, t + 5_000_000));
            // The process was stopped for 2 s: the bin that comes out now was acquired 2 s ago, and it crosses the
            // threshold.
            clock.advance(2_000_000_000L);
            s.stage().emit(frame(1, 0.5f, t, clock.nanoTime() + 5_000_000));
            assertThat(s.stage().proposals()).isEqualTo(1);
            assertThat(s.controller().issued()).isZero();
            assertThat(s.controller().rejected(StimVerdict.STALE_INPUT)).as("fault %s", s.controller().faultReason())
                    .isEqualTo(1);
            assertThat(s.controller().faultCode()).isEqualTo(StimFault.STALE_INPUT);
            assertThat(s.controller().faultReason()).contains("2000000 us old").contains("not sent");
            // Frames reach the stimulator in order: once the fault's stop-all has arrived, a command sent before
            // it would have arrived too.
            while (s.simulator().stopAllReceived() < 1) {
                Thread.onSpinWait();
            }
            assertThat(s.simulator().commandsReceived()).isZero();
        }
        List<String> journaled = new ArrayList<>();
        ChronicleStimJournal.read(journalDir, new ChronicleStimJournal.Visitor() {
            @Override
            public void command(long sequence, long timeNs, int verdict, StimCommand c) {
                journaled.add(StimVerdict.name(verdict) + " input " + c.inputTimeNs());
            }

            @Override
            public void event(long timeNs, int event, int code, String reason) {
            }

            @Override
            public void stopAll(long sequence, long timeNs) {
                journaled.add("stop_all");
            }
        });
        assertThat(journaled).as("the refused command with its input time, then the fault's stop-all")
                .startsWith(StimVerdict.name(StimVerdict.STALE_INPUT) + " input " + t, "stop_all");
    }

    /**
     * A stimulator that answers the start-up probe (its first connection) like a real one and then stalls every
     * session HELLO, never answering.
     */
    private static final class ProbeThenStall implements AutoCloseable {
        final java.net.ServerSocket server = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        final java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.atomic.AtomicInteger stalledHellos = new java.util.concurrent.atomic.AtomicInteger();
        final List<java.net.Socket> held = new java.util.concurrent.CopyOnWriteArrayList<>();

        ProbeThenStall() throws java.io.IOException {
            Thread t = new Thread(this::serve, "probe-then-stall");
            t.setDaemon(true);
            t.start();
        }

        private void serve() {
            try {
                try (java.net.Socket probe = server.accept()) {
                    probe.getInputStream().read(new byte[2048]);
                    io.reflex.stim.driver.StimWire w = new io.reflex.stim.driver.StimWire();
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(64).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    w.begin(b, io.reflex.stim.driver.StimWire.HELLO_ACK, 1);
                    b.putShort((short) io.reflex.stim.driver.StimWire.VERSION).putShort((short) 64);
                    w.finish(b, 0);
                    probe.getOutputStream().write(b.array(), 0, b.position());
                    probe.getInputStream().read();
                }
                while (true) {
                    java.net.Socket s = server.accept();
                    held.add(s);
                    if (s.getInputStream().read(new byte[2048]) > 0) {
                        stalledHellos.incrementAndGet();
                    }
                }
            } catch (java.io.IOException e) {
                // closed at the end of the test
            }
        }

        @Override
        public void close() throws java.io.IOException {
            server.close();
            for (java.net.Socket s : held) {
                s.close();
            }
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aStimulatorStallingTheSessionHelloNeverHoldsThePipelineThread() throws Exception {
        try (ProbeThenStall stim = new ProbeThenStall()) {
            StimConfig cfg = new StimConfig();
            cfg.armOnStart = "test: closed loop started";
            cfg.stimulator = "tcp:127.0.0.1:" + stim.server.getLocalPort();
            cfg.connectTimeoutMs = 300;
            cfg.heartbeatTimeoutUs = 10_000_000;
            cfg.decoderTimeoutUs = 10_000_000;
            List<String> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
            try (StimSystem s = StimSystem.start(cfg, dir.resolve("stall"), 20_000, System::nanoTime, null,
                    (src, err) -> errors.add(err.getMessage()))) {
                long until = System.nanoTime() + 20_000_000_000L;
                long frames = 0;
                long framesWhileConnecting = 0;
                long longestEmitNs = 0;
                // Every attempt the stage makes (StimStage.AUTO_ARM_ATTEMPTS) fails at the deadline.
                while (s.link().connectFailures() < StimStage.AUTO_ARM_ATTEMPTS
                        || s.link().linkState() == io.reflex.stim.StimLink.LINK_CONNECTING) {
                    assertThat(System.nanoTime()).isLessThan(until);
                    long now = System.nanoTime();
                    s.stage().emit(frame(frames++, 0f, now, now + 5_000_000));
                    longestEmitNs = Math.max(longestEmitNs, System.nanoTime() - now);
                    if (s.link().linkState() == io.reflex.stim.StimLink.LINK_CONNECTING) {
                        framesWhileConnecting++;
                    }
                }
                // The pipeline ran on while each handshake hung: many frames, none of them held for the deadline.
                assertThat(stim.stalledHellos.get()).isEqualTo(StimStage.AUTO_ARM_ATTEMPTS);
                assertThat(framesWhileConnecting).isGreaterThan(3);
                assertThat(longestEmitNs).as("longest emit").isLessThan(cfg.connectTimeoutMs * 1_000_000L);
                assertThat(s.controller().isArmed()).isFalse();
                assertThat(s.controller().lastRefusal()).contains("not connected")
                        .contains("not complete within the connect deadline of 300 ms");
                assertThat(errors).anyMatch(e -> e.contains("arm refused"));
            }
        }
    }

    @Test
    void unsafeConfigIsRefusedNamingTheKey() {
        StimConfig c = new StimConfig();
        c.shannonK = 1.9;
        assertThatThrownBy(c::envelope).isInstanceOf(ConfigException.class)
                .hasMessageContaining("shannonK = 1.9 is unsafe");
        StimConfig d = new StimConfig();
        d.maxAmplitudeNa = 0;
        assertThatThrownBy(d::envelope).hasMessageContaining("maxAmplitudeNa must be in [1, 20000000], was 0");
        StimConfig e = new StimConfig();
        e.stimulator = "serial";
        assertThatThrownBy(e::validate).hasMessageContaining("stim.stimulator");
    }

    /** A fresh decode of a bin acquired at {@code acquiredNs}. */
    private static Frame frame(long seq, float vx, long acquiredNs, long deadlineNs) {
        Frame f = new Frame(4, 2, 2, 2);
        f.acquisitionTimeS = acquiredNs * 1e-9;
        f.sequence = seq;
        f.decoderGeneration = 1;
        f.decodeStatus = DecodeStatus.OK;
        f.deadlineNs = deadlineNs;
        f.output[0] = vx;
        return f;
    }

    /**
     * Emits fresh frames until the stage has opened the link (on the driver's thread) and armed; fails past a 10 s
     * deadline.
     */
    static void armThroughFrames(StimSystem s, java.util.function.Supplier<Frame> frames) {
        long until = System.nanoTime() + 10_000_000_000L;
        while (!s.controller().isArmed()) {
            assertThat(System.nanoTime()).as("armed within 10 s; link %s, refusal %s",
                    s.link().alarm(), s.controller().lastRefusal()).isLessThan(until);
            s.stage().emit(frames.get());
            Thread.onSpinWait();
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void stageArmsOnFirstDecodeStimulatesOnThresholdAndStopsOnADeadlineMiss() {
        StimConfig cfg = new StimConfig();
        cfg.armOnStart = "test: closed loop started";
        CachedNanoClock clock = clockAt(System.nanoTime());
        try (StimSystem s = StimSystem.start(cfg, dir.resolve("j"), 20_000, clock::nanoTime, null,
                (src, err) -> { })) {
            StimStage stage = s.stage();
            StimController ctl = s.controller();
            long t = clock.nanoTime();
            armThroughFrames(s, () -> frame(0, 0f, t, t + 5_000_000));
            assertThat(ctl.state()).isEqualTo(StimController.ARMED);
            stage.emit(frame(1, 0.3f, t, t + 5_000_000));
            assertThat(ctl.issued()).isEqualTo(1);
            assertThat(ctl.state()).isEqualTo(StimController.ACTIVE);
            // hysteresis: staying above the threshold does not re-trigger
            clock.advance(20_000_000);
            stage.emit(frame(2, 0.3f, clock.nanoTime(), clock.nanoTime() + 5_000_000));
            assertThat(stage.proposals()).isEqualTo(1);
            // a frame that missed its deadline stops stimulation
            clock.advance(20_000_000);
            Frame late = frame(3, 0f, clock.nanoTime(), clock.nanoTime() - 1);
            late.flags |= Frame.FLAG_DEADLINE_MISS | Frame.FLAG_SAFE_OUTPUT;
            stage.emit(late);
            assertThat(ctl.state()).isEqualTo(StimController.DISARMED);
            assertThat(ctl.faultCode()).isEqualTo(StimFault.DEADLINE_MISS);
            clock.advance(20_000_000);
            stage.emit(frame(4, 0f, clock.nanoTime(), clock.nanoTime() + 5_000_000));
            clock.advance(300_000_000); // past the policy's 200 ms refractory period
            stage.emit(frame(5, 0.5f, clock.nanoTime(), clock.nanoTime() + 5_000_000));
            assertThat(stage.proposals()).isEqualTo(2);
            assertThat(ctl.issued()).isEqualTo(1);
            assertThat(ctl.rejected(StimVerdict.FAULT_LATCHED)).isEqualTo(1);
            // the simulated stimulator saw the one command and judged it safe
            while (s.simulator().commandsReceived() < 1) {
                Thread.onSpinWait();
            }
            assertThat(s.simulator().violations()).isZero();
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aStalledPipelineTripsTheWatchdogThreadWhichCutsTheStimulatorLink() {
        StimConfig cfg = new StimConfig();
        cfg.armOnStart = "test: closed loop started";
        cfg.threshold = -100; // every fresh frame proposes; the policy's rate limit keeps it within the envelope
        cfg.heartbeatTimeoutUs = 100_000; // generous: first-use costs (class loading, JIT) must not trip it early
        cfg.decoderTimeoutUs = 100_000;
        try (StimSystem s = StimSystem.start(cfg, dir.resolve("j2"), 5_000, System::nanoTime, null,
                (src, err) -> { })) {
            StimStage stage = s.stage();
            armThroughFrames(s, () -> frame(0, -200f, System.nanoTime(), System.nanoTime() + 500_000_000L));
            for (int i = 1; i < 5; i++) {
                stage.emit(frame(i, i % 2 == 0 ? 1f : -200f, System.nanoTime(), System.nanoTime() + 500_000_000L));
            }
            long lastFrameNs = System.nanoTime();
            assertThat(s.controller().issued()).as("refusal %s, rejected %s", s.controller().lastRefusal(),
                    s.rejectedByReason()).isPositive();
            // frames stop: the watchdog thread (100 ms timeouts, 1 ms poll) must cut the link on its own
            while (s.watchdog().trips() == 0) {
                Thread.onSpinWait();
            }
            assertThat(s.watchdog().lastTripAtNs() - lastFrameNs).as("tripped for lateness, not before")
                    .isGreaterThan(95_000_000L);
            while (s.simulator().commandsReceived() < s.controller().issued()) {
                Thread.onSpinWait();
            }
            while (s.simulator().stimulating()) {
                Thread.onSpinWait();
            }
            assertThat(s.simulator().linkLossStops()).isEqualTo(1);
            assertThat(s.simulator().violations()).isZero();
            stage.emit(frame(9, 1f, System.nanoTime(), System.nanoTime() + 50_000_000L));
            assertThat(s.controller().faultCode()).isEqualTo(StimFault.WATCHDOG);
            assertThat(s.controller().faultReason()).contains("late");
            assertThat(s.watchdog().boundNs()).isEqualTo(101_000_000L);
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void lslOutletPublishesAcceptedCommandsOnLoopback() {
        ErrorHandler quiet = e -> { };
        LslConfig config = LslConfig.loopback();
        JavaOutlet outlet = new JavaOutlet(LslStimOutlet.streamInfo("stim-test-" + ProcessHandle.current().pid(), 4),
                config, quiet);
        try (LslStimOutlet stim = new LslStimOutlet(outlet, 4);
             JavaInlet inlet = new JavaInlet(outlet.info().toBuilder().v4address("127.0.0.1").build(), config,
                     new InletOptions(), quiet)) {
            inlet.open(5);
            while (!outlet.haveConsumers()) {
                Thread.onSpinWait();
            }
            assertThat(stim.send(42, command())).isZero();
            long[] sample = new long[LslStimOutlet.FIXED_COLUMNS + 4];
            double ts = inlet.pullSample(sample, 5);
            assertThat(ts).isEqualTo(777e-9);
            assertThat(sample).containsExactly(1, 42, 777, 40_000, 100_000, 20_000, 40_000, 100_000, 100_000, 3, 0, 2,
                    1, 5, -1, -1);
        }
    }

    /**
     * The whole process was stopped (SIGSTOP) and every thread resumed at once: the pipeline thread ran first, so
     * the watchdog's own thread never saw the gap. The stage judges the gap itself and latches the fault before the
     * frame (fresh input, deadline not passed) can propose anything. No watchdog thread here: only the stage acts.
     */
    @Test
    void aLateFrameTripsTheWatchdogFaultOnThePipelineThreadItself() {
        StimConfig cfg = new StimConfig();
        cfg.threshold = -100; // a frame at 1 crosses it, one at -200 re-arms the hysteresis
        cfg.refractoryMs = 0;
        CachedNanoClock clock = clockAt(1_000_000_000L);
        StimWatchdog watchdog = new StimWatchdog.Context().clock(clock::nanoTime).heartbeatTimeoutNs(60_000_000L)
                .decoderTimeoutNs(60_000_000L).conclude();
        List<Long> sent = new ArrayList<>();
        StimController ctl = new StimController.Context().envelope(cfg.envelope())
                .journal(new InMemoryStimJournal(64)).driver(new StimulatorDriver() {
                    @Override
                    public String name() {
                        return "recording";
                    }

                    @Override
                    public int send(long sequence, StimCommand command) {
                        sent.add(sequence);
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
                }).clock(clock::nanoTime).errorHandler(e -> { }).interlocks(watchdog).conclude();
        watchdog.controller(ctl);
        StimStage stage = new StimStage(ctl, watchdog, cfg.policy(), clock::nanoTime, "test", null);
        stage.emit(frame(0, -200f, clock.nanoTime(), clock.nanoTime() + 5_000_000));
        assertThat(ctl.isArmed()).isTrue();
        clock.advance(20_000_000);
        stage.emit(frame(1, 1f, clock.nanoTime(), clock.nanoTime() + 5_000_000));
        assertThat(sent).hasSize(1);
        clock.advance(20_000_000);
        stage.emit(frame(2, -200f, clock.nanoTime(), clock.nanoTime() + 5_000_000));
        // stopped for 2 s; the first frame after it crosses the threshold, has fresh input and a deadline ahead
        clock.advance(2_000_000_000L);
        stage.emit(frame(3, 1f, clock.nanoTime(), clock.nanoTime() + 5_000_000));
        assertThat(ctl.faultCode()).isEqualTo(StimFault.WATCHDOG);
        assertThat(ctl.faultReason()).contains("pipeline heartbeat late: 2000000 us", "seen by the pipeline thread");
        assertThat(stage.lateHeartbeats()).isEqualTo(1);
        assertThat(sent).as("nothing sent after the gap").hasSize(1);
        assertThat(watchdog.trips()).as("the watchdog's thread never ran").isZero();
    }
}
