package io.reflex.fpga.engine;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.bundle.ModelBundleWriter;
import io.reflex.decoders.engine.CpuEngine;
import io.reflex.decoders.engine.Engine;
import io.reflex.decoders.lfads.LfadsArithmetic;
import io.reflex.decoders.lfads.LfadsOutput;
import io.reflex.decoders.snn.LifParams;
import io.reflex.decoders.snn.LifPopulation;
import io.reflex.decoders.snn.NetworkGenerator;
import io.reflex.decoders.snn.SnnDecoder;
import io.reflex.decoders.snn.SynapseMatrix;
import io.reflex.fpga.rtlsim.RtlSimEngineFactory;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One {@code step} (one bin) of the rtl-sim engine, next to the cpu-fixed engine on the same model: the Lorenz
 * causal demo model (one kernel invocation per bin) and a 512-neuron SNN reservoir (20 ticks per bin, one
 * invocation). The rtl-sim engine builds its libraries with the runtime optimisation on first use (minutes). Run
 * with {@code -prof gc}: the step allocates nothing.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RtlSimEngineBenchmark {

    /** {@code lorenz-causal} or {@code snn512}. */
    @Param({"lorenz-causal", "snn512"})
    public String model;

    /**
     * {@code rtl-sim} or {@code cpu-fixed}: decoders' CpuEngine for LFADS; for the SNN (which cpu-fixed does not run
     * yet) the golden model {@code LifPopulation} with the engine semantics, i.e. what a cpu-fixed SNN engine does.
     */
    @Param({"rtl-sim", "cpu-fixed"})
    public String engine;

    private Engine e;
    private GoldenSnn golden;
    private float[][] inputs;
    private float[] out;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        ModelBundle b = model.equals("snn512") ? reservoir() : ModelBundle.fromResource(
                "/models/lfads-lorenz-causal.rbundle");
        SplittableRandom r = new SplittableRandom(1);
        if (engine.equals("cpu-fixed") && model.equals("snn512")) {
            golden = new GoldenSnn();
            inputs = new float[64][96];
            fill(r);
            out = new float[512];
            return;
        }
        e = engine.equals("rtl-sim") ? new RtlSimEngineFactory().create(Map.of())
                : new CpuEngine(LfadsArithmetic.FIXED, null, LfadsOutput.FACTORS);
        e.load(b);
        inputs = new float[64][e.inputCount()];
        fill(r);
        out = new float[e.outputCount()];
    }

    private void fill(SplittableRandom r) {
        for (float[] in : inputs) {
            for (int k = 0; k < in.length; k++) {
                in[k] = r.nextInt(4);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (e != null) {
            e.close();
        }
    }

    @Benchmark
    public int step() {
        if (golden != null) {
            golden.step(inputs[next], out);
            next = (next + 1) & 63;
            return DecodeStatus.OK;
        }
        int s = e.step(inputs[next], out);
        next = (next + 1) & 63;
        if (s != DecodeStatus.OK) {
            throw new IllegalStateException(e.health().detail());
        }
        return s;
    }

    /** The SNN engine semantics on the golden model: spread counts, bin_ticks LIF ticks, Q16 traces. */
    static final class GoldenSnn {
        final LifPopulation pop;
        final int[] trace = new int[512];
        final int[][] tickInputs = new int[20][96];
        final int[] tickCount = new int[20];

        GoldenSnn() {
            SnnDecoder.Context ctx = new SnnDecoder.Context().inputCount(96).seed(7).conclude();
            NetworkGenerator.Network net = ctx.recipe().generate();
            pop = new LifPopulation(ctx.lif(), net.synapses(), net.bias(), null);
        }

        void step(float[] counts, float[] out) {
            java.util.Arrays.fill(tickCount, 0);
            for (int k = 0; k < 96; k++) {
                int c = Math.min(Math.round(counts[k]), 20);
                for (int m = 0; m < c; m++) {
                    int t = (2 * m + 1) * 20 / (2 * c);
                    tickInputs[t][tickCount[t]++] = k;
                }
            }
            for (int t = 0; t < 20; t++) {
                pop.tick(tickInputs[t], tickCount[t]);
                for (int i = 0; i < 512; i++) {
                    trace[i] -= trace[i] >> 5;
                }
                for (int q = 0; q < pop.spikeCount(); q++) {
                    trace[pop.spikeAt(q)] += 1 << 16;
                }
            }
            for (int i = 0; i < 512; i++) {
                out[i] = trace[i] / 65536f;
            }
        }
    }

    /** The SNN decoder's default reservoir for 96 channels as a bundle (no readout: the engine does not use it). */
    static ModelBundle reservoir() {
        SnnDecoder.Context ctx = new SnnDecoder.Context().inputCount(96).seed(7).conclude();
        NetworkGenerator.Network net = ctx.recipe().generate();
        LifParams p = ctx.lif();
        SynapseMatrix s = net.synapses();
        int n = ctx.neuronCount();
        return new ModelBundleWriter("snn", "reservoir-512").hyperparameter("neuron_count", n)
                .hyperparameter("input_count", 96).hyperparameter("output_count", 2)
                .hyperparameter("k_syn", p.kSyn()).hyperparameter("k_mem", p.kMem())
                .hyperparameter("theta", p.thetaV()).hyperparameter("v_rest", p.vRest())
                .hyperparameter("v_reset", p.vReset()).hyperparameter("t_ref", p.tRefTicks())
                .hyperparameter("reset_mode", p.resetMode().bundleName()).hyperparameter("bin_ticks", ctx.binTicks())
                .hyperparameter("filter_shift", 5)
                .putInt32("row_ptr", new int[] {n + 1}, s.rowPtrCopy())
                .putInt32("col", new int[] {s.synapseCount()}, s.colCopy())
                .putInt16("w", new int[] {s.synapseCount()}, s.weightsCopy())
                .putInt32("bias", new int[] {n}, net.bias()).toBundle();
    }
}
