package io.reflex.decoders.lfads;

import io.reflex.decoders.fixed.FixedPoint;

/**
 * {@code matvec} of FIXED_POINT.md §3, {@code y = requant16(b + W·v, shift)}, for the first {@code rows} rows of a
 * row-major int16 matrix. The sum {@code W·v} is exact ({@link ExactMatvec}: int arithmetic that cannot overflow,
 * vectorised by C2); the bias is added in long, so the result equals the long accumulator of
 * {@link FixedPoint#matvec} bit for bit (checked by {@code FixedLinearTest}).
 */
final class FixedLinear {
    final int rows;
    final int cols;
    final int shift;
    private final ExactMatvec w;
    private final long[] bias;
    private final short[] wAll;

    /**
     * @param w     row-major int16 {@code [rowsTotal][cols]}
     * @param rows  rows used (the first {@code rows})
     * @param bias  int32 at the accumulator scale (length ≥ rows), or null
     * @param shift {@code F_W + F_v − F_out}
     */
    FixedLinear(short[] w, int cols, int rows, int[] bias, int shift) {
        this.rows = rows;
        this.cols = cols;
        this.shift = shift;
        this.w = new ExactMatvec(w, cols, 0, rows);
        this.wAll = w;
        this.bias = widen(bias, 0, rows);
    }

    /** {@code y[yOff + i] = requant16(b_i + Σ_j W_ij·v[vOff + j], shift)}. */
    void apply(short[] v, int vOff, short[] y, int yOff) {
        w.dense(v, vOff);
        for (int i = 0; i < rows; i++) {
            y[yOff + i] = FixedPoint.requant16(bias[i] + w.sum(i), shift);
        }
    }

    /** A copy of the rows used, for other engines ({@link LfadsFixed#causalExport()}). */
    LfadsFixed.Linear export() {
        return new LfadsFixed.Linear(rows, cols, java.util.Arrays.copyOf(wAll, rows * cols), bias.clone(), shift);
    }

    /** {@code n} entries of an int32 bias from {@code from} as longs; zeros for a missing bias. */
    static long[] widen(int[] b, int from, int n) {
        long[] d = new long[n];
        if (b != null) {
            for (int i = 0; i < n; i++) {
                d[i] = b[from + i];
            }
        }
        return d;
    }
}
