package io.reflex.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.engine.CpuEngine;
import io.reflex.decoders.snn.SnnDecoder;
import io.reflex.decoders.synth.CenterOutSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The largest reservoir the SNN decoder builds ({@link SnnDecoder.Context#MAX_NEURONS}, 16,384 neurons, 96 inputs,
 * the decoder's default recipe) on {@code aparapi-fixed} against {@code cpu-fixed} through the engine API: a few bins
 * of the demo's center-out counts (the first ones repeated at 30× to clip), every output bit and the whole
 * {@code "SNS1"} checkpoint (V, I, ref, the last spikes and the traces of every neuron) after every bin, on the OpenCL
 * device and on the Java thread pool. {@link AparapiSnnBitExactTest} covers the arithmetic's corners on small networks;
 * this covers the size.
 */
class AparapiSnnLargeReservoirTest {
    static final int CHANNELS = 96;
    static final int BINS = 4;
    static ModelBundle bundle;
    static float[][] bins;

    @BeforeAll
    static void reservoir() {
        bundle = SnnDecoder.reservoirBundle(new SnnDecoder.Context().inputCount(CHANNELS)
                .neuronCount(SnnDecoder.Context.MAX_NEURONS), "snn-16384", "AparapiSnnLargeReservoirTest").toBundle();
        bins = new CenterOutSource(new CenterOutSource.Context().channels(CHANNELS).seed(3)).binStream(20, BINS);
        for (int k = 0; k < CHANNELS; k++) {
            bins[0][k] *= 30f;
        }
    }

    @Test
    @Timeout(300)
    void bitExactOnOpenCl() {
        AparapiSnnBitExactTest.openClOrSkip();
        run(AparapiFixedEngine.DeviceChoice.OPENCL);
    }

    @Test
    @Timeout(300)
    void bitExactOnJavaThreadPool() {
        run(AparapiFixedEngine.DeviceChoice.JTP);
    }

    private static void run(AparapiFixedEngine.DeviceChoice choice) {
        int n = SnnDecoder.Context.MAX_NEURONS;
        try (CpuEngine golden = new CpuEngine(true); AparapiFixedEngine e = new AparapiFixedEngine(choice)) {
            golden.load(bundle);
            e.load(bundle);
            assertThat(e.device()).contains("16384 neurons");
            assertThat(e.executionMode()).isEqualTo(choice == AparapiFixedEngine.DeviceChoice.JTP ? "jtp" : "opencl");
            assertThat(e.outputCount()).isEqualTo(n);
            float[] want = new float[n];
            float[] got = new float[n];
            byte[] cp0 = new byte[golden.checkpointBytes()];
            byte[] cp1 = new byte[e.checkpointBytes()];
            assertThat(cp1.length).isEqualTo(cp0.length);
            int spiking = 0;
            for (int b = 0; b < BINS; b++) {
                assertThat(golden.step(bins[b], want)).isEqualTo(DecodeStatus.OK);
                assertThat(e.step(bins[b], got)).as("%s bin %d: %s", choice, b, e.health().detail())
                        .isEqualTo(DecodeStatus.OK);
                for (int i = 0; i < n; i++) {
                    if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(want[i])) {
                        throw new AssertionError(choice + " bin " + b + " neuron " + i + ": " + got[i]
                                + " vs cpu-fixed " + want[i]);
                    }
                }
                assertThat(golden.saveCheckpoint(cp0)).isEqualTo(DecodeStatus.OK);
                assertThat(e.saveCheckpoint(cp1)).isEqualTo(DecodeStatus.OK);
                assertThat(cp1).as("%s SNS1 checkpoint after bin %d", choice, b).isEqualTo(cp0);
            }
            for (float v : want) {
                spiking += v > 0 ? 1 : 0;
            }
            assertThat(e.countsClipped()).as("counts clipped in the loud first bin").isPositive();
            assertThat(spiking).as("neurons with a trace after %d bins", BINS).isGreaterThan(n / 10);
            System.out.println("aparapi-fixed SNN 16,384 neurons on " + e.executionMode() + ": " + BINS
                    + " bins bit-identical to cpu-fixed, " + spiking + " neurons with a trace, "
                    + e.countsClipped() + " counts clipped");
        }
    }
}
