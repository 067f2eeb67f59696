package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.runtime.pipeline.Frame;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The control API's copy of the last emitted output: a reader never sees a torn frame. */
class LatestOutputTest {

    @Test
    void noneBeforeTheFirstFrameThenTheLastOneWithItsFlags() {
        LatestOutput l = new LatestOutput(new int[0]);
        LatestOutput.Snapshot s = new LatestOutput.Snapshot();
        assertThat(l.read(s)).isFalse();
        Frame f = new Frame(4, 2, 2, 3);
        f.sequence = 7;
        f.output[0] = 1.5f;
        f.output[2] = -2f;
        f.flags = Frame.FLAG_SAFE_OUTPUT;
        l.onFrame(f);
        assertThat(l.read(s)).isTrue();
        assertThat(s.count).isEqualTo(3);
        assertThat(s.frame).isEqualTo(7);
        assertThat(s.safe).isTrue();
        assertThat(s.values[0]).isEqualTo(1.5f);
        assertThat(s.values[2]).isEqualTo(-2f);
        Frame wide = new Frame(4, 2, 2, LatestOutput.MAX_VALUES + 10);
        wide.sequence = 8;
        l.onFrame(wide);
        assertThat(l.read(s)).isTrue();
        assertThat(s.count).isEqualTo(LatestOutput.MAX_VALUES);
        assertThat(s.safe).isFalse();
    }

    @Test
    void theSelectedChannelsFeaturesComeWithTheOutput() {
        LatestOutput l = new LatestOutput(new int[] {3, 0, 9});
        Frame f = new Frame(4, 2, 2, 2);
        f.features[0] = 2f;
        f.features[3] = 5f;
        l.onFrame(f);
        LatestOutput.Snapshot s = new LatestOutput.Snapshot();
        assertThat(l.read(s)).isTrue();
        assertThat(s.features[0]).isEqualTo(5f);
        assertThat(s.features[1]).isEqualTo(2f);
        assertThat(s.features[2]).as("a channel the frame lacks").isNaN();
        assertThat(l.channels()).containsExactly(3, 0, 9);
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aReaderOnAnotherThreadSeesWholeFramesOnly() throws Exception {
        LatestOutput l = new LatestOutput(new int[] {0, 3});
        AtomicBoolean stop = new AtomicBoolean();
        Thread writer = new Thread(() -> {
            Frame f = new Frame(4, 2, 2, 16);
            for (long seq = 0; !stop.get(); seq++) {
                f.sequence = seq;
                java.util.Arrays.fill(f.output, (float) (seq % 1_000_000));
                java.util.Arrays.fill(f.features, (float) (seq % 1_000_000));
                l.onFrame(f);
            }
        }, "test-observer");
        writer.start();
        LatestOutput.Snapshot s = new LatestOutput.Snapshot();
        long consistent = 0;
        long last = -1;
        try {
            while (consistent < 20_000) {
                if (!l.read(s)) {
                    continue;
                }
                float expected = (float) (s.frame % 1_000_000);
                for (int i = 0; i < s.count; i++) {
                    assertThat(s.values[i]).as("value %d of frame %d", i, s.frame).isEqualTo(expected);
                }
                assertThat(s.features[0]).isEqualTo(expected);
                assertThat(s.features[1]).isEqualTo(expected);
                assertThat(s.frame).isGreaterThanOrEqualTo(last);
                last = s.frame;
                consistent++;
            }
        } finally {
            stop.set(true);
            writer.join(10_000);
        }
        assertThat(last).isPositive();
    }
}
