package io.reflex.tools.rig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LatencyRecorderTest {
    @Test
    void anInjectedDelayOfKnownDistributionIsRecoveredFromTheSchedule() {
        RigSchedule s = new RigSchedule(10_000_000_000L, 1000, 1, 20);
        int bins = 5000;
        LatencyRecorder rec = new LatencyRecorder("t", bins);
        rec.beginSegment(s, bins, 0);
        SplittableRandom rnd = new SplittableRandom(11);
        long[] injected = new long[bins];
        for (int b = 0; b < bins; b++) {
            // exponential, mean 400 µs, plus a floor of 50 µs
            injected[b] = 50_000 + (long) (-400_000 * Math.log(1 - rnd.nextDouble()));
            // the actual send was late by up to 30 µs: the corrected figure must not see it
            rec.arrive(b, s.binSendNs(b) + injected[b], s.binSendNs(b) + rnd.nextInt(30_000));
        }
        rec.endSegment(bins * 0.02);
        Arrays.sort(injected);
        assertThat(rec.received()).isEqualTo(bins);
        assertThat(rec.drops()).isZero();
        // HdrHistogram at 3 significant digits: within 0.1 % of the exact order statistics
        // (nearest rank, give or take one rank)
        for (double p : new double[] {50, 90, 99, 99.9}) {
            int rank = (int) Math.ceil(p / 100 * bins) - 1;
            assertThat((double) rec.corrected().getValueAtPercentile(p)).as("p%s", p)
                    .isBetween(injected[rank - 1] * 0.999 - 1, injected[rank + 1] * 1.001 + 1);
        }
        assertThat(rec.uncorrected().getValueAtPercentile(50)).isLessThan(rec.corrected().getValueAtPercentile(50));
        // timeline: one entry per bin, at the bin's due time
        assertThat(rec.recorded()).isEqualTo(bins);
        assertThat(rec.atS(0)).isZero();
        assertThat(rec.atS(bins - 1)).isCloseTo((bins - 1) * 0.02, within(1e-9));
    }

    @Test
    void aStalledConsumerShowsAsLatencyNotSilence() {
        RigSchedule s = new RigSchedule(0, 1000, 1, 20);
        LatencyRecorder rec = new LatencyRecorder("t", 100);
        rec.beginSegment(s, 100, 0);
        long stallEnd = s.binSendNs(40) + 200_000_000L;
        for (int b = 0; b < 100; b++) {
            long due = s.binSendNs(b);
            // the consumer stalls 200 ms at bin 40: everything due meanwhile arrives when it wakes
            long arrival = b >= 40 && due < stallEnd ? stallEnd + (b - 40) * 1_000L : due + 30_000;
            // the source, back-pressured, also sent them late (what an uncorrected rig would measure from)
            long actual = b >= 40 && due < stallEnd ? stallEnd + (b - 40) * 1_000L - 20_000 : due;
            rec.arrive(b, arrival, actual);
        }
        rec.endSegment(2.0);
        assertThat(rec.drops()).isZero();
        assertThat(rec.corrected().getMaxValue()).isGreaterThanOrEqualTo(199_000_000L);
        // 10 bins were due during the stall: each is charged what it waited
        long over110ms = 0;
        for (int i = 0; i < rec.recorded(); i++) {
            over110ms += rec.latencyNs(i) > 110_000_000L ? 1 : 0;
        }
        assertThat(over110ms).isEqualTo(5);
        assertThat(rec.uncorrected().getMaxValue()).as("measured from the actual send the stall is invisible")
                .isLessThan(1_000_000L);
    }

    @Test
    void binsThatNeverArriveAreDropsAndStrayOutputsAreCounted() {
        RigSchedule s = new RigSchedule(0, 1000, 1, 10);
        LatencyRecorder rec = new LatencyRecorder("t", 100);
        rec.beginSegment(s, 50, 10);
        for (int b = 0; b < 50; b++) {
            if (b % 10 != 3) {
                rec.arrive(b, s.binSendNs(b) + 1000, Long.MIN_VALUE);
            }
        }
        assertThat(rec.arrive(7, 1, 1)).as("a second output of a bin").isFalse();
        assertThat(rec.arrive(50, 1, 1)).as("no such bin").isFalse();
        assertThat(rec.arrive(-1, 1, 1)).isFalse();
        rec.endSegment(0.4);
        // bins 0..9 were the lead-in: not expected, not measured
        assertThat(rec.expected()).isEqualTo(40);
        assertThat(rec.received()).isEqualTo(36);
        assertThat(rec.drops()).isEqualTo(4);
        assertThat(rec.duplicates()).isEqualTo(1);
        assertThat(rec.unmatched()).isEqualTo(2);
        // a second segment adds to the first
        rec.beginSegment(s, 20, 0);
        for (int b = 0; b < 20; b++) {
            rec.arrive(b, s.binSendNs(b) + 1000, Long.MIN_VALUE);
        }
        rec.endSegment(0.2);
        assertThat(rec.expected()).isEqualTo(60);
        assertThat(rec.drops()).isEqualTo(4);
        assertThat(rec.measuredSeconds()).isCloseTo(0.6, within(1e-9));
        assertThat(rec.atS(36)).as("the second segment's timeline continues after the first")
                .isCloseTo(0.4, within(1e-9));
    }

    @Test
    void aSegmentThatExpectsSomeBinsCountsOnlyThoseAndCallsTheRestUnmatched() {
        RigSchedule s = new RigSchedule(0, 1000, 1, 10);
        LatencyRecorder rec = new LatencyRecorder("stim", 100);
        java.util.BitSet firing = new java.util.BitSet();
        for (int b : new int[] {2, 12, 20, 31, 45}) {
            firing.set(b);
        }
        rec.beginSegment(s, 50, 10, firing);
        assertThat(rec.expected()).as("the firing bins after the lead-in").isEqualTo(4);
        assertThat(rec.arrive(2, s.binSendNs(2) + 500, Long.MIN_VALUE)).as("lead-in").isFalse();
        assertThat(rec.arrive(5, s.binSendNs(5) + 500, Long.MIN_VALUE)).as("a lead-in bin off the set is ignored")
                .isFalse();
        assertThat(rec.arrive(12, s.binSendNs(12) + 2_000, Long.MIN_VALUE)).isTrue();
        assertThat(rec.arrive(20, s.binSendNs(20) + 80_000_000, Long.MIN_VALUE)).as("late, still its own bin")
                .isTrue();
        assertThat(rec.arrive(33, s.binSendNs(33) + 500, Long.MIN_VALUE)).as("a measured bin off the set").isFalse();
        rec.endSegment(0.4);
        assertThat(rec.received()).isEqualTo(2);
        assertThat(rec.drops()).as("31 and 45 never came").isEqualTo(2);
        assertThat(rec.unmatched()).isEqualTo(1);
        assertThat(rec.corrected().getMaxValue()).isGreaterThanOrEqualTo(79_000_000L);
    }
}
