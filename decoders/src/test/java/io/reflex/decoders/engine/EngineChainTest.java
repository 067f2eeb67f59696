package io.reflex.decoders.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.BundleException;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.lfads.LfadsArithmetic;
import io.reflex.decoders.lfads.LfadsBundleBuilder;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.decoders.lfads.LfadsMode;
import io.reflex.decoders.lfads.LfadsOutput;
import io.reflex.decoders.lfads.LorenzData;
import io.reflex.decoders.snn.SnnDecoder;
import io.reflex.decoders.synth.CenterOutSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The engine chain: bumpless failover (zero lost bins, bit-identical continuation between fixed-point engines, a
 * float32 takeover within tolerance), bad input that is never a fault, per-engine counts and reasons.
 */
class EngineChainTest {

    static final LfadsDims SMALL_CAUSAL = new LfadsDims(5, 6, 6, 0, 4, 4, 2, 0, 8, 3, 5, 1, 5.0, 0.02, true);
    static final int BINS = 200;

    static ModelBundle lorenzCausal;
    static ModelBundle snnReservoir;
    static float[][] lorenzBins;
    static float[][] centerOutBins;

    @BeforeAll
    static void data() {
        lorenzCausal = ModelBundle.fromResource("/models/lfads-lorenz-causal.rbundle");
        snnReservoir = SnnDecoder.reservoirBundle(new SnnDecoder.Context().inputCount(96).neuronCount(256).seed(3),
                "snn-test", "EngineChainTest").toBundle();
        LorenzData data = new LorenzData(70, 73);
        float[] trial = new float[73 * 70];
        lorenzBins = new float[BINS][70];
        for (int b = 0; b < BINS; b++) {
            if (b % 73 == 0) {
                data.trial(7, b / 73, trial, null, null);
            }
            System.arraycopy(trial, (b % 73) * 70, lorenzBins[b], 0, 70);
        }
        CenterOutSource src = new CenterOutSource(new CenterOutSource.Context().channels(96).seed(5));
        centerOutBins = new float[BINS][96];
        double[] kin = new double[4];
        for (float[] bin : centerOutBins) {
            src.nextBin(20, bin, kin);
        }
    }

    /** Outputs of an uninterrupted run on one engine. */
    static float[][] uninterrupted(Engine e, ModelBundle b, float[][] bins) {
        e.load(b);
        float[][] out = new float[bins.length][e.outputCount()];
        for (int t = 0; t < bins.length; t++) {
            assertThat(e.step(bins[t], out[t])).isEqualTo(DecodeStatus.OK);
        }
        e.close();
        return out;
    }

    /** Runs a chain over the bins; every bin must be answered OK (no frame lost). */
    static float[][] run(EngineChain chain, float[][] bins) {
        float[][] out = new float[bins.length][chain.outputCount()];
        for (int t = 0; t < bins.length; t++) {
            assertThat(chain.step(bins[t], out[t])).as("bin %d", t).isEqualTo(DecodeStatus.OK);
        }
        return out;
    }

    @Test
    void failoverMidStreamBetweenFixedEnginesIsBitIdenticalForLfadsAndSnn() {
        for (ModelBundle b : new ModelBundle[] {lorenzCausal, snnReservoir}) {
            float[][] bins = b == lorenzCausal ? lorenzBins : centerOutBins;
            float[][] expect = uninterrupted(new CpuEngine(true), b, bins);
            for (FaultInjectingEngine.Mode mode : FaultInjectingEngine.Mode.values()) {
                FaultInjectingEngine faulty = new FaultInjectingEngine(new CpuEngine(true), 77, mode);
                EngineChain chain = new EngineChain(List.of(faulty, new CpuEngine(true)));
                List<String> heard = new ArrayList<>();
                chain.failoverListener((from, to, reason, bumpless) -> heard.add(from + "->" + to + " " + reason
                        + " " + bumpless));
                chain.load(b);
                float[][] out = run(chain, bins);
                for (int t = 0; t < BINS; t++) {
                    assertThat(out[t]).as("%s %s bin %d", b.modelType(), mode, t).containsExactly(expect[t]);
                }
                assertThat(chain.failovers()).isEqualTo(1);
                assertThat(chain.coldTakeovers()).isZero();
                assertThat(chain.served(0)).isEqualTo(76);
                assertThat(chain.served(1)).isEqualTo(BINS - 76);
                assertThat(chain.lastServedIndex()).isEqualTo(1);
                assertThat(chain.activeIndex()).isEqualTo(1);
                assertThat(chain.faults(0)).isEqualTo(1);
                assertThat(chain.reason(0)).startsWith("failed: ").contains("injected fault at step 77");
                assertThat(heard).hasSize(1);
                assertThat(heard.get(0)).startsWith("0->1 ").endsWith(" true").contains("injected fault at step 77");
                chain.close();
            }
        }
    }

