package io.reflex.gpu;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.engine.CpuEngine;
import io.reflex.decoders.engine.Engine;
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
 * One whole LFADS trial per call through the engine API ({@link Engine#trial}, a full window of
 * {@code encod_seq_len} bins, the factors of every step out), on the six engines that run one: {@code cpu-fixed} and
 * {@code cpu} (float32) on the JVM, {@code aparapi-fixed} (bit-identical to {@code cpu-fixed}) and {@code aparapi}
 * (float32, within 1e-4 of {@code cpu}), each on the OpenCL device and on Aparapi's Java thread pool (JTP). Models,
 * the shipped bundles:
 * <ul>
 *   <li>{@code lfads-lorenz-causal}: the demo's causal Lorenz model (70 inputs × 73 bins, controller and generator
 *       64, 4 factors), one launch per decoder step on Aparapi;</li>
 *   <li>{@code lfads-centerout-causal}: the demo's causal center-out model (96 inputs × 50 bins, 8 factors);</li>
 *   <li>{@code lfads-lorenz-small}: the published-size acausal model (70 inputs × 73 bins, bidirectional encoder,
 *       generator 64, 4 factors; decoders/LFADS.md), one launch per trial on Aparapi
 *       ({@link AparapiLfadsAcausal}, {@link AparapiLfadsAcausalFloat}).</li>
 * </ul>
 * The counts are {@link #DISTINCT} trials of the model's own data (Lorenz trials of data seed 11; the demo's
 * center-out source, seed 1, 20 ms bins), cycled.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class AparapiTrialBenchmark {
    /** Distinct trials generated; the calls cycle through them. */
    static final int DISTINCT = 16;

    @Param({"lfads-lorenz-causal", "lfads-centerout-causal", "lfads-lorenz-small"})
    String model;

    @Param({"cpu-fixed", "cpu", "aparapi-fixed-opencl", "aparapi-fixed-jtp", "aparapi-opencl", "aparapi-jtp"})
    String engine;

    private Engine e;
    private float[][] windows;
    private int bins;
    private float[] out;
    private int t;

    @Setup(Level.Trial)
    public void setup() {
        ModelBundle bundle = ModelBundle.fromResource("/models/" + model + ".rbundle");
        e = switch (engine) {
            case "cpu-fixed" -> new CpuEngine(true);
            case "cpu" -> new CpuEngine(false);
            case "aparapi-fixed-opencl" -> new AparapiFixedEngine(AparapiFixedEngine.DeviceChoice.OPENCL);
            case "aparapi-fixed-jtp" -> new AparapiFixedEngine(AparapiFixedEngine.DeviceChoice.JTP);
            case "aparapi-opencl" -> new AparapiEngine(AparapiFixedEngine.DeviceChoice.OPENCL);
            case "aparapi-jtp" -> new AparapiEngine(AparapiFixedEngine.DeviceChoice.JTP);
            default -> throw new IllegalArgumentException("unknown engine " + engine);
        };
        e.load(bundle);
        bins = e.maxTrialBins();
        int channels = e.inputCount();
        windows = new float[DISTINCT][bins * channels];
        if (model.startsWith("lfads-lorenz")) {
            LorenzData data = new LorenzData(channels, bins);
            for (int i = 0; i < DISTINCT; i++) {
                data.trial(11, i, windows[i], null, null);
            }
        } else {
            CenterOutSource src = new CenterOutSource(new CenterOutSource.Context().channels(channels).seed(1));
            float[] bin = new float[channels];
            double[] kinematics = new double[4];
            for (float[] w : windows) {
                for (int b = 0; b < bins; b++) {
                    src.nextBin(20, bin, kinematics);
                    System.arraycopy(bin, 0, w, b * channels, channels);
                }
            }
        }
        out = new float[e.trialSteps(bins) * e.outputCount()];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        e.close();
    }

    /** One trial; a status other than OK (e.g. a fallback to another device) fails the run. */
    @Benchmark
    public float trial() {
        float[] w = windows[t];
        t = (t + 1) % DISTINCT;
        int s = e.trial(w, bins, out);
        if (s != DecodeStatus.OK) {
            throw new IllegalStateException(engine + " trial returned status " + s + ": " + e.health().detail());
        }
        return out[0];
    }
}
