package io.reflex.runtime.frontend;

import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The whole front end as the features stage runs it ({@link FrontEnd#process}): one 1 ms bin at 30 kHz of 1,024
 * channels (30 samples) through the health check, the CAR, the default band-pass (250–5,000 Hz, order 2 each
 * side: four sections), threshold crossings and spike-band power, after calibration. As in
 * {@link FrontEndBenchmark}, ns/op is per channel-sample (× 30,720 for the time per 1 ms bin) and
 * {@code gc.alloc.rate.norm} is B per channel-sample.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FrontEndStageBenchmark {
    static final int CHANNELS = 1024;
    static final int SAMPLES = 30;

    /** {@code all} or {@code groups} (of 32). */
    @Param({"all"})
    public String car;

    private float[][] bins;
    private float[] features;
    private FrontEnd frontEnd;
    private int next;

    @Setup
    public void setUp() {
        Random random = new Random(42);
        bins = new float[16][CHANNELS * SAMPLES];
        for (float[] b : bins) {
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) (10 * random.nextGaussian());
            }
        }
        frontEnd = new FrontEnd(new FrontEnd.Context().channels(CHANNELS).sampleRateHz(30_000)
                .samplesPerBin(SAMPLES).car(car).carGroupSize(32).rmsSeconds(0.1)
                .outputs(List.of("crossings", "power")));
        features = new float[frontEnd.featureCount()];
        while (!frontEnd.isCalibrated()) {
            frontEnd.process(bins[next++ & 15], SAMPLES, features);
        }
    }

    @Benchmark
    @OperationsPerInvocation(CHANNELS * SAMPLES)
    public float[] frontEndBin() {
        frontEnd.process(bins[next++ & 15], SAMPLES, features);
        return features;
    }
}
