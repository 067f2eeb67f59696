package io.reflex.runtime.stim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.decoders.DecodeStatus;
import io.reflex.runtime.config.ConfigException;
import io.reflex.runtime.lsl.JavaInlet;
import io.reflex.runtime.lsl.JavaOutlet;
import io.reflex.runtime.lsl.InletOptions;
import io.reflex.runtime.lsl.LslConfig;
import io.reflex.runtime.lsl.LslErrorHandler;
import io.reflex.runtime.pipeline.Frame;
import io.reflex.stim.ManualNanoClock;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimController;
import io.reflex.stim.StimEvent;
import io.reflex.stim.StimFault;
import io.reflex.stim.StimVerdict;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

    private static Frame frame(long seq, float vx, long deadlineNs) {
        Frame f = new Frame(4, 2, 2, 2);
        f.sequence = seq;
        f.decoderGeneration = 1;
        f.decodeStatus = DecodeStatus.OK;
        f.deadlineNs = deadlineNs;
        f.output[0] = vx;
        return f;
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void stageArmsOnFirstDecodeStimulatesOnThresholdAndStopsOnADeadlineMiss() {
        StimConfig cfg = new StimConfig();
        cfg.armOnStart = "test: closed loop started";
        ManualNanoClock clock = new ManualNanoClock(System.nanoTime());
        try (StimSystem s = StimSystem.start(cfg, dir.resolve("j"), 20_000, clock::nanoTime, null,
                (src, err) -> { })) {
            StimStage stage = s.stage();
            StimController ctl = s.controller();
            long t = clock.nanoTime();
            stage.emit(frame(0, 0f, t + 5_000_000));
            assertThat(ctl.state()).isEqualTo(StimController.ARMED);
            stage.emit(frame(1, 0.3f, t + 5_000_000));
            assertThat(ctl.issued()).isEqualTo(1);
            assertThat(ctl.state()).isEqualTo(StimController.ACTIVE);
            // hysteresis: staying above the threshold does not re-trigger
            clock.advance(20_000_000);
            stage.emit(frame(2, 0.3f, clock.nanoTime() + 5_000_000));
            assertThat(stage.proposals()).isEqualTo(1);
            // a frame that missed its deadline stops stimulation
            clock.advance(20_000_000);
            Frame late = frame(3, 0f, clock.nanoTime() - 1);
            late.flags |= Frame.FLAG_DEADLINE_MISS | Frame.FLAG_SAFE_OUTPUT;
            stage.emit(late);
            assertThat(ctl.state()).isEqualTo(StimController.DISARMED);
            assertThat(ctl.faultCode()).isEqualTo(StimFault.DEADLINE_MISS);
            clock.advance(20_000_000);
            stage.emit(frame(4, 0f, clock.nanoTime() + 5_000_000));
            clock.advance(300_000_000); // past the policy's 200 ms refractory period
            stage.emit(frame(5, 0.5f, clock.nanoTime() + 5_000_000));
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
            for (int i = 0; i < 5; i++) {
                stage.emit(frame(i, i % 2 == 0 ? 1f : -200f, System.nanoTime() + 500_000_000L));
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
            stage.emit(frame(9, 1f, System.nanoTime() + 50_000_000L));
            assertThat(s.controller().faultCode()).isEqualTo(StimFault.WATCHDOG);
            assertThat(s.controller().faultReason()).contains("late");
            assertThat(s.watchdog().boundNs()).isEqualTo(101_000_000L);
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void lslOutletPublishesAcceptedCommandsOnLoopback() {
        LslErrorHandler quiet = (w, m, c) -> { };
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
}
