package io.reflex.decoders.linear;

import io.reflex.decoders.CalibrationSet;
import io.reflex.decoders.DecodeStatus;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class WienerDecoderTest {

    static CalibrationSet randomSet(int rows, int channels, int outputs, long seed) {
        final Random rnd = new Random(seed);
        final CalibrationSet set = new CalibrationSet(rows, channels, outputs);
        final float[] z = new float[channels];
        final float[] y = new float[outputs];
        for (int t = 0; t < rows; t++) {
            for (int j = 0; j < channels; j++) {
                z[j] = rnd.nextInt(6);
            }
            for (int o = 0; o < outputs; o++) {
                y[o] = (float) rnd.nextGaussian();
            }
            set.add(z, y);
        }
        return set;
    }

    /** (ΦᵀΦ + diag(0, λ, …, λ))⁻¹ΦᵀY on the design [1, z_t, z_{t−1}, …], computed with plain matrices. */
    static double[][] closedForm(CalibrationSet set, int lags, double lambda) {
        final int n = set.channels();
        final int rows = set.size() - lags + 1;
        final int cols = 1 + n * lags;
        final double[][] phi = new double[rows][cols];
        final double[][] y = new double[rows][set.outputs()];
        for (int r = 0; r < rows; r++) {
            final int t = r + lags - 1;
            phi[r][0] = 1;
            for (int k = 0; k < lags; k++) {
                for (int j = 0; j < n; j++) {
                    phi[r][1 + k * n + j] = set.feature(t - k, j);
                }
            }
            for (int o = 0; o < set.outputs(); o++) {
                y[r][o] = set.target(t, o);
            }
        }
        final double[][] gram = Naive.mul(Naive.t(phi), phi);
        for (int i = 1; i < cols; i++) {
            gram[i][i] += lambda;
        }
        return Naive.mul(Naive.mul(Naive.inv(gram), Naive.t(phi)), y);
    }

    @Test
    void fitMatchesTheNormalEquationsWithAndWithoutRidge() {
        final CalibrationSet set = randomSet(40, 3, 2, 1);
        for (double lambda : new double[] {0.0, 3.5, 200.0}) {
            final WienerDecoder w = new WienerDecoder(3, 2, 2, lambda);
            w.fit(set);
            final double[][] expected = closedForm(set, 2, lambda);
            for (int o = 0; o < 2; o++) {
                assertThat(w.bias(o)).as("bias %d, lambda %s", o, lambda).isCloseTo(expected[0][o], within(1e-10));
                for (int k = 0; k < 2; k++) {
                    for (int j = 0; j < 3; j++) {
                        assertThat(w.coefficient(k, j, o)).as("W[%d][%d][%d], lambda %s", k, j, o, lambda)
                                .isCloseTo(expected[1 + k * 3 + j][o], within(1e-10));
                    }
                }
            }
        }
    }

    @Test
    void recoversAnExactLaggedMapWithoutRidge() {
        final Random rnd = new Random(2);
        final int rows = 60;
        final float[][] z = new float[rows][2];
        final CalibrationSet set = new CalibrationSet(rows, 2, 1);
        for (int t = 0; t < rows; t++) {
            z[t][0] = rnd.nextInt(5);
            z[t][1] = rnd.nextInt(5);
            final double prev0 = t > 0 ? z[t - 1][0] : 0;
            final double prev1 = t > 0 ? z[t - 1][1] : 0;
            final double y = 0.5 + 0.25 * z[t][0] - 0.125 * z[t][1] + 0.0625 * prev0 + 0.5 * prev1;
            set.add(z[t], new float[] {(float) y});
        }
        final WienerDecoder w = new WienerDecoder(2, 1, 2, 0.0);
        w.fit(set);
        assertThat(w.bias(0)).isCloseTo(0.5, within(1e-9));
        assertThat(w.coefficient(0, 0, 0)).isCloseTo(0.25, within(1e-9));
        assertThat(w.coefficient(0, 1, 0)).isCloseTo(-0.125, within(1e-9));
        assertThat(w.coefficient(1, 0, 0)).isCloseTo(0.0625, within(1e-9));
        assertThat(w.coefficient(1, 1, 0)).isCloseTo(0.5, within(1e-9));
    }

    @Test
    void ridgeShrinksTheCoefficientsMonotonicallyTowardsTheMeanPredictor() {
        final CalibrationSet set = randomSet(80, 4, 1, 3);
        double previous = Double.POSITIVE_INFINITY;
        for (double lambda : new double[] {0, 1, 10, 100, 1e3, 1e5}) {
            final WienerDecoder w = new WienerDecoder(4, 1, 3, lambda);
            w.fit(set);
            double norm = 0;
            for (int k = 0; k < 3; k++) {
                for (int j = 0; j < 4; j++) {
                    norm += w.coefficient(k, j, 0) * w.coefficient(k, j, 0);
                }
            }
            assertThat(norm).as("||W||² at lambda %s", lambda).isLessThan(previous);
            previous = norm;
        }
        final WienerDecoder huge = new WienerDecoder(4, 1, 3, 1e15);
        huge.fit(set);
        double mean = 0;
        for (int t = 2; t < set.size(); t++) {
            mean += set.target(t, 0);
        }
        mean /= set.size() - 2;
        assertThat(huge.bias(0)).isCloseTo(mean, within(1e-9));
        assertThat(Math.abs(huge.coefficient(0, 0, 0))).isLessThan(1e-10);
    }

    @Test
    void decodeAppliesTheLagsThroughTheRingAndStartsFromTheCalibrationMean() {
        final CalibrationSet set = randomSet(50, 2, 1, 4);
        final WienerDecoder w = new WienerDecoder(2, 1, 3, 1.0);
        w.fit(set);
        final double[] mean = new double[2];
        for (int t = 0; t < 50; t++) {
            mean[0] += set.feature(t, 0);
            mean[1] += set.feature(t, 1);
        }
        mean[0] /= 50;
        mean[1] /= 50;
        final float[][] inputs = {{1, 2}, {3, 0}, {0, 5}, {4, 4}, {2, 1}, {5, 3}, {0, 0}};
        final float[] out = new float[1];
        for (int t = 0; t < inputs.length; t++) {
            assertThat(w.decode(inputs[t], out)).isEqualTo(DecodeStatus.OK);
            double expected = w.bias(0);
            for (int k = 0; k < 3; k++) {
                for (int j = 0; j < 2; j++) {
                    final double z = t - k >= 0 ? inputs[t - k][j] : mean[j];
                    expected += w.coefficient(k, j, 0) * z;
                }
            }
            assertThat((double) out[0]).as("bin %d", t).isCloseTo(expected, within(1e-5));
        }
    }

    @Test
    void invalidInputYieldsZeroAndIsNotEnteredIntoTheHistory() {
        final CalibrationSet set = randomSet(50, 2, 1, 5);
        final WienerDecoder w = new WienerDecoder(2, 1, 3, 1.0);
        final WienerDecoder twin = new WienerDecoder(2, 1, 3, 1.0);
        w.fit(set);
        twin.fit(set);
        final float[] out = {9f};
        final float[] twinOut = new float[1];
        w.decode(new float[] {1, 2}, out);
        twin.decode(new float[] {1, 2}, twinOut);
        assertThat(w.decode(new float[] {Float.NaN, 2}, out)).isEqualTo(DecodeStatus.INVALID_INPUT);
        assertThat(out[0]).isZero();
        assertThat(w.decode(new float[] {1, Float.NEGATIVE_INFINITY}, out)).isEqualTo(DecodeStatus.INVALID_INPUT);
        assertThat(w.invalidInputCount()).isEqualTo(2);
        w.decode(new float[] {3, 1}, out);
        twin.decode(new float[] {3, 1}, twinOut);
        assertThat(out[0]).isEqualTo(twinOut[0]);
    }

    @Test
    void nonFiniteResultYieldsZeroAndNumericFault() {
        final Random rnd = new Random(6);
        final CalibrationSet set = new CalibrationSet(40, 1, 1);
        for (int t = 0; t < 40; t++) {
            final float z = rnd.nextInt(4);
            set.add(new float[] {z}, new float[] {1e6f * z});
        }
        final WienerDecoder w = new WienerDecoder(1, 1, 1, 0.0);
        w.fit(set);
        final float[] out = {3f};
        assertThat(w.decode(new float[] {1e36f}, out)).isEqualTo(DecodeStatus.NUMERIC_FAULT);
        assertThat(out[0]).isZero();
        assertThat(w.numericFaultCount()).isEqualTo(1);
    }

    @Test
    void fitRejectsSingularDesignsTooFewBinsAndWrongShapes() {
        final WienerDecoder ols = new WienerDecoder(4, 1, 5, 0.0);
        assertThatThrownBy(() -> ols.fit(randomSet(20, 4, 1, 7)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Wiener fit is singular")
                .hasMessageContaining("raise lambda");
        assertThat(ols.fitted()).isFalse();
        assertThatThrownBy(() -> ols.fit(randomSet(5, 4, 1, 7)))
                .hasMessage("Wiener fit needs at least 6 calibration bins for 5 lags, got 5");
        assertThatThrownBy(() -> ols.fit(randomSet(50, 3, 1, 7)))
                .hasMessageContaining("calibration set is 3 channels x 1 outputs, the Wiener decoder expects 4 x 1");
        assertThatThrownBy(() -> new WienerDecoder(4, 1, 0, 1.0)).hasMessageContaining("lags must be in [1, 1000]");
        assertThatThrownBy(() -> new WienerDecoder(4, 1, 2, Double.NaN)).hasMessageContaining("lambda must be");
        final float[] out = {1f};
        assertThat(ols.decode(new float[4], out)).isEqualTo(DecodeStatus.NOT_READY);
        assertThat(out[0]).isZero();
    }

    @Test
    void decodeAllocatesNothing() {
        final WienerDecoder w = new WienerDecoder(8, 2, 10, 10.0);
        w.fit(randomSet(200, 8, 2, 8));
        final float[] z = new float[8];
        final float[] out = new float[2];
        for (int i = 0; i < 20_000; i++) {
            w.decode(z, out);
        }
        final long before = KalmanDecoderTest.allocatedBytes();
        for (int i = 0; i < 20_000; i++) {
            z[i & 7] = i & 3;
            w.decode(z, out);
        }
        assertThat(KalmanDecoderTest.allocatedBytes() - before).isLessThan(1024);
    }
}
