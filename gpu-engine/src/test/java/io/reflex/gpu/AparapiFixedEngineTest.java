package io.reflex.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.catalog.Decoders;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.engine.CpuEngine;
import io.reflex.decoders.engine.Engine;
import io.reflex.decoders.engine.EngineChain;
import io.reflex.decoders.engine.EngineException;
import io.reflex.decoders.engine.EngineSpec;
import io.reflex.decoders.engine.EngineStatus;
import io.reflex.decoders.snn.SnnDecoder;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code aparapi-fixed} as an engine: registration, options, device reports, chains and failover. */
class AparapiFixedEngineTest {
    static final int CHANNELS = 24;
    static ModelBundle snn;

    @BeforeAll
    static void bundle() {
        snn = SnnDecoder.reservoirBundle(new SnnDecoder.Context().inputCount(CHANNELS).neuronCount(256),
                "snn-256", "AparapiFixedEngineTest").toBundle();
    }

    static float[][] counts(int bins, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[][] c = new float[bins][CHANNELS];
        for (float[] row : c) {
            for (int k = 0; k < CHANNELS; k++) {
                row[k] = rng.nextInt(0, 8);
            }
        }
        return c;
    }

    /** Runs an engine over bins and returns the outputs. */
    static float[][] run(Engine e, float[][] in) {
        float[][] out = new float[in.length][e.outputCount()];
        for (int b = 0; b < in.length; b++) {
            assertThat(e.step(in[b], out[b])).as("bin %d on %s: %s", b, e.name(), e.health().detail())
                    .isEqualTo(DecodeStatus.OK);
        }
        return out;
    }

    @Test
    void registeredForServiceLoaderAndChains() {
        assertThat(EngineChain.availableEngineNames()).contains(AparapiFixedEngine.NAME, "cpu-fixed");
    }

    @Test
    void optionsAreCheckedByName() {
        AparapiFixedEngine.Factory f = new AparapiFixedEngine.Factory();
        assertThatThrownBy(() -> f.create(Map.of("device", "fpga"))).isInstanceOf(EngineException.class)
                .hasMessageContaining("device must be auto, opencl or jtp");
        assertThatThrownBy(() -> f.create(Map.of("xclbin", "x"))).isInstanceOf(EngineException.class)
                .hasMessageContaining("unknown option 'xclbin'");
    }

    @Test
    @Timeout(300)
    void snnIsBitIdenticalToCpuFixedOnEveryDeviceChoice() {
        float[][] in = counts(200, 3);
        float[][] want;
        try (CpuEngine golden = new CpuEngine(true)) {
            golden.load(snn);
            want = run(golden, in);
        }
        boolean openCl = AparapiDevices.probe().openCl() != null;
        for (String choice : openCl ? List.of("auto", "opencl", "jtp") : List.of("auto", "jtp")) {
            try (Engine e = new AparapiFixedEngine.Factory().create(Map.of("device", choice))) {
                e.load(snn);
                assertThat(e.health().healthy()).isTrue();
                String mode = ((AparapiFixedEngine) e).executionMode();
                assertThat(mode).isEqualTo(choice.equals("jtp") || !openCl ? "jtp" : "opencl");
                assertThat(e.device()).contains(mode).contains("256 neurons");
                assertThat(e.health().detail()).startsWith("ok: " + mode);
                float[][] got = run(e, in);
                for (int b = 0; b < in.length; b++) {
                    assertThat(got[b]).as("%s bin %d", choice, b).containsExactly(want[b]);
                }
            }
        }
    }

    @Test
    void withoutOpenClTheOpenClChoiceRefusesWithTheReasonAndAutoSaysWhyItRunsOnJtp() {
        AparapiDevices.Probe p = AparapiDevices.probe();
        org.junit.jupiter.api.Assumptions.assumeTrue(p.openCl() == null,
                "skipped: this machine has an OpenCL device, so the no-device refusal cannot be seen here");
        try (Engine e = new AparapiFixedEngine.Factory().create(Map.of("device", "opencl"))) {
            assertThatThrownBy(() -> e.load(snn)).isInstanceOf(EngineException.class)
                    .hasMessageContaining(p.reason());
        }
        try (AparapiFixedEngine e = new AparapiFixedEngine(AparapiFixedEngine.DeviceChoice.AUTO)) {
            e.load(snn);
            assertThat(e.health().detail()).contains(p.reason());
            assertThat(e.device()).contains("not OpenCL");
        }
    }

