package io.reflex.decoders.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.reflex.decoders.CalibrationSet;
import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.Metrics;
import io.reflex.decoders.bundle.BundleException;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.lfads.LorenzData;
import io.reflex.decoders.linear.RidgeReadout;
import io.reflex.decoders.snn.SnnDecoder;
import io.reflex.decoders.synth.CenterOutSource;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The decoder over an engine chain: fit and decode for SNN and LFADS, failover, twins, safe outputs. */
class EngineDecoderTest {
    static final int CHANNELS = 96;
    static final int CAL_BINS = 500;
    static final int TEST_BINS = 400;
    static CalibrationSet cal;
    static float[][] testCounts;
    static double[][] testVel;
    static ModelBundle reservoir;

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
        reservoir = SnnDecoder.reservoirBundle(new SnnDecoder.Context().inputCount(CHANNELS).neuronCount(256),
                "snn-256", "EngineDecoderTest").toBundle();
    }

    static EngineDecoder snn(List<EngineSpec> engines) {
        return new EngineDecoder(new EngineDecoder.Context().bundle(reservoir).engines(engines).ridgeLambda(1.0));
    }

    @Test
    void snnFitsOnCenterOutDataAndDecodesVelocityThroughAFailingChainBitIdenticallyToItsGoldenTwin() {
        EngineDecoder d = snn(List.of(EngineSpec.of("cpu-fixed").withFaultAtStep(150), EngineSpec.of("cpu")));
        assertThat(d.arithmetic()).isEqualTo("fixed");
        assertThat(d.featureCount()).isEqualTo(256);
        d.fit(cal);
        EngineDecoder golden = d.twin(List.of(EngineSpec.of("cpu-fixed")));
        assertThat(golden.fitted()).isTrue();
        Metrics.R2Accumulator r2 = new Metrics.R2Accumulator(2);
        float[] out = new float[2];
        float[] ref = new float[2];
        int differing = 0;
        for (int b = 0; b < TEST_BINS; b++) {
            assertThat(d.decode(testCounts[b], out)).as("bin %d", b).isEqualTo(DecodeStatus.OK);
            assertThat(golden.decode(testCounts[b], ref)).isEqualTo(DecodeStatus.OK);
            assertThat(d.lastEngineIndex()).isEqualTo(b < 149 ? 0 : 1);
            differing += out[0] == ref[0] && out[1] == ref[1] ? 0 : 1;
            r2.add(testVel[b], out);
        }
        System.out.printf("engine decoder, snn 256 neurons, center-out 96 ch: velocity R2 = %.3f%n", r2.meanR2());
        assertThat(differing).as("frames that differ from the cpu-fixed golden twin").isZero();
        assertThat(r2.meanR2()).isGreaterThan(0.75);
        assertThat(d.chain().failovers()).isEqualTo(1);
        assertThat(d.chain().served(0) + d.chain().served(1)).isEqualTo(TEST_BINS);
        assertThat(d.lastEngineName()).isEqualTo("cpu");
        assertThat(d.chain().arithmetic()).as("the SNN is integer on every engine").isEqualTo("fixed");
        d.close();
        golden.close();
    }

    @Test
    void lfadsDecodesLorenzLatentsWithTrialStartsHonouredInTheFit() {
        ModelBundle b = ModelBundle.fromResource("/models/lfads-lorenz-causal.rbundle");
        int t = 73;
        LorenzData data = new LorenzData(70, t);
        float[] counts = new float[t * 70];
        double[] lat = new double[t * 3];
        CalibrationSet set = new CalibrationSet(40 * t, 70, 3);
        float[] bin = new float[70];
        double[] target = new double[3];
        for (int trial = 0; trial < 40; trial++) {
            data.trial(1_000_001, trial, counts, lat, null);
            set.markTrialStart();
            for (int k = 0; k < t; k++) {
                System.arraycopy(counts, k * 70, bin, 0, 70);
                System.arraycopy(lat, k * 3, target, 0, 3);
                set.add(bin, target);
            }
        }
        assertThat(set.startsTrial(0)).isTrue();
        assertThat(set.startsTrial(t)).isTrue();
        assertThat(set.startsTrial(t + 1)).isFalse();
        EngineDecoder d = new EngineDecoder(new EngineDecoder.Context().bundle(b).outputs(3)
                .engines(List.of(EngineSpec.of("cpu-fixed").withFaultAtStep(500), EngineSpec.of("cpu-fixed"))));
        d.fit(set);

        // the readout equals a ridge fit on the reference engine's factors with the stream reset at every trial start
        CpuEngine ref = new CpuEngine(true);
        ref.load(b);
        double[] x = new double[set.size() * 4];
        double[] y = new double[set.size() * 3];
        float[] fac = new float[4];
        for (int r = 0; r < set.size(); r++) {
            if (set.startsTrial(r)) {
                ref.reset();
            }
            for (int k = 0; k < 70; k++) {
                bin[k] = (float) set.feature(r, k);
            }
            ref.step(bin, fac);
            for (int i = 0; i < 4; i++) {
                x[r * 4 + i] = fac[i];
            }
            for (int o = 0; o < 3; o++) {
                y[r * 3 + o] = set.target(r, o);
            }
        }
        RidgeReadout.Fit fit = RidgeReadout.fit(x, y, set.size(), 4, 3, Double.NaN);
        assertThat(d.readoutWeights()).containsExactly(fit.weights());
        assertThat(d.readoutIntercepts()).containsExactly(fit.intercepts());

        Metrics.R2Accumulator r2 = new Metrics.R2Accumulator(3);
        float[] out = new float[3];
        for (int trial = 40; trial < 60; trial++) {
            data.trial(1_000_001, trial, counts, lat, null);
            d.reset();
            for (int k = 0; k < t; k++) {
                System.arraycopy(counts, k * 70, bin, 0, 70);
                assertThat(d.decode(bin, out)).isEqualTo(DecodeStatus.OK);
                System.arraycopy(lat, k * 3, target, 0, 3);
                r2.add(target, out);
            }
        }
        System.out.printf("engine decoder, lfads-lorenz-causal on cpu-fixed: latent R2 = %.4f (ridge lambda %.3g)%n",
                r2.meanR2(), d.ridgeLambda());
        assertThat(r2.meanR2()).isGreaterThan(0.9);
        assertThat(d.chain().failovers()).isEqualTo(1);
        assertThat(d.chain().coldTakeovers()).isZero();
    }

    @Test
    void safeOutputsHoldTheLastGoodValueAndNothingIsAFaultButAFault() {
        EngineDecoder d = snn(List.of(EngineSpec.of("cpu-fixed").withFaultAtStep(3)));
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
        assertThat(d.decode(new float[3], out)).isEqualTo(DecodeStatus.INVALID_INPUT);
        assertThat(d.chain().usable(0)).isTrue();
        assertThat(d.decode(testCounts[1], out)).isEqualTo(DecodeStatus.OK);
        good = out.clone();
        assertThat(d.decode(testCounts[2], out)).isEqualTo(DecodeStatus.ENGINE_FAULT);
        assertThat(out).containsExactly(good);
        assertThat(d.engineFaults()).isEqualTo(1);
        assertThat(d.lastEngineIndex()).isEqualTo(-1);
        d.reset();
        d.safeOutput(out);
        assertThat(out).containsExactly(0f, 0f);
        assertThat(d.chain().usable(0)).as("reset does not revive").isFalse();
    }

    @Test
    void aFittedSnnBundleLoadsFittedAndAReservoirBundleIsNotADecoder() {
        SnnDecoder direct = new SnnDecoder(new SnnDecoder.Context().inputCount(CHANNELS).neuronCount(256)
                .ridgeLambda(1.0));
        direct.fit(cal);
        ModelBundle fitted = ModelBundle.fromBytes(direct.toBundle("snn-fitted", "test").toZipBytes(), "memory");
        EngineDecoder d = new EngineDecoder(new EngineDecoder.Context().bundle(fitted));
        assertThat(d.fitted()).isTrue();
        float[] a = new float[2];
        float[] b = new float[2];
        for (int t = 0; t < 100; t++) {
            assertThat(d.decode(testCounts[t], a)).isEqualTo(DecodeStatus.OK);
            assertThat(direct.decode(testCounts[t], b)).isEqualTo(DecodeStatus.OK);
            assertThat((double) a[0]).isCloseTo(b[0], within(1e-4));
            assertThat((double) a[1]).isCloseTo(b[1], within(1e-4));
        }
        assertThatThrownBy(() -> new EngineDecoder(new EngineDecoder.Context().bundle(fitted).outputs(3)))
                .hasMessageContaining("readout of 2 outputs");
        assertThatThrownBy(() -> SnnDecoder.fromBundle(reservoir)).isInstanceOf(BundleException.class)
                .hasMessageContaining("without a readout");
        assertThat(reservoir.hasTensor("readout_w")).isFalse();
        assertThat(reservoir.hpString("readout")).isEqualTo("none");
    }

    @Test
    void badConfigurationsAreRefusedNamingTheField() {
        ModelBundle lfads = ModelBundle.fromResource("/models/lfads-lorenz-small.rbundle");
        assertThatThrownBy(() -> new EngineDecoder(new EngineDecoder.Context())).hasMessageContaining("bundle");
        assertThatThrownBy(() -> new EngineDecoder(new EngineDecoder.Context().bundle(lfads)
                .mode(io.reflex.decoders.lfads.LfadsMode.CAUSAL))).hasMessageContaining("causal bundle");
        assertThatThrownBy(() -> new EngineDecoder(new EngineDecoder.Context().bundle(reservoir)
                .mode(io.reflex.decoders.lfads.LfadsMode.SLIDING))).hasMessageContaining("LFADS");
        assertThatThrownBy(() -> new EngineDecoder(new EngineDecoder.Context().bundle(reservoir).outputs(0)))
                .hasMessageContaining("outputs");
        assertThatThrownBy(() -> new EngineDecoder(new EngineDecoder.Context().bundle(reservoir).ridgeLambda(-1)))
                .hasMessageContaining("ridgeLambda");
        assertThatThrownBy(() -> new EngineDecoder(new EngineDecoder.Context().bundle(reservoir)
                .engines(List.of(EngineSpec.of("xrt"))))).isInstanceOf(EngineException.class)
                .hasMessageContaining("xrt");
        EngineDecoder d = snn(EngineDecoder.DEFAULT_ENGINES);
        assertThatThrownBy(() -> d.fit(new CalibrationSet(5, CHANNELS, 2))).hasMessageContaining("at least");
        assertThatThrownBy(() -> d.fit(new CalibrationSet(50, 3, 2))).hasMessageContaining("channels");
        assertThat(d.fitted()).isFalse();
    }
}
