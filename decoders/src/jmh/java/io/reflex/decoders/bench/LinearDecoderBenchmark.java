package io.reflex.decoders.bench;

import io.reflex.decoders.CalibrationSet;
import io.reflex.decoders.catalog.Decoders;
import io.reflex.decoders.TrainableDecoder;
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

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One decode step (one 20 ms bin) of the linear decoders at 96 channels, fitted on 10 s of synthetic center-out
 * data; inputs cycle through 256 recorded bins so that the branch predictor does not see one constant input.
 * Run with {@code -prof gc} to show that a step allocates nothing.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LinearDecoderBenchmark {
    private static final int BINS = 256;

    @Param({"96"})
    public int channels;

    /** Decoder configuration: kalman-steady, kalman-full or wiener (10 lags, lambda 100). */
    @Param({"kalman-steady", "kalman-full", "wiener"})
    public String decoder;

    private TrainableDecoder dec;
    private float[][] inputs;
    private final float[] out = new float[2];
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        final CenterOutSource source = new CenterOutSource(new CenterOutSource.Context().channels(channels).seed(1));
        final CalibrationSet set = new CalibrationSet(500, channels, 2);
        source.fillVelocityCalibration(set, 20);
        switch (decoder) {
            case "kalman-steady":
                dec = Decoders.create("kalman", channels, Map.of("gain", "steady"));
                break;
            case "kalman-full":
                dec = Decoders.create("kalman", channels, Map.of("gain", "full"));
                break;
            default:
                dec = Decoders.create("wiener", channels, Map.of());
                break;
        }
        dec.fit(set);
        inputs = new float[BINS][channels];
        final double[] kin = new double[4];
        for (int b = 0; b < BINS; b++) {
            source.nextBin(20, inputs[b], kin);
        }
    }

    @Benchmark
    public int decodeStep() {
        final float[] in = inputs[next];
        next = (next + 1) & (BINS - 1);
        return dec.decode(in, out) + Float.floatToRawIntBits(out[0]);
    }
}
