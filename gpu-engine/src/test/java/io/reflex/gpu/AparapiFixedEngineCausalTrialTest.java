package io.reflex.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.engine.CpuEngine;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Trials of causal LFADS bundles through {@code aparapi-fixed}'s {@code Engine} API against {@code cpu-fixed}'s
 * ({@link CpuEngine#trial}): 6 random causal models ({@link AparapiLfadsFloatTest#randomTrialModel}: windows of up to
 * 3–12 bins, decoders running 0–4 forward-prediction steps past them, lags 0–3, half with a cell clip the states
 * hit) and the shipped Lorenz
 * and center-out causal models, windows of random length 1 to {@code encod_seq_len} (the longest and the shortest
 * first), counts with halves and, one bin in five, huge counts that saturate at 32767; every output of every trial bit
 * for bit, on the OpenCL device and on the Java thread pool. Every trial sits between two live steps of the engine's
 * causal stream, and the stream's next step and its {@code "LFS1"} checkpoint after the trial must equal
 * {@code cpu-fixed}'s bit for bit (a trial leaves the stream alone). Bad windows are refused as {@code cpu-fixed}
 * refuses them (same status, same zeroed output), leaving the stream alone too.
 */
class AparapiFixedEngineCausalTrialTest {
    static final int RANDOM_MODELS = 6;
    static final int RANDOM_TRIALS = 100;
    static final int SHIPPED_TRIALS = 25;

    private static ModelBundle model(SplittableRandom rng, int mdl) {
        if (mdl < RANDOM_MODELS) {
            return AparapiLfadsFloatTest.randomTrialModel(rng, mdl);
        }
        return ModelBundle.fromResource(mdl == RANDOM_MODELS ? "/models/lfads-lorenz-causal.rbundle"
                : "/models/lfads-centerout-causal.rbundle");
    }

    @Test
    @Timeout(600)
    void causalTrialsBitExactOnOpenCl() {
        AparapiSnnBitExactTest.openClOrSkip();
        assertThat(run(AparapiFixedEngine.DeviceChoice.OPENCL, 0xC7A1)).isGreaterThanOrEqualTo(650);
    }

    @Test
    @Timeout(600)
    void causalTrialsBitExactOnJavaThreadPool() {
        assertThat(run(AparapiFixedEngine.DeviceChoice.JTP, 0xC7A2)).isGreaterThanOrEqualTo(650);
    }

    /** Returns the trials compared. */
    private static int run(AparapiFixedEngine.DeviceChoice choice, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int trials = 0;
        int saturated = 0;
        int predictions = 0;
        for (int mdl = 0; mdl < RANDOM_MODELS + 2; mdl++) {
            ModelBundle b = model(rng, mdl);
            try (CpuEngine golden = new CpuEngine(true); AparapiFixedEngine e = new AparapiFixedEngine(choice)) {
                golden.load(b);
                e.load(b);
                assertThat(e.device()).contains("LFADS causal step");
                assertThat(e.executionMode()).isEqualTo(choice == AparapiFixedEngine.DeviceChoice.JTP ? "jtp" : "opencl");
                int t = golden.maxTrialBins();
                assertThat(e.maxTrialBins()).as("model %d", mdl).isEqualTo(t).isPositive();
                for (int bins = -1; bins <= t + 1; bins++) {
                    assertThat(e.trialSteps(bins)).isEqualTo(golden.trialSteps(bins));
                }
                int dd = golden.inputCount();
                int f = golden.outputCount();
                assertThat(e.inputCount()).isEqualTo(dd);
                assertThat(e.outputCount()).isEqualTo(f);
                float[] in = new float[dd];
                float[] s0 = new float[f];
                float[] s1 = new float[f];
                float[] out0 = new float[golden.trialSteps(t) * f];
                float[] out1 = new float[out0.length];
                byte[] cp0 = new byte[golden.checkpointBytes()];
                byte[] cp1 = new byte[e.checkpointBytes()];
                assertThat(cp1.length).isEqualTo(cp0.length);
                int n = mdl < RANDOM_MODELS ? RANDOM_TRIALS : SHIPPED_TRIALS;
                for (int i = 0; i < n; i++) {
                    // a live step of the stream, then a trial, then the checkpoint: all as cpu-fixed's
                    AparapiLfadsBitExactTest.counts(rng, in, dd);
                    assertThat(golden.step(in, s0)).isEqualTo(DecodeStatus.OK);
                    assertThat(e.step(in, s1)).as("%s model %d step %d: %s", choice, mdl, i, e.health().detail())
                            .isEqualTo(DecodeStatus.OK);
                    assertThat(s1).as("%s model %d stream step %d", choice, mdl, i).containsExactly(s0);
                    int bins = i == 0 ? t : i == 1 ? 1 : rng.nextInt(1, t + 1);
                    float[] window = new float[bins * dd];
                    float[] bin = new float[dd];
                    for (int k = 0; k < bins; k++) {
                        AparapiLfadsBitExactTest.counts(rng, bin, dd);
                        System.arraycopy(bin, 0, window, k * dd, dd);
                    }
                    for (float v : window) {
                        saturated += v >= Short.MAX_VALUE ? 1 : 0;
                    }
                    int steps = golden.trialSteps(bins);
                    predictions += steps - bins;
                    assertThat(golden.trial(window, bins, out0)).isEqualTo(DecodeStatus.OK);
                    assertThat(e.trial(window, bins, out1)).as("%s model %d trial %d: %s", choice, mdl, i,
                            e.health().detail()).isEqualTo(DecodeStatus.OK);
                    for (int s = 0; s < steps; s++) {
                        for (int j = 0; j < f; j++) {
                            if (Float.floatToRawIntBits(out1[s * f + j]) != Float.floatToRawIntBits(out0[s * f + j])) {
                                throw new AssertionError(choice + " model " + mdl + " trial " + i + " (" + bins
                                        + " bins) step " + s + " factor " + j + ": " + out1[s * f + j] + " vs cpu-fixed "
                                        + out0[s * f + j]);
                            }
                        }
                    }
                    assertThat(golden.saveCheckpoint(cp0)).isEqualTo(DecodeStatus.OK);
                    assertThat(e.saveCheckpoint(cp1)).isEqualTo(DecodeStatus.OK);
                    assertThat(cp1).as("%s model %d LFS1 checkpoint after trial %d", choice, mdl, i).isEqualTo(cp0);
                    trials++;
                }
                refusesBadWindowsAsCpuFixed(golden, e, rng);
                // the stream continues as cpu-fixed's after the refusals
                AparapiLfadsBitExactTest.counts(rng, in, dd);
                assertThat(golden.step(in, s0)).isEqualTo(DecodeStatus.OK);
                assertThat(e.step(in, s1)).isEqualTo(DecodeStatus.OK);
                assertThat(s1).as("%s model %d step after bad windows", choice, mdl).containsExactly(s0);
                assertThat(e.health().healthy()).as(e.health().detail()).isTrue();
            }
        }
        assertThat(saturated).as("counts saturated to 32767").isGreaterThan(100);
        assertThat(predictions).as("forward-prediction steps").isGreaterThan(100);
        System.out.println("aparapi-fixed engine causal LFADS trials on " + choice + ": " + trials
                + " trials between live steps (" + predictions + " forward-prediction steps), bit-identical to cpu-fixed ("
                + saturated + " saturated counts)");
        return trials;
    }

    /** Bad windows: the same status and the same (zeroed) output from both engines. */
    private static void refusesBadWindowsAsCpuFixed(CpuEngine golden, AparapiFixedEngine e, SplittableRandom rng) {
        int t = golden.maxTrialBins();
        int dd = golden.inputCount();
        int f = golden.outputCount();
        float[] full = new float[(t + 1) * dd];
        for (int k = 0; k < full.length; k++) {
            full[k] = rng.nextInt(0, 5);
        }
        float[] nan = full.clone();
        nan[dd] = Float.NaN;
        float[] negative = full.clone();
        negative[0] = -1f;
        float[] infinite = full.clone();
        infinite[full.length - dd - 1] = Float.POSITIVE_INFINITY;
        int outLen = golden.trialSteps(t) * f;
        Object[][] cases = {
                {"0 bins", full, 0, outLen},
                {"-1 bins", full, -1, outLen},
                {"encod_seq_len + 1 bins", full, t + 1, outLen},
                {"null window", null, 1, outLen},
                {"short window", new float[t * dd - 1], t, outLen},
                {"short output", full, t, outLen - 1},
                {"NaN count", nan, 2, outLen},
                {"negative count", negative, 1, outLen},
                {"infinite count", infinite, t, outLen},
        };
        for (Object[] c : cases) {
            float[] window = (float[]) c[1];
            int bins = (Integer) c[2];
            float[] out0 = new float[(Integer) c[3]];
            float[] out1 = new float[out0.length];
            java.util.Arrays.fill(out0, 7f);
            java.util.Arrays.fill(out1, 7f);
            int want = golden.trial(window, bins, out0);
            assertThat(want).as("cpu-fixed refuses %s", c[0]).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(e.trial(window, bins, out1)).as("aparapi-fixed refuses %s", c[0]).isEqualTo(want);
            assertThat(out1).as("output after %s", c[0]).containsExactly(out0);
        }
        assertThat(e.trial(full, 1, null)).isEqualTo(golden.trial(full, 1, null));
    }
}
