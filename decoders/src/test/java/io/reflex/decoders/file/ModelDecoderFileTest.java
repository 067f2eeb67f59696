package io.reflex.decoders.file;

import io.reflex.decoders.linear.KalmanDecoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.decoders.CalibrationSet;
import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.engine.EngineDecoder;
import io.reflex.decoders.engine.EngineSpec;
import io.reflex.decoders.lfads.LfadsMode;
import io.reflex.decoders.lfads.LorenzData;
import io.reflex.decoders.snn.SnnDecoder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Decoder files of model decoders (format version 2, types lfads and snn): round trip, bit identity, refusals. */
class ModelDecoderFileTest {
    static final int T = 73;
    static EngineDecoder snn;
    static EngineDecoder lfads;
    static CalibrationSet lorenz;

    @TempDir
    Path dir;

    @BeforeAll
    static void fit() {
        ModelBundle reservoir = SnnDecoder.reservoirBundle(new SnnDecoder.Context().inputCount(8).neuronCount(256),
                "snn-256", "ModelDecoderFileTest").toBundle();
        snn = new EngineDecoder(new EngineDecoder.Context().bundle(reservoir).ridgeLambda(1.0));
        snn.fit(DecoderFileTest.tunedSet(300, 8, 5));
        LorenzData data = new LorenzData(70, T);
        float[] counts = new float[T * 70];
        double[] lat = new double[T * 3];
        lorenz = new CalibrationSet(6 * T, 70, 3);
        float[] bin = new float[70];
        double[] target = new double[3];
        for (int trial = 0; trial < 6; trial++) {
            data.trial(1_000_001, trial, counts, lat, null);
            lorenz.markTrialStart();
            for (int k = 0; k < T; k++) {
                System.arraycopy(counts, k * 70, bin, 0, 70);
                System.arraycopy(lat, k * 3, target, 0, 3);
                lorenz.add(bin, target);
            }
        }
        lfads = new EngineDecoder(new EngineDecoder.Context()
                .bundle(ModelBundle.fromResource("/models/lfads-lorenz-causal.rbundle")).outputs(3)
                .mode(LfadsMode.CAUSAL));
        lfads.fit(lorenz);
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] recrc(byte[] b) {
        CRC32 crc = new CRC32();
        crc.update(b, 0, b.length - 4);
        le(b).putInt(b.length - 4, (int) crc.getValue());
        return b;
    }

    private static void refused(byte[] bytes, String... parts) {
        assertThatThrownBy(() -> DecoderFile.decode(Path.of("m.rxdf"), bytes))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("decoder file m.rxdf: ")
                .hasMessageContainingAll(parts);
    }

    /** Decodes the same bins with trial resets through both; every output bit identical, and returns how many. */
    private static int assertDecodesIdentically(EngineDecoder a, EngineDecoder b, CalibrationSet set) {
        a.reset();
        b.reset();
        float[] z = new float[set.channels()];
        float[] oa = new float[a.outputCount()];
        float[] ob = new float[b.outputCount()];
        int ok = 0;
        for (int r = 0; r < set.size(); r++) {
            if (r > 0 && set.startsTrial(r)) {
                a.reset();
                b.reset();
            }
            for (int k = 0; k < z.length; k++) {
                z[k] = (float) set.feature(r, k);
            }
            int sa = a.decode(z, oa);
            int sb = b.decode(z, ob);
            assertThat(sb).isEqualTo(sa);
            for (int k = 0; k < oa.length; k++) {
                assertThat(Float.floatToRawIntBits(ob[k])).as("bin %d output %d", r, k)
                        .isEqualTo(Float.floatToRawIntBits(oa[k]));
            }
            ok += sa == DecodeStatus.OK ? 1 : 0;
        }
        return ok;
    }