    /** Counts for an LFADS model: small counts and halves, one bin in five huge (saturating at 32767). */
    static float[][] lfadsCounts(int bins, int channels, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[][] c = new float[bins][channels];
        for (float[] row : c) {
            boolean huge = rng.nextInt(5) == 0;
            for (int k = 0; k < channels; k++) {
                row[k] = huge ? rng.nextInt(0, 60_000) : rng.nextInt(0, 6) + (rng.nextBoolean() ? 0.5f : 0f);
            }
        }
        return c;
    }

    @Test
    @Timeout(300)
    void acausalLfadsTrialsAndSlidingWindowsAreBitIdenticalToCpuFixedOnEveryDeviceChoice() {
        ModelBundle acausal = ModelBundle.fromResource("/models/lfads-lorenz-small.rbundle");
        for (AparapiFixedEngine.DeviceChoice choice : AparapiFixedEngine.DeviceChoice.values()) {
            if (choice == AparapiFixedEngine.DeviceChoice.OPENCL && AparapiDevices.probe().openCl() == null) {
                continue;
            }
            try (CpuEngine golden = new CpuEngine(true); AparapiFixedEngine e = new AparapiFixedEngine(choice)) {
                golden.load(acausal);
                e.load(acausal);
                assertThat(e.device()).contains("LFADS acausal trial and sliding window");
                int t = golden.maxTrialBins();
                assertThat(e.maxTrialBins()).isEqualTo(t).isGreaterThan(1);
                assertThat(e.inputCount()).isEqualTo(golden.inputCount());
                assertThat(e.outputCount()).isEqualTo(golden.outputCount());
                for (int bins = 0; bins <= t + 1; bins++) {
                    assertThat(e.trialSteps(bins)).isEqualTo(golden.trialSteps(bins));
                }
                // whole windows, every length from 1 to encod_seq_len, between the sliding steps below
                float[][] in = lfadsCounts(t + 30, golden.inputCount(), 21 + choice.ordinal());
                SplittableRandom rng = new SplittableRandom(choice.ordinal());
                float[] out0 = new float[golden.trialSteps(t) * golden.outputCount()];
                float[] out1 = new float[out0.length];
                float[] s0 = new float[golden.outputCount()];
                float[] s1 = new float[s0.length];
                byte[] cp0 = new byte[golden.checkpointBytes()];
                byte[] cp1 = new byte[e.checkpointBytes()];
                assertThat(cp1.length).isEqualTo(cp0.length);
                for (int b = 0; b < in.length; b++) {
                    assertThat(golden.step(in[b], s0)).isEqualTo(DecodeStatus.OK);
                    assertThat(e.step(in[b], s1)).as("%s bin %d: %s", choice, b, e.health().detail())
                            .isEqualTo(DecodeStatus.OK);
                    assertThat(s1).as("%s sliding bin %d", choice, b).containsExactly(s0);
                    if (b % 5 == 0) {
                        int bins = b == 0 ? t : b == 5 ? 1 : rng.nextInt(1, t + 1);
                        float[] window = new float[bins * golden.inputCount()];
                        for (int k = 0; k < bins; k++) {
                            System.arraycopy(in[(b + k) % in.length], 0, window, k * golden.inputCount(),
                                    golden.inputCount());
                        }
                        assertThat(golden.trial(window, bins, out0)).isEqualTo(DecodeStatus.OK);
                        assertThat(e.trial(window, bins, out1)).isEqualTo(DecodeStatus.OK);
                        assertThat(out1).as("%s trial of %d bins", choice, bins).containsExactly(out0);
                        assertThat(golden.saveCheckpoint(cp0)).isEqualTo(DecodeStatus.OK);
                        assertThat(e.saveCheckpoint(cp1)).isEqualTo(DecodeStatus.OK);
                        assertThat(cp1).as("%s LFW1 checkpoint after bin %d", choice, b).isEqualTo(cp0);
                    }
                }
                float[] window = new float[(t + 1) * golden.inputCount()];
                assertThat(e.trial(window, t + 1, out1)).isEqualTo(DecodeStatus.INVALID_INPUT);
                window[0] = -1f;
                assertThat(e.trial(window, 1, out1)).isEqualTo(DecodeStatus.INVALID_INPUT);
                assertThat(e.trial(window, 1, new float[1])).isEqualTo(DecodeStatus.INVALID_INPUT);
                assertThat(e.health().healthy()).isTrue();
            }
        }
    }

