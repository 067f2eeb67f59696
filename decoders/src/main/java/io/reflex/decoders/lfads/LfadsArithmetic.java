package io.reflex.decoders.lfads;

import io.reflex.decoders.bundle.ModelBundle;

/** Which arithmetic runs an LFADS model. */
public enum LfadsArithmetic {
    /** {@link LfadsFloat32}: the float reference. */
    FLOAT32,
    /** {@link LfadsFixed}: the bit-exact fixed-point golden model (decoders/FIXED_POINT.md). */
    FIXED;

    /** Lower-case name for configs and JSON ({@code float32}, {@code fixed}). */
    public String jsonName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Parses {@code float32} or {@code fixed}. */
    public static LfadsArithmetic parse(String s) {
        for (LfadsArithmetic a : values()) {
            if (a.jsonName().equals(s)) {
                return a;
            }
        }
        throw new IllegalArgumentException("arithmetic must be float32 or fixed; found '" + s + "'");
    }

    /** A new kernel of this arithmetic for the bundle. */
    public LfadsKernel load(ModelBundle bundle) {
        // Both arithmetics refuse a bundle whose fixed-point copies disagree with its float tensors (the fixed one
        // through QuantSource), so that two engines of one chain cannot run two different models.
        if (this == FLOAT32) {
            QuantSource.verifyQuantisedCopies(bundle);
            return new LfadsFloat32(bundle);
        }
        return new LfadsFixed(bundle);
    }
}
