package io.reflex.decoders;

/** Status codes returned by {@link Decoder#decode}; hot-path code returns these instead of throwing. */
public final class DecodeStatus {
    /** The output is a fresh decode of the input. */
    public static final int OK = 0;
    /** The input held NaN or infinite values; the output is the safe output. */
    public static final int INVALID_INPUT = 1;
    /** The decoder has not been fitted or loaded; the output is the safe output. */
    public static final int NOT_READY = 2;
    /** The decode produced a non-finite value; the output is the safe output. */
    public static final int NUMERIC_FAULT = 3;
    /** The engine running the decoder failed; the output is the safe output. */
    public static final int ENGINE_FAULT = 4;

    private DecodeStatus() {
    }

    /** Human-readable name of a status code, for reports. */
    public static String name(int status) {
        return switch (status) {
            case OK -> "ok";
            case INVALID_INPUT -> "invalid_input";
            case NOT_READY -> "not_ready";
            case NUMERIC_FAULT -> "numeric_fault";
            case ENGINE_FAULT -> "engine_fault";
            default -> "status_" + status;
        };
    }
}
