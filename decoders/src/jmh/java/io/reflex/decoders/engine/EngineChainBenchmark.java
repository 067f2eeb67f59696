package io.reflex.decoders.engine;

import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.lfads.LorenzData;
import io.reflex.decoders.snn.SnnDecoder;
import io.reflex.decoders.synth.CenterOutSource;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The cost of bumpless failover: one bin on a bare {@code cpu-fixed} engine against the same bin through an
 * {@link EngineChain} of two {@code cpu-fixed} engines, which checkpoints the active engine after every step (LFADS:
 * the Lorenz causal demo model, 560-byte {@code LFS1}; SNN: 512 neurons, 96 channels, 8,280-byte {@code SNS1}), and
 * the checkpoint save alone.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class EngineChainBenchmark {
    static final int BINS = 500;

    @Param({"lfads", "snn"})
    String model;

    private Engine bare;
    private EngineChain chain;
    private float[][] bins;
    private float[] out;
    private byte[] checkpoint;
    private int b;

    @Setup(Level.Trial)
    public void setup() {
        ModelBundle bundle;
        if (model.equals("lfads")) {
            bundle = ModelBundle.fromResource("/models/lfads-lorenz-causal.rbundle");
            bins = new LorenzData(70, 73).binStream(11, BINS);
        } else {
            bundle = SnnDecoder.reservoirBundle(new SnnDecoder.Context().inputCount(96), "snn", "bench").toBundle();
            bins = new CenterOutSource(new CenterOutSource.Context().channels(96).seed(1)).binStream(20, BINS);
        }
        bare = new CpuEngine(true);
        bare.load(bundle);
        chain = new EngineChain(List.of(new CpuEngine(true), new CpuEngine(true)));
        chain.load(bundle);
        out = new float[bare.outputCount()];
        checkpoint = new byte[bare.checkpointBytes()];
        for (int i = 0; i < 10; i++) {
            bare.step(next(), out);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        bare.close();
        chain.close();
    }

    private float[] next() {
        float[] in = bins[b];
        if (++b == BINS) {
            b = 0;
        }
        return in;
    }

    @Benchmark
    public int bareEngineStep() {
        return bare.step(next(), out);
    }

    /** The checkpoint alone (the part of a chain step that a bare engine does not do). */
    @Benchmark
    public int saveCheckpoint() {
        return bare.saveCheckpoint(checkpoint);
    }

    @Benchmark
    public int chainStepWithCheckpoint() {
        return chain.step(next(), out);
    }
}
