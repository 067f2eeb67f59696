package io.reflex.decoders.linear;

import io.reflex.decoders.CalibrationSet;
import io.reflex.decoders.DecodeStatus;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class KalmanDecoderTest {

    /** Simulates x' = A x + a + w, z = H x + c + q with Gaussian noise; targets are the d dynamic states. */
    static CalibrationSet simulate(int rows, int channels, double noise, long seed, double[][] aFull,
                                   double[][] hFull) {
        final Random rnd = new Random(seed);
        final int m = aFull.length;
        final int d = m - 1;
        final CalibrationSet set = new CalibrationSet(rows, channels, d);
        final double[] x = new double[m];
        x[0] = 0.3;
        x[m - 1] = 1;
        final float[] z = new float[channels];
        final float[] tgt = new float[d];
        for (int t = 0; t < rows; t++) {
            for (int j = 0; j < channels; j++) {
                double s = 0;
                for (int i = 0; i < m; i++) {
                    s += hFull[j][i] * x[i];
                }
                z[j] = (float) (s + noise * rnd.nextGaussian());
            }
            for (int i = 0; i < d; i++) {
                tgt[i] = (float) x[i];
            }
            assertThat(set.add(z, tgt)).isTrue();
            final double[] nx = new double[m];
            for (int i = 0; i < m; i++) {
                double s = 0;
                for (int j = 0; j < m; j++) {
                    s += aFull[i][j] * x[j];
                }
                nx[i] = s + (i < d ? noise * rnd.nextGaussian() : 0);
            }
            // Targets are stored as float: round the state so the fit sees exactly the simulated values.
            for (int i = 0; i < d; i++) {
                nx[i] = (float) nx[i];
            }
            System.arraycopy(nx, 0, x, 0, m);
        }
        return set;
    }

    static final double[][] A_ROT = {
            {Math.cos(0.2), -Math.sin(0.2), 0.01},
            {Math.sin(0.2), Math.cos(0.2), -0.02},
            {0, 0, 1}};
    static final double[][] H3 = {{1.5, -0.5, 2.0}, {0.25, 1.0, 0.5}, {-1.0, 0.75, 3.0}, {0.5, 0.5, 1.0}};

    @Test
    void fitRecoversAAndHFromNoiselessData() {
        final CalibrationSet set = simulate(200, 4, 0.0, 1, A_ROT, H3);
        final KalmanDecoder k = new KalmanDecoder(4, 2, KalmanDecoder.Gain.STEADY_STATE, true);
        k.fit(set);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                assertThat(k.transition(i, j)).as("A[%d][%d]", i, j).isCloseTo(A_ROT[i][j], within(1e-6));
            }
        }
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 3; j++) {
                // z is stored as float, so H is recovered to float precision.
                assertThat(k.observation(i, j)).as("H[%d][%d]", i, j).isCloseTo(H3[i][j], within(1e-5));
            }
        }
        assertThat(k.fitted()).isTrue();
    }

    /** Closed-form least squares of decoders/BASELINES.md §1 with plain matrices, against the fitted parameters. */
    @Test
    void fitMatchesTheLeastSquaresClosedFormOnNoisyData() {
        final int rows = 400;
        final CalibrationSet set = simulate(rows, 4, 0.2, 2, A_ROT, H3);
        final KalmanDecoder k = new KalmanDecoder(4, 2, KalmanDecoder.Gain.FULL, true);
        k.fit(set);
        final double[][] x = new double[3][rows];
        final double[][] z = new double[4][rows];
        for (int t = 0; t < rows; t++) {
            x[0][t] = set.target(t, 0);
            x[1][t] = set.target(t, 1);
            x[2][t] = 1;
            for (int j = 0; j < 4; j++) {
                z[j][t] = set.feature(t, j);
            }
        }
        final double[][] x1 = new double[3][rows - 1];
        final double[][] x2 = new double[3][rows - 1];
        for (int i = 0; i < 3; i++) {
            System.arraycopy(x[i], 0, x1[i], 0, rows - 1);
            System.arraycopy(x[i], 1, x2[i], 0, rows - 1);
        }
        final double[][] a = Naive.mul(Naive.mul(x2, Naive.t(x1)), Naive.inv(Naive.mul(x1, Naive.t(x1))));
        final double[][] r = Naive.add(x2, Naive.mul(a, x1), -1);
        final double[][] w = Naive.scale(Naive.mul(r, Naive.t(r)), 1.0 / (rows - 1));
        final double[][] h = Naive.mul(Naive.mul(z, Naive.t(x)), Naive.inv(Naive.mul(x, Naive.t(x))));
        final double[][] e = Naive.add(z, Naive.mul(h, x), -1);
        final double[][] q = Naive.scale(Naive.mul(e, Naive.t(e)), 1.0 / rows);
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                assertThat(k.transition(i, j)).isCloseTo(a[i][j], within(1e-10));
            }
            for (int j = 0; j < 2; j++) {
                // W carries a ridge of 1e-9 * trace/2 on its diagonal.
                assertThat(k.processNoise(i, j)).isCloseTo(w[i][j], within(1e-9 * Naive.maxAbs(w) + 1e-12));
            }
        }
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 3; j++) {
                assertThat(k.observation(i, j)).isCloseTo(h[i][j], within(1e-10));
            }
            for (int j = 0; j < 4; j++) {
                assertThat(k.observationNoise(i, j)).isCloseTo(q[i][j], within(1e-9 * Naive.maxAbs(q) + 1e-12));
            }
        }
        // The fit should be close to the truth too (400 bins, noise 0.2).
        assertThat(k.transition(0, 0)).isCloseTo(A_ROT[0][0], within(0.05));
        assertThat(k.observation(2, 2)).isCloseTo(H3[2][2], within(0.2));
    }

    /** Scalar model: the steady-state prior variance solves h²p² + (Q(1−a²) − Wh²)p − WQ = 0. */
    /**
     * Q accumulated a block of rows at a time equals, bit for bit off the diagonal (which carries the ridge), the
     * row-by-row sum in row order: 70 channels over 1,001 rows, so the last block is short.
     */
    @Test
    void observationNoiseIsTheRowOrderSumBitForBit() {
        final int rows = 1_001;
        final int channels = 70;
        final double[][] h = new double[channels][3];
        final Random rnd = new Random(9);
        for (double[] row : h) {
            for (int i = 0; i < 3; i++) {
                row[i] = rnd.nextGaussian();
            }
        }
        final CalibrationSet set = simulate(rows, channels, 0.3, 4, A_ROT, h);
        final KalmanDecoder k = new KalmanDecoder(channels, 2, KalmanDecoder.Gain.STEADY_STATE, true);
        k.fit(set);
        final double[] q = new double[channels * channels];
        final double[] e = new double[channels];
        for (int t = 0; t < rows; t++) {
            final double[] x = {set.target(t, 0), set.target(t, 1), 1.0};
            for (int j = 0; j < channels; j++) {
                double s = set.feature(t, j);
                for (int i = 0; i < 3; i++) {
                    s -= k.observation(j, i) * x[i];
                }
                e[j] = s;
            }
            for (int i = 0; i < channels; i++) {
                for (int j = 0; j < i; j++) {
                    q[i * channels + j] += e[i] * e[j];
                }
            }
        }
        for (int i = 0; i < channels; i++) {
            for (int j = 0; j < i; j++) {
                assertThat(k.observationNoise(i, j)).as("Q[%d][%d]", i, j).isEqualTo(q[i * channels + j] / rows);
                assertThat(k.observationNoise(j, i)).isEqualTo(q[i * channels + j] / rows);
            }
        }
    }

    @Test
    void steadyStateGainMatchesTheScalarRiccatiSolution() {
        final double a = 0.9;
        final double w = 0.1;
        final double h = 2.0;
        final double q = 0.5;
        final KalmanDecoder k = new KalmanDecoder(1, 1, KalmanDecoder.Gain.STEADY_STATE, false);
        k.setParameters(new double[] {a}, new double[] {w}, new double[] {h}, new double[] {q});
        final double bq = q * (1 - a * a) - w * h * h;
        final double prior = (-bq + Math.sqrt(bq * bq + 4 * h * h * w * q)) / (2 * h * h);
        final double gain = prior * h / (h * h * prior + q);
        assertThat(k.steadyStateGain(0, 0)).isCloseTo(gain, within(1e-8));
        assertThat(k.riccatiIterations()).isGreaterThan(1);
        // One steady step from x = 0: x = (1 − K h)·a·0 + K z.
        final float[] out = new float[1];
        assertThat(k.decode(new float[] {1.0f}, out)).isEqualTo(DecodeStatus.OK);
        assertThat(out[0]).isCloseTo((float) gain, within(1e-6f));
    }

    /** Information-form Riccati against the textbook K = P⁻Hᵀ(HP⁻Hᵀ+Q)⁻¹ on a multi-channel model. */
    @Test
    void steadyStateGainMatchesTheTextbookRiccatiRecursion() {
        final double[][] a = {{0.95, 0.1}, {-0.05, 0.9}};
        final double[][] w = {{0.02, 0.005}, {0.005, 0.01}};
        final double[][] h = {{1, 0}, {0.5, 2}, {-1, 1}};
        final double[][] q = {{0.3, 0.05, 0}, {0.05, 0.4, 0.1}, {0, 0.1, 0.5}};
        final KalmanDecoder k = new KalmanDecoder(3, 2, KalmanDecoder.Gain.STEADY_STATE, false);
        k.setParameters(Naive.flat(a), Naive.flat(w), Naive.flat(h), Naive.flat(q));
        double[][] p = new double[2][2];
        double[][] gain = null;
        for (int it = 0; it < 5000; it++) {
            final double[][] prior = Naive.add(Naive.mul(Naive.mul(a, p), Naive.t(a)), w, 1);
            gain = Naive.mul(Naive.mul(prior, Naive.t(h)),
                    Naive.inv(Naive.add(Naive.mul(Naive.mul(h, prior), Naive.t(h)), q, 1)));
            p = Naive.mul(Naive.add(Naive.eye(2), Naive.mul(gain, h), -1), prior);
        }
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                assertThat(k.steadyStateGain(i, j)).isCloseTo(gain[i][j], within(1e-8));
            }
        }
    }

    /** Full-gain filter (information form, constant handled analytically) against a textbook filter on (x, 1). */
    @Test
    void fullGainFilterMatchesTheTextbookFilterStepByStep() {
        final CalibrationSet set = simulate(300, 4, 0.3, 3, A_ROT, H3);
        final KalmanDecoder k = new KalmanDecoder(4, 2, KalmanDecoder.Gain.FULL, true);
        k.fit(set);
        final double[][] a = new double[3][3];
        final double[][] w = new double[3][3];
        final double[][] h = new double[4][3];
        final double[][] q = new double[4][4];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                a[i][j] = k.transition(i, j);
                w[i][j] = i < 2 && j < 2 ? k.processNoise(i, j) : 0;
            }
        }
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 3; j++) {
                h[i][j] = k.observation(i, j);
            }
            for (int j = 0; j < 4; j++) {
                q[i][j] = k.observationNoise(i, j);
            }
        }
        double[][] x = {{0}, {0}, {1}};
        double[][] p = new double[3][3];
        final CalibrationSet test = simulate(100, 4, 0.3, 4, A_ROT, H3);
        final float[] zf = new float[4];
        final float[] out = new float[2];
        for (int t = 0; t < test.size(); t++) {
            final double[][] z = new double[4][1];
            for (int j = 0; j < 4; j++) {
                zf[j] = (float) test.feature(t, j);
                z[j][0] = zf[j];
            }
            final double[][] xp = Naive.mul(a, x);
            final double[][] pp = Naive.add(Naive.mul(Naive.mul(a, p), Naive.t(a)), w, 1);
            final double[][] gain = Naive.mul(Naive.mul(pp, Naive.t(h)),
                    Naive.inv(Naive.add(Naive.mul(Naive.mul(h, pp), Naive.t(h)), q, 1)));
            x = Naive.add(xp, Naive.mul(gain, Naive.add(z, Naive.mul(h, xp), -1)), 1);
            p = Naive.mul(Naive.add(Naive.eye(3), Naive.mul(gain, h), -1), pp);
            assertThat(k.decode(zf, out)).isEqualTo(DecodeStatus.OK);
            assertThat(k.state(0)).as("vx at bin %d", t).isCloseTo(x[0][0], within(1e-9));
            assertThat(k.state(1)).as("vy at bin %d", t).isCloseTo(x[1][0], within(1e-9));
            assertThat(out[0]).isEqualTo((float) k.state(0));
        }
    }

    @Test
    void fullGainConvergesToTheSteadyStateGainAndOutputs() {
        final CalibrationSet set = simulate(300, 4, 0.3, 5, A_ROT, H3);
        final KalmanDecoder full = new KalmanDecoder(4, 2, KalmanDecoder.Gain.FULL, true);
        final KalmanDecoder steady = new KalmanDecoder(4, 2, KalmanDecoder.Gain.STEADY_STATE, true);
        full.fit(set);
        steady.fit(set);
        final CalibrationSet test = simulate(400, 4, 0.3, 6, A_ROT, H3);
        final float[] z = new float[4];
        final float[] of = new float[2];
        final float[] os = new float[2];
        for (int t = 0; t < test.size(); t++) {
            for (int j = 0; j < 4; j++) {
                z[j] = (float) test.feature(t, j);
            }
            full.decode(z, of);
            steady.decode(z, os);
        }
        final double[] kFull = new double[8];
        final double[] kSteady = new double[8];
        full.currentGain(kFull);
        steady.currentGain(kSteady);
        for (int i = 0; i < 8; i++) {
            assertThat(kFull[i]).isCloseTo(kSteady[i], within(1e-9));
        }
        assertThat(of[0]).isCloseTo(os[0], within(1e-5f));
        assertThat(of[1]).isCloseTo(os[1], within(1e-5f));
    }

    @Test
    void invalidInputYieldsZeroVelocityAndLeavesTheStateAlone() {
        final KalmanDecoder k = fitted(KalmanDecoder.Gain.FULL);
        final KalmanDecoder twin = fitted(KalmanDecoder.Gain.FULL);
        final float[] z = {1, 2, 3, 4};
        final float[] out = new float[2];
        final float[] twinOut = new float[2];
        k.decode(z, out);
        twin.decode(z, twinOut);
        assertThat(out[0]).isNotZero();
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            assertThat(k.decode(new float[] {1, bad, 3, 4}, out)).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(out).containsExactly(0f, 0f);
        }
        assertThat(k.invalidInputCount()).isEqualTo(3);
        k.decode(z, out);
        twin.decode(z, twinOut);
        assertThat(out).containsExactly(twinOut);
    }

    @Test
    void nonFiniteResultYieldsZeroVelocityAndResets() {
        final KalmanDecoder k = new KalmanDecoder(1, 1, KalmanDecoder.Gain.STEADY_STATE, false);
        // A tiny observation gain makes K ≈ 1/h = 1e6: a count of 1e36 decodes to ~1e42, beyond float.
        k.setParameters(new double[] {0.5}, new double[] {1}, new double[] {1e-6}, new double[] {1e-12});
        final float[] out = {7f};
        assertThat(k.decode(new float[] {1e36f}, out)).isEqualTo(DecodeStatus.NUMERIC_FAULT);
        assertThat(out[0]).isZero();
        assertThat(k.state(0)).isZero();
        assertThat(k.numericFaultCount()).isEqualTo(1);
        assertThat(k.decode(new float[] {0f}, out)).isEqualTo(DecodeStatus.OK);
    }

    @Test
    void unfittedDecoderIsNotReady() {
        final KalmanDecoder k = new KalmanDecoder(2, 2, KalmanDecoder.Gain.FULL, true);
        final float[] out = {5f, 5f};
        assertThat(k.decode(new float[] {1, 1}, out)).isEqualTo(DecodeStatus.NOT_READY);
        assertThat(out).containsExactly(0f, 0f);
    }

    @Test
    void fitRejectsTooLittleDataConstantTargetsAndWrongShapes() {
        final KalmanDecoder k = new KalmanDecoder(4, 2, KalmanDecoder.Gain.STEADY_STATE, true);
        assertThatThrownBy(() -> k.fit(simulate(7, 4, 0.1, 1, A_ROT, H3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Kalman fit needs at least 8 calibration bins for 4 channels and a state of 3, got 7");
        final CalibrationSet still = new CalibrationSet(50, 4, 2);
        final Random rnd = new Random(1);
        for (int t = 0; t < 50; t++) {
            still.add(new float[] {rnd.nextInt(3), rnd.nextInt(3), rnd.nextInt(3), rnd.nextInt(3)}, new float[] {0, 0});
        }
        assertThatThrownBy(() -> k.fit(still)).hasMessageContaining("Kalman fit is singular");
        assertThatThrownBy(() -> k.fit(new CalibrationSet(50, 3, 2)))
                .hasMessageContaining("calibration set is 3 channels x 2 outputs, the Kalman decoder expects 4 x 2");
        assertThat(k.fitted()).isFalse();
        assertThatThrownBy(() -> k.setParameters(new double[9], new double[4], new double[12], new double[15]))
                .hasMessageContaining("observationNoise must have 16 elements, had 15");
        assertThatThrownBy(() -> new KalmanDecoder(0, 2, KalmanDecoder.Gain.FULL, true))
                .hasMessageContaining("channels must be >= 1");
    }

    @Test
    void decodeAllocatesNothingInEitherMode() {
        for (KalmanDecoder.Gain gain : KalmanDecoder.Gain.values()) {
            final KalmanDecoder k = fitted(gain);
            final float[] z = {1, 2, 3, 4};
            final float[] out = new float[2];
            for (int i = 0; i < 20_000; i++) {
                k.decode(z, out);
            }
            final long before = allocatedBytes();
            for (int i = 0; i < 20_000; i++) {
                z[0] = i & 7;
                k.decode(z, out);
            }
            assertThat(allocatedBytes() - before).as("bytes allocated by 20000 %s decodes", gain).isLessThan(1024);
        }
    }

    static long allocatedBytes() {
        final com.sun.management.ThreadMXBean bean =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        return bean.getCurrentThreadAllocatedBytes();
    }

    private static KalmanDecoder fitted(KalmanDecoder.Gain gain) {
        final KalmanDecoder k = new KalmanDecoder(4, 2, gain, true);
        k.fit(simulate(300, 4, 0.3, 9, A_ROT, H3));
        return k;
    }
}
