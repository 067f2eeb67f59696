package io.reflex.fpga.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.bundle.ModelBundleWriter;
import io.reflex.decoders.engine.CpuEngine;
import io.reflex.decoders.engine.Engine;
import io.reflex.decoders.engine.EngineChain;
import io.reflex.decoders.engine.FaultInjectingEngine;
import io.reflex.decoders.snn.LifParams;
import io.reflex.decoders.snn.NetworkGenerator;
import io.reflex.decoders.snn.SnnDecoder;
import io.reflex.decoders.snn.SynapseMatrix;
import io.reflex.fpga.rtlsim.RtlSimEngineFactory;
import io.reflex.fpga.rtlsim.TestLibraries;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bumpless failover between the rtl-sim engine and cpu-fixed, both ways, for the causal LFADS demo model and an SNN
 * reservoir: an {@link EngineChain} with a fault injected mid-stream answers every bin, and its outputs are
 * bit-identical to an uninterrupted cpu-fixed run. The kernels' SAVE/RESTORE and the engines' conversions to the
 * canonical checkpoints ("LFS1", "SNS1") are what make it so; the checkpoints of both engines at the same point are
 * also compared byte for byte.
 */
class RtlSimFailoverTest {
    static final int BINS = 48;
    static final int FAULT_AT = 21;
    static final int SNN_CHANNELS = 48;

    static ModelBundle lfads;
    static ModelBundle snn;
    static String lfadsLib;
    static String snnLib;

    @BeforeAll
    static void setUp() {
        TestLibraries.assumeTools();
        lfadsLib = TestLibraries.stepFullLibrary().toString();
        snnLib = TestLibraries.snnSmallLibrary().toString();
        lfads = RtlSimEngineTest.demo("lfads-lorenz-causal");
        snn = smallReservoir();
    }

    /**
     * A reservoir small enough for the small snn_kernel build (64 neurons, 64 inputs, 1,024 synapses): the SNN
     * decoder's LIF parameters, bin ticks and weight ranges, 64 neurons (the decoder itself makes 256 or more).
     */
    static ModelBundle smallReservoir() {
        SnnDecoder.Context ctx = new SnnDecoder.Context().inputCount(SNN_CHANNELS).seed(4).conclude();
        NetworkGenerator.Network net = ctx.recipe().neuronCount(64).recurrentFanIn(6).inputFanIn(6).generate();
        LifParams p = ctx.lif();
        SynapseMatrix m = net.synapses();
        int n = m.neuronCount();
        assertThat(m.synapseCount()).as("synapses of the small reservoir").isLessThanOrEqualTo(1024);
        return new ModelBundleWriter("snn", "reservoir-64").hyperparameter("neuron_count", n)
                .hyperparameter("input_count", SNN_CHANNELS).hyperparameter("output_count", 2)
                .hyperparameter("synapse_count", m.synapseCount()).hyperparameter("k_syn", p.kSyn())
                .hyperparameter("k_mem", p.kMem()).hyperparameter("theta", p.thetaV())
                .hyperparameter("v_rest", p.vRest()).hyperparameter("v_reset", p.vReset())
                .hyperparameter("t_ref", p.tRefTicks()).hyperparameter("reset_mode", p.resetMode().bundleName())
                .hyperparameter("tick_us", 1000).hyperparameter("bin_ticks", ctx.binTicks())
                .hyperparameter("input_spread", "even").hyperparameter("filter_shift", 5)
                .putInt32("row_ptr", new int[] {n + 1}, m.rowPtrCopy())
                .putInt32("col", new int[] {m.synapseCount()}, m.colCopy())
                .putInt16("w", new int[] {m.synapseCount()}, m.weightsCopy())
                .putInt32("bias", new int[] {n}, net.bias()).toBundle();
    }

    static Engine rtlLfads() {
        return new RtlSimEngineFactory().create(Map.of("library", lfadsLib, "output", "factors", "stall_pct", "20",
                "seed", "3"));
    }

    static Engine rtlSnn() {
        return new RtlSimEngineFactory().create(Map.of("library", snnLib, "stall_pct", "20", "seed", "4"));
    }

    static Engine cpu() {
        return new CpuEngine(true);
    }

    static float[][] lfadsBins() {
        SplittableRandom r = new SplittableRandom(17);
        float[][] bins = new float[BINS][70];
        for (float[] b : bins) {
            RtlSimEngineTest.counts(r, b);
        }
        return bins;
    }

