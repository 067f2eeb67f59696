package io.reflex.runtime.pipeline;

import java.util.ArrayList;
import java.util.List;

/**
 * How stages map onto threads. Observers (journal, recorders) always share one "monitor" thread, off the
 * critical path.
 */
public enum Topology {
    /** Everything on one thread, observers included (tests, benchmarks, a single-core box). */
    SINGLE("single"),
    /** Ingest, features, decode and emit fused on one thread (the hot idle strategy); observers on another. */
    FUSED("fused"),
    /** One thread per critical stage (ingest uses the hot idle strategy, the rest the other); observers on one. */
    PER_STAGE("per-stage");

    private final String key;

    Topology(String key) {
        this.key = key;
    }

    /** The name used in configs. */
    public String key() {
        return key;
    }

    /** Config names, in declaration order. */
    public static List<String> keys() {
        List<String> keys = new ArrayList<>();
        for (Topology t : values()) {
            keys.add(t.key);
        }
        return keys;
    }

    /** The topology with config name {@code key}. */
    public static Topology byKey(String key) {
        for (Topology t : values()) {
            if (t.key.equals(key)) {
                return t;
            }
        }
        throw new IllegalArgumentException("topology '" + key + "' is not known; allowed: " + keys());
    }
}