    @Test
    void twoFailuresInAThreeEngineChainStillContinueBitIdentically() {
        float[][] expect = uninterrupted(new CpuEngine(true), lorenzCausal, lorenzBins);
        EngineChain chain = new EngineChain(List.of(new FaultInjectingEngine(new CpuEngine(true), 30),
                new FaultInjectingEngine(new CpuEngine(true), 50, FaultInjectingEngine.Mode.EXCEPTION),
                new CpuEngine(true)));
        chain.load(lorenzCausal);
        float[][] out = run(chain, lorenzBins);
        assertThat(out).isDeepEqualTo(expect);
        assertThat(chain.failovers()).isEqualTo(2);
        assertThat(new long[] {chain.served(0), chain.served(1), chain.served(2)})
                .containsExactly(29, 49, BINS - 29 - 49);
        assertThat(chain.reason(1)).contains("step threw").contains("injected fault at step 50");
    }

    @Test
    void slidingModeFailsOverBitIdenticallyThroughTheWindowCheckpoint() {
        ModelBundle small = ModelBundle.fromResource("/models/lfads-lorenz-small.rbundle");
        float[][] bins = java.util.Arrays.copyOf(lorenzBins, 90);
        float[][] expect = uninterrupted(new CpuEngine(true), small, bins);
        EngineChain chain = new EngineChain(List.of(new FaultInjectingEngine(new CpuEngine(true), 80),
                new CpuEngine(true)));
        chain.load(small);
        assertThat(((CpuEngine) chain.engine(1)).mode()).isEqualTo(LfadsMode.SLIDING);
        assertThat(run(chain, bins)).isDeepEqualTo(expect);
        assertThat(chain.failovers()).isEqualTo(1);
        assertThat(chain.coldTakeovers()).isZero();
    }

    /**
     * Largest |Δ factor| of a float32 engine that takes over from {@code cpu-fixed} on the Lorenz demo model, against
     * the uninterrupted fixed-point run, over the 123 bins after the failover: measured 6.3e−3 (the printout), the
     * size of the float32-vs-fixed difference itself (decoders/LFADS.md: max |Δ log-rate| 1.6e−2).
     */
    static final double FLOAT_TAKEOVER_TOLERANCE = 2e-2;

    @Test
    void aFloatEngineTakesOverFromTheFixedPointStateWithinTolerance() {
        float[][] expect = uninterrupted(new CpuEngine(true), lorenzCausal, lorenzBins);
        EngineChain chain = new EngineChain(List.of(new FaultInjectingEngine(new CpuEngine(true), 78),
                new CpuEngine(false)));
        chain.load(lorenzCausal);
        float[][] out = run(chain, lorenzBins);
        assertThat(chain.arithmetic()).isEqualTo("float32");
        assertThat(chain.coldTakeovers()).isZero();
        double max = 0;
        for (int t = 0; t < BINS; t++) {
            for (int i = 0; i < out[t].length; i++) {
                if (t < 77) {
                    assertThat(out[t][i]).isEqualTo(expect[t][i]);
                } else {
                    max = Math.max(max, Math.abs(out[t][i] - expect[t][i]));
                }
            }
        }
        System.out.printf("float32 takeover from cpu-fixed at bin 77, Lorenz causal demo model: max |dfactor| over "
                + "%d bins = %.2e%n", BINS - 77, max);
        assertThat(max).isLessThanOrEqualTo(FLOAT_TAKEOVER_TOLERANCE).isGreaterThan(0);
    }

    /** An engine that cannot checkpoint its stream (the SPI's default), e.g. a device without state read-back. */
    static final class NoCheckpointEngine extends ForwardingEngine {
        NoCheckpointEngine(Engine inner) {
            super(inner);
        }

