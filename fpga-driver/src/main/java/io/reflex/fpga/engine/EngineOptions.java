package io.reflex.fpga.engine;

import io.reflex.decoders.engine.EngineException;
import io.reflex.decoders.lfads.LfadsOutput;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Options every kernel engine takes (through {@code EngineFactory.create(Map)}): what a bin yields, the wait
 * limit, and the build parameters that the model's dimensions leave open. Unset build parameters are chosen from
 * the model ({@link DeviceEngine}).
 */
public final class EngineOptions {
    /** The option names this class reads. */
    public static final Set<String> KEYS = Set.of("output", "timeout_ms", "p", "t_max", "lag_max", "max_extra",
            "max_n", "max_in", "max_nnz");

    LfadsOutput output = LfadsOutput.FACTORS;
    long timeoutMs = 10_000;
    int p;
    int tMax;
    int lagMax;
    int maxExtra = -1;
    int maxN;
    int maxIn;
    int maxNnz;

    private EngineOptions() {
    }

    /** Defaults only. */
    public static EngineOptions defaults() {
        return new EngineOptions();
    }

    /**
     * Reads the options of {@link #KEYS} from {@code options}; keys in {@code otherKeys} are left to the caller,
     * any other key is refused.
     *
     * @throws EngineException naming the option and its allowed values
     */
    public static EngineOptions parse(String engine, Map<String, String> options, Set<String> otherKeys) {
        EngineOptions o = new EngineOptions();
        if (options == null) {
            return o;
        }
        for (String key : options.keySet()) {
            if (!KEYS.contains(key) && !otherKeys.contains(key)) {
                Set<String> known = new TreeSet<>(KEYS);
                known.addAll(otherKeys);
                throw new EngineException(engine + ": unknown option '" + key + "'; known: " + known);
            }
        }
        String out = options.get("output");
        if (out != null) {
            try {
                o.output = LfadsOutput.valueOf(out.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new EngineException(engine + ": output must be factors, log_rates or rates; got '" + out + "'");
            }
        }
        o.timeoutMs = longOption(engine, options, "timeout_ms", o.timeoutMs, 1, 3_600_000);
        o.p = intOption(engine, options, "p", 0, 1, 32);
        if (o.p != 0 && Integer.bitCount(o.p) != 1) {
            throw new EngineException(engine + ": p must be 1, 2, 4, 8, 16 or 32; got " + o.p);
        }
        o.tMax = intOption(engine, options, "t_max", 0, 1, 4096);
        o.lagMax = intOption(engine, options, "lag_max", 0, 1, 64);
        o.maxExtra = intOption(engine, options, "max_extra", -1, 0, 4096);
        o.maxN = intOption(engine, options, "max_n", 0, 1, 65535);
        o.maxIn = intOption(engine, options, "max_in", 0, 1, 65535);
        o.maxNnz = intOption(engine, options, "max_nnz", 0, 2, 1 << 24);
        return o;
    }

    /** An integer option in [min, max], or {@code dflt} when absent. */
    public static int intOption(String engine, Map<String, String> options, String key, int dflt, int min, int max) {
        return (int) longOption(engine, options, key, dflt, min, max);
    }

    /** A long option in [min, max], or {@code dflt} when absent. */
    public static long longOption(String engine, Map<String, String> options, String key, long dflt, long min,
            long max) {
        String v = options == null ? null : options.get(key);
        if (v == null) {
            return dflt;
        }
        long x;
        try {
            x = Long.decode(v.trim());
        } catch (NumberFormatException e) {
            throw new EngineException(engine + ": option " + key + " must be an integer in [" + min + ", " + max
                    + "]; got '" + v + "'");
        }
        if (x < min || x > max) {
            throw new EngineException(engine + ": option " + key + " must be in [" + min + ", " + max + "]; got " + x);
        }
        return x;
    }
}
