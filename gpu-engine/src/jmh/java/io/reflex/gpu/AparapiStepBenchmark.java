package io.reflex.gpu;

import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.engine.CpuEngine;
import io.reflex.decoders.engine.Engine;
import io.reflex.decoders.lfads.LorenzData;
import io.reflex.decoders.snn.SnnDecoder;
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
 * One bin (engine step) of the fixed-point models on {@code aparapi-fixed}, on the OpenCL device (PoCL's CPU device
 * in CI; a GPU where there is one) and on Aparapi's Java thread pool, beside {@code cpu-fixed} in the same run: the
 * causal LFADS step of the Lorenz demo model (70 inputs), and the SNN ticks of a bin (20 ticks) at 1,024, 4,096 and
 * 16,384 neurons (96 inputs, the SNN decoder's reservoir recipe; 16,384 is the most it builds). The outputs are
 * bit-identical across the three (the tests prove it); this measures their cost.
 *
 * <p>Model {@code lfads-lorenz-float32}: the same Lorenz causal step in float32, where the engine names stand for the
 * float32 engines: {@code cpu-fixed} runs {@code cpu}, {@code aparapi-opencl} and {@code aparapi-jtp} run
 * {@code aparapi} (within 1e-4 of {@code cpu}, AparapiLfadsFloatTest). The SNN has no float32 path, so it has no such
 * model.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class AparapiStepBenchmark {
    static final int BINS = 256;

    @Param({"lfads-lorenz", "lfads-lorenz-float32", "snn-1024", "snn-4096", "snn-16384"})
    String model;

    @Param({"cpu-fixed", "aparapi-opencl", "aparapi-jtp"})
    String engine;

    private Engine e;
    private float[][] bins;
    private float[] out;
    private int b;

    @Setup(Level.Trial)
    public void setup() {
        ModelBundle bundle;
        boolean float32 = model.equals("lfads-lorenz-float32");
        if (model.startsWith("lfads-lorenz")) {
            bundle = ModelBundle.fromResource("/models/lfads-lorenz-causal.rbundle");
            bins = new LorenzData(70, 73).binStream(11, BINS);
        } else {
            int neurons = Integer.parseInt(model.substring("snn-".length()));
            bundle = SnnDecoder.reservoirBundle(new SnnDecoder.Context().inputCount(96).neuronCount(neurons), "snn",
                    "bench").toBundle();
            bins = new CenterOutSource(new CenterOutSource.Context().channels(96).seed(1)).binStream(20, BINS);
        }
        e = float32 ? switch (engine) {
            case "cpu-fixed" -> new CpuEngine(false);
            case "aparapi-opencl" -> new AparapiEngine(AparapiFixedEngine.DeviceChoice.OPENCL);
            case "aparapi-jtp" -> new AparapiEngine(AparapiFixedEngine.DeviceChoice.JTP);
            default -> throw new IllegalArgumentException(engine);
        } : switch (engine) {
            case "cpu-fixed" -> new CpuEngine(true);
            case "aparapi-opencl" -> new AparapiFixedEngine(AparapiFixedEngine.DeviceChoice.OPENCL);
            case "aparapi-jtp" -> new AparapiFixedEngine(AparapiFixedEngine.DeviceChoice.JTP);
            default -> throw new IllegalArgumentException(engine);
        };
        e.load(bundle);
        out = new float[e.outputCount()];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        e.close();
    }

    @Benchmark
    public float step() {
        float[] in = bins[b];
        b = (b + 1) % BINS;
        e.step(in, out);
        return out[0];
    }
}
