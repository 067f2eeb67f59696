package io.reflex.decoders.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.BundleException;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.lfads.LfadsArithmetic;
import io.reflex.decoders.lfads.LfadsBundleBuilder;
import io.reflex.decoders.lfads.LfadsDecoder;
import io.reflex.decoders.lfads.LfadsDims;
import java.util.List;
import org.junit.jupiter.api.Test;

class EngineChainTest {

    static final LfadsDims CAUSAL = new LfadsDims(5, 6, 6, 0, 4, 4, 2, 0, 8, 3, 5, 1, 5.0, 0.02, true);

    /** Works for {@code failAfter} steps, then returns ENGINE_FAULT (or throws) and reports itself unhealthy. */
    static final class FlakyEngine implements Engine {
        final CpuEngine inner = new CpuEngine(LfadsArithmetic.FIXED, null, LfadsDecoder.Output.FACTORS);
        final int failAfter;
        final boolean throwing;
        int calls;

        FlakyEngine(int failAfter, boolean throwing) {
            this.failAfter = failAfter;
            this.throwing = throwing;
        }

        @Override
        public String name() {
            return "flaky";
        }

        @Override
        public String arithmetic() {
            return inner.arithmetic();
        }

        @Override
        public void load(ModelBundle bundle) {
            inner.load(bundle);
        }

        @Override
        public int inputCount() {
            return inner.inputCount();
        }

        @Override
        public int outputCount() {
            return inner.outputCount();
        }

        @Override
        public int maxTrialBins() {
            return inner.maxTrialBins();
        }

        @Override
        public int trialSteps(int bins) {
            return inner.trialSteps(bins);
        }

        @Override
        public int step(float[] in, float[] out) {
            if (++calls > failAfter) {
                if (throwing) {
                    throw new IllegalStateException("device lost");
                }
                return DecodeStatus.ENGINE_FAULT;
            }
            return inner.step(in, out);
        }

        @Override
        public int trial(float[] window, int bins, float[] out) {
            return inner.trial(window, bins, out);
        }

        @Override
        public void reset() {
            inner.reset();
        }

        @Override
        public EngineHealth health() {
            return calls > failAfter ? new EngineHealth(false, "device lost", 1) : EngineHealth.OK;
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    @Test
    void failsOverWithinTheSameBin() {
        ModelBundle b = LfadsBundleBuilder.random(CAUSAL, 3, true).build("c", true);
        for (boolean throwing : new boolean[] {false, true}) {
            FlakyEngine flaky = new FlakyEngine(2, throwing);
            CpuEngine backup = new CpuEngine(LfadsArithmetic.FIXED, null, LfadsDecoder.Output.FACTORS);
            EngineChain chain = new EngineChain(List.of(flaky, backup));
            chain.load(b);
            assertThat(chain.active()).isSameAs(flaky);
            float[] in = {1, 0, 2, 0, 1};
            float[] out = new float[3];
            assertThat(chain.step(in, out)).isEqualTo(DecodeStatus.OK);
            assertThat(chain.step(in, out)).isEqualTo(DecodeStatus.OK);
            assertThat(chain.step(in, out)).isEqualTo(DecodeStatus.OK);
            assertThat(chain.active()).isSameAs(backup);
            assertThat(chain.failovers()).isEqualTo(1);
            assertThat(chain.describe()).contains("flaky: failed");
            // the backup started a fresh stream at the failed bin: its output equals a fresh engine's first bin
            CpuEngine fresh = new CpuEngine(LfadsArithmetic.FIXED, null, LfadsDecoder.Output.FACTORS);
            fresh.load(b);
            float[] expect = new float[3];
            fresh.step(in, expect);
            assertThat(out).containsExactly(expect);
            chain.close();
            assertThat(chain.health().healthy()).isFalse();
        }
    }

    @Test
    void chainFromNamesUsesServiceProvidersAndSkipsUnknownNames() {
        assertThat(EngineChain.availableEngineNames()).contains("cpu", "cpu-fixed");
        EngineChain chain = EngineChain.of("xrt-not-here", "cpu-fixed", "cpu");
        ModelBundle b = LfadsBundleBuilder.random(CAUSAL, 3, true).build("c", true);
        chain.load(b);
        assertThat(chain.name()).isEqualTo("cpu-fixed");
        assertThat(chain.inputCount()).isEqualTo(5);
        float[] window = new float[6 * 5];
        float[] out = new float[chain.trialSteps(6) * chain.outputCount()];
        assertThat(chain.trial(window, 6, out)).isEqualTo(DecodeStatus.OK);
        assertThatThrownBy(() -> EngineChain.of("nope")).isInstanceOf(EngineException.class).hasMessageContaining("nope");
    }

    @Test
    void aBundleThatNoEngineTakesIsRefusedWithTheReason() {
        ModelBundle bad = new io.reflex.decoders.bundle.ModelBundleWriter("lfads", "empty").toBundle();
        EngineChain chain = EngineChain.of("cpu");
        assertThatThrownBy(() -> chain.load(bad)).isInstanceOf(BundleException.class).hasMessageContaining("hyperparameter");
        ModelBundle snn = new io.reflex.decoders.bundle.ModelBundleWriter("snn", "x").toBundle();
        assertThatThrownBy(() -> chain.load(snn)).isInstanceOf(EngineException.class).hasMessageContaining("snn");
    }
}
