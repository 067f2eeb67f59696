package io.reflex.decoders.bench;

import io.reflex.decoders.synth.CenterOutSource;
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

import java.util.concurrent.TimeUnit;

/** One 1 ms sample of the synthetic center-out source (96 Poisson channels); {@code -prof gc} shows 0 B/op. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CenterOutSourceBenchmark {
    @Param({"96"})
    public int channels;

    private CenterOutSource source;
    private float[] counts;
    private final double[] kinematics = new double[4];

    @Setup(Level.Trial)
    public void setUp() {
        source = new CenterOutSource(new CenterOutSource.Context().channels(channels).seed(1));
        counts = new float[channels];
    }

    @Benchmark
    public float nextSample() {
        source.nextSample(counts, kinematics);
        return counts[0];
    }
}
