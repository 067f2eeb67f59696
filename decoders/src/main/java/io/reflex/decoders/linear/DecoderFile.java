package io.reflex.decoders.linear;

import io.reflex.decoders.TrainableDecoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.zip.CRC32;

/**
 * A fitted Kalman or Wiener decoder saved to one file ("RXDF", format version 1; decoders/DECODER_FILE.md), so that
 * a later session can decode without a calibration block. The file holds the fitted model and every matrix derived
 * from it exactly as the decoder held them (float64), so a loaded decoder decodes bit for bit as the saved one.
 *
 * <p>The reader checks, in order: the file size (at most {@link #MAX_FILE_BYTES}, read before anything is allocated),
 * the magic, the version, the CRC32 over everything before it, each header field against its range, the size the
 * header implies against the file's size, and each array's length against what the dimensions imply. Every refusal
 * names the file and the field.
 */
public final class DecoderFile {
    /** The first four bytes of every decoder file. */
    public static final byte[] MAGIC = {'R', 'X', 'D', 'F'};
    /** The format version this class writes and reads. */
    public static final int VERSION = 1;
    /** Decoder type code of a Kalman decoder. */
    public static final int TYPE_KALMAN = 1;
    /** Decoder type code of a Wiener decoder. */
    public static final int TYPE_WIENER = 2;
    /** Value type code of float64 matrices (the only one version 1 has). */
    public static final int VALUES_FLOAT64 = 1;
    /** Bytes of the fixed header, before the provenance text. */
    public static final int HEADER_BYTES = 64;
    /** Largest file read: 256 MiB (a 4096-channel Kalman decoder is about 128 MiB). */
    public static final long MAX_FILE_BYTES = 256L << 20;
    /** Largest provenance text, bytes of UTF-8. */
    public static final int MAX_PROVENANCE_BYTES = 64 << 10;
    /** Most channels of a Kalman decoder in a file (Q is channels² doubles). */
    public static final int MAX_KALMAN_CHANNELS = 4096;
    /** Most channels × lags of a Wiener decoder (as {@link WienerDecoder} allows). */
    public static final int MAX_WIENER_WEIGHTS = 20_000;
    /** Most outputs of either decoder. */
    public static final int MAX_OUTPUTS = 16;

    static final String[] KALMAN_ARRAYS = {"A", "a", "W", "H", "c", "Q", "G", "S", "Gc", "K", "F", "f"};
    static final String[] WIENER_ARRAYS = {"coefficients", "intercepts", "featureMeans"};

    private DecoderFile() {
    }

    /** What a decoder file holds, with the decoder rebuilt from it. */
    public record Contents(Path path, String type, int channels, int outputs, long binWidthUs, double sampleRateHz,
                           int calibrationBins, String provenance, TrainableDecoder decoder) {
        /**
         * Refuses a decoder fitted on other features than the session will give it.
         *
         * @throws IllegalArgumentException naming the field that differs, both values and the config key
         */
        public void requireMatches(int channels, long binWidthUs, double sampleRateHz) {
            if (channels != this.channels) {
                throw new IllegalArgumentException(mismatch("channels", this.channels, channels, "source.channels"));
            }
            if (binWidthUs != this.binWidthUs) {
                throw new IllegalArgumentException(mismatch("binWidthUs", this.binWidthUs, binWidthUs,
                        "pipeline.binWidthUs"));
            }
            if (Double.compare(sampleRateHz, this.sampleRateHz) != 0) {
                throw new IllegalArgumentException(mismatch("sampleRateHz", fmt(this.sampleRateHz), fmt(sampleRateHz),
                        "source.sampleRateHz") + " (features are counts summed over the bin's samples)");
            }
        }

        private String mismatch(String field, Object file, Object config, String key) {
            return "decoder file " + path + ": " + field + " is " + file + " but the config's " + key + " is " + config
                    + "; the decoder was fitted on other features";
        }
    }

    /**
     * Writes a fitted Kalman or Wiener decoder, atomically (a temporary file in the same directory, then a move).
     *
     * @param provenance UTF-8 text (JSON by convention: what it was fitted on, when, by which command), at most
     *                   {@link #MAX_PROVENANCE_BYTES}
     * @throws IllegalArgumentException when the decoder is not a fitted Kalman or Wiener decoder, or a value is out
     *                                  of range
     * @throws UncheckedIOException when the file cannot be written
     */
    public static void write(Path file, TrainableDecoder decoder, long binWidthUs, double sampleRateHz,
                             int calibrationBins, String provenance) {
        byte[] bytes = encode(decoder, binWidthUs, sampleRateHz, calibrationBins, provenance);
        Path dir = file.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
            try {
                Files.write(tmp, bytes);
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write decoder file " + file + ": " + e.getMessage(), e);
        }
    }