    static float[][] snnBins() {
        SplittableRandom r = new SplittableRandom(19);
        float[][] bins = new float[BINS][SNN_CHANNELS];
        for (float[] b : bins) {
            for (int k = 0; k < b.length; k++) {
                // around the demo's rates, plus counts beyond bin_ticks and fractional values
                b[k] = r.nextInt(30) == 0 ? 25f : r.nextInt(30) == 0 ? 1.5f : r.nextInt(5);
            }
        }
        return bins;
    }

    /** Outputs of an uninterrupted cpu-fixed run. */
    static float[][] uninterrupted(ModelBundle b, float[][] bins) {
        try (Engine e = cpu()) {
            e.load(b);
            float[][] out = new float[bins.length][e.outputCount()];
            for (int t = 0; t < bins.length; t++) {
                assertThat(e.step(bins[t], out[t])).isEqualTo(DecodeStatus.OK);
            }
            return out;
        }
    }

    /**
     * The chain [first (faulting at step {@link #FAULT_AT}), second] over the bins: every bin OK, one bumpless
     * failover, the outputs bit-identical to the uninterrupted run.
     */
    static void failover(String what, ModelBundle b, float[][] bins, Engine first, Engine second,
            FaultInjectingEngine.Mode mode) {
        float[][] expect = uninterrupted(b, bins);
        int active = 0;
        for (int t = FAULT_AT; t < bins.length; t++) {
            for (float v : expect[t]) {
                active += v != 0f ? 1 : 0;
            }
        }
        assertThat(active).as(what + ": the model's outputs after the fault are not all zero").isPositive();
        List<String> heard = new ArrayList<>();
        try (EngineChain chain = new EngineChain(List.of(new FaultInjectingEngine(first, FAULT_AT, mode), second))) {
            chain.failoverListener((from, to, reason, bumpless) -> heard.add(from + "->" + to + " " + bumpless));
            chain.load(b);
            float[] out = new float[chain.outputCount()];
            for (int t = 0; t < bins.length; t++) {
                assertThat(chain.step(bins[t], out)).as("%s bin %d: no frame lost", what, t)
                        .isEqualTo(DecodeStatus.OK);
                RtlSimEngineTest.assertSameFloats(out, expect[t], what + " bin " + t + " (served by "
                        + chain.engine(chain.lastServedIndex()).name() + ")");
            }
            assertThat(chain.failovers()).as(what).isEqualTo(1);
            assertThat(chain.coldTakeovers()).as(what + ": the takeover restored the checkpoint").isZero();
            assertThat(chain.checkpointFailures()).as(what).isZero();
            assertThat(chain.served(0)).isEqualTo(FAULT_AT - 1);
            assertThat(chain.served(1)).isEqualTo(BINS - FAULT_AT + 1);
            assertThat(chain.reason(0)).contains("injected fault at step " + FAULT_AT);
            assertThat(chain.engine(1).health().healthy()).as(what + ": " + chain.describe()).isTrue();
            assertThat(heard).containsExactly("0->1 true");
        }
    }

    @Test
    @Timeout(1800)
    void lfadsCausalFailsOverBumplesslyBothWays() {
        float[][] bins = lfadsBins();
        failover("lfads rtl-sim -> cpu-fixed", lfads, bins, rtlLfads(), cpu(), FaultInjectingEngine.Mode.STATUS);
        failover("lfads cpu-fixed -> rtl-sim", lfads, bins, cpu(), rtlLfads(), FaultInjectingEngine.Mode.UNHEALTHY);
    }

    @Test
    @Timeout(1800)
    void snnFailsOverBumplesslyBothWays() {
        float[][] bins = snnBins();
        failover("snn rtl-sim -> cpu-fixed", snn, bins, rtlSnn(), cpu(), FaultInjectingEngine.Mode.EXCEPTION);
        failover("snn cpu-fixed -> rtl-sim", snn, bins, cpu(), rtlSnn(), FaultInjectingEngine.Mode.STATUS);
    }

