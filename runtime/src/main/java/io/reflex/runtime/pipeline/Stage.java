package io.reflex.runtime.pipeline;

import java.util.Locale;

/** The stages on the critical path, in order. Each frame carries one nanoTime stamp per stage. */
public enum Stage {
    /** A full bin of samples was taken from the source and published into the ring. */
    INGEST,
    /** Features computed (spike counts binned over the bin width). */
    FEATURES,
    /** The decoder produced an output (or the safe output). */
    DECODE,
    /** The output was handed to every sink. */
    EMIT;

    /** The stages, allocated once. */
    public static final Stage[] ALL = values();
    public static final int COUNT = ALL.length;

    /** Lower-case name for reports and configs. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }
}
