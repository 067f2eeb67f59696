package io.reflex.decoders.lfads;

/**
 * {@code y = b + W·v} in float32 for the first {@code rows} rows of a row-major matrix. The matrix is stored
 * transposed (one contiguous column per input) so that the product is a sequence of {@code y += W[:, j]·v_j}
 * updates, which the JIT turns into SIMD code, and inputs that are exactly zero (most spike counts) are skipped.
 * The sum runs in input order and rounds to float32 after each term, like a float32 BLAS gemv.
 */
final class FloatLinear {
    final int rows;
    final int cols;
    private final float[] wt;
    private final float[] bias;

    /**
     * @param w         row-major {@code [rowsTotal][cols]}
     * @param rows      rows used (the first {@code rows})
     * @param bias      length ≥ rows, or null
     */
    FloatLinear(float[] w, int cols, int rows, float[] bias) {
        this.rows = rows;
        this.cols = cols;
        this.wt = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                wt[j * rows + i] = w[i * cols + j];
            }
        }
        this.bias = bias == null ? new float[rows] : java.util.Arrays.copyOf(bias, rows);
    }

    /** {@code y[yOff..yOff+rows) = b + W·v[vOff..vOff+cols)}. */
    void apply(float[] v, int vOff, float[] y, int yOff) {
        System.arraycopy(bias, 0, y, yOff, rows);
        accumulateDense(wt, rows, 0, rows, cols, v, vOff, y, yOff);
    }

    /**
     * {@code y[yOff + i] += Σ_j wt[j·stride + row0 + i]·v[vOff + j]} for {@code i < n}: rows
     * {@code [row0, row0 + n)} of a transposed matrix with {@code stride} rows.
     */
    static void accumulate(float[] wt, int stride, int row0, int n, int cols, float[] v, int vOff, float[] y, int yOff) {
        for (int j = 0; j < cols; j++) {
            float vj = v[vOff + j];
            if (vj == 0f) {
                continue;
            }
            int base = j * stride + row0;
            for (int i = 0; i < n; i++) {
                y[yOff + i] += wt[base + i] * vj;
            }
        }
    }

    /**
     * As {@link #accumulate}, four columns per pass (for dense inputs such as states: a quarter of the loads and
     * stores of {@code y}); the four products are summed first, then added to {@code y}.
     */
    static void accumulateDense(float[] wt, int stride, int row0, int n, int cols, float[] v, int vOff, float[] y,
                                int yOff) {
        int j = 0;
        for (; j + 3 < cols; j += 4) {
            float v0 = v[vOff + j];
            float v1 = v[vOff + j + 1];
            float v2 = v[vOff + j + 2];
            float v3 = v[vOff + j + 3];
            int b0 = j * stride + row0;
            int b1 = b0 + stride;
            int b2 = b1 + stride;
            int b3 = b2 + stride;
            for (int i = 0; i < n; i++) {
                y[yOff + i] += (wt[b0 + i] * v0 + wt[b1 + i] * v1) + (wt[b2 + i] * v2 + wt[b3 + i] * v3);
            }
        }
        for (; j < cols; j++) {
            float vj = v[vOff + j];
            int base = j * stride + row0;
            for (int i = 0; i < n; i++) {
                y[yOff + i] += wt[base + i] * vj;
            }
        }
    }

    /** Transposes a row-major {@code [rows][cols]} matrix. */
    static float[] transpose(float[] w, int rows, int cols) {
        float[] t = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = w[i * cols + j];
            }
        }
        return t;
    }
}