    @Test
    @Timeout(300)
    void acausalLfadsFailsOverToCpuFixedAndTakesOverFromItsCheckpointBumplessly() {
        ModelBundle acausal = ModelBundle.fromResource("/models/lfads-lorenz-small.rbundle");
        float[][] in;
        float[][] want;
        try (CpuEngine golden = new CpuEngine(true)) {
            golden.load(acausal);
            in = lfadsCounts(golden.maxTrialBins() + 40, golden.inputCount(), 31);
            want = run(golden, in);
        }
        try (EngineChain chain = EngineChain.create(List.of(
                EngineSpec.of(AparapiFixedEngine.NAME).withFaultAtStep(50), EngineSpec.of("cpu-fixed")))) {
            chain.load(acausal);
            assertThat(chain.statuses().get(0).usable()).isTrue();
            assertThat(chain.activeIndex()).isZero();
            float[] out = new float[chain.outputCount()];
            for (int b = 0; b < in.length; b++) {
                assertThat(chain.step(in[b], out)).as("bin %d", b).isEqualTo(DecodeStatus.OK);
                assertThat(out).as("chain bin %d", b).containsExactly(want[b]);
            }
            assertThat(chain.failovers()).isEqualTo(1);
            assertThat(chain.coldTakeovers()).isZero();
            assertThat(chain.served(0)).isEqualTo(49);
        }
        try (CpuEngine first = new CpuEngine(true);
             AparapiFixedEngine second = new AparapiFixedEngine(AparapiFixedEngine.DeviceChoice.AUTO)) {
            first.load(acausal);
            second.load(acausal);
            float[] out = new float[first.outputCount()];
            for (int b = 0; b < 60; b++) {
                first.step(in[b], out);
            }
            byte[] cp = new byte[first.checkpointBytes()];
            assertThat(first.saveCheckpoint(cp)).isEqualTo(DecodeStatus.OK);
            assertThat(second.restoreCheckpoint(cp)).isEqualTo(DecodeStatus.OK);
            for (int b = 60; b < in.length; b++) {
                assertThat(second.step(in[b], out)).isEqualTo(DecodeStatus.OK);
                assertThat(out).as("after the handover, bin %d", b).containsExactly(want[b]);
            }
            second.reset();
            assertThat(second.step(in[0], out)).isEqualTo(DecodeStatus.OK);
            assertThat(out).as("after a reset").containsExactly(want[0]);
        }
    }

    @Test
    @Timeout(300)
    void causalLfadsStepsAreBitIdenticalToCpuFixedAndFailOverBumplessly() {
        ModelBundle lorenz = Decoders.lfadsModel(Decoders.DEFAULT_LFADS_MODEL);
        SplittableRandom rng = new SplittableRandom(11);
        float[][] in;
        float[][] want;
        try (CpuEngine golden = new CpuEngine(true)) {
            golden.load(lorenz);
            in = new float[200][golden.inputCount()];
            for (float[] row : in) {
                for (int k = 0; k < row.length; k++) {
                    row[k] = rng.nextInt(0, 5);
                }
            }
            want = run(golden, in);
        }
        try (Engine e = new AparapiFixedEngine.Factory().create()) {
            e.load(lorenz);
            assertThat(e.device()).contains("LFADS causal step");
            float[][] got = run(e, in);
            for (int b = 0; b < in.length; b++) {
                assertThat(got[b]).as("bin %d", b).containsExactly(want[b]);
            }
        }
        try (EngineChain chain = EngineChain.create(List.of(
                EngineSpec.of(AparapiFixedEngine.NAME).withFaultAtStep(77), EngineSpec.of("cpu-fixed")))) {
            chain.load(lorenz);
            float[] out = new float[chain.outputCount()];
            for (int b = 0; b < in.length; b++) {
                assertThat(chain.step(in[b], out)).isEqualTo(DecodeStatus.OK);
                assertThat(out).as("chain bin %d", b).containsExactly(want[b]);
            }
            assertThat(chain.failovers()).isEqualTo(1);
            assertThat(chain.coldTakeovers()).isZero();
        }
    }