    /**
     * The rtl-sim engine's checkpoint equals cpu-fixed's byte for byte at every point of a stream (at its start,
     * after steps, after a reset, after a restore), and one restored into the other continues identically.
     */
    static void sameCheckpoints(String what, ModelBundle b, float[][] bins, Supplier<Engine> rtlEngine) {
        try (Engine rtl = rtlEngine.get(); Engine ref = cpu()) {
            rtl.load(b);
            ref.load(b);
            assertThat(rtl.checkpointBytes()).as(what).isEqualTo(ref.checkpointBytes()).isPositive();
            byte[] got = new byte[rtl.checkpointBytes()];
            byte[] want = new byte[got.length];
            float[] o1 = new float[rtl.outputCount()];
            float[] o2 = new float[ref.outputCount()];
            byte[] mid = null;
            int midBin = -1;
            for (int t = 0; t < bins.length; t++) {
                if (t % 4 == 0 || t == 30) {
                    // every 4th bin before stepping: a SAVE alone (the state buffer is not fresh then)
                    assertThat(rtl.saveCheckpoint(got)).isEqualTo(DecodeStatus.OK);
                    assertThat(ref.saveCheckpoint(want)).isEqualTo(DecodeStatus.OK);
                    assertThat(got).as(what + ": checkpoint before bin " + t).containsExactly(want);
                }
                if (t == 30) {
                    rtl.reset();
                    ref.reset();
                    assertThat(rtl.saveCheckpoint(got)).isEqualTo(DecodeStatus.OK);
                    assertThat(ref.saveCheckpoint(want)).isEqualTo(DecodeStatus.OK);
                    assertThat(got).as(what + ": checkpoint after a reset").containsExactly(want);
                }
                if (t == 38) {
                    // back to the point after bin midBin: the cpu-fixed checkpoint into rtl-sim, its own into cpu
                    assertThat(rtl.restoreCheckpoint(mid)).isEqualTo(DecodeStatus.OK);
                    assertThat(ref.restoreCheckpoint(mid)).isEqualTo(DecodeStatus.OK);
                    assertThat(rtl.saveCheckpoint(got)).isEqualTo(DecodeStatus.OK);
                    assertThat(got).as(what + ": checkpoint right after a restore").containsExactly(mid);
                }
                assertThat(rtl.step(bins[t], o1)).isEqualTo(DecodeStatus.OK);
                assertThat(ref.step(bins[t], o2)).isEqualTo(DecodeStatus.OK);
                RtlSimEngineTest.assertSameFloats(o1, o2, what + " bin " + t);
                // after a step: the state the step's own SAVE wrote
                assertThat(rtl.saveCheckpoint(got)).isEqualTo(DecodeStatus.OK);
                assertThat(ref.saveCheckpoint(want)).isEqualTo(DecodeStatus.OK);
                assertThat(got).as(what + ": checkpoint after bin " + t).containsExactly(want);
                if (t == 12) {
                    mid = want.clone();
                    midBin = t;
                }
            }
            assertThat(midBin).isEqualTo(12);
            // a checkpoint of another shape is refused without a fault
            byte[] bad = want.clone();
            bad[0] ^= 1;
            assertThat(rtl.restoreCheckpoint(bad)).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(rtl.health().healthy()).isTrue();
        }
    }

    @Test
    @Timeout(900)
    void stepsWithCheckpointsAllocateNothing() {
        try (Engine e = rtlLfads()) {
            e.load(lfads);
            float[] in = new float[70];
            float[] out = new float[e.outputCount()];
            byte[] ck = new byte[e.checkpointBytes()];
            int bad = 0;
            for (int t = 0; t < 100; t++) {
                in[t % 70] = t % 3;
                bad += e.step(in, out) + e.saveCheckpoint(ck);
            }
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean)
                    java.lang.management.ManagementFactory.getThreadMXBean();
            long bytes = Long.MAX_VALUE;
            for (int round = 0; round < 3; round++) {
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int t = 0; t < 100; t++) {
                    in[t % 70] = t % 5;
                    bad += e.step(in, out) + e.saveCheckpoint(ck);
                    if (t == 50) {
                        bad += e.restoreCheckpoint(ck);
                    }
                }
                // the least of several rounds: a JIT recompilation may allocate once
                bytes = Math.min(bytes, mx.getCurrentThreadAllocatedBytes() - before);
            }
            assertThat(bad).isZero();
            assertThat(bytes).as("bytes allocated by 100 steps with checkpoints and a restore, warm")
                    .isLessThan(1024);
        }
    }

    @Test
    @Timeout(1800)
    void rtlSimCheckpointsAreTheCpuFixedBytes() {
        sameCheckpoints("lfads", lfads, lfadsBins(), RtlSimFailoverTest::rtlLfads);
        sameCheckpoints("snn", snn, snnBins(), RtlSimFailoverTest::rtlSnn);
    }
}
