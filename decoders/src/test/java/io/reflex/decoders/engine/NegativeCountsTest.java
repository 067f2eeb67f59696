package io.reflex.decoders.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.lfads.LfadsArithmetic;
import io.reflex.decoders.lfads.LfadsKernel;
import io.reflex.decoders.snn.SnnDecoder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * One rule for negative counts in every arithmetic (decoders/FIXED_POINT.md, "Counts"): a bin or window holding one
 * is refused as bad input, with zeroed outputs and the stream left where it was. The float32 and fixed-point LFADS
 * engines and the SNN therefore agree on inputs with negatives: same status, same (zero) outputs, and the same
 * continuation as a stream that never saw those bins.
 */
class NegativeCountsTest {

    static final ModelBundle LORENZ = ModelBundle.fromResource("/models/lfads-lorenz-causal.rbundle");

    @Test
    void floatAndFixedLfadsAgreeOnBinsWithNegativeCounts() {
        Random rnd = new Random(11);
        CpuEngine f32 = new CpuEngine(false);
        CpuEngine fixed = new CpuEngine(true);
        CpuEngine f32Ref = new CpuEngine(false);
        CpuEngine fixedRef = new CpuEngine(true);
        for (CpuEngine e : new CpuEngine[] {f32, fixed, f32Ref, fixedRef}) {
            e.load(LORENZ);
        }
        int in = f32.inputCount();
        float[] a = new float[f32.outputCount()];
        float[] b = new float[fixed.outputCount()];
        float[] ar = new float[a.length];
        float[] br = new float[b.length];
        for (int t = 0; t < 60; t++) {
            float[] bin = new float[in];
            for (int k = 0; k < in; k++) {
                bin[k] = rnd.nextInt(3);
            }
            if (t % 3 == 2) {
                bin[rnd.nextInt(in)] = -1 - rnd.nextInt(5) - (rnd.nextBoolean() ? 0.5f : 0f);
                int sa = f32.step(bin, a);
                int sb = fixed.step(bin, b);
                assertThat(sa).as("bin %d", t).isEqualTo(DecodeStatus.INVALID_INPUT).isEqualTo(sb);
                assertThat(a).containsOnly(0f);
                assertThat(b).containsOnly(0f);
                continue;
            }
            assertThat(f32.step(bin, a)).isEqualTo(DecodeStatus.OK);
            assertThat(fixed.step(bin, b)).isEqualTo(DecodeStatus.OK);
            f32Ref.step(bin, ar);
            fixedRef.step(bin, br);
            // each continues exactly as a stream that never saw the refused bins
            assertThat(a).containsExactly(ar);
            assertThat(b).containsExactly(br);
        }
    }

    @Test
    void everyLfadsKernelAndTheSnnRefuseNegativeCountsInStepsAndTrials() {
        for (LfadsArithmetic arith : LfadsArithmetic.values()) {
            LfadsKernel k = arith.load(LORENZ);
            int d = k.dims().dataDim();
            int bins = k.dims().encSeqLen();
            float[] window = new float[bins * d];
            window[window.length - 1] = -2f;
            float[] fac = new float[k.dims().reconSeqLen() * k.dims().facDim()];
            float[] lr = new float[k.dims().reconSeqLen() * k.dims().readoutDim()];
            assertThat(k.trial(window, bins, fac, lr)).as(arith.name()).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(fac).containsOnly(0f);
            assertThat(k.step(window, (bins - 1) * d, fac, lr)).as(arith.name())
                    .isEqualTo(DecodeStatus.INVALID_INPUT);
        }
        ModelBundle snn = SnnDecoder.reservoirBundle(new SnnDecoder.Context().inputCount(8).neuronCount(256)
                .seed(2), "snn", "NegativeCountsTest").toBundle();
        for (boolean fixed : new boolean[] {false, true}) {
            CpuEngine e = new CpuEngine(fixed);
            CpuEngine ref = new CpuEngine(fixed);
            e.load(snn);
            ref.load(snn);
            float[] out = new float[e.outputCount()];
            float[] refOut = new float[e.outputCount()];
            float[] bin = {1, 0, 2, 0, -1, 0, 0, 3};
            assertThat(e.step(bin, out)).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(out).containsOnly(0f);
            float[] good = {1, 0, 2, 0, 1, 0, 0, 3};
            assertThat(e.step(good, out)).isEqualTo(DecodeStatus.OK);
            assertThat(ref.step(good, refOut)).isEqualTo(DecodeStatus.OK);
            assertThat(out).containsExactly(refOut);
        }
    }
}
