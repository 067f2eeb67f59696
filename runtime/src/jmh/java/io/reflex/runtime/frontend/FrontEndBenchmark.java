package io.reflex.runtime.frontend;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The front-end kernels of #17 over one 1 ms chunk at 30 kHz of 1,024 channels (30 samples, sample-major), each
 * beside a plain scalar baseline doing the same arithmetic channel by channel with strided access and none of the
 * kernel's checks (no dead-channel mask, no non-finite handling, no groups). Every invocation is one chunk and
 * {@link OperationsPerInvocation} divides by its 30,720 channel-samples, so JMH's ns/op is ns per channel-sample
 * (multiply by 30,720 for the time per 1 ms chunk) and {@code -prof gc}'s {@code gc.alloc.rate.norm} is B per
 * channel-sample (0 for an allocation-free kernel). The filter is the 250 Hz 4th-order high-pass (two sections)
 * that BRAND uses; thresholds at -4.5 RMS with a 1 ms refractory period; the threshold and power kernels drain
 * their bin every chunk (a 1 ms bin).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FrontEndBenchmark {
    static final int CHANNELS = 1024;
    static final int SAMPLES = 30;
    static final int CHANNEL_SAMPLES = CHANNELS * SAMPLES;
    static final double FS = 30_000;

    private float[] chunk;
    private float[] out;
    private float[] features;

    private BiquadBank filter;
    private CommonAverageReference car;
    private ThresholdCrossings crossings;
    private SpikeBandPower power;

    // Baseline state: per channel, per section.
    private double[][] sos;
    private double[][] baseZ1;
    private double[][] baseZ2;
    private float[] baseThreshold;
    private float[] basePrevious;
    private int[] baseHoldoff;

    @Setup
    public void setUp() {
        Random random = new Random(42);
        chunk = new float[CHANNEL_SAMPLES];
        for (int i = 0; i < chunk.length; i++) {
            chunk[i] = (float) (10 * random.nextGaussian());
        }
        out = new float[CHANNEL_SAMPLES];
        features = new float[CHANNELS];
        sos = Butterworth.highPass(4, 250, FS);
        filter = new BiquadBank(sos, CHANNELS);
        car = new CommonAverageReference(CHANNELS);
        crossings = new ThresholdCrossings(CHANNELS, 4.5, 30);
        crossings.calibrate(chunk, 0, SAMPLES, null);
        power = new SpikeBandPower(CHANNELS);
        baseZ1 = new double[CHANNELS][sos.length];
        baseZ2 = new double[CHANNELS][sos.length];
        baseThreshold = new float[CHANNELS];
        basePrevious = new float[CHANNELS];
        baseHoldoff = new int[CHANNELS];
        for (int c = 0; c < CHANNELS; c++) {
            baseThreshold[c] = crossings.threshold(c);
        }
    }

    @Benchmark
    @OperationsPerInvocation(CHANNEL_SAMPLES)
    public float filter() {
        filter.process(chunk, 0, out, 0, SAMPLES);
        return out[CHANNEL_SAMPLES - 1];
    }

    @Benchmark
    @OperationsPerInvocation(CHANNEL_SAMPLES)
    public float filterScalarBaseline() {
        for (int c = 0; c < CHANNELS; c++) {
            double[] z1 = baseZ1[c], z2 = baseZ2[c];
            for (int s = 0; s < SAMPLES; s++) {
                double x = chunk[s * CHANNELS + c];
                for (int k = 0; k < sos.length; k++) {
                    double[] q = sos[k];
                    double y = q[0] * x + z1[k];
                    z1[k] = q[1] * x - q[4] * y + z2[k];
                    z2[k] = q[2] * x - q[5] * y;
                    x = y;
                }
                out[s * CHANNELS + c] = (float) x;
            }
        }
        return out[CHANNEL_SAMPLES - 1];
    }

    @Benchmark
    @OperationsPerInvocation(CHANNEL_SAMPLES)
    public int car() {
        return car.apply(chunk, 0, out, 0, SAMPLES);
    }

    @Benchmark
    @OperationsPerInvocation(CHANNEL_SAMPLES)
    public float carScalarBaseline() {
        for (int s = 0; s < SAMPLES; s++) {
            int base = s * CHANNELS;
            double sum = 0;
            for (int c = 0; c < CHANNELS; c++) {
                sum += chunk[base + c];
            }
            double mean = sum / CHANNELS;
            for (int c = 0; c < CHANNELS; c++) {
                out[base + c] = (float) (chunk[base + c] - mean);
            }
        }
        return out[CHANNEL_SAMPLES - 1];
    }

    @Benchmark
    @OperationsPerInvocation(CHANNEL_SAMPLES)
    public void threshold(Blackhole bh) {
        bh.consume(crossings.accumulate(chunk, 0, SAMPLES));
        crossings.drainBin(features);
        bh.consume(features);
    }

    @Benchmark
    @OperationsPerInvocation(CHANNEL_SAMPLES)
    public void thresholdScalarBaseline(Blackhole bh) {
        for (int c = 0; c < CHANNELS; c++) {
            float threshold = baseThreshold[c], previous = basePrevious[c];
            int holdoff = baseHoldoff[c], count = 0;
            for (int s = 0; s < SAMPLES; s++) {
                float v = chunk[s * CHANNELS + c];
                if (holdoff > 0) {
                    holdoff--;
                } else if (v < threshold && previous >= threshold) {
                    count++;
                    holdoff = 30;
                }
                previous = v;
            }
            basePrevious[c] = previous;
            baseHoldoff[c] = holdoff;
            features[c] = count;
        }
        bh.consume(features);
    }

    @Benchmark
    @OperationsPerInvocation(CHANNEL_SAMPLES)
    public void power(Blackhole bh) {
        bh.consume(power.accumulate(chunk, 0, SAMPLES));
        power.drainBin(features);
        bh.consume(features);
    }

    @Benchmark
    @OperationsPerInvocation(CHANNEL_SAMPLES)
    public void powerScalarBaseline(Blackhole bh) {
        for (int c = 0; c < CHANNELS; c++) {
            double sum = 0;
            for (int s = 0; s < SAMPLES; s++) {
                double v = chunk[s * CHANNELS + c];
                sum += v * v;
            }
            features[c] = (float) (sum / SAMPLES);
        }
        bh.consume(features);
    }
}
