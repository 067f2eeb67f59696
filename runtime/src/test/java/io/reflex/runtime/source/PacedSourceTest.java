package io.reflex.runtime.source;

import static io.reflex.runtime.TestClocks.clockAt;
import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.runtime.pipeline.SampleBlock;
import io.reflex.runtime.pipeline.SampleSource;
import java.util.List;
import org.agrona.concurrent.CachedNanoClock;
import org.junit.jupiter.api.Test;

class PacedSourceTest {

    @Test
    void samplesArriveAtTheirNominalTimesWithLslTimestamps() {
        CachedNanoClock clock = clockAt(2_000_000_000L);
        long[] n = {0};
        PacedSource src = new PacedSource("t", 2, 1000, List.of("k"), (v, r) -> {
            v[0] = n[0];
            v[1] = -n[0];
            r[0] = 10 * n[0]++;
        }, clock, 5);
        SampleBlock block = new SampleBlock(2, 10, 1);
        assertThat(src.poll(block)).isEqualTo(1);
        assertThat(src.poll(block)).isZero();
        clock.advance(2_999_999);
        assertThat(src.poll(block)).as("sample 3 is due at 3 ms, not before").isEqualTo(2);
        clock.advance(1);
        assertThat(src.poll(block)).isEqualTo(1);
        assertThat(block.size()).isEqualTo(4);
        assertThat(block.timestamps()[3]).isEqualTo(2.003);
        assertThat(block.samples()[3 * 2]).isEqualTo(3f);
        assertThat(block.samples()[3 * 2 + 1]).isEqualTo(-3f);
        assertThat(block.reference()[3]).isEqualTo(30f);
        clock.advance(1_000_000_000L);
        assertThat(src.poll(block)).as("the stream ends after maxSamples").isEqualTo(1);
        assertThat(src.poll(block)).isEqualTo(SampleSource.END_OF_STREAM);
    }

    @Test
    void aFullBlockTakesNoMoreAndTheRestComesNextPoll() {
        CachedNanoClock clock = clockAt(0);
        PacedSource src = new PacedSource("t", 1, 1000, List.of(), (v, r) -> v[0] = 1, clock, Long.MAX_VALUE);
        src.poll(new SampleBlock(1, 1, 0));
        clock.advance(9_000_000);
        SampleBlock small = new SampleBlock(1, 4, 0);
        assertThat(src.poll(small)).isEqualTo(4);
        small.clear();
        assertThat(src.poll(small)).isEqualTo(4);
        small.clear();
        assertThat(src.poll(small)).isEqualTo(1);
    }
}
