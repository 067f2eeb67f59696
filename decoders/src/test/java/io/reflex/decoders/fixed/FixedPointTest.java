package io.reflex.decoders.fixed;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class FixedPointTest {

    @Test
    void rshiftRoundIsRoundHalfUpOnNegativesToo() {
        assertThat(FixedPoint.rshiftRound(3, 1)).isEqualTo(2);    // 1.5 → 2
        assertThat(FixedPoint.rshiftRound(-3, 1)).isEqualTo(-1);  // −1.5 → −1 (half up, not away)
        assertThat(FixedPoint.rshiftRound(-5, 2)).isEqualTo(-1);  // −1.25 → −1
        assertThat(FixedPoint.rshiftRound(-6, 2)).isEqualTo(-1);  // −1.5 → −1
        assertThat(FixedPoint.rshiftRound(-7, 2)).isEqualTo(-2);  // −1.75 → −2
        assertThat(FixedPoint.rshiftRound(5, 0)).isEqualTo(5);
        assertThat(FixedPoint.rshiftRound(-5, -3)).isEqualTo(-40);
    }

    @Property
    void rshiftRoundEqualsFloorOfValuePlusHalf(@ForAll @LongRange(min = -(1L << 46), max = 1L << 46) long acc,
                                               @ForAll @IntRange(min = 1, max = 30) int s) {
        double exact = Math.floor((double) acc / (1L << s) + 0.5);
        // exact in double for |acc| < 2^47 and s ≤ 30 (the quotient plus 0.5 has at most 48 significant bits)
        assertThat(FixedPoint.rshiftRound(acc, s)).isEqualTo((long) exact);
    }

    @Test
    void requantSaturates() {
        assertThat(FixedPoint.requant16(1L << 40, 4)).isEqualTo(Short.MAX_VALUE);
        assertThat(FixedPoint.requant16(-(1L << 40), 4)).isEqualTo(Short.MIN_VALUE);
        assertThat(FixedPoint.sat32(1L << 40)).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void weightQuantisationFollowsTheContract() {
        assertThat(FixedPoint.weightFracBits(new double[] {0.9999})).isEqualTo(15);
        assertThat(FixedPoint.weightFracBits(new double[] {0.99999})).isEqualTo(14); // 32767.67 rounds to 32768
        assertThat(FixedPoint.weightFracBits(new double[] {-3.2})).isEqualTo(13);
        assertThat(FixedPoint.weightFracBits(new double[] {0, 0})).isEqualTo(15);
        assertThat(FixedPoint.quantizeWeights(new double[] {0.5 / 8192, -0.5 / 8192, 1.5 / 8192}, 13))
                .containsExactly((short) 1, (short) -1, (short) 2); // ties away from zero
        assertThat(FixedPoint.quantizeBias(new double[] {2e9, -2.5}, 1)).containsExactly(Integer.MAX_VALUE, -5);
        assertThat(FixedPoint.roundHalfAway(-2.5)).isEqualTo(-3.0);
        assertThat(FixedPoint.roundHalfAway(2.5)).isEqualTo(3.0);
    }

    @Test
    void lutsMatchTheDefinitionAndIndexClamps() {
        short[] s = ActivationLuts.sigmoid();
        short[] t = ActivationLuts.tanh();
        assertThat(s).hasSize(4096);
        assertThat(s[2048]).isEqualTo((short) Math.round((1 / (1 + Math.exp(-0.5 / 256))) * 16384));
        assertThat(t[0]).isEqualTo((short) -16384);
        assertThat(ActivationLuts.index(0)).isEqualTo(2048);
        assertThat(ActivationLuts.index(-8 * 1024)).isZero();
        assertThat(ActivationLuts.index(-8 * 1024 - 1)).isZero();
        assertThat(ActivationLuts.index(8 * 1024)).isEqualTo(4095);
        assertThat(ActivationLuts.index(-1)).isEqualTo(2047); // floor shift
        double worstS = 0;
        double worstT = 0;
        for (int p = -8 * 1024; p < 8 * 1024; p++) {
            double x = p / 1024.0;
            worstS = Math.max(worstS, Math.abs(ActivationLuts.sigmoidAt(p) / 16384.0 - 1 / (1 + Math.exp(-x))));
            worstT = Math.max(worstT, Math.abs(ActivationLuts.tanhAt(p) / 16384.0 - Math.tanh(x)));
        }
        assertThat(worstS).isLessThan(5.2e-4); // 0.25·2^-9 (step) + 2^-15 (output rounding)
        assertThat(worstT).isLessThan(2.0e-3); // 2^-9 + 2^-15
    }

    @Test
    void matvecIsExactThenRequantised() {
        short[] w = {3, -2, 1, 4};
        int[] b = {10, -10};
        short[] v = {100, 50};
        short[] y = new short[2];
        FixedPoint.matvec(w, 2, 0, 2, b, v, 0, 2, y, 0);
        assertThat(y[0]).isEqualTo((short) FixedPoint.rshiftRound(10 + 300 - 100, 2));
        assertThat(y[1]).isEqualTo((short) FixedPoint.rshiftRound(-10 + 100 + 200, 2));
    }
}
