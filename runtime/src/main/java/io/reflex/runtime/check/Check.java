package io.reflex.runtime.check;

import java.util.Collection;

/**
 * Validation helpers for Contexts and configs. Every message names the field, the value and what is allowed,
 * e.g. {@code pipeline.binWidthUs: 0 is not allowed; expected an integer in [100, 1000000]}.
 */
public final class Check {
    private Check() {
    }

    /** Fails unless {@code min <= value <= max}. */
    public static long range(String field, long value, long min, long max) {
        if (value < min || value > max) {
            throw new ConfigException(field, String.valueOf(value), "an integer in [" + min + ", " + max + "]");
        }
        return value;
    }

    /** Fails unless {@code value} is finite and {@code min <= value <= max}. */
    public static double range(String field, double value, double min, double max) {
        if (!(value >= min && value <= max)) {
            throw new ConfigException(field, String.valueOf(value), "a number in [" + min + ", " + max + "]");
        }
        return value;
    }

    /** Fails unless {@code value} is one of {@code allowed}. */
    public static String oneOf(String field, String value, Collection<String> allowed) {
        if (value == null || !allowed.contains(value)) {
            throw new ConfigException(field, value == null ? "null" : "\"" + value + "\"", "one of " + allowed);
        }
        return value;
    }

    /** Fails when {@code value} is null. */
    public static <T> T present(String field, T value, String allowed) {
        if (value == null) {
            throw new ConfigException(field, "null", allowed);
        }
        return value;
    }
}
