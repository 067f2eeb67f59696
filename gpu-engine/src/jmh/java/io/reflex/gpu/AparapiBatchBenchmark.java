package io.reflex.gpu;

import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.engine.CpuEngine;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.decoders.lfads.LorenzData;
import io.reflex.decoders.synth.CenterOutSource;
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
 * A batch of whole causal LFADS trials of the shipped center-out causal model (96 inputs; each trial {@link #BINS}
 * bins of the demo's center-out source; the model's {@code recon_seq_len} equals its {@code encod_seq_len}, so there
 * are no forward predictions), the time for the whole batch:
 * {@code cpu-fixed} running the trials one after the other ({@code CpuEngine#trial}), and {@code aparapi-fixed}'s
 * arithmetic running them all at once ({@link AparapiLfadsBatch}, one launch per decoder step over
 * {@code batch · rows} work items) on the OpenCL device and on Aparapi's Java thread pool. The results are bit for bit
 * the same (AparapiLfadsBatchTest); this measures where the batch overtakes the loop, if it does. With
 * {@code -p arithmetic=float32} the same for the float32 engines: {@code cpu} one trial after the other against
 * {@code aparapi}'s float batch (within 1e-4 of it).
 *
 * <p>With {@code -p model=lfads-lorenz-small}: the shipped acausal (trial-mode) model instead (70 neurons, windows of
 * {@code encod_seq_len} = 73 bins of Lorenz trials, {@link LorenzData} seed 1), its whole trials (bidirectional
 * encoders, initial state, 73 decoder steps) all B in one launch of the acausal pass program over
 * {@code B · rows} work items (AparapiLfadsAcausalBatchTest: bit for bit {@code cpu-fixed}, float32 within 1e-4).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class AparapiBatchBenchmark {
    /** Bins of each causal trial (the center-out model's window is 50). */
    static final int BINS = 20;
    /** Distinct trials generated; a batch cycles through them. */
    static final int DISTINCT = 64;

    @Param({"1", "4", "16", "64", "256", "1024", "4096"})
    int batch;

    /** {@code cpu-fixed} names the CPU side of either arithmetic ({@code cpu} for float32). */
    @Param({"cpu-fixed", "aparapi-opencl", "aparapi-jtp"})
    String engine;

    /** {@code fixed}: {@code aparapi-fixed}'s integers against {@code cpu-fixed}; {@code float32}: {@code aparapi} against {@code cpu}. */
    @Param({"fixed"})
    String arithmetic;

    /** {@code lfads-centerout-causal} (causal batch) or {@code lfads-lorenz-small} (acausal batch). */
    @Param({"lfads-centerout-causal"})
    String model;

    private CpuEngine cpu;
    private AparapiLfadsBatch gpu;
    private float[][] counts;
    private float[][] factors;
    private float[][] logRates;
    private float[] out;
    private int bins;

    @Setup(Level.Trial)
    public void setup() {
        float[][] distinct = new float[DISTINCT][];
        ModelBundle bundle;
        switch (model) {
            case "lfads-centerout-causal" -> {
                bundle = ModelBundle.fromResource("/models/lfads-centerout-causal.rbundle");
                bins = BINS;
                CenterOutSource src = new CenterOutSource(new CenterOutSource.Context().seed(1).channels(96)
                        .sampleRateHz(1000.0));
                float[] bin = new float[96];
                double[] k = new double[4];
                for (int t = 0; t < DISTINCT; t++) {
                    distinct[t] = new float[BINS * 96];
                    for (int b = 0; b < BINS; b++) {
                        src.nextBin(20, bin, k);
                        System.arraycopy(bin, 0, distinct[t], b * 96, 96);
                    }
                }
            }
            case "lfads-lorenz-small" -> {
                bundle = ModelBundle.fromResource("/models/lfads-lorenz-small.rbundle");
                LfadsDims d = LfadsDims.from(bundle);
                bins = d.encSeqLen();
                LorenzData data = new LorenzData(d.dataDim(), bins);
                double[] latents = new double[bins * 3];
                for (int t = 0; t < DISTINCT; t++) {
                    distinct[t] = new float[bins * d.dataDim()];
                    data.trial(1, t, distinct[t], latents, null);
                }
            }
            default -> throw new IllegalArgumentException("model must be lfads-centerout-causal or lfads-lorenz-small;"
                    + " got " + model);
        }
        counts = new float[batch][];
        for (int i = 0; i < batch; i++) {
            counts[i] = distinct[i % DISTINCT];
        }
        boolean fixed = switch (arithmetic) {
            case "fixed" -> true;
            case "float32" -> false;
            default -> throw new IllegalArgumentException("arithmetic must be fixed or float32; got " + arithmetic);
        };
        if (engine.equals("cpu-fixed")) {
            cpu = new CpuEngine(fixed);
            cpu.load(bundle);
            out = new float[cpu.trialSteps(bins) * cpu.outputCount()];
            return;
        }
        gpu = AparapiLfadsBatch.open(bundle, fixed, engine.equals("aparapi-opencl")
                ? AparapiFixedEngine.DeviceChoice.OPENCL : AparapiFixedEngine.DeviceChoice.JTP, batch);
        LfadsDims d = gpu.dims();
        int steps = gpu.trialSteps(bins);
        factors = new float[batch][steps * d.facDim()];
        logRates = new float[batch][steps * d.readoutDim()];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (cpu != null) {
            cpu.close();
        }
        if (gpu != null) {
            gpu.close();
        }
    }

    /** One batch: every trial's factors (and, on Aparapi, log-rates). */
    @Benchmark
    public float trials() {
        if (cpu != null) {
            float acc = 0;
            for (float[] c : counts) {
                cpu.trial(c, bins, out);
                acc += out[0];
            }
            return acc;
        }
        gpu.trials(counts, bins, factors, logRates);
        return factors[0][0];
    }
}