        @Override
        public int checkpointBytes() {
            return 0;
        }

        @Override
        public int saveCheckpoint(byte[] dst) {
            return DecodeStatus.NOT_READY;
        }

        @Override
        public int restoreCheckpoint(byte[] src) {
            return DecodeStatus.NOT_READY;
        }
    }

    @Test
    void withoutACheckpointTheNextEngineRestartsTheStreamAndTheChainCountsIt() {
        FaultInjectingEngine faulty = new FaultInjectingEngine(new NoCheckpointEngine(new CpuEngine(true)), 40);
        EngineChain chain = new EngineChain(List.of(faulty, new CpuEngine(true)));
        chain.load(lorenzCausal);
        float[][] out = run(chain, lorenzBins);
        assertThat(chain.failovers()).isEqualTo(1);
        assertThat(chain.coldTakeovers()).isEqualTo(1);
        // the stream restarted at bin 39: its outputs are those of a fresh stream over bins 39..
        float[][] fresh = uninterrupted(new CpuEngine(true), lorenzCausal,
                java.util.Arrays.copyOfRange(lorenzBins, 39, BINS));
        for (int t = 39; t < BINS; t++) {
            assertThat(out[t]).containsExactly(fresh[t - 39]);
        }
        // at the start of a stream no checkpoint is needed: the takeover is exact and not cold
        EngineChain early = new EngineChain(List.of(new FaultInjectingEngine(
                new NoCheckpointEngine(new CpuEngine(true)), 1), new CpuEngine(true)));
        early.load(lorenzCausal);
        assertThat(run(early, lorenzBins)).isDeepEqualTo(uninterrupted(new CpuEngine(true), lorenzCausal, lorenzBins));
        assertThat(early.coldTakeovers()).isZero();
    }

    @Test
    void badInputIsNeverAFault() {
        ModelBundle b = LfadsBundleBuilder.random(SMALL_CAUSAL, 3, true).build("c", true);
        EngineChain chain = new EngineChain(List.of(new CpuEngine(true), new CpuEngine(false)));
        chain.load(b);
        float[] in = {1, 0, 2, 0, 1};
        float[] out = new float[3];
        assertThat(chain.step(in, out)).isEqualTo(DecodeStatus.OK);
        float[] nan = in.clone();
        nan[2] = Float.NaN;
        float[] inf = in.clone();
        inf[0] = Float.POSITIVE_INFINITY;
        assertThat(chain.step(nan, out)).isEqualTo(DecodeStatus.INVALID_INPUT);
        assertThat(out).containsOnly(0f);
        assertThat(chain.step(inf, out)).isEqualTo(DecodeStatus.INVALID_INPUT);
        assertThat(chain.step(new float[4], out)).isEqualTo(DecodeStatus.INVALID_INPUT);
        assertThat(chain.step(null, out)).isEqualTo(DecodeStatus.INVALID_INPUT);
        assertThat(chain.step(in, new float[2])).isEqualTo(DecodeStatus.INVALID_INPUT);
        int max = chain.maxTrialBins();
        assertThat(max).isEqualTo(6);
        float[] window = new float[(max + 1) * 5];
        float[] trialOut = new float[(max + 1) * 3];
        assertThat(chain.trial(window, max + 1, trialOut)).as("one bin more than maxTrialBins")
                .isEqualTo(DecodeStatus.INVALID_INPUT);
        assertThat(chain.trial(window, 0, trialOut)).isEqualTo(DecodeStatus.INVALID_INPUT);
        assertThat(chain.trial(window, -3, trialOut)).isEqualTo(DecodeStatus.INVALID_INPUT);
        window[7] = Float.NaN;
        assertThat(chain.trial(window, max, trialOut)).isEqualTo(DecodeStatus.INVALID_INPUT);
        window[7] = 0;
        assertThat(chain.trial(window, max, trialOut)).isEqualTo(DecodeStatus.OK);
        // the engine itself refuses the same bad data with a status, never an exception (issue 12: it threw
        // ArrayIndexOutOfBoundsException and latched ENGINE_FAULT)
        CpuEngine alone = new CpuEngine(true);
        alone.load(b);
        assertThat(alone.trial(window, max + 1, trialOut)).isEqualTo(DecodeStatus.INVALID_INPUT);
        assertThat(alone.trial(window, max, new float[3])).isEqualTo(DecodeStatus.INVALID_INPUT);
        assertThat(alone.step(nan, out)).isEqualTo(DecodeStatus.INVALID_INPUT);
        assertThat(alone.trialSteps(max + 1)).isZero();

        assertThat(chain.failovers()).isZero();
        assertThat(chain.activeIndex()).isZero();
        assertThat(chain.statuses()).allSatisfy(s -> {
            assertThat(s.usable()).isTrue();
            assertThat(s.faults()).isZero();
            assertThat(s.reason()).isEqualTo("ready");
        });
        assertThat(chain.describe()).doesNotContain("failed");
        assertThat(chain.step(in, out)).isEqualTo(DecodeStatus.OK);
    }

