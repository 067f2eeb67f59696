package io.reflex.decoders.linear;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.decoders.CalibrationSet;
import io.reflex.decoders.TrainableDecoder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecoderFileTest {
    @TempDir
    Path dir;

    /** Counts that depend linearly on a smooth velocity, so that both decoders fit something real. */
    static CalibrationSet tunedSet(int rows, int channels, long seed) {
        Random rnd = new Random(seed);
        CalibrationSet set = new CalibrationSet(rows, channels, 2);
        double[] px = new double[channels];
        double[] py = new double[channels];
        for (int j = 0; j < channels; j++) {
            px[j] = rnd.nextGaussian();
            py[j] = rnd.nextGaussian();
        }
        float[] z = new float[channels];
        float[] v = new float[2];
        for (int t = 0; t < rows; t++) {
            v[0] = (float) Math.sin(t * 0.05);
            v[1] = (float) Math.cos(t * 0.07);
            for (int j = 0; j < channels; j++) {
                z[j] = (float) Math.max(0, Math.round(3 + px[j] * v[0] + py[j] * v[1] + rnd.nextGaussian()));
            }
            set.add(z, v);
        }
        return set;
    }

    static KalmanDecoder fittedKalman(KalmanDecoder.Gain gain) {
        KalmanDecoder k = new KalmanDecoder(8, 2, gain, true);
        k.fit(tunedSet(400, 8, 3));
        return k;
    }

    static WienerDecoder fittedWiener() {
        WienerDecoder w = new WienerDecoder(8, 2, 5, 10.0);
        w.fit(tunedSet(400, 8, 4));
        return w;
    }

    private static void assertDecodesIdentically(TrainableDecoder a, TrainableDecoder b) {
        a.reset();
        b.reset();
        CalibrationSet test = tunedSet(300, 8, 99);
        float[] z = new float[8];
        float[] oa = new float[2];
        float[] ob = new float[2];
        for (int t = 0; t < test.size(); t++) {
            for (int j = 0; j < 8; j++) {
                z[j] = (float) test.feature(t, j);
            }
            int sa = a.decode(z, oa);
            int sb = b.decode(z, ob);
            assertThat(sb).isEqualTo(sa);
            assertThat(Float.floatToRawIntBits(ob[0])).as("bin %d x", t).isEqualTo(Float.floatToRawIntBits(oa[0]));
            assertThat(Float.floatToRawIntBits(ob[1])).as("bin %d y", t).isEqualTo(Float.floatToRawIntBits(oa[1]));
        }
    }

    @Test
    void kalmanRoundTripIsBitExactInBothGainModes() {
        for (KalmanDecoder.Gain gain : KalmanDecoder.Gain.values()) {
            KalmanDecoder k = fittedKalman(gain);
            Path file = dir.resolve("k-" + gain + ".rxdf");
            DecoderFile.write(file, k, 20_000, 1000.0, 400, "{\"test\":true}");
            DecoderFile.Contents c = DecoderFile.read(file);
            assertThat(c.type()).isEqualTo("kalman");
            assertThat(c.channels()).isEqualTo(8);
            assertThat(c.outputs()).isEqualTo(2);
            assertThat(c.binWidthUs()).isEqualTo(20_000);
            assertThat(c.sampleRateHz()).isEqualTo(1000.0);
            assertThat(c.calibrationBins()).isEqualTo(400);
            assertThat(c.provenance()).isEqualTo("{\"test\":true}");
            KalmanDecoder loaded = (KalmanDecoder) c.decoder();
            assertThat(loaded.gain()).isEqualTo(gain);
            assertThat(loaded.constantState()).isTrue();
            double[][] a = k.stateArrays();
            double[][] b = loaded.stateArrays();
            for (int i = 0; i < a.length; i++) {
                assertThat(b[i]).as(DecoderFile.KALMAN_ARRAYS[i]).containsExactly(a[i]);
            }
            assertDecodesIdentically(k, loaded);
            // writing the loaded decoder gives the same bytes
            assertThat(DecoderFile.encode(loaded, 20_000, 1000.0, 400, "{\"test\":true}"))
                    .isEqualTo(DecoderFile.encode(k, 20_000, 1000.0, 400, "{\"test\":true}"));
        }
    }

    @Test
    void wienerRoundTripIsBitExact() {
        WienerDecoder w = fittedWiener();
        Path file = dir.resolve("w.rxdf");
        DecoderFile.write(file, w, 50_000, 30_000.0, 400, "");
        DecoderFile.Contents c = DecoderFile.read(file);
        WienerDecoder loaded = (WienerDecoder) c.decoder();
        assertThat(c.type()).isEqualTo("wiener");
        assertThat(loaded.lags()).isEqualTo(5);
        assertThat(loaded.lambda()).isEqualTo(10.0);
        assertThat(c.binWidthUs()).isEqualTo(50_000);
        assertDecodesIdentically(w, loaded);
    }

    @Test
    void anUnfittedOrForeignDecoderIsNotSaved() {
        assertThatThrownBy(() -> DecoderFile.encode(new KalmanDecoder(4, 2, KalmanDecoder.Gain.FULL, true), 1, 1, 0,
                "")).hasMessageContaining("only a fitted decoder");
    }

    private byte[] good() {
        return DecoderFile.encode(fittedKalman(KalmanDecoder.Gain.STEADY_STATE), 20_000, 1000.0, 400, "p");
    }

    /** Rewrites the CRC so that a field change reaches the field check. */
    private static byte[] recrc(byte[] b) {
        CRC32 crc = new CRC32();
        crc.update(b, 0, b.length - 4);
        ByteBuffer.wrap(b, b.length - 4, 4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) crc.getValue());
        return b;
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void refused(byte[] bytes, String... parts) {
        assertThatThrownBy(() -> DecoderFile.decode(Path.of("x.rxdf"), bytes))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("decoder file x.rxdf: ")
                .hasMessageContainingAll(parts);
    }

    @Test
    void everyCorruptionIsRefusedWithItsField() {
        byte[] b = good();
        byte[] m = b.clone();
        m[0] = 'Z';
        refused(m, "magic is not RXDF");
        byte[] v = b.clone();
        le(v).putShort(4, (short) 3);
        refused(v, "version is 3", "reads versions 1 and 2");
        byte[] flip = b.clone();
        flip[DecoderFile.HEADER_BYTES + 40] ^= 0x10;
        refused(flip, "CRC32", "corrupted");
        byte[] crc = b.clone();
        crc[crc.length - 1] ^= 1;
        refused(crc, "CRC32");
        refused(java.util.Arrays.copyOf(b, b.length - 9), "CRC32");
        refused(java.util.Arrays.copyOf(b, 20), "shorter than the");
        byte[] t = b.clone();
        t[6] = 7;
        refused(recrc(t), "decoder type is 7", "4 (snn)");
        byte[] vt = b.clone();
        vt[7] = 2;
        refused(recrc(vt), "value type is 2");
        byte[] ch = b.clone();
        le(ch).putInt(8, 0);
        refused(recrc(ch), "channels is 0");
        byte[] out = b.clone();
        le(out).putInt(12, 17);
        refused(recrc(out), "outputs is 17");
        byte[] bin = b.clone();
        le(bin).putLong(16, 0);
        refused(recrc(bin), "binWidthUs is 0");
        byte[] rate = b.clone();
        le(rate).putDouble(24, Double.NaN);
        refused(recrc(rate), "sampleRateHz is NaN");
        byte[] gain = b.clone();
        le(gain).putInt(32, 5);
        refused(recrc(gain), "gain is 5");
        byte[] count = b.clone();
        le(count).putInt(56, 3);
        refused(recrc(count), "arrayCount is 3");
        byte[] prov = b.clone();
        le(prov).putInt(60, Integer.MAX_VALUE);
        refused(recrc(prov), "provenanceBytes is 2147483647");
        // one more channel: the header implies another size than the file has
        byte[] dims = b.clone();
        le(dims).putInt(8, 9);
        refused(recrc(dims), "implies");
        // an array's length field that disagrees with the dimensions
        byte[] len = b.clone();
        int firstArray = DecoderFile.HEADER_BYTES + 1;
        le(len).putInt(firstArray, 5);
        refused(recrc(len), "array A has 5 values", "need 4");
        // a NaN in a matrix
        byte[] nan = b.clone();
        le(nan).putDouble(firstArray + 4, Double.NaN);
        refused(recrc(nan), "array A holds a NaN");
    }

    @Test
    void sizesAreBoundedBeforeAllocation() {
        byte[] b = good();
        // huge channel counts are refused from the header alone, before any array is made
        byte[] ch = b.clone();
        le(ch).putInt(8, DecoderFile.MAX_KALMAN_CHANNELS + 1);
        refused(recrc(ch), "channels is 4097", "not in [1, 4096]");
        byte[] lags = DecoderFile.encode(fittedWiener(), 20_000, 1000.0, 0, "");
        le(lags).putInt(32, 1000);
        le(lags).putInt(8, 1000);
        refused(recrc(lags), "lags is 1000", "channels x lags <= 20000");
    }

    @Test
    void aFileLargerThanTheLimitIsRefusedBeforeItIsRead() throws Exception {
        Path big = dir.resolve("big.rxdf");
        try (var ch = java.nio.channels.FileChannel.open(big, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.SPARSE)) {
            ch.write(ByteBuffer.wrap(new byte[] {1}), DecoderFile.MAX_FILE_BYTES);
        }
        assertThatThrownBy(() -> DecoderFile.read(big)).hasMessageContaining("more than the 268435456");
        assertThatThrownBy(() -> DecoderFile.read(dir.resolve("none.rxdf"))).hasMessageContaining("does not exist");
    }

    @Test
    void aMismatchWithTheConfigNamesTheField() {
        Path file = dir.resolve("k.rxdf");
        DecoderFile.write(file, fittedKalman(KalmanDecoder.Gain.STEADY_STATE), 20_000, 1000.0, 400, "");
        DecoderFile.Contents c = DecoderFile.read(file);
        c.requireMatches(8, 20_000, 1000.0);
        assertThatThrownBy(() -> c.requireMatches(96, 20_000, 1000.0))
                .hasMessageContainingAll("channels is 8", "source.channels is 96");
        assertThatThrownBy(() -> c.requireMatches(8, 50_000, 1000.0))
                .hasMessageContainingAll("binWidthUs is 20000", "pipeline.binWidthUs is 50000");
        assertThatThrownBy(() -> c.requireMatches(8, 20_000, 30_000.0))
                .hasMessageContainingAll("sampleRateHz is 1000", "source.sampleRateHz is 30000");
        assertThat(Files.exists(file)).isTrue();
    }
}
