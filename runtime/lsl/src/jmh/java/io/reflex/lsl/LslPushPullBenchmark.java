package io.reflex.lsl;

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
 * One sample pushed and pulled back through a loopback TCP connection per operation: the round trip through
 * outlet queue, sender thread, socket, receiver thread and inlet queue. Run with {@code -prof gc} to show that the
 * data path allocates nothing after connect.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class LslPushPullBenchmark {
    @Param({"1", "64"})
    int channels;

    private JavaOutlet outlet;
    private JavaInlet inlet;
    private float[] out;
    private float[] in;

    @Setup(Level.Trial)
    public void setUp() {
        LslConfig cfg = LslConfig.loopback().conclude();
        outlet = new JavaOutlet(StreamInfo.builder("jmh-" + System.nanoTime(), "Bench", channels, 1000,
                ChannelFormat.FLOAT32, "jmh").build(), cfg, LslError.logging());
        inlet = new JavaInlet(outlet.info().toBuilder().v4address("127.0.0.1").build(), cfg, new InletOptions(),
                LslError.logging());
        inlet.open(5);
        out = new float[channels];
        in = new float[channels];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        inlet.close();
        outlet.close();
    }

    @Benchmark
    public double pushPull() {
        out[0]++;
        outlet.pushSample(out, 1.0);
        return inlet.pullSample(in, 10);
    }
}
