package io.reflex.runtime.frontend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ButterworthTest {
    private static final double FS = 30_000;

    // References: scipy 1.17.1 (numpy 2.4.6, Python 3.11.7), computed on 2026-12-03 with
    //   scipy.signal.butter(N, fc, btype=BTYPE, fs=30000, output='sos')
    // for the (N, fc, BTYPE) named on each constant; rows printed with repr(float(x)). scipy puts the whole gain in
    // the first section and may pair poles and zeros into sections differently (for odd orders), so the test
    // compares the cascades' whole transfer functions (the products of the sections' polynomials), not rows.

    /** butter(4, 250, btype='highpass', fs=30000, output='sos'). */
    private static final double[][] SCIPY_HP4_250 = {
        {0.9338675736364779, -1.8677351472729558, 0.9338675736364779, 1.0, -1.9051414440976044, 0.9077559573338853},
        {1.0, -2.0, 1.0, 1.0, -1.9580431783283938, 0.9607302910479292},
    };
    /** butter(3, 250, btype='highpass', fs=30000, output='sos'). */
    private static final double[][] SCIPY_HP3_250 = {
        {0.9489816063928598, -0.9489816063928598, 0.0, 1.0, -0.9489645667148797, 0.0},
        {1.0, -2.0, 1.0, 1.0, -1.9463276111630174, 0.9489986460708401},
    };
    /** butter(2, 250, btype='highpass', fs=30000, output='sos'). */
    private static final double[][] SCIPY_HP2_250 = {
        {0.9636527639641734, -1.9273055279283469, 0.9636527639641734, 1.0, -1.9259839697318861, 0.9286270861248077},
    };
    /** butter(1, 300, btype='highpass', fs=30000, output='sos'). */
    private static final double[][] SCIPY_HP1_300 = {
        {0.9695312529087462, -0.9695312529087462, 0.0, 1.0, -0.9390625058174923, 0.0},
    };
    /** butter(2, 5000, btype='lowpass', fs=30000, output='sos'). */
    private static final double[][] SCIPY_LP2_5000 = {
        {0.15505102572168217, 0.31010205144336433, 0.15505102572168217, 1.0, -0.6202041028867288, 0.24040820577345742},
    };
    /** butter(4, 3000, btype='lowpass', fs=30000, output='sos'). */
    private static final double[][] SCIPY_LP4_3000 = {
        {0.004824343357716228, 0.009648686715432456, 0.004824343357716228, 1.0, -1.0485995763626117, 0.2961403575616696},
        {1.0, 2.0, 1.0, 1.0, -1.3209134308194264, 0.6327387928852766},
    };
    /** butter(5, 7500, btype='lowpass', fs=30000, output='sos'). */
    private static final double[][] SCIPY_LP5_7500 = {
        {0.052786404500042045, 0.10557280900008409, 0.052786404500042045, 1.0, -5.551115123125783e-17, 0.0},
        {1.0, 2.0, 1.0, 1.0, -1.3877787807814457e-16, 0.10557280900008409},
        {1.0, 1.0, 0.0, 1.0, -2.2204460492503136e-16, 0.5278640450004206},
    };

    @Test
    void highPassMatchesScipy() {
        assertSameTransferFunction(Butterworth.highPass(4, 250, FS), SCIPY_HP4_250);
        assertSameTransferFunction(Butterworth.highPass(3, 250, FS), SCIPY_HP3_250);
        assertSameTransferFunction(Butterworth.highPass(2, 250, FS), SCIPY_HP2_250);
        assertSameTransferFunction(Butterworth.highPass(1, 300, FS), SCIPY_HP1_300);
    }

    @Test
    void lowPassMatchesScipy() {
        assertSameTransferFunction(Butterworth.lowPass(2, 5000, FS), SCIPY_LP2_5000);
        assertSameTransferFunction(Butterworth.lowPass(4, 3000, FS), SCIPY_LP4_3000);
        assertSameTransferFunction(Butterworth.lowPass(5, 7500, FS), SCIPY_LP5_7500);
    }

    @Test
    void evenOrderSectionsMatchScipyDenominatorsRowByRow() {
        // For even orders both designs hold the same pole pairs; only the order of sections may differ.
        double[][] mine = Butterworth.highPass(4, 250, FS);
        for (double[] ref : SCIPY_HP4_250) {
            boolean found = false;
            for (double[] q : mine) {
                found |= Math.abs(q[4] - ref[4]) < 1e-13 && Math.abs(q[5] - ref[5]) < 1e-13;
            }
            assertThat(found).as("scipy section with a1=%s a2=%s", ref[4], ref[5]).isTrue();
        }
    }

    @Test
    void bandPassIsHighPassThenLowPassAndMatchesTheScipyCascade() {
        double[][] bp = Butterworth.bandPass(2, 250, 5000, FS);
        assertThat(bp).hasNumberOfRows(2);
        assertSameTransferFunction(bp, Butterworth.cascade(SCIPY_HP2_250, SCIPY_LP2_5000));
        assertThat(Butterworth.magnitude(bp, Math.sqrt(250 * 5000.0), FS)).isCloseTo(1.0, within(0.01));
    }

    @Test
    void gainAtDcNyquistAndTheCorner() {
        for (int order = 1; order <= Butterworth.MAX_ORDER; order++) {
            for (double fc : new double[] {100, 250, 1000, 5000, 7500, 12_000}) {
                double[][] lp = Butterworth.lowPass(order, fc, FS);
                double[][] hp = Butterworth.highPass(order, fc, FS);
                assertThat(lp).hasNumberOfRows((order + 1) / 2);
                String what = "order " + order + " fc " + fc;
                assertThat(Butterworth.magnitude(lp, 0, FS)).as("LP DC " + what).isCloseTo(1, within(1e-12));
                assertThat(Butterworth.magnitude(lp, FS / 2, FS)).as("LP Nyquist " + what).isLessThan(1e-12);
                assertThat(Butterworth.magnitude(hp, 0, FS)).as("HP DC " + what).isLessThan(1e-12);
                assertThat(Butterworth.magnitude(hp, FS / 2, FS)).as("HP Nyquist " + what).isCloseTo(1, within(1e-12));
                // Pre-warping puts the -3 dB point (1/sqrt 2) exactly at the corner.
                assertThat(Butterworth.magnitude(lp, fc, FS)).as("LP corner " + what)
                        .isCloseTo(Math.sqrt(0.5), within(1e-9));
                assertThat(Butterworth.magnitude(hp, fc, FS)).as("HP corner " + what)
                        .isCloseTo(Math.sqrt(0.5), within(1e-9));
                // Monotone: one octave past the corner, at most the analog order's roll-off allows (+1 dB slack).
                if (2 * fc < FS / 2) {
                    double analog = 1 / Math.sqrt(1 + Math.pow(2, 2 * order));
                    assertThat(Butterworth.magnitude(lp, 2 * fc, FS)).as("LP octave " + what)
                            .isLessThan(analog * 1.13);
                }
            }
        }
    }

    @Test
    void impulseResponsesSumToTheDcGain() {
        double[][] hp = Butterworth.highPass(4, 250, FS);
        double[][] lp = Butterworth.lowPass(4, 3000, FS);
        float[] hpImpulse = impulse(hp, 30_000);
        float[] lpImpulse = impulse(lp, 30_000);
        double hpSum = 0, lpSum = 0;
        for (int i = 0; i < hpImpulse.length; i++) {
            hpSum += hpImpulse[i];
            lpSum += lpImpulse[i];
        }
        assertThat(hpSum).isCloseTo(0, within(1e-4));
        assertThat(lpSum).isCloseTo(1, within(1e-4));
        // Causal, and the high-pass passes the impulse's edge: first output b0 of the cascade.
        double b0 = 1;
        for (double[] q : hp) {
            b0 *= q[0];
        }
        assertThat((double) hpImpulse[0]).isCloseTo(b0, within(1e-6));
        // Stable: the tail has died away after one second.
        assertThat(Math.abs(hpImpulse[hpImpulse.length - 1])).isLessThan(1e-9f);
    }

    @Test
    void rejectsBadDesigns() {
        assertThatThrownBy(() -> Butterworth.lowPass(0, 100, FS)).hasMessageContaining("order");
        assertThatThrownBy(() -> Butterworth.lowPass(17, 100, FS)).hasMessageContaining("order");
        assertThatThrownBy(() -> Butterworth.highPass(2, 15_000, FS)).hasMessageContaining("cornerHz");
        assertThatThrownBy(() -> Butterworth.highPass(2, 0, FS)).hasMessageContaining("cornerHz");
        assertThatThrownBy(() -> Butterworth.highPass(2, Double.NaN, FS)).hasMessageContaining("cornerHz");
        assertThatThrownBy(() -> Butterworth.highPass(2, 100, -1)).hasMessageContaining("sampleRateHz");
        assertThatThrownBy(() -> Butterworth.bandPass(2, 5000, 250, FS)).hasMessageContaining("lowCornerHz");
    }

    static float[] impulse(double[][] sos, int length) {
        float[] x = new float[length];
        x[0] = 1;
        new BiquadBank(sos, 1).processInPlace(x, length);
        return x;
    }

    /** Compares the products of numerators and of denominators (normalised to a0 = 1), trailing zeros ignored. */
    static void assertSameTransferFunction(double[][] mine, double[][] reference) {
        double[] bMine = product(mine, 0), aMine = product(mine, 3);
        double[] bRef = product(reference, 0), aRef = product(reference, 3);
        assertPolynomialsClose(bMine, bRef, "numerator");
        assertPolynomialsClose(aMine, aRef, "denominator");
    }

    private static void assertPolynomialsClose(double[] p, double[] q, String what) {
        double scale = 0;
        for (double v : q) {
            scale = Math.max(scale, Math.abs(v));
        }
        int n = Math.max(p.length, q.length);
        for (int i = 0; i < n; i++) {
            double pv = i < p.length ? p[i] : 0, qv = i < q.length ? q[i] : 0;
            assertThat(pv).as(what + " coefficient " + i).isCloseTo(qv, within(1e-12 * scale));
        }
    }

    private static double[] product(double[][] sos, int from) {
        double[] acc = {1};
        for (double[] q : sos) {
            double[] f = {q[from] / q[3], q[from + 1] / q[3], q[from + 2] / q[3]};
            double[] next = new double[acc.length + 2];
            for (int i = 0; i < acc.length; i++) {
                for (int j = 0; j < 3; j++) {
                    next[i + j] += acc[i] * f[j];
                }
            }
            acc = next;
        }
        return acc;
    }
}