    @Test
    @Timeout(300)
    void aChainFailsOverFromAparapiToCpuFixedBumplesslyAndBitIdentically() {
        float[][] in = counts(300, 5);
        float[][] want;
        try (CpuEngine golden = new CpuEngine(true)) {
            golden.load(snn);
            want = run(golden, in);
        }
        try (EngineChain chain = EngineChain.create(List.of(
                EngineSpec.of(AparapiFixedEngine.NAME).withFaultAtStep(120), EngineSpec.of("cpu-fixed")))) {
            chain.load(snn);
            assertThat(chain.activeIndex()).isZero();
            float[] out = new float[chain.outputCount()];
            for (int b = 0; b < in.length; b++) {
                assertThat(chain.step(in[b], out)).as("bin %d", b).isEqualTo(DecodeStatus.OK);
                assertThat(out).as("bin %d", b).containsExactly(want[b]);
            }
            assertThat(chain.failovers()).isEqualTo(1);
            assertThat(chain.coldTakeovers()).isZero();
            assertThat(chain.served(0)).isEqualTo(119);
            assertThat(chain.served(1)).isEqualTo(181);
        }
    }

    @Test
    @Timeout(300)
    void cpuFixedHandsOverToAparapiMidStreamFromItsCheckpoint() {
        float[][] in = counts(100, 9);
        float[][] want;
        try (CpuEngine golden = new CpuEngine(true)) {
            golden.load(snn);
            want = run(golden, in);
        }
        try (CpuEngine first = new CpuEngine(true);
             AparapiFixedEngine second = new AparapiFixedEngine(AparapiFixedEngine.DeviceChoice.AUTO)) {
            first.load(snn);
            second.load(snn);
            float[] out = new float[first.outputCount()];
            for (int b = 0; b < 40; b++) {
                first.step(in[b], out);
            }
            byte[] cp = new byte[first.checkpointBytes()];
            assertThat(second.checkpointBytes()).isEqualTo(cp.length);
            assertThat(first.saveCheckpoint(cp)).isEqualTo(DecodeStatus.OK);
            assertThat(second.restoreCheckpoint(cp)).isEqualTo(DecodeStatus.OK);
            for (int b = 40; b < in.length; b++) {
                assertThat(second.step(in[b], out)).isEqualTo(DecodeStatus.OK);
                assertThat(out).as("bin %d", b).containsExactly(want[b]);
            }
        }
    }

    @Test
    @Timeout(120)
    void loadAndCloseWithoutAStepLeavesTheJvmAlive() {
        for (int i = 0; i < 3; i++) {
            try (Engine e = new AparapiFixedEngine.Factory().create()) {
                e.load(snn);
                e.load(snn);   // a reload replaces (and closes) the first stream
            }
        }
        assertThat(AparapiDevices.probe()).isNotNull();
    }

    @Test
    void badInputIsRefusedWithoutTouchingTheStream() {
        try (AparapiFixedEngine e = new AparapiFixedEngine(AparapiFixedEngine.DeviceChoice.JTP)) {
            float[] out = new float[256];
            assertThat(e.step(new float[CHANNELS], out)).isEqualTo(DecodeStatus.NOT_READY);
            e.load(snn);
            float[] bad = new float[CHANNELS];
            bad[3] = Float.NaN;
            out[0] = 5f;
            assertThat(e.step(bad, out)).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(out[0]).isZero();
            assertThat(e.step(new float[CHANNELS - 1], out)).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(e.health().healthy()).isTrue();
            e.close();
            assertThat(e.health().healthy()).isFalse();
            assertThat(e.step(new float[CHANNELS], out)).isEqualTo(DecodeStatus.NOT_READY);
        }
    }
}
