package io.reflex.tools.rig;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The LSL rig's pieces that need no process: the relay's bin offset and the peers' refusals. */
class LslRigTest {

    @Test
    void theRelaysBinsEndHalfABinLaterInWholeChunks() {
        assertThat(LslRig.relayOffsetSamples(20, 1)).isEqualTo(10);
        assertThat(LslRig.relayOffsetSamples(10, 1)).isEqualTo(5);
        assertThat(LslRig.relayOffsetSamples(20, 3)).as("a chunk's samples go together").isEqualTo(9);
        assertThat(LslRig.relayOffsetSamples(20, 20)).as("one chunk per bin: no offset possible").isZero();
        assertThat(LslRig.relayOffsetSamples(1, 1)).isZero();
    }

    @Test
    void theShiftedScheduleMatchesTheRelaysBinsToTheSamplesItForwards() {
        // 1 kHz, 10 samples per bin, relay offset 5: relay bin b ends at sample 10 b + 14 of the source's schedule
        RigSchedule s = new RigSchedule(1_000_000_000L, 1000, 1, 10);
        RigSchedule shifted = new RigSchedule(s.t0Ns() + Math.round(5 * 1e9 / 1000), 1000, 1, 10);
        for (long b = 0; b < 50; b++) {
            long k = 10 * b + 14;
            long kShifted = shifted.sampleAt(s.timestampS(k));
            assertThat(shifted.binEndingAt(kShifted)).isEqualTo(b);
            assertThat(shifted.binSendNs(b)).isEqualTo(s.sendNs(k));
        }
        // the daemon's bin ends are no relay bin's end
        assertThat(shifted.binEndingAt(shifted.sampleAt(s.timestampS(s.lastSampleOfBin(3))))).isEqualTo(-1);
    }

    @Test
    void peersRefuseBadOptionsWithExitTwo() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        RigPeers.SourceOptions so = new RigPeers.SourceOptions();
        so.name = "x";
        so.channels = 0;
        so.rateHz = 1000;
        so.chunk = 1;
        so.samplesPerBin = 10;
        so.bins = 1;
        so.signal = "spikes";
        so.connectTimeoutS = 1;
        assertThat(RigPeers.source(so, new ByteArrayInputStream(new byte[0]),
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8)))
                .isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--channels must be in [1, 4096]");
        err.reset();
        RigPeers.RelayOptions ro = new RigPeers.RelayOptions();
        ro.from = "a";
        ro.to = "b";
        ro.samplesPerBin = 10;
        ro.binWidthUs = 10_000;
        ro.outputs = 2;
        ro.offsetSamples = 10;
        ro.hotIdle = "backoff";
        ro.connectTimeoutS = 1;
        assertThat(RigPeers.relay(ro, new ByteArrayInputStream(new byte[0]),
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8)))
                .isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--offset-samples must be in [0, --samples-per-bin)");
    }
}