    @Test
    void resetNeverRevivesAFailedEngineAndALoadDoes() {
        EngineChain chain = new EngineChain(List.of(new FaultInjectingEngine(new CpuEngine(true), 3),
                new FaultInjectingEngine(new CpuEngine(true), 5)));
        chain.load(lorenzCausal);
        float[] out = new float[4];
        for (int t = 0; t < 4; t++) {
            assertThat(chain.step(lorenzBins[t], out)).isEqualTo(DecodeStatus.OK);
        }
        assertThat(chain.activeIndex()).isEqualTo(1);
        chain.reset();
        assertThat(chain.usable(0)).isFalse();
        assertThat(chain.activeIndex()).isEqualTo(1);
        assertThat(chain.step(lorenzBins[0], out)).isEqualTo(DecodeStatus.OK);
        // engine 1 took bins 2 and 3 before the reset and one after it; its 4th step works, its 5th faults: none left
        float[] held = {7, 7, 7, 7};
        assertThat(chain.step(lorenzBins[1], out)).isEqualTo(DecodeStatus.OK);
        assertThat(chain.step(lorenzBins[2], held)).isEqualTo(DecodeStatus.ENGINE_FAULT);
        assertThat(held).containsOnly(0f);
        assertThat(chain.lastServedIndex()).isEqualTo(-1);
        assertThat(chain.health().healthy()).isFalse();
        assertThat(chain.health().detail()).contains("injected fault at step 5");
        chain.reset();
        assertThat(chain.step(lorenzBins[3], out)).isEqualTo(DecodeStatus.ENGINE_FAULT);
        assertThat(chain.statuses()).extracting(EngineStatus::usable).containsExactly(false, false);
        chain.load(lorenzCausal);
        assertThat(chain.statuses()).extracting(EngineStatus::usable).containsExactly(true, true);
        assertThat(chain.step(lorenzBins[0], out)).isEqualTo(DecodeStatus.OK);
        assertThat(chain.failovers()).isZero();
    }

    /** Reports device cycles: one per step so far. */
    static final class CountingEngine extends ForwardingEngine {
        long cycles;

        CountingEngine(Engine inner) {
            super(inner);
        }

        @Override
        public int step(float[] in, float[] out) {
            cycles += 1000;
            return super.step(in, out);
        }

        @Override
        public long lastCallCycles() {
            return cycles;
        }

        @Override
        public String device() {
            return "counting test device";
        }
    }

