package io.reflex.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.aparapi.device.Device;
import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.lfads.LfadsBundleBuilder;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.decoders.lfads.LfadsFixed;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The acausal LFADS trial on Aparapi ({@link AparapiLfadsAcausal}, {@link LfadsStepKernel}) against the golden model
 * of {@code cpu-fixed} ({@link LfadsFixed#trial}): 16 random acausal models (random widths, windows of 1–10 bins,
 * decoders 0–4 steps past the window, lags 0–3, a quarter without a controller, half with a cell clip the states
 * hit) and the shipped acausal Lorenz model (50 and 20 trials), trials of random window length (1 to {@code encod_seq_len}), some all
 * huge counts saturating at 32767: factors, log-rates, ic_mean, generator and controller states and controller
 * outputs of every step compared bit for bit, on the OpenCL device and on the Java thread pool.
 */
class AparapiLfadsAcausalTest {
    static final int MODELS = 16;
    static final int TRIALS = 50;
    static final int LORENZ_TRIALS = 20;

    static ModelBundle randomAcausalModel(SplittableRandom rng, int index) {
        boolean ctl = index % 4 != 3;
        int ci = ctl ? rng.nextInt(1, 7) : 0;
        int con = ctl ? rng.nextInt(1, 9) : 0;
        int co = ctl ? rng.nextInt(1, 5) : 0;
        int icEnc = rng.nextInt(1, 9);
        int ic = rng.nextInt(1, 7);
        int gen = rng.nextInt(2, 17);
        int fac = rng.nextInt(1, 7);
        int data = rng.nextInt(1, 13);
        int t = rng.nextInt(1, 11);
        int lag = rng.nextInt(0, Math.min(3, t) + 1);
        double clip = index % 2 == 0 ? 0.05 + rng.nextDouble() * 0.2 : 5.0;
        LfadsDims d = new LfadsDims(data, t, t + rng.nextInt(0, 5), icEnc, ci, con, co, ic, gen, fac, data, lag, clip,
                0.02, false);
        return LfadsBundleBuilder.random(d, rng.nextLong(), true).build("acausal-" + index, true);
    }

    /** A window of counts: halves and small counts, one bin in five huge; every fourth window all huge. */
    static void window(SplittableRandom rng, float[] x, int n, int dataDim, boolean allHuge) {
        for (int b = 0; b * dataDim < n; b++) {
            boolean huge = allHuge || rng.nextInt(5) == 0;
            for (int j = b * dataDim; j < Math.min(n, (b + 1) * dataDim); j++) {
                x[j] = huge ? rng.nextInt(0, 60_000) : rng.nextInt(0, 6) + (rng.nextBoolean() ? 0.5f : 0f);
            }
        }
    }

    @Test
    @Timeout(600)
    void trialsBitExactOnOpenCl() {
        run(AparapiSnnBitExactTest.openClOrSkip(), 0x1ACA);
    }

    @Test
    @Timeout(600)
    void trialsBitExactOnJavaThreadPool() {
        run(AparapiDevices.threadPool(), 0x2ACA);
    }

    private static void run(Device device, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int trials = 0;
        int saturated = 0;
        int atClip = 0;
        int noController = 0;
        int lorenzBins = 0;
        for (int mdl = 0; mdl <= MODELS; mdl++) {
            ModelBundle b = mdl < MODELS ? randomAcausalModel(rng, mdl)
                    : ModelBundle.fromResource("/models/lfads-lorenz-small.rbundle");
            LfadsFixed golden = new LfadsFixed(b);
            LfadsDims d = golden.dims();
            assertThat(d.causal()).isFalse();
            lorenzBins = d.encSeqLen();
            if (!d.hasController()) {
                noController++;
            }
            LfadsFixed.AcausalExport export = golden.acausalExport();
            int n = mdl < MODELS ? TRIALS : LORENZ_TRIALS;
            int tr = d.reconSeqLen();
            float[] x = new float[d.encSeqLen() * d.dataDim()];
            float[] f0 = new float[tr * d.facDim()];
            float[] l0 = new float[tr * d.readoutDim()];
            float[] f1 = new float[f0.length];
            float[] l1 = new float[l0.length];
            try (AparapiLfadsAcausal gpu = new AparapiLfadsAcausal(export, device)) {
                for (int t = 0; t < n; t++) {
                    int bins = t == 0 ? d.encSeqLen() : t == 1 ? 1 : rng.nextInt(1, d.encSeqLen() + 1);
                    window(rng, x, bins * d.dataDim(), d.dataDim(), t % 4 == 3);
                    int steps = bins + tr - d.encSeqLen();
                    assertThat(golden.trial(x, bins, f0, l0)).isEqualTo(DecodeStatus.OK);
                    assertThat(gpu.trial(x, bins, f1, l1)).as("model %d trial %d: %s", mdl, t,
                            gpu.launcher().fault()).isEqualTo(DecodeStatus.OK);
                    assertThat(f1).as("factors, model %d trial %d (%d bins)", mdl, t, bins).containsExactly(f0);
                    assertThat(l1).as("log-rates, model %d trial %d", mdl, t).containsExactly(l0);
                    assertThat(gpu.lastIcMean()).as("ic_mean, model %d trial %d", mdl, t)
                            .containsExactly(golden.lastIcMean());
                    assertThat(prefix(gpu.lastGenStates(), steps * d.genDim())).as("gen states, model %d", mdl)
                            .containsExactly(prefix(golden.lastGenStates(), steps * d.genDim()));
                    assertThat(prefix(gpu.lastConStates(), steps * d.conDim())).as("con states, model %d", mdl)
                            .containsExactly(prefix(golden.lastConStates(), steps * d.conDim()));
                    assertThat(prefix(gpu.lastCo(), steps * d.coDim())).as("co, model %d", mdl)
                            .containsExactly(prefix(golden.lastCo(), steps * d.coDim()));
                    for (int j = 0; j < bins * d.dataDim(); j++) {
                        if (x[j] >= Short.MAX_VALUE) {
                            saturated++;
                        }
                    }
                    for (int j = 0; j < steps * d.genDim(); j++) {
                        if (Math.abs(golden.lastGenStatesQ()[j]) == export.gen().clipQ()) {
                            atClip++;
                        }
                    }
                    trials++;
                }
            }
        }
        System.out.println("acausal trials bit-exact on " + device.getShortDescription() + ": " + trials
                + " trials (" + LORENZ_TRIALS + " on the Lorenz model, windows up to " + lorenzBins + " bins), "
                + saturated + " saturated counts, " + atClip + " generator states at the clip");
        assertThat(noController).as("models without a controller").isGreaterThan(0);
        assertThat(saturated).as("counts saturated to 32767").isGreaterThan(1000);
        assertThat(atClip).as("generator states held at the cell clip").isGreaterThan(100);
    }

    private static float[] prefix(float[] a, int n) {
        return Arrays.copyOf(a, n);
    }

    @Test
    @Timeout(120)
    void badWindowsAreRefusedWithZeroedOutputsAndTheCausalStepIsNotDefined() {
        SplittableRandom rng = new SplittableRandom(0x3ACA);
        LfadsFixed golden = new LfadsFixed(randomAcausalModel(rng, 0));
        LfadsDims d = golden.dims();
        try (AparapiLfadsAcausal gpu = new AparapiLfadsAcausal(golden.acausalExport(), AparapiDevices.threadPool())) {
            float[] x = new float[d.encSeqLen() * d.dataDim()];
            float[] f = new float[d.reconSeqLen() * d.facDim()];
            float[] l = new float[d.reconSeqLen() * d.readoutDim()];
            Arrays.fill(f, 1f);
            assertThat(gpu.trial(x, 0, f, l)).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(f).containsOnly(0f);
            assertThat(gpu.trial(x, d.encSeqLen() + 1, f, l)).isEqualTo(DecodeStatus.INVALID_INPUT);
            x[0] = -1f;
            Arrays.fill(f, 1f);
            assertThat(gpu.trial(x, 1, f, l)).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(f).containsOnly(0f);
            x[0] = Float.NaN;
            assertThat(gpu.trial(x, 1, f, l)).isEqualTo(DecodeStatus.INVALID_INPUT);
            x[0] = 1f;
            assertThat(gpu.trial(x, 1, new float[0], l)).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(gpu.trial(x, 1, f, l)).isEqualTo(DecodeStatus.OK);
            assertThatThrownBy(() -> gpu.step(x, 0, f, l)).isInstanceOf(IllegalStateException.class);
            assertThat(gpu.streamLayout()).isNull();
        }
        assertThatThrownBy(() -> new LfadsFixed(AparapiLfadsBitExactTest.randomModel(rng, 0)).acausalExport())
                .isInstanceOf(IllegalStateException.class);
    }
}
