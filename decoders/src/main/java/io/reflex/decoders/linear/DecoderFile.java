package io.reflex.decoders.linear;

import io.reflex.decoders.TrainableDecoder;
import io.reflex.decoders.bundle.BundleException;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.engine.EngineDecoder;
import io.reflex.decoders.engine.EngineException;
import io.reflex.decoders.engine.EngineSpec;
import io.reflex.decoders.engine.FittedModel;
import io.reflex.decoders.lfads.LfadsMode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Locale;
import java.util.zip.CRC32;

/**
 * A fitted decoder saved to one file ("RXDF"; decoders/DECODER_FILE.md), so that a later session can decode without a
 * calibration block and a replay can run the recorded decoder again. Format version 1 holds a Kalman or Wiener
 * decoder: the fitted model and every matrix derived from it exactly as the decoder held them (float64). Format
 * version 2 adds the model decoders on an engine chain ({@link EngineDecoder}: LFADS, SNN): the model bundle's bytes
 * with their SHA-256, the LFADS mode and the ridge readout exactly as held (float32). Either way a loaded decoder
 * decodes bit for bit as the saved one (a model decoder: on an engine of the fixed family, as the saved one did).
 *
 * <p>The reader checks, in order: the file size (at most {@link #MAX_FILE_BYTES}, read before anything is allocated),
 * the magic, the version, the CRC32 over everything before it, each header field against its range, the size the
 * header implies against the file's size, and each array's length against what the dimensions imply. Every refusal
 * names the file and the field.
 */
public final class DecoderFile {
    /** The first four bytes of every decoder file. */
    public static final byte[] MAGIC = {'R', 'X', 'D', 'F'};
    /** The newest format version this class reads: 1 (Kalman, Wiener; still written for them) and 2 (any type). */
    public static final int VERSION = 2;
    /** The format version written for Kalman and Wiener decoders, so that a reader of version 1 still reads them. */
    public static final int VERSION_LINEAR = 1;
    /** Decoder type code of a Kalman decoder. */
    public static final int TYPE_KALMAN = 1;
    /** Decoder type code of a Wiener decoder. */
    public static final int TYPE_WIENER = 2;
    /** Decoder type code of an LFADS model decoder on an engine chain (format version 2). */
    public static final int TYPE_LFADS = 3;
    /** Decoder type code of an SNN model decoder on an engine chain (format version 2). */
    public static final int TYPE_SNN = 4;
    /** Value type code of float64 matrices (Kalman, Wiener; the only one version 1 has). */
    public static final int VALUES_FLOAT64 = 1;
    /** Value type code of float32 arrays (the readout of a model decoder). */
    public static final int VALUES_FLOAT32 = 2;
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
    /** Most channels (model inputs) of a model decoder. */
    public static final int MAX_MODEL_CHANNELS = 4096;
    /** Most outputs of a model decoder's readout (as {@link EngineDecoder.Context#outputs} allows). */
    public static final int MAX_MODEL_OUTPUTS = 64;
    /** Most readout weights (outputs × features) of a model decoder. */
    public static final int MAX_READOUT_WEIGHTS = 1 << 22;
    /** Largest model bundle embedded in a file, bytes of its ZIP archive, and the most it may inflate to. */
    public static final int MAX_BUNDLE_BYTES = 64 << 20;
    /** Bytes of the SHA-256 of the embedded bundle. */
    public static final int SHA256_BYTES = 32;

    static final String[] KALMAN_ARRAYS = {"A", "a", "W", "H", "c", "Q", "G", "S", "Gc", "K", "F", "f"};
    static final String[] WIENER_ARRAYS = {"coefficients", "intercepts", "featureMeans"};
    static final String[] MODEL_ARRAYS = {"readout_weights", "readout_intercepts"};

    private DecoderFile() {
    }

