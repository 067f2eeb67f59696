package io.reflex.decoders.lfads;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.decoders.bundle.ModelBundle;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The shipped demo models (src/main/resources/models, trained by tools/python/train_lfads.py) on held-out Lorenz
 * data: latent R² in trial mode (target ≥ 0.9), the causal model in causal mode, and the fixed-point model's loss
 * against float32 (targets: max |Δ log-rate| ≤ 2e−2, printed and bounded at 0.05; latent R² loss ≤ 0.005,
 * asserted).
 */
class LfadsDemoModelTest {
    static final long DATA_SEED = 1_000_001L;
    static final int FIT = 40;
    static final int TEST = 20;

    private static ModelBundle model(String name) {
        String r = "/models/" + name;
        Assumptions.assumeTrue(LfadsDemoModelTest.class.getResource(r) != null,
                "skipped: demo model " + r + " is not in decoders/src/main/resources yet");
        return ModelBundle.fromResource(r);
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    private static void check(ModelBundle b, LfadsMode mode, double minR2) {
        LorenzEvaluation.Result fl = LorenzEvaluation.run(new LfadsFloat32(b), LfadsArithmetic.FLOAT32, mode,
                DATA_SEED, FIT, TEST);
        LorenzEvaluation.Result fx = LorenzEvaluation.run(new LfadsFixed(b), LfadsArithmetic.FIXED, mode,
                DATA_SEED, FIT, TEST);
        double dLog = maxAbsDiff(fl.logRates(), fx.logRates());
        double loss = fl.latentR2() - fx.latentR2();
        System.out.printf("demo %s (%s): latent R² float32 %.4f, fixed %.4f (loss %.5f), max |d log-rate| fixed vs"
                        + " float32 %.3e, %.1f spikes/s per neuron, %d+%d trials, data seed %d%n", b.name(),
                mode.jsonName(), fl.latentR2(), fx.latentR2(), loss, dLog, fl.meanRateHz(), FIT, TEST, DATA_SEED);
        assertThat(fl.failedCalls()).isZero();
        assertThat(fx.failedCalls()).isZero();
        assertThat(fl.latentR2()).as("float32 latent R²").isGreaterThanOrEqualTo(minR2);
        assertThat(loss).as("fixed-point latent R² loss").isLessThanOrEqualTo(0.005);
        // Target 2e−2. Measured on the trained trial model before it shipped: 0.026 (mean 0.0018) over these 20
        // held-out trials, so the target is missed on the maximum (reported in decoders/LFADS.md); the bound below
        // catches a regression of the arithmetic, not the target.
        assertThat(dLog).as("max |Δ log-rate|, fixed vs float32").isLessThanOrEqualTo(0.05);
    }

    @Test
    void trialModelReachesTheLatentR2Target() {
        check(model("lfads-lorenz-small.rbundle"), LfadsMode.TRIAL, 0.9);
    }

    @Test
    void causalModelInCausalMode() {
        check(model("lfads-lorenz-causal.rbundle"), LfadsMode.CAUSAL, 0.5);
    }
}
