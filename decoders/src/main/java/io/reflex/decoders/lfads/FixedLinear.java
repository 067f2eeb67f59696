package io.reflex.decoders.lfads;

import io.reflex.decoders.fixed.FixedPoint;

/**
 * {@code matvec} of FIXED_POINT.md §3, {@code y = requant16(b + W·v, shift)}, for the first {@code rows} rows of a
 * row-major int16 matrix, computed column by column so that the JIT vectorises it and zero inputs are skipped.
 *
 * <p>Why double: the int16 weights and inputs, their products (|w·v| < 2^31) and every partial sum (|Σ| < 2^47, the
 * 48-bit bound checked at load) are integers below 2^53, so double arithmetic on them is exact: every addition and
 * multiplication here gives exactly the integer result, in any order. The result therefore equals the long
 * accumulator of {@link FixedPoint#matvec} bit for bit (checked by {@code FixedLinearTest}); doubles are used only
 * because the JIT vectorises them (it does not vectorise the int→long widening).
 */
final class FixedLinear {
    final int rows;
    final int cols;
    final int shift;
    private final double[] wt;
    private final double[] bias;
    private final double[] acc;

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
        this.wt = transpose(w, rows, cols);
        this.bias = new double[rows];
        if (bias != null) {
            for (int i = 0; i < rows; i++) {
                this.bias[i] = bias[i];
            }
        }
        this.acc = new double[rows];
    }

    /** {@code y[yOff + i] = requant16(b_i + Σ_j W_ij·v[vOff + j], shift)}. */
    void apply(short[] v, int vOff, short[] y, int yOff) {
        System.arraycopy(bias, 0, acc, 0, rows);
        accumulateDense(wt, rows, 0, rows, cols, v, vOff, acc, 0);
        for (int i = 0; i < rows; i++) {
            y[yOff + i] = FixedPoint.requant16((long) acc[i], shift);
        }
    }

    /**
     * {@code acc[accOff + i] += Σ_j wt[j·stride + row0 + i]·v[vOff + j]} for {@code i < n} (exact, see the class
     * comment).
     */
    static void accumulate(double[] wt, int stride, int row0, int n, int cols, short[] v, int vOff, double[] acc,
                           int accOff) {
        for (int j = 0; j < cols; j++) {
            int vj = v[vOff + j];
            if (vj == 0) {
                continue;
            }
            double dv = vj;
            int base = j * stride + row0;
            for (int i = 0; i < n; i++) {
                acc[accOff + i] += wt[base + i] * dv;
            }
        }
    }

    /** As {@link #accumulate}, four columns per pass, for dense inputs (still exact). */
    static void accumulateDense(double[] wt, int stride, int row0, int n, int cols, short[] v, int vOff, double[] acc,
                                int accOff) {
        int j = 0;
        for (; j + 3 < cols; j += 4) {
            double v0 = v[vOff + j];
            double v1 = v[vOff + j + 1];
            double v2 = v[vOff + j + 2];
            double v3 = v[vOff + j + 3];
            int b0 = j * stride + row0;
            int b1 = b0 + stride;
            int b2 = b1 + stride;
            int b3 = b2 + stride;
            for (int i = 0; i < n; i++) {
                acc[accOff + i] += (wt[b0 + i] * v0 + wt[b1 + i] * v1) + (wt[b2 + i] * v2 + wt[b3 + i] * v3);
            }
        }
        for (; j < cols; j++) {
            double vj = v[vOff + j];
            int base = j * stride + row0;
            for (int i = 0; i < n; i++) {
                acc[accOff + i] += wt[base + i] * vj;
            }
        }
    }

    /** Transposes the first {@code rows} rows of a row-major int16 {@code [·][cols]} matrix into doubles. */
    static double[] transpose(short[] w, int rows, int cols) {
        double[] t = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = w[i * cols + j];
            }
        }
        return t;
    }

    /** An int32 bias vector as doubles (exact). */
    static double[] toDouble(int[] b) {
        double[] d = new double[b.length];
        for (int i = 0; i < b.length; i++) {
            d[i] = b[i];
        }
        return d;
    }
}
