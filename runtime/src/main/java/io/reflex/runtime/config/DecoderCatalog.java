package io.reflex.runtime.config;

import io.reflex.decoders.Decoder;
import io.reflex.decoders.catalog.Decoders;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.engine.EngineSpec;
import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.config.ReflexConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The decoders a session can run, by name ({@link Decoders}: {@code kalman} and {@code wiener} on the JVM,
 * {@code lfads} and {@code snn} on an engine chain), with the session's defaults: the shipped LFADS model that fits
 * the source, and the engine chain of the config.
 */
public final class DecoderCatalog {
    /** The shipped LFADS model for the Lorenz source (70 channels, 73-bin trials). */
    public static final String LORENZ_LFADS_MODEL = "lfads-lorenz-causal";
    /** The shipped LFADS model for the center-out source (96 channels, seed 1's population). */
    public static final String CENTER_OUT_LFADS_MODEL = "lfads-centerout-causal";

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

    /** The shipped LFADS model that was trained on data like the source's. */
    public static String defaultLfadsModel(String sourceType) {
        return "lorenz".equals(sourceType) ? LORENZ_LFADS_MODEL : CENTER_OUT_LFADS_MODEL;
    }

    /** The decoder's options with the session's defaults added (the LFADS model for the source type). */
    public static Map<String, String> options(String name, Map<String, String> options, String sourceType) {
        Map<String, String> o = new LinkedHashMap<>(options == null ? Map.of() : options);
        if ("lfads".equals(name)) {
            o.putIfAbsent("model", defaultLfadsModel(sourceType));
        }
        return o;
    }

    /**
     * The engine chain a config names for a model decoder: {@code decoder.engines} with their
     * {@code decoder.engineOptions}, and the fault drill of {@code decoder.injectFault} (on the first engine of that
     * name); empty for the decoders that
     * run on the JVM (Kalman, Wiener).
     */
    public static List<EngineSpec> engines(ReflexConfig.DecoderConfig d) {
        if (!usesEngines(d.name)) {
            return List.of();
        }
        String faultEngine = null;
        long faultStep = 0;
        if (d.injectFault != null) {
            int at = d.injectFault.indexOf('@');
            faultEngine = d.injectFault.substring(0, at);
            faultStep = Long.parseLong(d.injectFault.substring(at + 1));
        }
        List<EngineSpec> specs = new ArrayList<>();
        boolean injected = false;
        for (String e : d.engines) {
            EngineSpec s = EngineSpec.of(e, d.engineOptions.getOrDefault(e, Map.of()));
            if (!injected && e.equals(faultEngine)) {
                // the first engine of that name: a chain may name an engine twice (a drill between two copies)
                s = s.withFaultAtStep(faultStep);
                injected = true;
            }
            specs.add(s);
        }
        return specs;
    }

    /**
     * The engine chain for decoder {@code name} from a config's {@code decoder.engines} and
     * {@code decoder.engineOptions}, without a fault drill (a decoder swapped in during a run); empty for the decoders
     * that run on the JVM.
     */
    public static List<EngineSpec> engines(String name, List<String> engines,
                                           Map<String, Map<String, String>> engineOptions) {
        if (!usesEngines(name)) {
            return List.of();
        }
        List<EngineSpec> specs = new ArrayList<>();
        for (String e : engines) {
            specs.add(EngineSpec.of(e, engineOptions.getOrDefault(e, Map.of())));
        }
        return specs;
    }

    /** True for the decoders that run on an engine chain. */
    public static boolean usesEngines(String name) {
        return "lfads".equals(name) || "snn".equals(name);
    }

    /**
     * Checks a decoder name and its options without building anything (no decoder, no reservoir, no engine), for
     * config validation: every option is parsed and range-checked as {@link #create} would, and an LFADS model is
     * resolved and its input dimension compared with the channels.
     *
     * @throws ConfigException naming the field when the name, an option or the model is refused
     */
    public static void check(String field, String name, int channels, Map<String, String> options,
                             String sourceType) {
        if (!names().contains(name)) {
            throw new ConfigException(field, "\"" + name + "\"", "one of " + names());
        }
        String optionsField = field.endsWith(".name") ? field.replace(".name", ".options") : field;
        Map<String, String> opts = options(name, options, sourceType);
        if (name.equals("lfads")) {
            String model = opts.get("model");
            ModelBundle b;
            try {
                b = Decoders.lfadsModel(model);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(optionsField + ".model", e.getMessage());
            }
            int dataDim = b.hpInt("encod_data_dim");
            if (dataDim != channels) {
                throw new ConfigException("source.channels", String.valueOf(channels), "the input dimension of the"
                        + " LFADS model " + model + " (" + dataDim + ")");
            }
        }
        try {
            Decoders.checkOptions(name, channels, opts);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(optionsField, e.getMessage());
        }
    }

    /**
     * Creates a decoder for {@code channels} inputs and {@code outputs} outputs (unless the options set
     * {@code outputs} themselves), on the given engine chain when it is a model decoder.
     *
     * @param field the config path to name in errors, e.g. {@code decoder.name}
     * @throws ConfigException naming the field when the name, an option or the engine chain is refused
     */
    public static Decoder create(String field, String name, int channels, int outputs, Map<String, String> options,
                                 List<EngineSpec> engines) {
        if (!names().contains(name)) {
            throw new ConfigException(field, "\"" + name + "\"", "one of " + names());
        }
        Map<String, String> opts = new LinkedHashMap<>(options == null ? Map.of() : options);
        opts.putIfAbsent("outputs", Integer.toString(outputs));
        try {
            return Decoders.create(name, channels, opts, engines);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(field.endsWith(".name") ? field.replace(".name", ".options") : field,
                    e.getMessage());
        }
    }

    /** Closes a decoder's engines, never throwing (a broken engine must not stop the others from closing). */
    public static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // engines report their own close failures; nothing more to do at the end of a run
        }
    }
}