    /** The bytes {@link #write} writes. */
    public static byte[] encode(TrainableDecoder decoder, long binWidthUs, double sampleRateHz, int calibrationBins,
                                String provenance) {
        if (decoder == null || !decoder.fitted()) {
            throw new IllegalArgumentException("only a fitted decoder can be saved");
        }
        if (binWidthUs < 1 || !(sampleRateHz > 0) || !Double.isFinite(sampleRateHz) || calibrationBins < 0) {
            throw new IllegalArgumentException("binWidthUs must be >= 1, sampleRateHz finite and > 0, calibrationBins"
                    + " >= 0; were " + binWidthUs + ", " + sampleRateHz + ", " + calibrationBins);
        }
        byte[] prov = (provenance == null ? "" : provenance).getBytes(StandardCharsets.UTF_8);
        if (prov.length > MAX_PROVENANCE_BYTES) {
            throw new IllegalArgumentException("provenance is " + prov.length + " bytes, at most "
                    + MAX_PROVENANCE_BYTES);
        }
        int type;
        int p0;
        int p1;
        int p2;
        double p3;
        double[][] arrays;
        if (decoder instanceof KalmanDecoder k) {
            type = TYPE_KALMAN;
            p0 = k.gain() == KalmanDecoder.Gain.STEADY_STATE ? 1 : 0;
            p1 = k.constantState() ? 1 : 0;
            p2 = k.riccatiIterations();
            p3 = 0;
            arrays = k.stateArrays();
        } else if (decoder instanceof WienerDecoder w) {
            type = TYPE_WIENER;
            p0 = w.lags();
            p1 = 0;
            p2 = 0;
            p3 = w.lambda();
            arrays = w.stateArrays();
        } else {
            throw new IllegalArgumentException("only Kalman and Wiener decoders can be saved, not " + decoder.name());
        }
        long size = HEADER_BYTES + prov.length + 4L;
        for (double[] a : arrays) {
            size += 4L + 8L * a.length;
        }
        if (size > MAX_FILE_BYTES) {
            throw new IllegalArgumentException("the decoder needs " + size + " bytes, more than " + MAX_FILE_BYTES);
        }
        ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC);
        b.putShort((short) VERSION);
        b.put((byte) type);
        b.put((byte) VALUES_FLOAT64);
        b.putInt(decoder.inputCount());
        b.putInt(decoder.outputCount());
        b.putLong(binWidthUs);
        b.putDouble(sampleRateHz);
        b.putInt(p0);
        b.putInt(p1);
        b.putInt(p2);
        b.putInt(calibrationBins);
        b.putDouble(p3);
        b.putInt(arrays.length);
        b.putInt(prov.length);
        b.put(prov);
        for (double[] a : arrays) {
            b.putInt(a.length);
            for (double v : a) {
                b.putDouble(v);
            }
        }
        CRC32 crc = new CRC32();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.array();
    }

    /**
     * Reads and checks a decoder file and rebuilds the decoder.
     *
     * @throws IllegalArgumentException naming the file and the field when the file is refused (missing, too large,
     *                                  bad magic, version or CRC, a field out of range, a size that disagrees)
     */
    public static Contents read(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("decoder file " + file + " does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException("decoder file " + file + " cannot be read: " + e.getMessage());
        }
        if (size > MAX_FILE_BYTES) {
            throw new IllegalArgumentException("decoder file " + file + " is " + size + " bytes, more than the "
                    + MAX_FILE_BYTES + " a decoder file may have");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("decoder file " + file + " cannot be read: " + e.getMessage());
        }
        return decode(file, bytes);
    }

    /** Checks and decodes the bytes of a decoder file; {@code file} only names it in errors. */
    public static Contents decode(Path file, byte[] bytes) {
        String at = "decoder file " + file + ": ";
        if (bytes.length < HEADER_BYTES + 4) {
            throw new IllegalArgumentException(at + "is " + bytes.length + " bytes, shorter than the "
                    + (HEADER_BYTES + 4) + "-byte header and CRC (truncated, or not a decoder file)");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes[i] != MAGIC[i]) {
                throw new IllegalArgumentException(at + "magic is not RXDF (not a Reflex decoder file)");
            }
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        b.position(4);
        int version = Short.toUnsignedInt(b.getShort());
        if (version != VERSION) {
            throw new IllegalArgumentException(at + "version is " + version + "; this Reflex reads version " + VERSION);
        }
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, bytes.length - 4);
        int stored = ByteBuffer.wrap(bytes, bytes.length - 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        if (stored != (int) crc.getValue()) {
            throw new IllegalArgumentException(at + String.format(Locale.ROOT, "CRC32 is %08x but the content's is"
                    + " %08x (the file is corrupted or truncated)", stored, (int) crc.getValue()));
        }
        int type = b.get() & 0xff;
        int values = b.get() & 0xff;
        int channels = b.getInt();
        int outputs = b.getInt();
        long binWidthUs = b.getLong();
        double sampleRateHz = b.getDouble();
        int p0 = b.getInt();
        int p1 = b.getInt();
        int p2 = b.getInt();
        int calibrationBins = b.getInt();
        double p3 = b.getDouble();
        int arrayCount = b.getInt();
        int provBytes = b.getInt();
        if (type != TYPE_KALMAN && type != TYPE_WIENER) {
            throw new IllegalArgumentException(at + "decoder type is " + type + ", not 1 (kalman) or 2 (wiener)");
        }
        if (values != VALUES_FLOAT64) {
            throw new IllegalArgumentException(at + "value type is " + values + ", not 1 (float64)");
        }
        if (outputs < 1 || outputs > MAX_OUTPUTS) {
            throw new IllegalArgumentException(at + "outputs is " + outputs + ", not in [1, " + MAX_OUTPUTS + "]");
        }
        int maxChannels = type == TYPE_KALMAN ? MAX_KALMAN_CHANNELS : MAX_WIENER_WEIGHTS;
        if (channels < 1 || channels > maxChannels) {
            throw new IllegalArgumentException(at + "channels is " + channels + ", not in [1, " + maxChannels + "]");
        }
        if (binWidthUs < 1 || binWidthUs > 60_000_000L) {
            throw new IllegalArgumentException(at + "binWidthUs is " + binWidthUs + ", not in [1, 60000000]");
        }
        if (!(sampleRateHz > 0) || !Double.isFinite(sampleRateHz)) {
            throw new IllegalArgumentException(at + "sampleRateHz is " + sampleRateHz + ", not finite and > 0");
        }
        if (calibrationBins < 0) {
            throw new IllegalArgumentException(at + "calibrationBins is " + calibrationBins + ", not >= 0");
        }
        if (provBytes < 0 || provBytes > MAX_PROVENANCE_BYTES) {
            throw new IllegalArgumentException(at + "provenanceBytes is " + provBytes + ", not in [0, "
                    + MAX_PROVENANCE_BYTES + "]");
        }
        TrainableDecoder decoder;
        String[] names;
        int[] lengths;
        KalmanDecoder kalman = null;
        WienerDecoder wiener = null;
        if (type == TYPE_KALMAN) {
            if (p0 != 0 && p0 != 1) {
                throw new IllegalArgumentException(at + "gain is " + p0 + ", not 0 (full) or 1 (steady)");
            }
            if (p1 != 0 && p1 != 1) {
                throw new IllegalArgumentException(at + "constantState is " + p1 + ", not 0 or 1");
            }
            if (p2 < 0) {
                throw new IllegalArgumentException(at + "riccatiIterations is " + p2 + ", not >= 0");
            }
            kalman = new KalmanDecoder(channels, outputs, p0 == 1 ? KalmanDecoder.Gain.STEADY_STATE
                    : KalmanDecoder.Gain.FULL, p1 == 1);
            decoder = kalman;
            names = KALMAN_ARRAYS;
            lengths = kalman.stateLengths();
        } else {
            if (p0 < 1 || p0 > 1000 || (long) p0 * channels > MAX_WIENER_WEIGHTS) {
                throw new IllegalArgumentException(at + "lags is " + p0 + ", not in [1, 1000] with channels x lags <= "
                        + MAX_WIENER_WEIGHTS + " (channels " + channels + ")");
            }
            if (!(p3 >= 0) || !Double.isFinite(p3)) {
                throw new IllegalArgumentException(at + "lambda is " + p3 + ", not finite and >= 0");
            }
            wiener = new WienerDecoder(channels, outputs, p0, p3);
            decoder = wiener;
            names = WIENER_ARRAYS;
            lengths = wiener.stateLengths();
        }
        if (arrayCount != lengths.length) {
            throw new IllegalArgumentException(at + "arrayCount is " + arrayCount + "; a " + decoder.name()
                    + " decoder has " + lengths.length);
        }
        long expected = HEADER_BYTES + provBytes + 4L;
        for (int len : lengths) {
            expected += 4L + 8L * len;
        }
        if (expected != bytes.length) {
            throw new IllegalArgumentException(at + "is " + bytes.length + " bytes but its header (" + decoder.name()
                    + ", " + channels + " channels, " + outputs + " outputs) implies " + expected);
        }
        String provenance = new String(bytes, HEADER_BYTES, provBytes, StandardCharsets.UTF_8);
        b.position(HEADER_BYTES + provBytes);
        double[][] arrays = new double[lengths.length][];
        for (int i = 0; i < lengths.length; i++) {
            int len = b.getInt();
            if (len != lengths[i]) {
                throw new IllegalArgumentException(at + "array " + names[i] + " has " + len + " values; "
                        + channels + " channels and " + outputs + " outputs need " + lengths[i]);
            }
            double[] a = new double[len];
            for (int j = 0; j < len; j++) {
                a[j] = b.getDouble();
            }
            arrays[i] = a;
        }
        try {
            if (kalman != null) {
                kalman.restoreState(arrays, names, p2);
            } else {
                wiener.restoreState(arrays, names);
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(at + "array " + e.getMessage());
        }
        return new Contents(file, decoder.name(), channels, outputs, binWidthUs, sampleRateHz, calibrationBins,
                provenance, decoder);
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
