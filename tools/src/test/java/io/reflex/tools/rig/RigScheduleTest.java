package io.reflex.tools.rig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RigScheduleTest {
    @Test
    void samplesAreSentWithTheirChunkAndBinsEndOnTheirLastSample() {
        RigSchedule s = new RigSchedule(1_000_000_000L, 1000, 4, 20);
        assertThat(s.sampleNs(0)).isEqualTo(1_001_000_000L);
        // samples 0..3 leave together, at the time of sample 3
        for (int k = 0; k < 4; k++) {
            assertThat(s.sendNs(k)).isEqualTo(1_004_000_000L);
        }
        assertThat(s.sendNs(4)).isEqualTo(1_008_000_000L);
        assertThat(s.lastSampleOfBin(0)).isEqualTo(19);
        assertThat(s.binSendNs(0)).isEqualTo(1_020_000_000L);
        assertThat(s.binEndingAt(19)).isZero();
        assertThat(s.binEndingAt(39)).isEqualTo(1);
        assertThat(s.binEndingAt(20)).isEqualTo(-1);
        assertThat(s.binEndingAt(-1)).isEqualTo(-1);
    }

    @Test
    void aTimestampIsMatchedToItsSampleWithinAQuarterPeriodAndNoFurther() {
        RigSchedule s = new RigSchedule(5_000_000_000L, 30_000, 1, 30);
        for (long k : new long[] {0, 1, 29, 12_345, 9_999_999}) {
            double ts = s.timestampS(k);
            assertThat(s.sampleAt(ts)).isEqualTo(k);
            // a clock correction of a few µs (here 5 µs of a 33 µs period) still matches
            assertThat(s.sampleAt(ts + 5e-6)).isEqualTo(k);
            assertThat(s.sampleAt(ts - 5e-6)).isEqualTo(k);
        }
        // half way between two samples, or before the first, matches nothing
        assertThat(s.sampleAt(s.timestampS(10) + 0.5 / 30_000)).isEqualTo(-1);
        assertThat(s.sampleAt(s.timestampS(0) - 1.0)).isEqualTo(-1);
    }

    @Test
    void boundsAreChecked() {
        assertThatThrownBy(() -> new RigSchedule(0, 0, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RigSchedule(0, 1000, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RigSchedule(0, 1000, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anOutputStampedAFewSamplesOffStillFindsItsBinAndAForeignOneNone() {
        RigSchedule s = new RigSchedule(2_000_000_000L, 1000, 1, 10);
        for (long b = 0; b < 20; b++) {
            double t = s.timestampS(s.lastSampleOfBin(b));
            org.assertj.core.api.Assertions.assertThat(s.binNear(t)).isEqualTo(b);
            // a dejittered or time-corrected stamp 0.6 ms late or 2 ms early: beyond a quarter sample, same bin
            org.assertj.core.api.Assertions.assertThat(s.binNear(t + 0.0006)).isEqualTo(b);
            org.assertj.core.api.Assertions.assertThat(s.binNear(t - 0.002)).isEqualTo(b);
            // half a bin off (the interleaved relay's bin ends): no bin
            org.assertj.core.api.Assertions.assertThat(s.binNear(t + 0.005)).isEqualTo(-1);
        }
        org.assertj.core.api.Assertions.assertThat(s.binNear(1.0)).as("before the schedule").isEqualTo(-1);
    }
}
