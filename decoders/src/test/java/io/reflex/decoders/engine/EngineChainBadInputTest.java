package io.reflex.decoders.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.lfads.LfadsBundleBuilder;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Bad input never fails an engine of a chain, including on the repeated call after a failover, and a failed engine's
 * reason is its real fault.
 */
class EngineChainBadInputTest {

    static final ModelBundle SMALL = LfadsBundleBuilder.random(EngineBadInputPropertyTest.CAUSAL, 3, true)
            .build("c", true);

    /** Faults on every trial (a device error), steps normally. */
    static final class TrialFaultEngine extends ForwardingEngine {
        TrialFaultEngine(Engine inner) {
            super(inner);
        }

        @Override
        public int trial(float[] window, int bins, float[] out) {
            Arrays.fill(out, 0f);
            return DecodeStatus.ENGINE_FAULT;
        }
    }

    /** Takes windows two bins shorter and does not check its bounds (as an engine with a bug would). */
    static final class ShortWindowEngine extends ForwardingEngine {
        ShortWindowEngine(Engine inner) {
            super(inner);
        }

        @Override
        public int maxTrialBins() {
            return inner.maxTrialBins() - 2;
        }

        @Override
        public int trial(float[] window, int bins, float[] out) {
            if (bins > maxTrialBins()) {
                throw new ArrayIndexOutOfBoundsException("window of " + bins + " bins");
            }
            return inner.trial(window, bins, out);
        }
    }

    @Test
    void oneBinMoreThanMaxTrialBinsIsBadInputForEveryCpuEngineAndTheChainStaysUsable() {
        for (Engine e : List.of(new CpuEngine(true), new CpuEngine(false),
                new EngineChain(List.of(new CpuEngine(true), new CpuEngine(false))))) {
            e.load(SMALL);
            int bins = e.maxTrialBins() + 1;
            float[] out = new float[(bins + 8) * e.outputCount()];
            Arrays.fill(out, 7f);
            assertThat(e.trial(new float[bins * e.inputCount()], bins, out)).as(e.name())
                    .isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(out).containsOnly(0f);
            assertThat(e.step(new float[e.inputCount()], new float[e.outputCount()])).isEqualTo(DecodeStatus.OK);
            assertThat(e.health().healthy()).isTrue();
            if (e instanceof EngineChain chain) {
                assertThat(chain.describe()).doesNotContain("failed").contains("ready");
            }
        }
    }

    @Test
    void aWindowTooLongForTheEngineTakingOverIsBadInputNotASecondFault() {
        EngineChain chain = new EngineChain(List.of(new TrialFaultEngine(new CpuEngine(true)),
                new ShortWindowEngine(new CpuEngine(true))));
        chain.load(SMALL);
        int bins = chain.maxTrialBins();
        float[] window = new float[bins * chain.inputCount()];
        float[] out = new float[chain.trialSteps(bins) * chain.outputCount()];
        assertThat(chain.trial(window, bins, out)).isEqualTo(DecodeStatus.INVALID_INPUT);
        List<EngineStatus> s = chain.statuses();
        assertThat(s.get(0).usable()).isFalse();
        assertThat(s.get(0).reason()).isEqualTo("failed: trial returned engine_fault");
        assertThat(s.get(1).usable()).isTrue();
        assertThat(s.get(1).active()).isTrue();
        assertThat(s.get(1).faults()).isZero();
        // the engine that took over serves the windows it can take and the stream goes on
        int shorter = chain.maxTrialBins();
        assertThat(shorter).isEqualTo(bins - 2);
        assertThat(chain.trial(new float[shorter * chain.inputCount()], shorter,
                new float[chain.trialSteps(shorter) * chain.outputCount()])).isEqualTo(DecodeStatus.OK);
        assertThat(chain.step(new float[chain.inputCount()], new float[chain.outputCount()]))
                .isEqualTo(DecodeStatus.OK);
        assertThat(chain.health().healthy()).isTrue();
    }

    @Test
    void whenNoEngineIsLeftTheChainNamesTheRealFaultNotOk() {
        EngineChain chain = new EngineChain(List.of(new FaultInjectingEngine(new CpuEngine(true), 1,
                FaultInjectingEngine.Mode.EXCEPTION)));
        chain.load(SMALL);
        float[] out = new float[chain.outputCount()];
        assertThat(chain.step(new float[chain.inputCount()], out)).isEqualTo(DecodeStatus.ENGINE_FAULT);
        chain.reset();
        assertThat(chain.step(new float[chain.inputCount()], out)).isEqualTo(DecodeStatus.ENGINE_FAULT);
        assertThat(chain.health().healthy()).isFalse();
        assertThat(chain.health().detail()).startsWith("no usable engine left: ").contains("EngineException")
                .doesNotEndWith(": ok");
        assertThat(chain.describe()).contains("failed: step threw").doesNotContain("failed: ok");
        // only a new load revives it
        chain.load(SMALL);
        assertThat(chain.statuses().get(0).reason()).isEqualTo("ready");
    }
}
