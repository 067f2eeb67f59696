package io.reflex.runtime.check;

/** A configuration value was refused; the message names the field, the value and what is allowed. */
public final class ConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final String field;

    public ConfigException(String field, String value, String allowed) {
        super(field + ": " + value + " is not allowed; expected " + allowed);
        this.field = field;
    }

    /** A refusal with a free-form explanation, still naming the field. */
    public ConfigException(String field, String message) {
        super(field + ": " + message);
        this.field = field;
    }

    /** The dotted path of the refused field, e.g. {@code pipeline.binWidthUs}. */
    public String field() {
        return field;
    }
}
