package io.reflex.decoders;

/**
 * The one rule for spike counts fed to a model (LFADS and SNN, every arithmetic and every engine): a count is a
 * finite number {@code >= 0}. A bin or window holding a negative, NaN or infinite count is refused as bad input
 * ({@link DecodeStatus#INVALID_INPUT}: outputs zeroed, stream state unchanged), never clamped or used as is, so
 * that the float32 and fixed-point arithmetics cannot silently decode different inputs. The pipeline counts such
 * frames as invalid input and emits the safe output. decoders/FIXED_POINT.md documents the rule.
 */
public final class Counts {
    private Counts() {
    }

    /** Whether {@code c} is a valid count: finite and {@code >= 0} ({@code -0.0} counts as 0). */
    public static boolean valid(float c) {
        return c >= 0f && c < Float.POSITIVE_INFINITY;
    }

    /** Whether {@code n} values from {@code off} are all valid counts. */
    public static boolean allValid(float[] counts, int off, int n) {
        for (int k = 0; k < n; k++) {
            if (!valid(counts[off + k])) {
                return false;
            }
        }
        return true;
    }
}
