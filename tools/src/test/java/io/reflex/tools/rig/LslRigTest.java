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
    void theChildsClassPathIsAbsoluteSinceItRunsInAnotherDirectory() {
        String sep = java.io.File.pathSeparator;
        String cp = RigChild.absoluteClassPath("tools/target/reflex.jar" + sep + sep + "/opt/x.jar");
        String[] parts = cp.split(sep);
        org.assertj.core.api.Assertions.assertThat(parts).hasSize(2);
        org.assertj.core.api.Assertions.assertThat(java.nio.file.Path.of(parts[0]))
                .isEqualTo(java.nio.file.Path.of("tools/target/reflex.jar").toAbsolutePath());
        org.assertj.core.api.Assertions.assertThat(parts[1]).isEqualTo("/opt/x.jar");
    }

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

    @Test
    void theVelocityChannelsFollowTheSameNeuralChannels() {
        RigSignal plain = RigSignal.generate("spikes", 8, 500, 3);
        RigSignal withV = RigSignal.generate("spikes", 8, 500, 3, true);
        assertThat(withV.channels()).isEqualTo(10);
        boolean moving = false;
        for (int k = 0; k < 500; k++) {
            for (int c = 0; c < 8; c++) {
                assertThat(withV.samples()[withV.offset(k) + c]).isEqualTo(plain.samples()[plain.offset(k) + c]);
            }
            moving |= withV.samples()[withV.offset(k) + 8] != 0f || withV.samples()[withV.offset(k) + 9] != 0f;
        }
        assertThat(moving).as("the hand moves").isTrue();
        RigSignal bb = RigSignal.generate("broadband", 4, 100, 3);
        RigSignal bbV = RigSignal.generate("broadband", 4, 100, 3, true);
        for (int k = 0; k < 100; k++) {
            for (int c = 0; c < 4; c++) {
                assertThat(bbV.samples()[bbV.offset(k) + c]).isEqualTo(bb.samples()[bb.offset(k) + c]);
            }
        }
    }
}
