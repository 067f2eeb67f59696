package io.reflex.runtime.config;

import io.reflex.decoders.Decoder;
import io.reflex.decoders.TrainableDecoder;
import io.reflex.decoders.engine.EngineDecoder;
import io.reflex.decoders.file.DecoderFile;
import io.reflex.decoders.linear.KalmanDecoder;
import io.reflex.decoders.linear.WienerDecoder;
import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.config.ReflexConfig;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * Decoders saved to and loaded from decoder files (decoders/DECODER_FILE.md): {@code decoder.file} loads one
 * instead of calibrating (a model decoder, lfads or snn, on the config's {@code decoder.engines}), and a session that
 * calibrated saves its fitted decoder (Kalman, Wiener, LFADS, SNN) as {@value #FILE_NAME} in its journal directory.
 */
public final class SavedDecoder {
    /** The name of the decoder file a calibrated session writes into its journal directory. */
    public static final String FILE_NAME = "decoder.rxdf";

    private SavedDecoder() {
    }

    /**
     * Reads {@code decoder.file} and checks it against the config: the decoder type against {@code decoder.name},
     * its channels, bin width and sample rate against the source and pipeline, and that no comparison decoders
     * need a calibration block.
     *
     * @throws ConfigException naming {@code decoder.file} (or the field that disagrees)
     */
    public static DecoderFile.Contents load(ReflexConfig cfg) {
        String file = cfg.decoder.file;
        if (file.isBlank()) {
            throw new ConfigException("decoder.file", "\"\"", "a decoder file path, or null to calibrate");
        }
        DecoderFile.Contents c;
        try {
            c = DecoderFile.read(Path.of(file));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("decoder.file", e.getMessage());
        }
        if (!c.type().equals(cfg.decoder.name)) {
            throw new ConfigException("decoder.file", "decoder file " + file + " holds a " + c.type()
                    + " decoder but decoder.name is \"" + cfg.decoder.name + "\"; set decoder.name to \"" + c.type()
                    + "\"");
        }
        try {
            c.requireMatches(cfg.source.channels, cfg.pipeline.binWidthUs, cfg.source.sampleRateHz);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("decoder.file", e.getMessage());
        }
        if (!cfg.decoder.compare.isEmpty()) {
            throw new ConfigException("decoder.compare", String.valueOf(cfg.decoder.compare), "[] when decoder.file"
                    + " is set (comparison decoders are fitted on a calibration block, which a loaded decoder skips)");
        }
        return c;
    }

    /**
     * The live decoder of a loaded decoder file: the Kalman or Wiener decoder it holds, or its model decoder on the
     * config's engine chain ({@code decoder.engines}).
     *
     * @throws ConfigException naming {@code decoder.engines} when no engine of the chain can run the saved model
     */
    public static Decoder decoder(DecoderFile.Contents c, ReflexConfig cfg) {
        if (!c.isModel()) {
            return c.decoder();
        }
        try {
            return c.openModel(DecoderCatalog.engines(cfg.decoder));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("decoder.engines", e.getMessage());
        }
    }

    /** True for the decoders a decoder file can hold. */
    public static boolean savable(Object decoder) {
        return decoder instanceof KalmanDecoder || decoder instanceof WienerDecoder || decoder instanceof EngineDecoder;
    }

    /** Saves a fitted decoder into {@code dir} as {@value #FILE_NAME}; returns its path. */
    public static Path save(Path dir, TrainableDecoder decoder, ReflexConfig cfg, int calibrationBins, List<String> targets,
                     String createdBy) {
        Path out = dir.resolve(FILE_NAME);
        DecoderFile.write(out, decoder, cfg.pipeline.binWidthUs, cfg.source.sampleRateHz, calibrationBins,
                provenance(createdBy, cfg.source.type, dir.toString(), calibrationBins, targets));
        return out;
    }

    /** The provenance text of a decoder file: a one-line JSON object. */
    public static String provenance(String createdBy, String sourceType, String journal, int bins,
                                    List<String> targets) {
        return "{\"created_by\":\"" + escape(createdBy) + "\",\"created_at\":\"" + Instant.now() + "\",\"source_type\":\""
                + escape(sourceType) + "\",\"journal\":\"" + escape(journal) + "\",\"bins\":" + bins + ",\"targets\":"
                + jsonStrings(targets) + "}";
    }

    /** A JSON array of strings. */
    public static String jsonStrings(List<String> names) {
        StringBuilder t = new StringBuilder("[");
        for (int i = 0; i < names.size(); i++) {
            t.append(i == 0 ? "" : ",").append('"').append(escape(names.get(i))).append('"');
        }
        return t.append(']').toString();
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        for (char ch : String.valueOf(s).toCharArray()) {
            if (ch == '"' || ch == '\\') {
                sb.append('\\').append(ch);
            } else if (ch < 0x20) {
                sb.append(String.format("\\u%04x", (int) ch));
            } else {
                sb.append(ch);
            }
        }
        return sb.toString();
    }
}
