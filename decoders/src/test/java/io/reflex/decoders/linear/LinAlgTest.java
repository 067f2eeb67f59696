package io.reflex.decoders.linear;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LinAlgTest {

    @Test
    void choleskySolvesAKnownSystem() {
        // A = [[4,2],[2,3]] = L·Lᵀ with L = [[2,0],[1,√2]]; A·x = (2, 1) has x = (0.5, 0).
        final double[] a = {4, 2, 2, 3};
        assertThat(LinAlg.cholesky(a, 2)).isTrue();
        assertThat(a[0]).isCloseTo(2, within(1e-15));
        assertThat(a[2]).isCloseTo(1, within(1e-15));
        assertThat(a[3]).isCloseTo(Math.sqrt(2), within(1e-15));
        assertThat(a[1]).isZero();
        final double[] b = {2, 1};
        LinAlg.choleskySolve(a, 2, b, 1);
        assertThat(b[0]).isCloseTo(0.5, within(1e-15));
        assertThat(b[1]).isCloseTo(0, within(1e-15));
    }

    @Test
    void choleskyRefusesSingularAndIndefiniteMatrices() {
        assertThat(LinAlg.cholesky(new double[] {1, 1, 1, 1}, 2)).isFalse();
        assertThat(LinAlg.cholesky(new double[] {1, 2, 2, 1}, 2)).isFalse();
        assertThat(LinAlg.cholesky(new double[] {0, 0, 0, 0}, 2)).isFalse();
    }

    @Test
    void luPivotsPastAZeroDiagonal() {
        // A zero leading pivot: fails without row exchanges.
        final double[] a = {0, 1, 2, 3};
        final int[] piv = new int[2];
        assertThat(LinAlg.lu(a, 2, piv)).isTrue();
        assertThat(piv).containsExactly(1, 0);
        final double[] x = new double[2];
        // [[0,1],[2,3]]·(1, 2) = (2, 8)
        LinAlg.luSolve(a, 2, piv, new double[] {2, 8}, x, 1);
        assertThat(x[0]).isCloseTo(1, within(1e-15));
        assertThat(x[1]).isCloseTo(2, within(1e-15));
    }

    @Test
    void invertMatchesTheClosedFormThreeByThreeInverse() {
        final double[] a = {2, -1, 0, -1, 2, -1, 0, -1, 2};
        final double[] inv = new double[9];
        assertThat(LinAlg.invert(a, inv, new double[9], new int[3], 3)).isTrue();
        final double[] expected = {0.75, 0.5, 0.25, 0.5, 1.0, 0.5, 0.25, 0.5, 0.75};
        for (int i = 0; i < 9; i++) {
            assertThat(inv[i]).isCloseTo(expected[i], within(1e-14));
        }
        assertThat(a).containsExactly(2, -1, 0, -1, 2, -1, 0, -1, 2);
    }

    @Test
    void invertReportsSingularMatrices() {
        assertThat(LinAlg.invert(new double[] {1, 2, 2, 4}, new double[4], new double[4], new int[2], 2)).isFalse();
    }

    @Test
    void multiplyVariantsAgree() {
        final double[] a = {1, 2, 3, 4, 5, 6};        // 2x3
        final double[] b = {7, 8, 9, 10, 11, 12};     // 3x2
        final double[] bt = {7, 9, 11, 8, 10, 12};    // (3x2)ᵀ stored as 2x3
        final double[] c1 = new double[4];
        final double[] c2 = new double[4];
        LinAlg.multiply(a, b, c1, 2, 3, 2);
        LinAlg.multiplyTransposeB(a, bt, c2, 2, 3, 2);
        assertThat(c1).containsExactly(58, 64, 139, 154);
        assertThat(c2).containsExactly(58, 64, 139, 154);
        final double[] y = new double[2];
        LinAlg.multiplyVector(a, new double[] {1, 0, -1}, y, 2, 3);
        assertThat(y).containsExactly(-2, -2);
    }

    @Test
    void dotProductsCoverTheUnrolledBodyAndTheTail() {
        for (int len = 0; len <= 9; len++) {
            final double[] a = new double[len + 2];
            final double[] b = new double[len + 3];
            final float[] f = new float[len];
            double expected = 0;
            for (int i = 0; i < len; i++) {
                a[i + 2] = i + 1;
                b[i + 3] = 0.5 * (i - 3);
                f[i] = (float) b[i + 3];
                expected += a[i + 2] * b[i + 3];
            }
            assertThat(LinAlg.dot(a, 2, b, 3, len)).as("len %d", len).isEqualTo(expected);
            assertThat(LinAlg.dot(a, 2, f, len)).as("len %d", len).isEqualTo(expected);
        }
    }
}
