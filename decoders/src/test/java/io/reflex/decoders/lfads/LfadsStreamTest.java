package io.reflex.decoders.lfads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import org.junit.jupiter.api.Test;

class LfadsStreamTest {

    @Test
    void slidingStepEqualsTheLastDataStepOfATrialOverTheSameWindow() {
        ModelBundle b = LfadsBundleBuilder.random(LfadsKernelTest.withController(1), 5, true).build("s", true);
        for (LfadsArithmetic a : LfadsArithmetic.values()) {
            LfadsStream s = new LfadsStream(a.load(b), LfadsMode.SLIDING);
            LfadsKernel ref = a.load(b);
            LfadsDims d = ref.dims();
            int total = 14;
            float[] x = LfadsKernelTest.poisson(2, total, d.dataDim(), 1.0);
            float[] fac = new float[d.facDim()];
            float[] lr = new float[d.readoutDim()];
            float[] tf = new float[d.reconSeqLen() * d.facDim()];
            float[] tl = new float[d.reconSeqLen() * d.readoutDim()];
            for (int t = 0; t < total; t++) {
                assertThat(s.push(x, t * d.dataDim(), fac, lr)).isEqualTo(DecodeStatus.OK);
                int bins = Math.min(t + 1, d.encSeqLen());
                float[] window = java.util.Arrays.copyOfRange(x, (t + 1 - bins) * d.dataDim(), (t + 1) * d.dataDim());
                ref.trial(window, bins, tf, tl);
                for (int i = 0; i < d.readoutDim(); i++) {
                    assertThat(lr[i]).isEqualTo(tl[(bins - 1) * d.readoutDim() + i]);
                }
            }
            assertThat(s.binsPushed()).isEqualTo(total);
        }
    }

    @Test
    void causalModeNeedsACausalBundle() {
        ModelBundle b = LfadsBundleBuilder.random(LfadsKernelTest.noController(), 5, false).build("s", false);
        assertThatThrownBy(() -> new LfadsStream(new LfadsFloat32(b), LfadsMode.CAUSAL))
                .hasMessageContaining("causal bundle");
        assertThatThrownBy(() -> new io.reflex.decoders.engine.EngineDecoder(new io.reflex.decoders.engine
                .EngineDecoder.Context().bundle(b).mode(LfadsMode.CAUSAL))).hasMessageContaining("causal");
    }

    @Test
    void aCausalEngineRefusesBadInputWithoutAdvancingItsStream() {
        ModelBundle b = LfadsBundleBuilder.random(LfadsKernelTest.causal(1), 5, true).build("d", true);
        io.reflex.decoders.engine.CpuEngine e = new io.reflex.decoders.engine.CpuEngine(LfadsArithmetic.FIXED, null,
                LfadsOutput.RATES);
        e.load(b);
        assertThat(e.mode()).isEqualTo(LfadsMode.CAUSAL);
        assertThat(e.inputCount()).isEqualTo(7);
        assertThat(e.outputCount()).isEqualTo(8);
        float[] in = new float[7];
        float[] out = new float[8];
        in[2] = 3;
        assertThat(e.step(in, out)).isEqualTo(DecodeStatus.OK);
        for (float v : out) {
            assertThat(v).isPositive();
        }
        in[4] = Float.NaN;
        assertThat(e.step(in, out)).isEqualTo(DecodeStatus.INVALID_INPUT);
        assertThat(out).containsOnly(0f);
        assertThat(e.kernel().streamBins()).isEqualTo(1);
        assertThat(e.step(new float[3], out)).isEqualTo(DecodeStatus.INVALID_INPUT);
        assertThat(e.kernel().streamBins()).isEqualTo(1);
    }
}
