package io.reflex.runtime.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.decoders.DecodeStatus;
import io.reflex.runtime.journal.Journal;
import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.pipeline.Stage;
import io.reflex.runtime.stim.ChronicleStimJournal;
import io.reflex.runtime.stim.StimConfig;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimEvent;
import io.reflex.stim.StimVerdict;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rate limiter's tolerance of {@link StimReplay}: only a decision whose bound falls inside the range of live
 * clock readings the frames' stamps allow is tolerated, a clear one is a disagreement.
 */
class StimReplayTest {
    private static final long BIN_NS = 20_000_000L;
    private static final long T0_NS = 1_000_000_000_000L;
    /** Frames: decode stamp (ns after T0) and the decoded value; emit stamps 1 ms after. */
    private static final long[] DECODE_NS = {0, BIN_NS, 2 * BIN_NS, 3 * BIN_NS, 4 * BIN_NS, 99_900_000L, 6 * BIN_NS};
    private static final float[] VALUE = {1, 0, 1, 0, 0, 1, 0};

    private static StimConfig cfg() {
        StimConfig c = new StimConfig();
        c.threshold = 0.5;
        c.hysteresis = 0;
        c.refractoryMs = 100;
        c.maxTriggersPerSecond = 5;
        return c.validate();
    }

    private static Path runJournal(Path dir) {
        Path run = dir.resolve("run");
        try (Journal j = Journal.open(run, "{\"version\":3,\"config\":{}}")) {
            j.onStart();
            Frame f = new Frame(1, 1, 1, 2);
            for (int k = 0; k < DECODE_NS.length; k++) {
                f.sequence = k;
                f.decodeStatus = DecodeStatus.OK;
                f.decoderGeneration = 1;
                f.stampNs[Stage.DECODE.ordinal()] = T0_NS + DECODE_NS[k];
                f.stampNs[Stage.EMIT.ordinal()] = T0_NS + DECODE_NS[k] + 1_000_000L;
                f.acquisitionTimeS = (T0_NS + DECODE_NS[k] - 1_000_000L) * 1e-9;
                f.deadlineNs = T0_NS + DECODE_NS[k] + 50_000_000L;
                f.output[0] = VALUE[k];
                j.onFrame(f);
            }
            j.onClose();
        }
        return run;
    }

    /** A stimulation journal holding the commands the live policy made at frames {@code k}, its clock 0.5 ms late. */
    private static Path stimJournal(Path dir, int... frames) {
        Path stim = dir.resolve("stim");
        StimConfig c = cfg();
        StimCommand template = new StimCommand();
        c.policy().evaluate(0, new float[] {1, 0}, 2, template);
        try (ChronicleStimJournal j = ChronicleStimJournal.open(stim)) {
            j.recordEvent(T0_NS - 5_000_000L, StimEvent.ARMED, 0, "test");
            long seq = 0;
            for (int k : frames) {
                long policyNs = T0_NS + DECODE_NS[k] + 500_000L;
                StimCommand cmd = new StimCommand().copyFrom(template).triggerTimeNs(policyNs + c.leadUs * 1000)
                        .inputTimeNs(Math.round((T0_NS + DECODE_NS[k] - 1_000_000L) * 1e-9 * 1e9));
                j.recordCommand(++seq, policyNs + 10_000L, cmd, StimVerdict.ACCEPTED);
            }
        }
        return stim;
    }

    @Test
    void aRefractoryBoundInsideTheStampBracketIsTolerated(@TempDir Path dir) {
        // live: frame 5's policy clock read 100.4 ms after frame 0's (allowed); on the decode stamps it is 99.9 ms
        StimReplay.Result r = StimReplay.replay(runJournal(dir), stimJournal(dir, 0, 5), cfg(), null);
        assertThat(r.recordedCommands).isEqualTo(2);
        assertThat(r.matched).isEqualTo(1);
        assertThat(r.limiterTimingTolerated).isEqualTo(1);
        assertThat(r.recordedNotRecomputed).isZero();
        assertThat(r.verdictMismatches).isZero();
        assertThat(r.agrees()).isTrue();
        assertThat(r.clockOutsideStamps).isZero();
    }

    @Test
    void aCommandInsideTheRefractoryPeriodBeyondTheBracketIsADisagreement(@TempDir Path dir) {
        // frame 2 is 40 ms after frame 0: no clock reading between the stamps reaches the 100 ms refractory period
        StimReplay.Result r = StimReplay.replay(runJournal(dir), stimJournal(dir, 0, 2), cfg(), null);
        assertThat(r.matched).isEqualTo(1);
        assertThat(r.limiterTimingTolerated).isZero();
        assertThat(r.recordedNotRecomputed).isEqualTo(1);
        assertThat(r.firstMismatch).contains("command 2", "was not recomputed");
        assertThat(r.agrees()).isFalse();
    }
}
