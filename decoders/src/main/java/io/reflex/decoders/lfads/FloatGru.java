package io.reflex.decoders.lfads;

import io.reflex.decoders.bundle.ModelBundle;

/**
 * lfads-torch's {@code ClippedGRUCell} in float32 (decoders/LFADS.md §1.2): gate blocks z | r | n, the reset
 * applied before the hidden matmul, the state clamped to ±clip. {@code W_ih·x + b_ih} and
 * {@code W_hh·h + b_hh} are accumulated separately in float32 (see {@link FloatLinear}); the activations are
 * evaluated in double and rounded to float32. Owns its scratch buffers; allocates nothing per step.
 */
final class FloatGru {
    final int in;
    final int hidden;
    private final float[][] wih;
    private final float[][] whhZr;
    private final float[][] whhN;
    private final float[] bih;
    private final float[] bhhZr;
    private final float[] bhhN;
    private final float clip;
    private final boolean sparseInput;
    private final float[] ax;
    private final float[] ahZr;
    private final float[] ahN;
    private final float[] z;
    private final float[] rh;

    /** A GRU on spike counts ({@code sparseInput}: zero counts are skipped) or on dense activations. */
    FloatGru(ModelBundle b, String prefix, int in, int hidden, double clip, boolean sparseInput) {
        LfadsTensors.requireGru(b, prefix, in, hidden, false);
        this.sparseInput = sparseInput;
        this.in = in;
        this.hidden = hidden;
        float[] wi = b.float32(prefix + "weight_ih");
        float[] wh = b.float32(prefix + "weight_hh");
        float[] bh = b.float32(prefix + "bias_hh");
        this.wih = FloatLinear.columns(wi, in, 0, 3 * hidden);
        this.whhZr = FloatLinear.columns(wh, hidden, 0, 2 * hidden);
        this.whhN = FloatLinear.columns(wh, hidden, 2 * hidden, hidden);
        this.bih = b.float32(prefix + "bias_ih");
        this.bhhZr = java.util.Arrays.copyOfRange(bh, 0, 2 * hidden);
        this.bhhN = java.util.Arrays.copyOfRange(bh, 2 * hidden, 3 * hidden);
        this.clip = (float) clip;
        this.ax = new float[3 * hidden];
        this.ahZr = new float[2 * hidden];
        this.ahN = new float[hidden];
        this.z = new float[hidden];
        this.rh = new float[hidden];
    }

    /** {@code h ← GRU(x[xOff..xOff+in), h)} in place ({@code h} at {@code hOff}). */
    void step(float[] x, int xOff, float[] h, int hOff) {
        final int hs = hidden;
        System.arraycopy(bih, 0, ax, 0, 3 * hs);
        if (sparseInput) {
            FloatLinear.accumulate(wih, 3 * hs, in, x, xOff, ax);
        } else {
            FloatLinear.accumulateDense(wih, 3 * hs, in, x, xOff, ax);
        }
        System.arraycopy(bhhZr, 0, ahZr, 0, 2 * hs);
        FloatLinear.accumulateDense(whhZr, 2 * hs, hs, h, hOff, ahZr);
        for (int i = 0; i < hs; i++) {
            z[i] = (float) sigmoid((double) (ax[i] + ahZr[i]));
            float r = (float) sigmoid((double) (ax[hs + i] + ahZr[hs + i]));
            rh[i] = r * h[hOff + i];
        }
        System.arraycopy(bhhN, 0, ahN, 0, hs);
        FloatLinear.accumulateDense(whhN, hs, hs, rh, 0, ahN);
        for (int i = 0; i < hs; i++) {
            float n = (float) tanh((double) (ax[2 * hs + i] + ahN[i]));
            float hv = z[i] * h[hOff + i] + (1f - z[i]) * n;
            h[hOff + i] = hv > clip ? clip : hv < -clip ? -clip : hv;
        }
    }

    static double sigmoid(double a) {
        return 1.0 / (1.0 + Math.exp(-a));
    }

    /** tanh through the exp intrinsic (absolute error ~1e-16, faster than Math.tanh on JDK 17). */
    static double tanh(double a) {
        return 1.0 - 2.0 / (Math.exp(2.0 * a) + 1.0);
    }
}
