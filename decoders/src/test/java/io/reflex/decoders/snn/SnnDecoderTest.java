package io.reflex.decoders.snn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.decoders.CalibrationSet;
import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.catalog.Decoders;
import io.reflex.decoders.Metrics;
import io.reflex.decoders.TrainableDecoder;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.engine.CpuEngine;
import io.reflex.decoders.synth.CenterOutSource;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SnnDecoderTest {
    static final int CHANNELS = 96;
    static final int CAL_BINS = 500;
    static final int TEST_BINS = 400;
    static CalibrationSet cal;
    static float[][] testCounts;
    static double[][] testVel;

    @BeforeAll
    static void data() {
        CenterOutSource src = new CenterOutSource(new CenterOutSource.Context().channels(CHANNELS).seed(1));
        cal = new CalibrationSet(CAL_BINS, CHANNELS, 2);
        float[] c = new float[CHANNELS];
        double[] kin = new double[4];
        float[] v = new float[2];
        for (int b = 0; b < CAL_BINS; b++) {
            src.nextBin(20, c, kin);
            v[0] = (float) kin[2];
            v[1] = (float) kin[3];
            cal.add(c, v);
        }
        testCounts = new float[TEST_BINS][CHANNELS];
        testVel = new double[TEST_BINS][2];
        for (int b = 0; b < TEST_BINS; b++) {
            src.nextBin(20, testCounts[b], kin);
            testVel[b][0] = kin[2];
            testVel[b][1] = kin[3];
        }
    }

    static double r2(TrainableDecoder d, float[][] outs) {
        Metrics.R2Accumulator acc = new Metrics.R2Accumulator(2);
        float[] out = new float[2];
        for (int b = 0; b < TEST_BINS; b++) {
            assertThat(d.decode(testCounts[b], out)).isEqualTo(DecodeStatus.OK);
            if (outs != null) {
                outs[b][0] = out[0];
                outs[b][1] = out[1];
            }
            acc.add(testVel[b], out);
        }
        return acc.meanR2();
    }

    @Test
    void decodesCenterOutVelocityNextToKalman() {
        TrainableDecoder snn = Decoders.create("snn", CHANNELS, Map.of());
        assertThat(snn).isInstanceOf(io.reflex.decoders.engine.EngineDecoder.class);
        snn.fit(cal);
        double snnR2 = r2(snn, null);
        SnnDecoder direct = new SnnDecoder(new SnnDecoder.Context().inputCount(CHANNELS));
        direct.fit(cal);
        double directR2 = r2(direct, null);
        TrainableDecoder kalman = Decoders.create("kalman", CHANNELS, Map.of());
        kalman.fit(cal);
        double kalmanR2 = r2(kalman, null);
        System.out.printf("center-out 96 ch, 10 s calibration, 8 s test: snn R2 = %.3f (engine decoder on cpu-fixed),"
            + " %.3f (SnnDecoder), kalman R2 = %.3f%n", snnR2, directR2, kalmanR2);
        assertThat(snnR2).isGreaterThan(0.8);
        assertThat(directR2).isCloseTo(snnR2, org.assertj.core.api.Assertions.within(1e-3));
    }

    @Test
    void bundleRoundTripDecodesBitIdentically() {
        SnnDecoder a = new SnnDecoder(new SnnDecoder.Context().inputCount(CHANNELS).neuronCount(256).seed(9)
            .ridgeLambda(1.0));
        a.fit(cal);
        byte[] zip = a.toBundle("snn-test", "SnnDecoderTest").toZipBytes();
        ModelBundle bundle = ModelBundle.fromBytes(zip, "memory");
        assertThat(bundle.modelType()).isEqualTo("snn");
        assertThat(bundle.hpString("reset_mode")).isEqualTo("subtract");
        SnnDecoder b = SnnDecoder.fromBundle(bundle);
        assertThat(b.fitted()).isTrue();
        float[][] oa = new float[TEST_BINS][2];
        float[][] ob = new float[TEST_BINS][2];
        a.reset();
        double ra = r2(a, oa);
        double rb = r2(b, ob);
        assertThat(ob).isDeepEqualTo(oa);
        assertThat(rb).isEqualTo(ra);
    }

    @Test
    void bundlesThatDisagreeWithTheirHyperparametersAreRefusedNamingTheTensor() {
        SnnDecoder a = new SnnDecoder(new SnnDecoder.Context().inputCount(CHANNELS).neuronCount(256)
            .ridgeLambda(1.0));
        a.fit(cal);
        ModelBundle good = ModelBundle.fromBytes(a.toBundle("snn-test", "test").toZipBytes(), "memory");
        io.reflex.decoders.bundle.ModelBundleWriter w = new io.reflex.decoders.bundle.ModelBundleWriter("snn", "bad")
            .hyperparameters(good.hyperparameters());
        for (String t : new String[] {"row_ptr", "col", "w", "bias", "readout_b"}) {
            w.copyTensor(good, t);
        }
        w.putFloat32("readout_w", new int[] {2, 255}, new float[510]);
        ModelBundle bad = ModelBundle.fromBytes(w.toZipBytes(), "memory");
        assertThatThrownBy(() -> SnnDecoder.fromBundle(bad)).hasMessageContaining("readout_w");
        ModelBundle lfads = ModelBundle.fromBytes(new io.reflex.decoders.bundle.ModelBundleWriter("lfads", "x")
            .toZipBytes(), "memory");
        assertThatThrownBy(() -> SnnDecoder.fromBundle(lfads)).hasMessageContaining("snn");
        assertThatThrownBy(() -> new SnnDecoder(new SnnDecoder.Context().inputCount(CHANNELS).neuronCount(256))
            .toBundle("x", "y")).hasMessageContaining("fitted");
    }

    @Test
    void notReadyBeforeFitAndInvalidInputKeepsTheLastGoodOutput() {
        SnnDecoder d = new SnnDecoder(new SnnDecoder.Context().inputCount(CHANNELS).neuronCount(256)
            .ridgeLambda(1.0));
        float[] out = {5f, 5f};
        assertThat(d.decode(testCounts[0], out)).isEqualTo(DecodeStatus.NOT_READY);
        assertThat(out).containsExactly(0f, 0f);
        d.fit(cal);
        assertThat(d.decode(testCounts[0], out)).isEqualTo(DecodeStatus.OK);
        float[] good = out.clone();
        float[] bad = testCounts[1].clone();
        bad[3] = Float.NaN;
        assertThat(d.decode(bad, out)).isEqualTo(DecodeStatus.INVALID_INPUT);
        assertThat(out).containsExactly(good);
        assertThat(d.inputsRejected()).isEqualTo(1);
    }

    @Test
    void countsAboveOneSpikePerTickAreClippedAndCounted() {
        SnnDecoder d = new SnnDecoder(new SnnDecoder.Context().inputCount(CHANNELS).neuronCount(256)
            .ridgeLambda(1.0));
        d.fit(cal);
        float[] in = new float[CHANNELS];
        in[0] = 25;   // 20 ticks per bin
        in[1] = 20;
        assertThat(d.decode(in, new float[2])).isEqualTo(DecodeStatus.OK);
        assertThat(d.countsClipped()).isEqualTo(5);
    }

    @Test
    void badConfigurationAndShortCalibrationAreRefused() {
        assertThatThrownBy(() -> new SnnDecoder(new SnnDecoder.Context().inputCount(4).neuronCount(100)))
            .hasMessageContaining("neuronCount");
        assertThatThrownBy(() -> new SnnDecoder(new SnnDecoder.Context().inputCount(0)))
            .hasMessageContaining("inputCount");
        assertThatThrownBy(() -> Decoders.create("snn", 4, Map.of("neurons", "10")))
            .hasMessageContaining("neurons");
        assertThatThrownBy(() -> new SnnDecoder.Context().inputCount(4).neuronCount(16_385).conclude())
            .hasMessageContaining("neuronCount must be in [256, 16384], got 16385");
        assertThatThrownBy(() -> Decoders.create("snn", 4, Map.of("neurons", "16385")))
            .hasMessageContaining("neurons");
        SnnDecoder d = new SnnDecoder(new SnnDecoder.Context().inputCount(CHANNELS).neuronCount(256));
        assertThatThrownBy(() -> d.fit(new CalibrationSet(5, CHANNELS, 2))).hasMessageContaining("at least");
        assertThatThrownBy(() -> d.fit(new CalibrationSet(50, 3, 2))).hasMessageContaining("channels");
        assertThat(d.fitted()).isFalse();
    }

    /**
     * The largest reservoir (16,384 neurons) through the formats and {@code cpu-fixed}: the reservoir bundle survives
     * its ZIP bytes, runs a few bins on the engine, and its {@code "SNS1"} checkpoint (24 + 4·(4N + N/32) bytes)
     * restores bit for bit into a second engine. The readout fit is left out (16·N² bytes, 4 GiB).
     */
    @Test
    void largestReservoirRunsOnCpuFixedAndCheckpoints() {
        int n = SnnDecoder.Context.MAX_NEURONS;
        assertThat(n).isEqualTo(16_384);
        byte[] zip = SnnDecoder.reservoirBundle(new SnnDecoder.Context().inputCount(CHANNELS).neuronCount(n),
            "snn-16384", "SnnDecoderTest").toZipBytes();
        ModelBundle b = ModelBundle.fromBytes(zip, "snn-16384");
        assertThat(b.hpInt("neuron_count")).isEqualTo(n);
        try (CpuEngine a = new CpuEngine(true); CpuEngine c = new CpuEngine(true)) {
            a.load(b);
            c.load(b);
            assertThat(a.outputCount()).isEqualTo(n);
            byte[] cp = new byte[a.checkpointBytes()];
            assertThat(cp.length).isEqualTo(24 + 4 * (4 * n + n / 32));
            float[] outA = new float[n];
            float[] outC = new float[n];
            double traceSum = 0;
            for (int bin = 0; bin < 4; bin++) {
                assertThat(a.step(testCounts[bin], outA)).isEqualTo(DecodeStatus.OK);
            }
            for (float v : outA) {
                traceSum += v;
            }
            assertThat(traceSum).as("the reservoir spikes").isPositive();
            assertThat(a.saveCheckpoint(cp)).isEqualTo(DecodeStatus.OK);
            assertThat(c.restoreCheckpoint(cp)).isEqualTo(DecodeStatus.OK);
            for (int bin = 4; bin < 6; bin++) {
                assertThat(a.step(testCounts[bin], outA)).isEqualTo(DecodeStatus.OK);
                assertThat(c.step(testCounts[bin], outC)).isEqualTo(DecodeStatus.OK);
                assertThat(outC).as("bin %d after the restore", bin).containsExactly(outA);
            }
        }
    }
}