    @Test
    void snnAndLfadsDecodersRoundTripAndDecodeBitForBit() {
        for (EngineDecoder d : List.of(snn, lfads)) {
            Path file = dir.resolve(d.modelType() + ".rxdf");
            DecoderFile.write(file, d, 20_000, 1000.0, 123, "{\"created_by\":\"test\"}");
            DecoderFile.Contents c = DecoderFile.read(file);
            assertThat(c.type()).isEqualTo(d.modelType());
            assertThat(c.isModel()).isTrue();
            assertThat(c.decoder()).isNull();
            assertThat(c.channels()).isEqualTo(d.inputCount());
            assertThat(c.outputs()).isEqualTo(d.outputCount());
            assertThat(c.calibrationBins()).isEqualTo(123);
            assertThat(c.provenance()).isEqualTo("{\"created_by\":\"test\"}");
            assertThat(c.model().features()).isEqualTo(d.featureCount());
            assertThat(c.model().mode()).isEqualTo(d.context().mode());
            assertThat(c.model().weights()).isEqualTo(d.readoutWeights());
            assertThat(c.model().intercepts()).isEqualTo(d.readoutIntercepts());
            // the embedded bundle is the model: same manifest, same tensors
            assertThat(c.model().bundle().tensorNames()).isEqualTo(d.bundle().tensorNames());
            for (String t : d.bundle().tensorNames()) {
                assertThat(c.model().bundle().rawBytes(t)).as(t).isEqualTo(d.bundle().rawBytes(t));
            }
            assertThat(c.model().bundle().hyperparameters()).isEqualTo(d.bundle().hyperparameters());
            // the same bundle always gives the same file
            assertThat(DecoderFile.encode(d, 20_000, 1000.0, 123, "{\"created_by\":\"test\"}"))
                    .isEqualTo(DecoderFile.encode(d, 20_000, 1000.0, 123, "{\"created_by\":\"test\"}"));
            try (EngineDecoder back = c.openModel(List.of(EngineSpec.of("cpu-fixed")))) {
                CalibrationSet set = d == snn ? DecoderFileTest.tunedSet(200, 8, 77) : lorenz;
                assertThat(assertDecodesIdentically(d, back, set)).isEqualTo(set.size());
            }
        }
    }

