package io.reflex.decoders.engine;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One engine of a chain as a config names it: the engine name ({@link EngineFactory#name()}), its options
 * ({@link EngineFactory#create(Map)}, e.g. {@code xclbin} for {@code xrt}) and, for tests and the demo's fault
 * drill, an injected fault ({@link FaultInjectingEngine}: the engine faults at its {@code faultAtStep}-th step).
 *
 * @param name        engine name, e.g. {@code "cpu-fixed"}
 * @param options     engine options (copied, unmodifiable; empty when none)
 * @param faultAtStep 0 for no injected fault, else the 1-based step at which the engine faults
 */
public record EngineSpec(String name, Map<String, String> options, long faultAtStep) {

    /** Validates the fields and copies the options. */
    public EngineSpec {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("an engine name must not be empty");
        }
        if (faultAtStep < 0) {
            throw new IllegalArgumentException("faultAtStep must be >= 0 (0: no injected fault), was " + faultAtStep);
        }
        options = options == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    /** An engine without options. */
    public static EngineSpec of(String name) {
        return new EngineSpec(name, Map.of(), 0);
    }

    /** An engine with options. */
    public static EngineSpec of(String name, Map<String, String> options) {
        return new EngineSpec(name, options, 0);
    }

    /** The same engine, faulting at its {@code step}-th step (1-based). */
    public EngineSpec withFaultAtStep(long step) {
        if (step < 1) {
            throw new IllegalArgumentException("an injected fault needs a step >= 1, was " + step);
        }
        return new EngineSpec(name, options, step);
    }

    /** The same engine with one more option (replacing an option of the same key). */
    public EngineSpec withOption(String key, String value) {
        Map<String, String> o = new LinkedHashMap<>(options);
        o.put(key, value);
        return new EngineSpec(name, o, faultAtStep);
    }

    /** Specs without options for a list of names, e.g. {@code names("xrt", "rtl-sim", "cpu-fixed")}. */
    public static List<EngineSpec> names(String... names) {
        List<EngineSpec> l = new ArrayList<>();
        for (String n : names) {
            l.add(of(n));
        }
        return List.copyOf(l);
    }

    /**
     * Parses a command-line list: names separated by commas, e.g. {@code "xrt,rtl-sim,cpu-fixed"} (blanks around
     * names are ignored, names are lower-cased).
     *
     * @throws IllegalArgumentException for an empty list or an empty name
     */
    public static List<EngineSpec> parseNames(String commaSeparated) {
        if (commaSeparated == null || commaSeparated.isBlank()) {
            throw new IllegalArgumentException("an engine list needs at least one name, e.g. cpu-fixed");
        }
        List<EngineSpec> l = new ArrayList<>();
        for (String part : commaSeparated.split(",", -1)) {
            String n = part.trim().toLowerCase(Locale.ROOT);
            if (n.isEmpty()) {
                throw new IllegalArgumentException("empty engine name in '" + commaSeparated + "'");
            }
            l.add(of(n));
        }
        return List.copyOf(l);
    }

    @Override
    public String toString() {
        return name + (options.isEmpty() ? "" : options.toString()) + (faultAtStep > 0 ? "@fault" + faultAtStep : "");
    }
}
