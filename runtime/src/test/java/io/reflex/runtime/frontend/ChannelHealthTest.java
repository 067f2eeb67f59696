package io.reflex.runtime.frontend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ChannelHealthTest {

    /** Six channels of 3,000 samples: 0 ok, 1 NaN once, 2 flat, 3 clipped 5 %, 4 +infinity once, 5 ok. */
    static float[] block(int length) {
        float[] x = BiquadBankTest.noise(6, length, 11);
        for (int s = 0; s < length; s++) {
            x[s * 6 + 2] = 42f;
            if (s % 20 == 0) {
                x[s * 6 + 3] = s % 40 == 0 ? 6_000f : -6_000f;
            }
        }
        x[100 * 6 + 1] = Float.NaN;
        x[2_000 * 6 + 4] = Float.POSITIVE_INFINITY;
        return x;
    }

    @Test
    void findsNonFiniteFlatAndClippedChannelsAndSaysWhich() {
        ChannelHealth health = new ChannelHealth(6, 0.5, 6_000, 0.01);
        assertThat(health.assess(block(3_000), 0, 3_000)).isEqualTo(4);
        assertThat(health.reasons(0)).isZero();
        assertThat(health.reasons(1)).isEqualTo(ChannelHealth.NON_FINITE);
        assertThat(health.reasons(2)).isEqualTo(ChannelHealth.FLAT);
        assertThat(health.reasons(3)).isEqualTo(ChannelHealth.CLIPPED);
        assertThat(health.reasons(4)).isEqualTo(ChannelHealth.NON_FINITE);
        assertThat(health.isDead(5)).isFalse();
        assertThat(health.describeDead()).isEqualTo("1 (non-finite), 2 (flat), 3 (clipped), 4 (non-finite)");
        boolean[] mask = new boolean[6];
        health.copyDeadMask(mask);
        assertThat(mask).containsExactly(false, true, true, true, true, false);
    }

    @Test
    void aFewRailSamplesBelowTheFractionAreNotClipping() {
        ChannelHealth health = new ChannelHealth(6, 0.5, 6_000, 0.10);
        health.assess(block(3_000), 0, 3_000);
        assertThat(health.isDead(3)).isFalse();
    }

    @Test
    void verdictsLatchUntilCleared() {
        ChannelHealth health = new ChannelHealth(6, 0.5, 6_000, 0.01);
        health.assess(block(3_000), 0, 3_000);
        float[] clean = BiquadBankTest.noise(6, 100, 3);
        assertThat(health.assess(clean, 0, 100)).isEqualTo(4);
        health.clear();
        assertThat(health.assess(clean, 0, 100)).isZero();
        health.markDead(5, ChannelHealth.FLAT);
        assertThat(health.describeDead()).isEqualTo("5 (flat)");
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> new ChannelHealth(0, 1, 1, 0.1)).hasMessageContaining("channels");
        assertThatThrownBy(() -> new ChannelHealth(2, -1, 1, 0.1)).hasMessageContaining("flatPeakToPeakUv");
        assertThatThrownBy(() -> new ChannelHealth(2, 1, 0, 0.1)).hasMessageContaining("clipLevelUv");
        assertThatThrownBy(() -> new ChannelHealth(2, 1, 1, 0)).hasMessageContaining("clippedFraction");
        ChannelHealth health = new ChannelHealth(2, 1, 1, 0.1);
        assertThatThrownBy(() -> health.assess(new float[4], 0, 3)).hasMessageContaining("fit");
        assertThatThrownBy(() -> health.markDead(0, 3)).hasMessageContaining("reason");
    }
}
