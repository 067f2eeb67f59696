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

    @Test
    void acausalLfadsIsRefusedWithAReasonAndAChainPassesItToCpuFixed() {
        ModelBundle sliding = ModelBundle.fromResource("/models/lfads-lorenz-small.rbundle");
        try (EngineChain chain = EngineChain.create(EngineSpec.names(AparapiFixedEngine.NAME, "cpu-fixed"))) {
            chain.load(sliding);
            List<EngineStatus> s = chain.statuses();
            assertThat(s.get(0).usable()).isFalse();
            assertThat(s.get(0).reason()).contains("only causal LFADS steps run on Aparapi yet");
            assertThat(s.get(1).active()).isTrue();
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