    /**
     * The largest SNN decoder (16,384 neurons, {@code SnnDecoder.Context.MAX_NEURONS}) fits the format: a readout of
     * 2 × 16,384 weights (set, not fitted: a ridge fit of that size needs 4 GiB) round-trips and decodes bit for bit.
     */
    @Test
    void theLargestSnnDecoderRoundTripsAndDecodesBitForBit() {
        int n = SnnDecoder.Context.MAX_NEURONS;
        java.util.SplittableRandom rng = new java.util.SplittableRandom(16_384);
        float[] w = new float[2 * n];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (rng.nextDouble() - 0.5) * 1e-3f;
        }
        ModelBundle fitted = SnnDecoder.reservoirBundle(new SnnDecoder.Context().inputCount(8).neuronCount(n),
                "snn-16384", "ModelDecoderFileTest").hyperparameter("readout", "ridge").hyperparameter("output_count", 2)
                .hyperparameter("ridge_lambda", 1.0).putFloat32("readout_w", new int[] {2, n}, w)
                .putFloat32("readout_b", new int[] {2}, new float[] {0.25f, -0.5f}).toBundle();
        try (EngineDecoder d = new EngineDecoder(new EngineDecoder.Context().bundle(fitted))) {
            assertThat(d.fitted()).isTrue();
            assertThat(d.featureCount()).isEqualTo(n);
            byte[] bytes = DecoderFile.encode(d, 20_000, 1000.0, 0, "");
            DecoderFile.Contents c = DecoderFile.decode(dir.resolve("snn-16384.rxdf"), bytes);
            assertThat(c.model().features()).isEqualTo(n);
            assertThat(c.model().weights()).isEqualTo(w);
            try (EngineDecoder back = c.openModel(List.of(EngineSpec.of("cpu-fixed")))) {
                CalibrationSet set = DecoderFileTest.tunedSet(12, 8, 16);
                assertThat(assertDecodesIdentically(d, back, set)).isEqualTo(set.size());
            }
        }
    }

    @Test
    void aDoctoredReadoutIsRefusedByTheCrcAndDecodesDifferentlyWhenTheCrcIsForged() {
        byte[] b = DecoderFile.encode(snn, 20_000, 1000.0, 300, "");
        int interceptAt = b.length - 4 - 4 * snn.outputCount();
        byte[] m = b.clone();
        le(m).putFloat(interceptAt, le(m).getFloat(interceptAt) + 0.5f);
        refused(m, "CRC32", "corrupted");
        DecoderFile.Contents forged = DecoderFile.decode(Path.of("m.rxdf"), recrc(m));
        assertThat(forged.model().intercepts()[0]).isEqualTo(snn.readoutIntercepts()[0] + 0.5f);
        try (EngineDecoder d = forged.openModel(null)) {
            float[] z = new float[8];
            Arrays.fill(z, 2f);
            float[] a = new float[2];
            float[] o = new float[2];
            snn.reset();
            snn.decode(z, a);
            d.decode(z, o);
            assertThat(o[0]).isNotEqualTo(a[0]);
            assertThat(o[1]).isEqualTo(a[1]);
        }
    }

    @Test
    void everyCorruptionOfAModelFileIsRefusedWithItsField() {
        byte[] b = DecoderFile.encode(snn, 20_000, 1000.0, 300, "prov");
        refused(Arrays.copyOf(b, b.length - 9), "CRC32");
        byte[] v1 = b.clone();
        le(v1).putShort(4, (short) 1);
        refused(recrc(v1), "decoder type is 4 in a version 1 file");
        byte[] vt = b.clone();
        vt[7] = 1;
        refused(recrc(vt), "value type is 1", "float32");
        byte[] ch = b.clone();
        le(ch).putInt(8, DecoderFile.MAX_MODEL_CHANNELS + 1);
        refused(recrc(ch), "channels is 4097");
        byte[] out = b.clone();
        le(out).putInt(12, 65);
        refused(recrc(out), "outputs is 65");
        byte[] feat = b.clone();
        le(feat).putInt(32, Integer.MAX_VALUE);
        refused(recrc(feat), "features is 2147483647");
        byte[] mode = b.clone();
        le(mode).putInt(36, 1);
        refused(recrc(mode), "mode is 1", "snn decoder has no mode");
        byte[] bundle = b.clone();
        le(bundle).putInt(40, Integer.MAX_VALUE);
        refused(recrc(bundle), "bundleBytes is 2147483647", "not in [1, 67108864]");
        byte[] small = b.clone();
        le(small).putInt(40, le(small).getInt(40) - 1);
        refused(recrc(small), "implies");
        byte[] lambda = b.clone();
        le(lambda).putDouble(48, -1);
        refused(recrc(lambda), "lambda is -1.0");
        byte[] count = b.clone();
        le(count).putInt(56, 3);
        refused(recrc(count), "arrayCount is 3");
        // a changed byte of the embedded model: the SHA-256 recorded with it no longer matches
        int bundleAt = DecoderFile.HEADER_BYTES + 4 + DecoderFile.SHA256_BYTES;
        byte[] model = b.clone();
        model[bundleAt + 100] ^= 1;
        refused(recrc(model), "bundle's SHA-256", "not the one saved");
        // a NaN in the readout
        byte[] nan = b.clone();
        le(nan).putFloat(b.length - 8, Float.NaN);
        refused(recrc(nan), "array readout_intercepts holds a NaN");
        // an LFADS file whose mode is not one
        byte[] lf = DecoderFile.encode(lfads, 20_000, 1000.0, 0, "");
        le(lf).putInt(36, 3);
        refused(recrc(lf), "mode is 3", "2 (sliding)");
    }

    @Test
    void aModelFileOpensOnlyOnAChainThatRunsItAndALinearFileTakesNoEngines() {
        Path file = dir.resolve("s.rxdf");
        DecoderFile.write(file, snn, 20_000, 1000.0, 0, "");
        DecoderFile.Contents c = DecoderFile.read(file);
        assertThatThrownBy(() -> c.openModel(List.of(EngineSpec.of("no-such-engine"))))
                .hasMessageStartingWith("decoder file " + file + ": its snn model cannot run on");
        Path k = dir.resolve("k.rxdf");
        DecoderFile.write(k, DecoderFileTest.fittedKalman(KalmanDecoder.Gain.STEADY_STATE), 20_000, 1000.0, 0, "");
        DecoderFile.Contents kc = DecoderFile.read(k);
        assertThat(kc.isModel()).isFalse();
        assertThatThrownBy(() -> kc.openModel(null)).hasMessageContaining("runs on the JVM and takes no engines");
        // a Kalman file is still written as version 1
        assertThat(le(DecoderFile.encode(kc.decoder(), 20_000, 1000.0, 0, "")).getShort(4)).isEqualTo((short) 1);
    }

    @Test
    void anUnfittedModelDecoderIsNotSaved() {
        EngineDecoder fresh = new EngineDecoder(new EngineDecoder.Context().bundle(snn.bundle()));
        try (fresh) {
            assertThatThrownBy(() -> DecoderFile.encode(fresh, 20_000, 1000.0, 0, ""))
                    .hasMessageContaining("only a fitted decoder");
        }
    }
}
