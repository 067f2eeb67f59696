package io.reflex.runtime.frontend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class CommonAverageReferenceTest {

    @Test
    void removesTheCommonSignalFromEveryChannel() {
        int channels = 8, length = 500;
        float[] own = BiquadBankTest.noise(channels, length, 5);
        float[] x = own.clone();
        for (int s = 0; s < length; s++) {
            float common = (float) (300 * Math.sin(2 * Math.PI * 60 * s / 30_000.0));
            for (int c = 0; c < channels; c++) {
                x[s * channels + c] += common;
            }
        }
        float[] out = new float[x.length];
        new CommonAverageReference(channels).apply(x, 0, out, 0, length);
        for (int s = 0; s < length; s++) {
            double mean = 0;
            for (int c = 0; c < channels; c++) {
                mean += own[s * channels + c];
            }
            mean /= channels;
            for (int c = 0; c < channels; c++) {
                assertThat((double) out[s * channels + c]).isCloseTo(own[s * channels + c] - mean, within(1e-3));
            }
        }
    }

    @Test
    void groupsAreReferencedSeparately() {
        // Channels 0..2 in group 0, 3..4 in group 1.
        CommonAverageReference car = new CommonAverageReference(new int[] {0, 0, 0, 1, 1});
        float[] x = {1, 2, 3, 10, 20};
        car.apply(x, 0, x, 0, 1);
        assertThat(x).containsExactly(-1f, 0f, 1f, -5f, 5f);
        assertThat(car.groups()).isEqualTo(2);
    }

    @Test
    void deadChannelsDoNotPoisonTheAverageAndComeOutAsZero() {
        // Three live channels and three dead ones: NaN, flat at a huge offset, clipped at the rail.
        float[] x = ChannelHealthTest.block(3_000);
        for (int s = 0; s < 3_000; s++) {
            x[s * 6 + 2] = 1e6f;
        }
        ChannelHealth health = new ChannelHealth(6, 0.5, 6_000, 0.01);
        health.assess(x, 0, 3_000);
        boolean[] dead = new boolean[6];
        health.copyDeadMask(dead);
        CommonAverageReference car = new CommonAverageReference(6);
        car.setExcluded(dead);
        float[] out = new float[x.length];
        assertThat(car.apply(x, 0, out, 0, 3_000)).isZero();
        for (int s = 0; s < 3_000; s++) {
            double mean = (x[s * 6] + (double) x[s * 6 + 5]) / 2;
            assertThat((double) out[s * 6]).isCloseTo(x[s * 6] - mean, within(1e-3));
            assertThat((double) out[s * 6 + 5]).isCloseTo(x[s * 6 + 5] - mean, within(1e-3));
            for (int c = 1; c <= 4; c++) {
                assertThat(out[s * 6 + c]).isEqualTo(0f);
            }
        }
    }

    @Test
    void aNonFiniteValueOnALiveChannelIsLeftOutAndCounted() {
        CommonAverageReference car = new CommonAverageReference(3);
        float[] x = {Float.NaN, 2, 4, 1, 1, 1};
        assertThat(car.apply(x, 0, x, 0, 2)).isEqualTo(1);
        assertThat(x).containsExactly(0f, -1f, 1f, 0f, 0f, 0f);
        assertThat(car.nonFiniteCount()).isEqualTo(1);
    }

    @Test
    void aGroupWithEveryChannelDeadIsAllZero() {
        CommonAverageReference car = new CommonAverageReference(new int[] {0, 1, 1});
        car.setExcluded(new boolean[] {true, false, false});
        float[] x = {5, 1, 3};
        car.apply(x, 0, x, 0, 1);
        assertThat(x).containsExactly(0f, -1f, 1f);
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> new CommonAverageReference(0)).hasMessageContaining("channels");
        assertThatThrownBy(() -> new CommonAverageReference(new int[] {0, 2, 2})).hasMessageContaining("group 1");
        assertThatThrownBy(() -> new CommonAverageReference(new int[] {0, -1})).hasMessageContaining("groupOfChannel");
        CommonAverageReference car = new CommonAverageReference(4);
        assertThatThrownBy(() -> car.apply(new float[4], 0, new float[4], 0, 2)).hasMessageContaining("fit");
        assertThatThrownBy(() -> car.setExcluded(new boolean[3])).hasMessageContaining("mask");
    }
}
