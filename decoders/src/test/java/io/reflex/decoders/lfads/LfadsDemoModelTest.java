package io.reflex.decoders.lfads;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The shipped demo models (src/main/resources/models, trained by tools/python/train_lfads.py) on held-out Lorenz
 * data: latent R² in trial mode (target ≥ 0.9), the causal model in causal mode, and the fixed-point model against
 * float32 with the targets, both asserted: max |Δ log-rate| ≤ 2e−2 over {@value #DELTA_TRIALS} trials
 * (every bin and neuron) and latent R² loss ≤ 0.005.
 */
class LfadsDemoModelTest {
    static final long DATA_SEED = 1_000_001L;
    /** Trials that fit the linear map factors → Lorenz state; the next {@link #TEST} trials are scored. */
    static final int FIT = 200;
    static final int TEST = 200;
    /** Trials 0..DELTA_TRIALS−1 of {@link #DATA_SEED} over which the maximum |Δ log-rate| is taken. */
    static final int DELTA_TRIALS = 1000;
    static final double MAX_DELTA_LOG_RATE = 2e-2;
    static final double MAX_R2_LOSS = 0.005;

    private static ModelBundle model(String name) {
        String r = "/models/" + name;
        Assumptions.assumeTrue(LfadsDemoModelTest.class.getResource(r) != null,
                "skipped: demo model " + r + " is not in decoders/src/main/resources yet");
        return ModelBundle.fromResource(r);
    }

    /**
     * Per trial, the largest |log-rate fixed − log-rate float32| over every output bin and neuron, for trials
     * 0..DELTA_TRIALS−1 of DATA_SEED, in trial mode (whole window) or causal mode (one step per bin).
     */
    private static double[] maxDeltaPerTrial(ModelBundle b, LfadsMode mode) {
        LfadsKernel fl = new LfadsFloat32(b);
        LfadsKernel fx = new LfadsFixed(b);
        LfadsDims d = fl.dims();
        int T = d.encSeqLen();
        int D = d.dataDim();
        int F = d.facDim();
        int N = d.readoutDim();
        int bins = mode == LfadsMode.TRIAL ? d.reconSeqLen() : T;
        LorenzData data = new LorenzData(D, T);
        float[] counts = new float[T * D];
        double[] latents = new double[T * 3];
        float[] facFl = new float[bins * F];
        float[] facFx = new float[bins * F];
        float[] lrFl = new float[bins * N];
        float[] lrFx = new float[bins * N];
        float[] stepFac = new float[F];
        float[] stepLr = new float[N];
        double[] perTrial = new double[DELTA_TRIALS];
        for (int i = 0; i < DELTA_TRIALS; i++) {
            data.trial(DATA_SEED, i, counts, latents, null);
            if (mode == LfadsMode.TRIAL) {
                assertThat(fl.trial(counts, T, facFl, lrFl)).isEqualTo(DecodeStatus.OK);
                assertThat(fx.trial(counts, T, facFx, lrFx)).isEqualTo(DecodeStatus.OK);
            } else {
                fl.resetStream();
                fx.resetStream();
                for (int t = 0; t < T; t++) {
                    assertThat(fl.step(counts, t * D, stepFac, stepLr)).isEqualTo(DecodeStatus.OK);
                    System.arraycopy(stepLr, 0, lrFl, t * N, N);
                    assertThat(fx.step(counts, t * D, stepFac, stepLr)).isEqualTo(DecodeStatus.OK);
                    System.arraycopy(stepLr, 0, lrFx, t * N, N);
                }
            }
            double m = 0;
            for (int k = 0; k < bins * N; k++) {
                m = Math.max(m, Math.abs(lrFl[k] - lrFx[k]));
            }
            perTrial[i] = m;
        }
        return perTrial;
    }

    private static void check(ModelBundle b, LfadsMode mode, double minR2) {
        LorenzEvaluation.Result fl = LorenzEvaluation.run(new LfadsFloat32(b), LfadsArithmetic.FLOAT32, mode,
                DATA_SEED, FIT, TEST);
        LorenzEvaluation.Result fx = LorenzEvaluation.run(new LfadsFixed(b), LfadsArithmetic.FIXED, mode,
                DATA_SEED, FIT, TEST);
        double loss = fl.latentR2() - fx.latentR2();
        double[] perTrial = maxDeltaPerTrial(b, mode);
        double dLog = 0;
        int over = 0;
        for (double m : perTrial) {
            dLog = Math.max(dLog, m);
            over += m > MAX_DELTA_LOG_RATE ? 1 : 0;
        }
        System.out.printf("demo %s (%s): latent R² float32 %.4f, fixed %.4f (loss %.5f; %d+%d trials); max |d log-rate|"
                        + " fixed vs float32 %.3e over %d trials (%d above %.0e); %.1f spikes/s per neuron; data seed"
                        + " %d%n", b.name(), mode.jsonName(), fl.latentR2(), fx.latentR2(), loss, FIT, TEST, dLog,
                DELTA_TRIALS, over, MAX_DELTA_LOG_RATE, fl.meanRateHz(), DATA_SEED);
        assertThat(fl.failedCalls()).isZero();
        assertThat(fx.failedCalls()).isZero();
        assertThat(fl.latentR2()).as("float32 latent R²").isGreaterThanOrEqualTo(minR2);
        assertThat(loss).as("fixed-point latent R² loss").isLessThanOrEqualTo(MAX_R2_LOSS);
        assertThat(dLog).as("max |Δ log-rate|, fixed vs float32, over %d trials (%d above the target)", DELTA_TRIALS,
                over).isLessThanOrEqualTo(MAX_DELTA_LOG_RATE);
    }

    @Test
    void trialModelMeetsTheLatentR2AndFixedPointTargets() {
        check(model("lfads-lorenz-small.rbundle"), LfadsMode.TRIAL, 0.9);
    }

    @Test
    void causalModelInCausalModeMeetsTheFixedPointTargets() {
        check(model("lfads-lorenz-causal.rbundle"), LfadsMode.CAUSAL, 0.5);
    }
}
