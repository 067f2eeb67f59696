package io.reflex.decoders.lfads;

/** How an LFADS model meets the data (decoders/LFADS.md, "Modes"). */
public enum LfadsMode {
    /** A whole window of {@code encod_seq_len} bins in, factors and rates for every bin out. */
    TRIAL,
    /** Per new bin, rerun the whole model over the last {@code encod_seq_len} bins and keep the newest step. */
    SLIDING,
    /** Per new bin, one forward CI step, one controller and one generator step: O(1); needs a causal bundle. */
    CAUSAL;

    /** Lower-case name for configs and JSON. */
    public String jsonName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Parses {@code trial}, {@code sliding} or {@code causal}. */
    public static LfadsMode parse(String s) {
        for (LfadsMode m : values()) {
            if (m.jsonName().equals(s)) {
                return m;
            }
        }
        throw new IllegalArgumentException("mode must be one of trial, sliding, causal; found '" + s + "'");
    }
}
