package io.reflex.decoders.lfads;

import io.reflex.decoders.bundle.ModelBundle;

/**
 * lfads-torch's {@code ClippedGRUCell} in float32 (inference-spec.md §1.2): gate blocks z | r | n, the reset
 * applied before the hidden matmul, the state clamped to ±clip. Weights and states are float32; dot products
 * accumulate in double and are rounded once to float32. Owns its scratch buffers; allocates nothing per step.
 */
final class FloatGru {
    final int in;
    final int hidden;
    private final float[] wih;
    private final float[] whh;
    private final float[] bih;
    private final float[] bhh;
    private final float clip;
    private final float[] ax;
    private final float[] z;
    private final float[] r;
    private final float[] rh;

    FloatGru(ModelBundle b, String prefix, int in, int hidden, double clip) {
        LfadsTensors.requireGru(b, prefix, in, hidden, false);
        this.in = in;
        this.hidden = hidden;
        this.wih = b.float32(prefix + "weight_ih");
        this.whh = b.float32(prefix + "weight_hh");
        this.bih = b.float32(prefix + "bias_ih");
        this.bhh = b.float32(prefix + "bias_hh");
        this.clip = (float) clip;
        this.ax = new float[3 * hidden];
        this.z = new float[hidden];
        this.r = new float[hidden];
        this.rh = new float[hidden];
    }

    /** {@code h ← GRU(x[xOff..xOff+in), h)} in place ({@code h} at {@code hOff}). */
    void step(float[] x, int xOff, float[] h, int hOff) {
        final int hs = hidden;
        final int n3 = 3 * hs;
        for (int i = 0; i < n3; i++) {
            ax[i] = (float) (bih[i] + dot(wih, i * in, x, xOff, in));
        }
        for (int i = 0; i < hs; i++) {
            double az = ax[i] + (double) bhh[i] + dot(whh, i * hs, h, hOff, hs);
            double ar = ax[hs + i] + (double) bhh[hs + i] + dot(whh, (hs + i) * hs, h, hOff, hs);
            z[i] = (float) sigmoid(az);
            r[i] = (float) sigmoid(ar);
        }
        for (int i = 0; i < hs; i++) {
            rh[i] = r[i] * h[hOff + i];
        }
        for (int i = 0; i < hs; i++) {
            int row = 2 * hs + i;
            double an = ax[row] + (double) bhh[row] + dot(whh, row * hs, rh, 0, hs);
            float n = (float) Math.tanh(an);
            float hv = z[i] * h[hOff + i] + (1f - z[i]) * n;
            h[hOff + i] = hv > clip ? clip : hv < -clip ? -clip : hv;
        }
    }

    static double sigmoid(double a) {
        return 1.0 / (1.0 + Math.exp(-a));
    }

    /** Σ w[wOff+j]·v[vOff+j] for j < n, accumulated in double with four independent sums. */
    static double dot(float[] w, int wOff, float[] v, int vOff, int n) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int j = 0;
        for (; j + 3 < n; j += 4) {
            s0 += (double) w[wOff + j] * v[vOff + j];
            s1 += (double) w[wOff + j + 1] * v[vOff + j + 1];
            s2 += (double) w[wOff + j + 2] * v[vOff + j + 2];
            s3 += (double) w[wOff + j + 3] * v[vOff + j + 3];
        }
        for (; j < n; j++) {
            s0 += (double) w[wOff + j] * v[vOff + j];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** y[yOff+i] = b[i] + W[row0+i,:]·v for i < rows (b may be null). */
    static void matvec(float[] w, int cols, int row0, int rows, float[] b, float[] v, int vOff, float[] y, int yOff) {
        for (int i = 0; i < rows; i++) {
            int r = row0 + i;
            y[yOff + i] = (float) ((b == null ? 0.0 : b[r]) + dot(w, r * cols, v, vOff, cols));
        }
    }
}