    /**
     * What a decoder file holds, with the decoder rebuilt from it: a Kalman or Wiener decoder in {@code decoder}
     * (and {@code model} null), or the fitted state of a model decoder in {@code model} (and {@code decoder} null),
     * which {@link #openModel} puts on an engine chain.
     */
    public record Contents(Path path, String type, int channels, int outputs, long binWidthUs, double sampleRateHz,
                           int calibrationBins, String provenance, TrainableDecoder decoder, FittedModel model) {

        /** True for a model decoder (lfads, snn), which runs on an engine chain ({@link #openModel}). */
        public boolean isModel() {
            return model != null;
        }

        /**
         * The saved model decoder on {@code engines} (null or empty: {@code cpu-fixed}), fitted with the saved readout.
         *
         * @throws IllegalArgumentException naming the file when it holds a Kalman or Wiener decoder, no engine of the
         *                                  chain can run the model, or the model's input count is not the file's
         *                                  channels
         */
        public EngineDecoder openModel(List<EngineSpec> engines) {
            if (model == null) {
                throw new IllegalArgumentException("decoder file " + path + " holds a " + type + " decoder, which runs"
                        + " on the JVM and takes no engines");
            }
            EngineDecoder d;
            try {
                d = model.open(engines);
            } catch (EngineException | BundleException | IllegalArgumentException e) {
                throw new IllegalArgumentException("decoder file " + path + ": its " + type + " model cannot run on "
                        + engines + ": " + e.getMessage(), e);
            }
            if (d.inputCount() != channels) {
                d.close();
                throw new IllegalArgumentException("decoder file " + path + ": channels is " + channels + " but its "
                        + type + " model reads " + d.inputCount());
            }
            return d;
        }
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
     * Writes a fitted Kalman, Wiener or model ({@link EngineDecoder}: lfads, snn) decoder, atomically (a temporary
     * file in the same directory, then a move).
     *
     * @param provenance UTF-8 text (JSON by convention: what it was fitted on, when, by which command), at most
     *                   {@link #MAX_PROVENANCE_BYTES}
     * @throws IllegalArgumentException when the decoder is not a fitted Kalman, Wiener or model decoder, or a
     *                                  value is out of range
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
        if (decoder instanceof EngineDecoder e) {
            return encodeModel(e, binWidthUs, sampleRateHz, calibrationBins, prov);
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
            throw new IllegalArgumentException("only Kalman, Wiener, LFADS and SNN decoders can be saved, not "
                    + decoder.name());
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
        b.putShort((short) VERSION_LINEAR);
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

    private static byte[] encodeModel(EngineDecoder d, long binWidthUs, double sampleRateHz, int calibrationBins,
                                      byte[] prov) {
        FittedModel m = d.fittedModel();
        int type = switch (m.modelType()) {
            case "lfads" -> TYPE_LFADS;
            case "snn" -> TYPE_SNN;
            default -> throw new IllegalArgumentException("a model decoder of type " + m.modelType()
                    + " cannot be saved (lfads and snn can)");
        };
        byte[] bundle = m.bundle().toZipBytes();
        if (bundle.length > MAX_BUNDLE_BYTES) {
            throw new IllegalArgumentException("model bundle " + m.bundle().name() + " is " + bundle.length
                    + " bytes, more than the " + MAX_BUNDLE_BYTES + " a decoder file embeds");
        }
        if (d.inputCount() > MAX_MODEL_CHANNELS || m.outputs() > MAX_MODEL_OUTPUTS
                || (long) m.outputs() * m.features() > MAX_READOUT_WEIGHTS) {
            throw new IllegalArgumentException("model decoder of " + d.inputCount() + " channels, " + m.features()
                    + " features and " + m.outputs() + " outputs is larger than a decoder file holds");
        }
        long size = HEADER_BYTES + prov.length + SHA256_BYTES + bundle.length + 4L * (1 + m.weights().length)
                + 4L * (1 + m.intercepts().length) + 4L;
        ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC);
        b.putShort((short) VERSION);
        b.put((byte) type);
        b.put((byte) VALUES_FLOAT32);
        b.putInt(d.inputCount());
        b.putInt(m.outputs());
        b.putLong(binWidthUs);
        b.putDouble(sampleRateHz);
        b.putInt(m.features());
        b.putInt(modeCode(m.mode()));
        b.putInt(bundle.length);
        b.putInt(calibrationBins);
        b.putDouble(m.lambda());
        b.putInt(MODEL_ARRAYS.length);
        b.putInt(prov.length);
        b.put(prov);
        b.put(sha256(bundle));
        b.put(bundle);
        for (float[] a : new float[][] {m.weights(), m.intercepts()}) {
            b.putInt(a.length);
            for (float v : a) {
                b.putFloat(v);
            }
        }
        CRC32 crc = new CRC32();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.array();
    }

    private static int modeCode(LfadsMode mode) {
        return mode == null ? 0 : mode == LfadsMode.CAUSAL ? 1 : 2;
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
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
        if (version != VERSION_LINEAR && version != VERSION) {
            throw new IllegalArgumentException(at + "version is " + version + "; this Reflex reads versions 1 and "
                    + VERSION);
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
        if (type == TYPE_LFADS || type == TYPE_SNN) {
            if (version == VERSION_LINEAR) {
                throw new IllegalArgumentException(at + "decoder type is " + type + " in a version 1 file (model"
                        + " decoders are version 2)");
            }
            if (provBytes < 0 || provBytes > MAX_PROVENANCE_BYTES) {
                throw new IllegalArgumentException(at + "provenanceBytes is " + provBytes + ", not in [0, "
                        + MAX_PROVENANCE_BYTES + "]");
            }
            return decodeModel(file, bytes, type, values, channels, outputs, binWidthUs, sampleRateHz, p0, p1, p2,
                    calibrationBins, p3, arrayCount, provBytes);
        }
        if (type != TYPE_KALMAN && type != TYPE_WIENER) {
            throw new IllegalArgumentException(at + "decoder type is " + type + ", not 1 (kalman), 2 (wiener), 3"
                    + " (lfads) or 4 (snn)");
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
                provenance, decoder, null);
    }

    /** Decodes the rest of a model decoder's file (format version 2, types lfads and snn); the CRC is checked. */
    private static Contents decodeModel(Path file, byte[] bytes, int type, int values, int channels, int outputs,
                                        long binWidthUs, double sampleRateHz, int features, int modeCode,
                                        int bundleBytes, int calibrationBins, double lambda, int arrayCount,
                                        int provBytes) {
        String at = "decoder file " + file + ": ";
        String typeName = type == TYPE_LFADS ? "lfads" : "snn";
        if (values != VALUES_FLOAT32) {
            throw new IllegalArgumentException(at + "value type is " + values + ", not 2 (float32) for a " + typeName
                    + " decoder");
        }
        if (channels < 1 || channels > MAX_MODEL_CHANNELS) {
            throw new IllegalArgumentException(at + "channels is " + channels + ", not in [1, " + MAX_MODEL_CHANNELS
                    + "]");
        }
        if (outputs < 1 || outputs > MAX_MODEL_OUTPUTS) {
            throw new IllegalArgumentException(at + "outputs is " + outputs + ", not in [1, " + MAX_MODEL_OUTPUTS
                    + "]");
        }
        if (features < 1 || (long) features * outputs > MAX_READOUT_WEIGHTS) {
            throw new IllegalArgumentException(at + "features is " + features + ", not in [1, " + MAX_READOUT_WEIGHTS
                    + " / outputs] (outputs " + outputs + ")");
        }
        if (binWidthUs < 1 || binWidthUs > 60_000_000L) {
            throw new IllegalArgumentException(at + "binWidthUs is " + binWidthUs + ", not in [1, 60000000]");
        }
        if (!(sampleRateHz > 0) || !Double.isFinite(sampleRateHz)) {
            throw new IllegalArgumentException(at + "sampleRateHz is " + sampleRateHz + ", not finite and > 0");
        }
        if (modeCode < 0 || modeCode > 2 || (type == TYPE_SNN && modeCode != 0)) {
            throw new IllegalArgumentException(at + "mode is " + modeCode + ", not " + (type == TYPE_SNN
                    ? "0 (an snn decoder has no mode)" : "0 (the bundle's own), 1 (causal) or 2 (sliding)"));
        }
        if (bundleBytes < 1 || bundleBytes > MAX_BUNDLE_BYTES) {
            throw new IllegalArgumentException(at + "bundleBytes is " + bundleBytes + ", not in [1, "
                    + MAX_BUNDLE_BYTES + "]");
        }
        if (calibrationBins < 0) {
            throw new IllegalArgumentException(at + "calibrationBins is " + calibrationBins + ", not >= 0");
        }
        if (!(Double.isNaN(lambda) || lambda >= 0 && Double.isFinite(lambda))) {
            throw new IllegalArgumentException(at + "lambda is " + lambda + ", not >= 0 or NaN");
        }
        if (arrayCount != MODEL_ARRAYS.length) {
            throw new IllegalArgumentException(at + "arrayCount is " + arrayCount + "; a " + typeName + " decoder has "
                    + MODEL_ARRAYS.length);
        }
        int[] lengths = {features * outputs, outputs};
        long expected = HEADER_BYTES + provBytes + SHA256_BYTES + (long) bundleBytes + 4L * (1 + lengths[0])
                + 4L * (1 + lengths[1]) + 4L;
        if (expected != bytes.length) {
            throw new IllegalArgumentException(at + "is " + bytes.length + " bytes but its header (" + typeName + ", "
                    + channels + " channels, " + features + " features, " + outputs + " outputs, a " + bundleBytes
                    + "-byte bundle) implies " + expected);
        }
        String provenance = new String(bytes, HEADER_BYTES, provBytes, StandardCharsets.UTF_8);
        int shaAt = HEADER_BYTES + provBytes;
        int bundleAt = shaAt + SHA256_BYTES;
        byte[] bundleZip = java.util.Arrays.copyOfRange(bytes, bundleAt, bundleAt + bundleBytes);
        byte[] stored = java.util.Arrays.copyOfRange(bytes, shaAt, bundleAt);
        if (!MessageDigest.isEqual(stored, sha256(bundleZip))) {
            throw new IllegalArgumentException(at + "bundle's SHA-256 is " + hex(sha256(bundleZip)) + " but the file"
                    + " records " + hex(stored) + " (the embedded model is not the one saved)");
        }
        ModelBundle bundle;
        try {
            bundle = ModelBundle.fromBytes(bundleZip, file + "#bundle", MAX_BUNDLE_BYTES);
        } catch (BundleException e) {
            throw new IllegalArgumentException(at + "bundle: " + e.getMessage(), e);
        }
        if (!typeName.equals(bundle.modelType())) {
            throw new IllegalArgumentException(at + "bundle has model_type '" + bundle.modelType() + "' but the"
                    + " decoder type is " + type + " (" + typeName + ")");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        b.position(bundleAt + bundleBytes);
        float[][] arrays = new float[lengths.length][];
        for (int i = 0; i < lengths.length; i++) {
            int len = b.getInt();
            if (len != lengths[i]) {
                throw new IllegalArgumentException(at + "array " + MODEL_ARRAYS[i] + " has " + len + " values; "
                        + features + " features and " + outputs + " outputs need " + lengths[i]);
            }
            float[] a = new float[len];
            for (int j = 0; j < len; j++) {
                a[j] = b.getFloat();
                if (!Float.isFinite(a[j])) {
                    throw new IllegalArgumentException(at + "array " + MODEL_ARRAYS[i] + " holds a NaN or infinite"
                            + " value at index " + j);
                }
            }
            arrays[i] = a;
        }
        LfadsMode mode = modeCode == 0 ? null : modeCode == 1 ? LfadsMode.CAUSAL : LfadsMode.SLIDING;
        FittedModel model;
        try {
            model = new FittedModel(bundle, mode, features, outputs, arrays[0], arrays[1], lambda);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(at + e.getMessage(), e);
        }
        return new Contents(file, typeName, channels, outputs, binWidthUs, sampleRateHz, calibrationBins, provenance,
                null, model);
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder(b.length * 2);
        for (byte x : b) {
            sb.append(Character.forDigit((x >> 4) & 0xF, 16)).append(Character.forDigit(x & 0xF, 16));
        }
        return sb.toString();
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
