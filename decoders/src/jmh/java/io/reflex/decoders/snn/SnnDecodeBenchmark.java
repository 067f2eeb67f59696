package io.reflex.decoders.snn;

import io.reflex.decoders.CalibrationSet;
import io.reflex.decoders.synth.CenterOutSource;
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

/**
 * One {@link SnnDecoder#decode} call: a 20 ms bin of 96 center-out channels, i.e. 20 ticks of the reservoir plus the
 * readout; divide by 20 for the per-tick cost.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SnnDecodeBenchmark {
    static final int CHANNELS = 96;
    static final int BINS = 500;

    @Param({"512", "1024"})
    int neurons;

    private SnnDecoder decoder;
    private float[][] bins;
    private final float[] out = new float[2];
    private int b;

    @Setup(Level.Trial)
    public void setup() {
        CenterOutSource src = new CenterOutSource(new CenterOutSource.Context().channels(CHANNELS).seed(1));
        CalibrationSet cal = new CalibrationSet(BINS, CHANNELS, 2);
        bins = new float[BINS][CHANNELS];
        double[] kin = new double[4];
        float[] v = new float[2];
        for (int i = 0; i < BINS; i++) {
            src.nextBin(20, bins[i], kin);
            v[0] = (float) kin[2];
            v[1] = (float) kin[3];
            cal.add(bins[i], v);
        }
        decoder = new SnnDecoder(new SnnDecoder.Context().inputCount(CHANNELS).neuronCount(neurons).ridgeLambda(1.0));
        decoder.fit(cal);
    }

    @Benchmark
    public int decodeBin() {
        int s = decoder.decode(bins[b], out);
        if (++b == BINS) {
            b = 0;
        }
        return s;
    }
}
