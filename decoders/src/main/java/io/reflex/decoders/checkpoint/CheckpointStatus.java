package io.reflex.decoders.checkpoint;

/**
 * Outcome of writing, reading or validating a stream checkpoint. Hot-path calls return one of these constants
 * (no allocation); {@link #description()} says what went wrong, for reports and exceptions at the edges.
 */
public enum CheckpointStatus {
    /** The checkpoint was written, read or validated. */
    OK("ok"),
    /** The byte array is shorter than the layout needs. */
    TOO_SHORT("shorter than the layout"),
    /** The first word is not the layout's magic (another layout, or not a checkpoint). */
    BAD_MAGIC("wrong magic (not a checkpoint of this layout)"),
    /** An unknown layout version. */
    BAD_VERSION("unknown layout version"),
    /** The dimensions in the header differ from the loaded model's (a checkpoint of another model). */
    WRONG_SHAPE("dimensions differ from the loaded model"),
    /** The bin or tick counter is negative. */
    BAD_COUNTER("negative bin or tick counter"),
    /** A reserved header word is not zero. */
    BAD_RESERVED("reserved header word is not zero"),
    /** A value is outside its range (non-finite float, refractory counter, padding bits, negative trace). */
    BAD_VALUE("a value is outside its range"),
    /** This model, mode or engine has no checkpoint of its stream state. */
    UNSUPPORTED("no stream checkpoint for this model or mode");

    private final String description;

    CheckpointStatus(String description) {
        this.description = description;
    }

    /** A short human-readable explanation. */
    public String description() {
        return description;
    }

    /** True for {@link #OK}. */
    public boolean ok() {
        return this == OK;
    }
}
