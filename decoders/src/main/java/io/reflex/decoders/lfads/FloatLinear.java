package io.reflex.decoders.lfads;

/**
 * {@code y = b + W·v} in float32 for the first {@code rows} rows of a row-major matrix. The matrix is stored as one
 * array per input column so that the product is a sequence of {@code y += W[:, j]·v_j} updates whose array
 * references all start at index 0: that is the form C2 (JDK 17) vectorises (with a column offset inside one flat
 * array it does not). Four columns are combined per pass for dense inputs; zero spike counts are skipped. The sum
 * runs in input order and rounds to float32 after each update.
 */
final class FloatLinear {
    final int rows;
    final int cols;
    private final float[][] columns;
    private final float[] bias;
    private final float[] acc;

    /**
     * @param w    row-major {@code [rowsTotal][cols]}
     * @param rows rows used (the first {@code rows})
     * @param bias length ≥ rows, or null
     */
    FloatLinear(float[] w, int cols, int rows, float[] bias) {
        this.rows = rows;
        this.cols = cols;
        this.columns = columns(w, cols, 0, rows);
        this.bias = bias == null ? new float[rows] : java.util.Arrays.copyOf(bias, rows);
        this.acc = new float[rows];
    }

    /** {@code y[yOff..yOff+rows) = b + W·v[vOff..vOff+cols)}. */
    void apply(float[] v, int vOff, float[] y, int yOff) {
        System.arraycopy(bias, 0, acc, 0, rows);
        accumulateDense(columns, rows, cols, v, vOff, acc);
        System.arraycopy(acc, 0, y, yOff, rows);
    }

    /** {@code y[i] += Σ_j c[j][i]·v[vOff + j]} for {@code i < n}, skipping inputs that are exactly zero. */
    static void accumulate(float[][] c, int n, int cols, float[] v, int vOff, float[] y) {
        for (int j = 0; j < cols; j++) {
            float vj = v[vOff + j];
            if (vj == 0f) {
                continue;
            }
            float[] cj = c[j];
            for (int i = 0; i < n; i++) {
                y[i] += cj[i] * vj;
            }
        }
    }

    /** As {@link #accumulate} for dense inputs: four columns per pass, their products summed, then added. */
    static void accumulateDense(float[][] c, int n, int cols, float[] v, int vOff, float[] y) {
        int j = 0;
        for (; j + 3 < cols; j += 4) {
            float v0 = v[vOff + j];
            float v1 = v[vOff + j + 1];
            float v2 = v[vOff + j + 2];
            float v3 = v[vOff + j + 3];
            float[] c0 = c[j];
            float[] c1 = c[j + 1];
            float[] c2 = c[j + 2];
            float[] c3 = c[j + 3];
            for (int i = 0; i < n; i++) {
                y[i] += (c0[i] * v0 + c1[i] * v1) + (c2[i] * v2 + c3[i] * v3);
            }
        }
        for (; j < cols; j++) {
            float vj = v[vOff + j];
            float[] cj = c[j];
            for (int i = 0; i < n; i++) {
                y[i] += cj[i] * vj;
            }
        }
    }

    /** Rows {@code [row0, row0 + n)} of a row-major {@code [·][cols]} matrix as one array per column. */
    static float[][] columns(float[] w, int cols, int row0, int n) {
        float[][] c = new float[cols][n];
        for (int j = 0; j < cols; j++) {
            for (int i = 0; i < n; i++) {
                c[j][i] = w[(row0 + i) * cols + j];
            }
        }
        return c;
    }
}
