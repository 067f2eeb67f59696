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
    private final double[][] columns;
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
        this.columns = columns(w, cols, 0, rows);
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
        accumulateDense(columns, rows, cols, v, vOff, acc);
        for (int i = 0; i < rows; i++) {
            y[yOff + i] = FixedPoint.requant16((long) acc[i], shift);
        }
    }

    /**
     * {@code acc[i] += Σ_j c[j][i]·v[vOff + j]} for {@code i < n} (exact, see the class comment), skipping zero
     * inputs. Column arrays start at index 0, the form C2 vectorises.
     */
    static void accumulate(double[][] c, int n, int cols, short[] v, int vOff, double[] acc) {
        for (int j = 0; j < cols; j++) {
            int vj = v[vOff + j];
            if (vj == 0) {
                continue;
            }
            double dv = vj;
            double[] cj = c[j];
            for (int i = 0; i < n; i++) {
                acc[i] += cj[i] * dv;
            }
        }
    }

    /** As {@link #accumulate}, four columns per pass, for dense inputs (still exact). */
    static void accumulateDense(double[][] c, int n, int cols, short[] v, int vOff, double[] acc) {
        int j = 0;
        for (; j + 3 < cols; j += 4) {
            double v0 = v[vOff + j];
            double v1 = v[vOff + j + 1];
            double v2 = v[vOff + j + 2];
            double v3 = v[vOff + j + 3];
            double[] c0 = c[j];
            double[] c1 = c[j + 1];
            double[] c2 = c[j + 2];
            double[] c3 = c[j + 3];
            for (int i = 0; i < n; i++) {
                acc[i] += (c0[i] * v0 + c1[i] * v1) + (c2[i] * v2 + c3[i] * v3);
            }
        }
        for (; j < cols; j++) {
            double vj = v[vOff + j];
            double[] cj = c[j];
            for (int i = 0; i < n; i++) {
                acc[i] += cj[i] * vj;
            }
        }
    }

    /** Rows {@code [row0, row0 + n)} of a row-major int16 {@code [·][cols]} matrix as one double array per column. */
    static double[][] columns(short[] w, int cols, int row0, int n) {
        double[][] c = new double[cols][n];
        for (int j = 0; j < cols; j++) {
            for (int i = 0; i < n; i++) {
                c[j][i] = w[(row0 + i) * cols + j];
            }
        }
        return c;
    }

    /** An int32 bias vector (or a slice of it) as doubles (exact). */
    static double[] toDouble(int[] b, int from, int n) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = b[from + i];
        }
        return d;
    }
}
