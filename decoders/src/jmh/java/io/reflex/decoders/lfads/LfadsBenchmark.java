package io.reflex.decoders.lfads;

import io.reflex.decoders.bundle.ModelBundle;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * LFADS inference cost at batch 1 with random-initialised weights (timing does not depend on the values).
 *
 * <ul>
 *   <li>{@code fpga}: the published FPGA design's size (70 neurons × 73 bins, GRU 64, IC 64, 4 factors, 70
 *       log-rates). Trial: no controller (as published). Causal step: its causal variant (forward CI encoder 64,
 *       controller 64, 4 controller outputs, learned g0), as tools/python/lfads_model.py {@code causal_hparams}.</li>
 *   <li>{@code mc_maze}: lfads-torch's NLB MC_Maze configuration (decoders/LFADS.md §1.1), D 137, T 35, Tr 45,
 *       encoders/controller 64, gen 200, fac 100, co 4, readout 182; causal step: the same with a forward-only CI
 *       encoder and a learned g0.</li>
 * </ul>
 *
 * Run with {@code -prof gc} to check that the step and the trial allocate nothing.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LfadsBenchmark {

    @Param({"fpga", "mc_maze"})
    public String size;

    @Param({"float32", "fixed"})
    public String arithmetic;

    private LfadsKernel trialKernel;
    private LfadsKernel causalKernel;
    private float[] window;
    private float[] trialFactors;
    private float[] trialLogRates;
    private float[] stepFactors;
    private float[] stepLogRates;
    private int bins;
    private int dataDim;
    private int t;

    /** Trial-mode dimensions of a benchmark size. */
    public static LfadsDims trialDims(String size) {
        return switch (size) {
            case "fpga" -> new LfadsDims(70, 73, 73, 64, 0, 0, 0, 64, 64, 4, 70, 1, 5.0, 0.02, false);
            case "mc_maze" -> new LfadsDims(137, 35, 45, 64, 64, 64, 4, 64, 200, 100, 182, 1, 5.0, 0.02, false);
            default -> throw new IllegalArgumentException("size must be fpga or mc_maze, found " + size);
        };
    }

    /** Causal-mode dimensions of a benchmark size. */
    public static LfadsDims causalDims(String size) {
        return switch (size) {
            case "fpga" -> new LfadsDims(70, 73, 73, 0, 64, 64, 4, 0, 64, 4, 70, 1, 5.0, 0.02, true);
            case "mc_maze" -> new LfadsDims(137, 35, 45, 0, 64, 64, 4, 0, 200, 100, 182, 1, 5.0, 0.02, true);
            default -> throw new IllegalArgumentException("size must be fpga or mc_maze, found " + size);
        };
    }

    @Setup(Level.Trial)
    public void setUp() {
        LfadsArithmetic a = LfadsArithmetic.parse(arithmetic);
        ModelBundle tb = LfadsBundleBuilder.random(trialDims(size), 1, true).build(size, true);
        ModelBundle cb = LfadsBundleBuilder.random(causalDims(size), 2, true).build(size + "-causal", true);
        trialKernel = a.load(tb);
        causalKernel = a.load(cb);
        LfadsDims d = trialKernel.dims();
        bins = d.encSeqLen();
        dataDim = d.dataDim();
        window = new float[bins * dataDim];
        // Poisson(0.4) counts, as tools/python/bench_lfads_torch.py feeds PyTorch (zero counts are skipped here).
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        for (int k = 0; k < window.length; k++) {
            window[k] = LorenzData.poisson(0.4, r.nextDouble());
        }
        trialFactors = new float[d.reconSeqLen() * d.facDim()];
        trialLogRates = new float[d.reconSeqLen() * d.readoutDim()];
        stepFactors = new float[causalKernel.dims().facDim()];
        stepLogRates = new float[causalKernel.dims().readoutDim()];
    }

    /** One causal bin: forward CI GRU, controller, generator, factors, readout. */
    @Benchmark
    public float causalStep() {
        if (t == bins) {
            t = 0;
            causalKernel.resetStream();
        }
        causalKernel.step(window, t * dataDim, stepFactors, stepLogRates);
        t++;
        return stepLogRates[0];
    }

    /** The whole trial: both encoders over T bins and Tr decoder steps. */
    @Benchmark
    public float trial() {
        trialKernel.trial(window, bins, trialFactors, trialLogRates);
        return trialLogRates[0];
    }
}
