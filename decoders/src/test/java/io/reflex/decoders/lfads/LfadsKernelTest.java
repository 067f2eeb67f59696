package io.reflex.decoders.lfads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.BundleException;
import io.reflex.decoders.bundle.ModelBundle;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LfadsKernelTest {

    /** D=7, T=9, Tr=12, controller, ci_lag 1. */
    static LfadsDims withController(int lag) {
        return new LfadsDims(7, 9, 12, 6, 5, 6, 3, 4, 10, 3, 8, lag, 5.0, 0.02, false);
    }

    static LfadsDims noController() {
        return new LfadsDims(7, 9, 9, 6, 0, 0, 0, 4, 10, 3, 8, 1, 5.0, 0.02, false);
    }

    static LfadsDims causal(int lag) {
        return new LfadsDims(7, 9, 9, 0, 5, 6, 3, 0, 10, 3, 8, lag, 5.0, 0.02, true);
    }

    static float[] poisson(long seed, int bins, int D, double mean) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[bins * D];
        for (int k = 0; k < x.length; k++) {
            double l = Math.exp(-mean * (0.5 + r.nextDouble()));
            int n = 0;
            double p = r.nextDouble();
            while (p > l) {
                p *= r.nextDouble();
                n++;
            }
            x[k] = n;
        }
        return x;
    }

    static double[][] rows(float[] x, int bins, int D) {
        double[][] out = new double[bins][D];
        for (int t = 0; t < bins; t++) {
            for (int j = 0; j < D; j++) {
                out[t][j] = x[t * D + j];
            }
        }
        return out;
    }

    private static double maxRelRateError(ModelBundle b, float[] x, int bins) {
        LfadsFloat32 k = new LfadsFloat32(b);
        LfadsDims d = k.dims();
        int steps = bins + d.reconSeqLen() - d.encSeqLen();
        float[] fac = new float[d.reconSeqLen() * d.facDim()];
        float[] lr = new float[d.reconSeqLen() * d.readoutDim()];
        assertThat(k.trial(x, bins, fac, lr)).isEqualTo(DecodeStatus.OK);
        ReferenceLfads ref = new ReferenceLfads(b, rows(x, bins, d.dataDim()));
        double worst = 0;
        for (int t = 0; t < steps; t++) {
            for (int i = 0; i < d.readoutDim(); i++) {
                double rate = Math.exp(ref.logRates[t][i]);
                worst = Math.max(worst, Math.abs(Math.exp(lr[t * d.readoutDim() + i]) - rate) / rate);
            }
            for (int i = 0; i < d.facDim(); i++) {
                assertThat((double) fac[t * d.facDim() + i]).isCloseTo(ref.factors[t][i],
                        org.assertj.core.api.Assertions.within(1e-5));
            }
        }
        return worst;
    }

    @Test
    void float32MatchesDoubleReferenceWithController() {
        for (int lag : new int[] {0, 1, 2}) {
            ModelBundle b = LfadsBundleBuilder.random(withController(lag), 11 + lag, true).build("c", false);
            assertThat(maxRelRateError(b, poisson(3, 9, 7, 1.5), 9)).isLessThan(1e-5);
            assertThat(maxRelRateError(b, poisson(4, 5, 7, 1.5), 5)).isLessThan(1e-5);
        }
    }

    @Test
    void float32MatchesDoubleReferenceWithoutControllerAndCausal() {
        ModelBundle nc = LfadsBundleBuilder.random(noController(), 5, true).build("nc", false);
        assertThat(maxRelRateError(nc, poisson(6, 9, 7, 2.0), 9)).isLessThan(1e-5);
        for (int lag : new int[] {0, 1, 3}) {
            ModelBundle c = LfadsBundleBuilder.random(causal(lag), 7 + lag, true).build("causal", false);
            assertThat(maxRelRateError(c, poisson(8, 9, 7, 2.0), 9)).isLessThan(1e-5);
        }
    }

    @Test
    void causalStepsEqualTheTrialForBothArithmetics() {
        for (int lag : new int[] {0, 1, 2}) {
            ModelBundle b = LfadsBundleBuilder.random(causal(lag), 21 + lag, true).build("causal", true);
            for (LfadsKernel k : new LfadsKernel[] {new LfadsFloat32(b), new LfadsFixed(b)}) {
                LfadsDims d = k.dims();
                float[] x = poisson(9, d.encSeqLen(), d.dataDim(), 1.0);
                float[] fac = new float[d.reconSeqLen() * d.facDim()];
                float[] lr = new float[d.reconSeqLen() * d.readoutDim()];
                assertThat(k.trial(x, d.encSeqLen(), fac, lr)).isEqualTo(DecodeStatus.OK);
                float[] sf = new float[d.facDim()];
                float[] sl = new float[d.readoutDim()];
                k.resetStream();
                for (int t = 0; t < d.encSeqLen(); t++) {
                    assertThat(k.step(x, t * d.dataDim(), sf, sl)).isEqualTo(DecodeStatus.OK);
                    for (int i = 0; i < d.readoutDim(); i++) {
                        // identical arithmetic in identical order: exactly equal, float and fixed alike
                        assertThat(sl[i]).as("%s t=%d i=%d", k.arithmetic(), t, i).isEqualTo(lr[t * d.readoutDim() + i]);
                    }
                }
                assertThat(k.streamBins()).isEqualTo(d.encSeqLen());
            }
        }
    }

    @Test
    void fixedPointTracksFloat32() {
        ModelBundle b = LfadsBundleBuilder.random(withController(1), 31, true).build("fx", true);
        LfadsFloat32 fl = new LfadsFloat32(b);
        LfadsFixed fx = new LfadsFixed(b);
        LfadsDims d = fl.dims();
        float[] x = poisson(12, 9, 7, 1.5);
        float[] f1 = new float[d.reconSeqLen() * d.facDim()];
        float[] l1 = new float[d.reconSeqLen() * d.readoutDim()];
        float[] f2 = f1.clone();
        float[] l2 = l1.clone();
        assertThat(fl.trial(x, 9, f1, l1)).isEqualTo(DecodeStatus.OK);
        assertThat(fx.trial(x, 9, f2, l2)).isEqualTo(DecodeStatus.OK);
        double worst = 0;
        for (int k = 0; k < l1.length; k++) {
            worst = Math.max(worst, Math.abs(l1[k] - l2[k]));
        }
        assertThat(worst).isLessThan(0.05).isGreaterThan(0);
    }

    @Test
    void fixedPointFromBundleEqualsJavaQuantisation() {
        ModelBundle b = LfadsBundleBuilder.random(withController(1), 41, true).build("q", true);
        LfadsFixed fromQ = new LfadsFixed(b, true);
        LfadsFixed fromFloat = new LfadsFixed(b, false);
        float[] x = poisson(13, 9, 7, 1.5);
        float[] f1 = new float[12 * 3];
        float[] l1 = new float[12 * 8];
        float[] f2 = f1.clone();
        float[] l2 = l1.clone();
        fromQ.trial(x, 9, f1, l1);
        fromFloat.trial(x, 9, f2, l2);
        assertThat(l2).containsExactly(l1);
    }

    @Test
    void nanInputGivesStatusAndZerosNeverNaN() {
        ModelBundle b = LfadsBundleBuilder.random(causal(1), 3, true).build("n", true);
        for (LfadsKernel k : new LfadsKernel[] {new LfadsFloat32(b), new LfadsFixed(b)}) {
            float[] x = poisson(1, 9, 7, 1.0);
            x[20] = Float.NaN;
            float[] fac = new float[9 * 3];
            float[] lr = new float[9 * 8];
            java.util.Arrays.fill(lr, 7f);
            assertThat(k.trial(x, 9, fac, lr)).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(lr).containsOnly(0f);
            k.resetStream();
            float[] sf = new float[3];
            float[] sl = new float[8];
            assertThat(k.step(x, 14, sf, sl)).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(k.streamBins()).isZero();
            assertThat(sl).containsOnly(0f);
            x[20] = Float.POSITIVE_INFINITY;
            assertThat(k.step(x, 14, sf, sl)).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(k.step(x, 0, sf, sl)).isEqualTo(DecodeStatus.OK);
        }
    }

    @Test
    void shapeThatDisagreesWithHyperparametersIsRefusedByName() {
        LfadsBundleBuilder bb = LfadsBundleBuilder.random(withController(1), 3, false);
        bb.put(LfadsTensors.GEN + "weight_hh", new int[] {30, 9}, new float[270]);
        ModelBundle b = bb.build("bad", false);
        assertThatThrownBy(() -> new LfadsFloat32(b)).isInstanceOf(BundleException.class)
                .hasMessageContaining("decoder.rnn.cell.gen_cell.weight_hh").hasMessageContaining("[30, 10]");
    }
}