    @Test
    void statusesCountsReasonsAndCyclesPerEngine() {
        EngineChain chain = new EngineChain(List.of(
                new FaultInjectingEngine(new CountingEngine(new CpuEngine(true)), 11),
                new UnavailableEngine("xrt", "no card"),
                new CountingEngine(new CpuEngine(false))));
        chain.load(lorenzCausal);
        assertThat(chain.lastCallCycles()).isEqualTo(-1);
        float[] out = new float[4];
        for (int t = 0; t < 10; t++) {
            chain.step(lorenzBins[t], out);
        }
        assertThat(chain.lastCallCycles()).isEqualTo(10_000);
        for (int t = 10; t < 15; t++) {
            chain.step(lorenzBins[t], out);
        }
        assertThat(chain.lastCallCycles()).isEqualTo(5_000);
        List<EngineStatus> s = chain.statuses();
        assertThat(s).extracting(EngineStatus::name).containsExactly("cpu-fixed", "xrt", "cpu");
        assertThat(s).extracting(EngineStatus::arithmetic).containsExactly("fixed", "unknown", "float32");
        assertThat(s).extracting(EngineStatus::usable).containsExactly(false, false, true);
        assertThat(s).extracting(EngineStatus::active).containsExactly(false, false, true);
        assertThat(s).extracting(EngineStatus::served).containsExactly(10L, 0L, 5L);
        assertThat(s).extracting(EngineStatus::faults).containsExactly(1L, 0L, 0L);
        assertThat(s.get(0).reason()).isEqualTo("failed: injected fault at step 11");
        assertThat(s.get(0).healthy()).isFalse();
        assertThat(s.get(0).device()).contains("fault injected at step 11");
        assertThat(s.get(1).reason()).contains("no card");
        assertThat(s.get(2).reason()).isEqualTo("ready");
        assertThat(s.get(2).device()).isEqualTo("counting test device");
        assertThat(chain.describe()).contains("* cpu [float32]: ready, served 5, faults 0")
                .contains("  cpu-fixed [fixed]: failed: injected fault at step 11, served 10, faults 1");
        assertThat(chain.lastFailoverReason()).isEqualTo("cpu-fixed: injected fault at step 11");
    }

    @Test
    void chainsFromSpecsUseServiceProvidersOptionsAndFaultInjection() {
        assertThat(EngineChain.availableEngineNames()).contains("cpu", "cpu-fixed");
        EngineChain chain = EngineChain.create(List.of(EngineSpec.of("xrt-not-here"),
                EngineSpec.of("cpu-fixed", Map.of("output", "log_rates")).withFaultAtStep(2),
                EngineSpec.of("cpu", Map.of("output", "log_rates"))));
        chain.load(lorenzCausal);
        assertThat(chain.engineCount()).isEqualTo(3);
        assertThat(chain.reason(0)).contains("no provider of engine 'xrt-not-here'");
        assertThat(chain.activeIndex()).isEqualTo(1);
        assertThat(chain.engine(1)).isInstanceOf(FaultInjectingEngine.class);
        assertThat(chain.outputCount()).isEqualTo(70);
        float[] out = new float[70];
        assertThat(chain.step(lorenzBins[0], out)).isEqualTo(DecodeStatus.OK);
        assertThat(chain.step(lorenzBins[1], out)).isEqualTo(DecodeStatus.OK);
        assertThat(chain.lastServedIndex()).isEqualTo(2);
        assertThat(EngineSpec.parseNames(" XRT, rtl-sim ,cpu-fixed")).extracting(EngineSpec::name)
                .containsExactly("xrt", "rtl-sim", "cpu-fixed");
        assertThatThrownBy(() -> EngineChain.of("nope")).isInstanceOf(EngineException.class)
                .hasMessageContaining("nope");
        assertThatThrownBy(() -> EngineChain.create(List.of(EngineSpec.of("cpu", Map.of("colour", "red")))))
                .isInstanceOf(EngineException.class).hasMessageContaining("colour");
        assertThatThrownBy(() -> EngineSpec.parseNames("cpu,,xrt")).hasMessageContaining("empty engine name");
    }

    @Test
    void aBundleThatNoEngineTakesIsRefusedWithTheReasonAndMismatchedEnginesAreLeftOut() {
        ModelBundle bad = new io.reflex.decoders.bundle.ModelBundleWriter("lfads", "empty").toBundle();
        EngineChain chain = EngineChain.of("cpu");
        assertThatThrownBy(() -> chain.load(bad)).isInstanceOf(BundleException.class)
                .hasMessageContaining("hyperparameter");
        ModelBundle kalman = new io.reflex.decoders.bundle.ModelBundleWriter("kalman", "x").toBundle();
        assertThatThrownBy(() -> chain.load(kalman)).isInstanceOf(EngineException.class)
                .hasMessageContaining("kalman");
        EngineChain mixed = new EngineChain(List.of(new CpuEngine(true),
                new CpuEngine(LfadsArithmetic.FIXED, null, LfadsOutput.LOG_RATES)));
        mixed.load(lorenzCausal);
        assertThat(mixed.usable(1)).isFalse();
        assertThat(mixed.reason(1)).contains("dimensions differ");
    }
}
