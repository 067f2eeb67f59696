package io.reflex.runtime.session;

import io.reflex.decoders.Decoder;
import io.reflex.decoders.Decoders;
import io.reflex.runtime.config.ConfigException;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The decoders a session can run, by name. Trainable decoders come from {@link Decoders}; a decoder loaded from a
 * model bundle (LFADS, SNN) adds its name and a case here.
 */
public final class DecoderCatalog {
    private DecoderCatalog() {
    }

    /** Names accepted by {@link #create}. */
    public static Set<String> names() {
        return new TreeSet<>(Decoders.NAMES);
    }

    /** Names of decoders fitted on a calibration block (the demo compares the live decoder with these). */
    public static Set<String> trainableNames() {
        return new TreeSet<>(Decoders.NAMES);
    }

    /**
     * Checks a decoder name and its options without building anything heavy (no model is loaded and no engine is
     * opened), for config validation.
     *
     * @throws ConfigException naming the field when the name or an option is refused
     */
    public static void check(String field, String name, int channels, Map<String, String> options) {
        if (!names().contains(name)) {
            throw new ConfigException(field, "\"" + name + "\"", "one of " + names());
        }
        if (name.equals("kalman") || name.equals("wiener")) {
            create(field, name, channels, 2, options);
        }
    }

    /**
     * Creates a decoder for {@code channels} inputs and {@code outputs} outputs (unless the options set
     * {@code outputs} themselves).
     *
     * @param field the config path to name in errors, e.g. {@code decoder.name}
     * @throws ConfigException naming the field when the name or an option is refused
     */
    public static Decoder create(String field, String name, int channels, int outputs, Map<String, String> options) {
        if (!names().contains(name)) {
            throw new ConfigException(field, "\"" + name + "\"", "one of " + names());
        }
        Map<String, String> opts = new java.util.LinkedHashMap<>(options == null ? Map.of() : options);
        opts.putIfAbsent("outputs", Integer.toString(outputs));
        try {
            return Decoders.create(name, channels, opts);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(field.endsWith(".name") ? field.replace(".name", ".options") : field,
                    e.getMessage());
        }
    }
}
