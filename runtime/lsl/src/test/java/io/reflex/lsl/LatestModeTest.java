package io.reflex.lsl;

import static io.reflex.lsl.LslTestSupport.config;
import static io.reflex.lsl.LslTestSupport.info;
import static io.reflex.lsl.LslTestSupport.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;

import org.agrona.ErrorHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class LatestModeTest {
    private static final ErrorHandler QUIET = e -> { };

    @Test
    void latestModeHandsOutOnlyTheNewestAndCountsTheRest() {
        try (JavaOutlet outlet = new JavaOutlet(info(uniqueName("latest"), ChannelFormat.FLOAT32, 4, 1000), config(),
                QUIET);
             JavaInlet inlet = new JavaInlet(outlet.info().toBuilder().v4address("127.0.0.1").build(), config(),
                     new InletOptions().mode(InletOptions.Mode.LATEST), QUIET)) {
            inlet.open(5);
            assertThat(Math.abs(inlet.timeCorrection(10))).isLessThan(0.1);
            for (int i = 1; i <= 500; i++) {
                outlet.pushSample(new float[] {i, i, i, i}, LslClock.now());
            }
            LslTestSupport.await(() -> inlet.samplesReceived() == 500);
            float[] v = new float[4];
            double ts = inlet.pullSample(v, 5);
            assertThat(v).containsExactly(500, 500, 500, 500);
            assertThat(ts).isPositive();
            assertThat(inlet.droppedSamples()).isEqualTo(499);
            assertThat(inlet.pullSample(v, 0.01)).isZero();
            assertThat(inlet.staleness().getTotalCount()).isEqualTo(1);
            // Staleness: from the push to the pull, on one clock; far below a second on loopback.
            assertThat(inlet.staleness().getMaxValue()).isBetween(1L, 1_000_000_000L);
        }
    }

    @Test
    void latestDepthKeepsTheNewestFew() {
        try (JavaOutlet outlet = new JavaOutlet(info(uniqueName("depth"), ChannelFormat.INT32, 1, 0), config(), QUIET);
             JavaInlet inlet = new JavaInlet(outlet.info().toBuilder().v4address("127.0.0.1").build(), config(),
                     new InletOptions().mode(InletOptions.Mode.LATEST).latestDepth(4), QUIET)) {
            inlet.open(5);
            for (int i = 1; i <= 100; i++) {
                outlet.pushSample(new int[] {i}, i);
            }
            LslTestSupport.await(() -> inlet.samplesReceived() == 100);
            int[] v = new int[1];
            for (int expect = 97; expect <= 100; expect++) {
                assertThat(inlet.pullSample(v, 5)).isEqualTo(expect);
                assertThat(v[0]).isEqualTo(expect);
            }
            assertThat(inlet.droppedSamples()).isEqualTo(96);
        }
    }

    @Test
    void postprocessedTimestampsAreOnTheLocalClock() {
        try (JavaOutlet outlet = new JavaOutlet(info(uniqueName("pp"), ChannelFormat.DOUBLE64, 1, 0), config(), QUIET);
             JavaInlet inlet = new JavaInlet(outlet.info().toBuilder().v4address("127.0.0.1").build(), config(),
                     new InletOptions().postprocessClockSync(true), QUIET)) {
            inlet.open(5);
            double corr = inlet.timeCorrection(10);
            outlet.pushSample(new double[] {1}, 100.0);
            assertThat(inlet.pullSample(new double[1], 5)).isEqualTo(100.0 + corr);
        }
    }

    @Test
    void queueDropsOldestWhenFull() {
        SampleQueue q = new SampleQueue(4, 1);
        for (int i = 0; i < 10; i++) {
            q.offer(i, true, new byte[] {(byte) i}, 0, 1);
        }
        assertThat(q.dropped()).isEqualTo(6);
        assertThat(q.size()).isEqualTo(4);
        for (int expect = 6; expect < 10; expect++) {
            int slot = q.readSlot();
            assertThat(q.buffer(slot)[0]).isEqualTo((byte) expect);
            assertThat(q.timestamp(slot)).isEqualTo(expect);
            assertThat(q.commitRead()).isTrue();
        }
        assertThat(q.readSlot()).isEqualTo(-1);
    }
}
