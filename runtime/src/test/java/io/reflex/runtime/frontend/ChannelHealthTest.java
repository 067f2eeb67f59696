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

    /**
     * The check against its definition written plainly, on random blocks whose values sit on, one ulp
     * either side of, and far from the rail (rails from a microvolt's millionth to none at all), with NaN and
     * infinities sprinkled in.
     */
    @Test
    void agreesWithThePlainDefinitionAtTheRailsEdges() {
        java.util.Random random = new java.util.Random(17);
        double[] rails = {1e-6, 0.75, 1, 6_000, 8_000, 8_191.999, 1e30, Double.POSITIVE_INFINITY};
        int channels = 37;
        for (int trial = 0; trial < 400; trial++) {
            double clip = rails[trial % rails.length];
            float rail = (float) Math.min(clip, Float.MAX_VALUE);
            int samples = 1 + random.nextInt(40);
            double fraction = 0.05 + random.nextDouble() * 0.5;
            double flat = random.nextInt(3) * 0.25;
            float[] x = new float[samples * channels];
            for (int i = 0; i < x.length; i++) {
                int kind = random.nextInt(12);
                float sign = random.nextBoolean() ? 1f : -1f;
                x[i] = switch (kind) {
                    case 0 -> sign * rail;
                    case 1 -> sign * Math.nextDown(rail);
                    case 2 -> sign * Math.nextUp(rail);
                    case 3 -> random.nextInt(200) == 0 ? Float.NaN : sign * rail * 0.5f;
                    case 4 -> random.nextInt(200) == 0 ? sign * Float.POSITIVE_INFINITY : 0f;
                    case 5 -> 0.25f;
                    default -> (float) (random.nextGaussian() * rail * 0.1);
                };
            }
            ChannelHealth health = new ChannelHealth(channels, flat, clip, fraction);
            int dead = health.assess(x, 0, samples);
            int expectedDead = 0;
            for (int c = 0; c < channels; c++) {
                boolean nonFinite = false;
                float lo = Float.POSITIVE_INFINITY;
                float hi = Float.NEGATIVE_INFINITY;
                int atRail = 0;
                for (int s = 0; s < samples; s++) {
                    float v = x[s * channels + c];
                    if (!Float.isFinite(v)) {
                        nonFinite = true;
                        continue;
                    }
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                    if (Math.abs(v) >= rail) {
                        atRail++;
                    }
                }
                int want = (nonFinite ? ChannelHealth.NON_FINITE
                        : (double) hi - (double) lo <= flat ? ChannelHealth.FLAT : 0)
                        | (atRail > 0 && atRail >= fraction * samples ? ChannelHealth.CLIPPED : 0);
                assertThat(health.reasons(c)).as("trial %d (rail %s), channel %d", trial, clip, c).isEqualTo(want);
                expectedDead += want != 0 ? 1 : 0;
            }
            assertThat(dead).isEqualTo(expectedDead);
        }
    }
}
