package io.reflex.runtime.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** {@link SampleBlock#reserve()} and {@link SampleBlock#commit}: a sample written in place, held once committed. */
class SampleBlockTest {

    @Test
    void aReservedSampleIsHeldOnlyOnceCommitted() {
        SampleBlock block = new SampleBlock(3, 2, 2);
        int at = block.reserve();
        assertThat(at).isZero();
        block.samples()[at] = 1f;
        block.samples()[at + 1] = 2f;
        block.samples()[at + 2] = 3f;
        assertThat(block.size()).as("written, not committed").isZero();
        assertThat(block.reserve()).as("the same place until the commit").isZero();
        block.commit(5.5, new double[] {0.25, -0.5});
        assertThat(block.size()).isEqualTo(1);
        assertThat(block.timestamps()[0]).isEqualTo(5.5);
        assertThat(block.reference()).startsWith(0.25f, -0.5f);

        assertThat(block.reserve()).isEqualTo(3);
        block.append(new float[] {9f, 4f, 5f, 6f}, 1, 6.5, new double[] {1, 2});
        assertThat(block.samples()).containsExactly(1f, 2f, 3f, 4f, 5f, 6f);
        assertThat(block.reserve()).as("full").isEqualTo(-1);
        assertThatThrownBy(() -> block.commit(7.5, new double[2])).isInstanceOf(IllegalStateException.class);
        assertThat(block.size()).isEqualTo(2);
        assertThat(block.timestamps()).containsExactly(5.5, 6.5);
    }

    @Test
    void commitAndAppendHoldTheSameSample() {
        SampleBlock appended = new SampleBlock(2, 3, 1);
        SampleBlock committed = new SampleBlock(2, 3, 1);
        double[] ref = {Double.longBitsToDouble(0x3ff0_0000_0000_0001L)}; // rounds to float as append rounds it
        for (int s = 0; s < 3; s++) {
            float[] v = {s, -s - 0.5f};
            appended.append(v, 0, 10.0 + s, ref);
            int at = committed.reserve();
            System.arraycopy(v, 0, committed.samples(), at, 2);
            committed.commit(10.0 + s, ref);
        }
        assertThat(committed.samples()).containsExactly(appended.samples());
        assertThat(committed.timestamps()).containsExactly(appended.timestamps());
        assertThat(committed.reference()).containsExactly(appended.reference());
        assertThat(committed.size()).isEqualTo(appended.size()).isEqualTo(3);
    }
}
