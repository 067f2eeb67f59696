package io.reflex.decoders.snn;

/** What a LIF neuron's membrane becomes after a spike (decoders/FIXED_POINT.md §7). */
public enum ResetMode {
    /** {@code V = sat_32(V − θ)}: the charge above threshold is kept. */
    SUBTRACT,
    /** {@code V = V_reset}. */
    ZERO;

    /** Bundle spelling: {@code "subtract"} or {@code "zero"}. */
    public String bundleName() {
        return this == SUBTRACT ? "subtract" : "zero";
    }

    /** Parses the bundle spelling; throws naming the allowed values. */
    public static ResetMode fromBundleName(String name) {
        return switch (name) {
            case "subtract" -> SUBTRACT;
            case "zero" -> ZERO;
            default -> throw new IllegalArgumentException("reset_mode must be \"subtract\" or \"zero\", got \"" + name + "\"");
        };
    }
}
