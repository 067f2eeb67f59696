package io.reflex.tools.rig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.runtime.stim.ChronicleStimJournal;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimVerdict;
import java.nio.file.Path;
import java.util.BitSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stimulation path's bookkeeping without processes: the policy replay, and the join of a real stimulation
 * journal with the arrivals by trigger time, each command charged from its own bin's scheduled send.
 */
class StimRigTest {
    private static RigRun.Options options() {
        RigRun.Options o = new RigRun.Options();
        o.rateHz = 1000;
        o.channels = 4;
        o.binWidthUs = 10_000;
        return o.check();
    }

    @Test
    void thePolicyReplayFiresOnRisingCrossingsWithHysteresisAndRefractoryPeriod(@TempDir Path dir) {
        try (StimRig rig = new StimRig(options(), 100, 1.0f, 0.5f, dir.resolve("j"))) {
            assertThat(rig.config().refractoryMs).as("5.5 bins of 10 ms").isEqualTo(55);
            RigSchedule s = new RigSchedule(1_000_000_000L, 1000, 1, 10);
            float[] x = new float[40];
            java.util.Arrays.fill(x, 0f);
            x[3] = 2f;          // fires
            x[4] = 2f;          // still above: no new edge
            x[5] = 0.7f;        // not below threshold - hysteresis: stays disarmed
            x[6] = 1.2f;        // no edge
            x[7] = 0f;          // re-armed
            x[8] = 1.5f;        // an edge 5 bins (50 ms) after the first: inside the refractory period
            x[9] = 0f;
            x[10] = 1.5f;       // 7 bins (70 ms) after: fires
            x[11] = 0f;
            x[20] = Float.NaN;  // no output received: not judged
            x[30] = 3f;         // fires
            BitSet f = rig.expectedFirings(x, s, 40);
            assertThat(f.stream().toArray()).containsExactly(3, 10, 30);
        }
    }

    @Test
    void commandsAreJoinedByTriggerTimeAndChargedFromTheirOwnBin(@TempDir Path dir) {
        Path jdir = dir.resolve("stim-journal");
        RigSchedule s = new RigSchedule(5_000_000_000L, 1000, 1, 10);
        try (StimRig rig = new StimRig(options(), 60, 1.0f, 0.5f, jdir)) {
            long lead = StimRig.LEAD_US * 1000;
            StimCommand c = new StimCommand().symmetric(10_000, 100_000, 50_000).pulseCount(1);
            c.clearChannels().addChannel(0);
            try (ChronicleStimJournal j = ChronicleStimJournal.open(jdir)) {
                // bin 12: decided 300 us after its last sample's scheduled send, arrives 1 ms after
                long due12 = s.binSendNs(12);
                command(j, rig, c, 1, 12, s, due12 + 300_000, lead, due12 + 1_000_000, StimVerdict.ACCEPTED);
                // bin 25: the daemon stalled 80 ms before deciding; the command is still bin 25's
                long due25 = s.binSendNs(25);
                command(j, rig, c, 2, 25, s, due25 + 80_000_000, lead, due25 + 80_500_000, StimVerdict.ACCEPTED);
                // bin 30: refused by the daemon (never sent)
                command(j, rig, c, 3, 30, s, s.binSendNs(30) + 100_000, lead, Long.MIN_VALUE,
                        StimVerdict.CHARGE_RATE_OVER_LIMIT);
                // bin 40: accepted and journaled, lost before the stimulator
                command(j, rig, c, 4, 40, s, s.binSendNs(40) + 100_000, lead, Long.MIN_VALUE, StimVerdict.ACCEPTED);
                // bin 62: the source's tail, after the measured bins
                command(j, rig, c, 5, 62, s, s.binSendNs(62) + 100_000, lead, s.binSendNs(62) + 400_000,
                        StimVerdict.ACCEPTED);
            }
            BitSet firing = new BitSet();
            firing.set(12);
            firing.set(25);
            firing.set(40);
            firing.set(50);
            LatencyRecorder rec = new LatencyRecorder("reflex_stim", 100);
            rec.beginSegment(s, 60, 10, firing);
            StimRig.Joined r = rig.join(jdir, s, 60, rec);
            rec.endSegment(0.5);
            assertThat(r.accepted()).isEqualTo(4);
            assertThat(r.refused()).isEqualTo(1);
            assertThat(r.refusedBy()).containsEntry("charge_rate_over_limit", 1L);
            assertThat(r.acceptedNotReceived()).isEqualTo(1);
            assertThat(r.receivedNotJournaled()).isZero();
            assertThat(r.tail()).isEqualTo(1);
            assertThat(rec.expected()).isEqualTo(4);
            assertThat(rec.received()).isEqualTo(2);
            assertThat(rec.drops()).as("bins 40 and 50").isEqualTo(2);
            assertThat(rec.latencyNs(0)).isEqualTo(1_000_000L);
            assertThat(rec.latencyNs(1)).as("the stall is charged, not hidden").isEqualTo(80_500_000L);
            assertThat(r.decideNs().getValueAtPercentile(100)).isBetween(79_900_000L, 80_100_000L);
        }
    }

    /** Journals a command of {@code bin} decided at {@code decidedNs}; {@code arrivalNs} MIN_VALUE: never arrives. */
    private static void command(ChronicleStimJournal j, StimRig rig, StimCommand c, long seq, long bin, RigSchedule s,
                                long decidedNs, long lead, long arrivalNs, int verdict) {
        c.triggerTimeNs(decidedNs + lead);
        c.inputTimeNs(Math.round(s.timestampS(s.lastSampleOfBin(bin)) * 1e9));
        j.recordCommand(seq, decidedNs + 50_000, c, verdict);
        if (arrivalNs != Long.MIN_VALUE) {
            rig.arrived(c, arrivalNs);
        }
    }

    @Test
    void binsTooNarrowForTheRefractoryPeriodAreRefused(@TempDir Path dir) {
        RigRun.Options o = options();
        o.binWidthUs = 2_000;
        assertThatThrownBy(() -> new StimRig(o, 10, 1f, 0.1f, dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--bin-us ≥ 4000");
    }
}
