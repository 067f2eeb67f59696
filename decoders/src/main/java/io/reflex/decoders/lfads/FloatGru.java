package io.reflex.decoders.lfads;

import io.reflex.decoders.bundle.ModelBundle;

/**
 * lfads-torch's {@code ClippedGRUCell} in float32 (inference-spec.md §1.2): gate blocks z | r | n, the reset
 * applied before the hidden matmul, the state clamped to ±clip. {@code W_ih·x + b_ih} and
 * {@code W_hh·h + b_hh} are accumulated separately in float32 (see {@link FloatLinear}); the activations are
 * evaluated in double and rounded to float32. Owns its scratch buffers; allocates nothing per step.
 */
final class FloatGru {
    final int in;
    final int hidden;
    private final float[] wihT;
    private final float[] whhT;
    private final float[] bih;
    private final float[] bhh;
    private final float clip;
    private final boolean sparseInput;
    private final float[] ax;
    private final float[] ah;
    private final float[] z;
    private final float[] rh;

    /** A GRU on spike counts ({@code sparseInput}: zero counts are skipped) or on dense activations. */
    FloatGru(ModelBundle b, String prefix, int in, int hidden, double clip, boolean sparseInput) {
        this.sparseInput = sparseInput;
        LfadsTensors.requireGru(b, prefix, in, hidden, false);
        this.in = in;
        this.hidden = hidden;
        this.wihT = FloatLinear.transpose(b.float32(prefix + "weight_ih"), 3 * hidden, in);
        this.whhT = FloatLinear.transpose(b.float32(prefix + "weight_hh"), 3 * hidden, hidden);
        this.bih = b.float32(prefix + "bias_ih");
        this.bhh = b.float32(prefix + "bias_hh");
        this.clip = (float) clip;
        this.ax = new float[3 * hidden];
        this.ah = new float[3 * hidden];
        this.z = new float[hidden];
        this.rh = new float[hidden];
    }

    /** {@code h ← GRU(x[xOff..xOff+in), h)} in place ({@code h} at {@code hOff}). */
    void step(float[] x, int xOff, float[] h, int hOff) {
        final int hs = hidden;
        final int n3 = 3 * hs;
        System.arraycopy(bih, 0, ax, 0, n3);
        if (sparseInput) {
            FloatLinear.accumulate(wihT, n3, 0, n3, in, x, xOff, ax, 0);
        } else {
            FloatLinear.accumulateDense(wihT, n3, 0, n3, in, x, xOff, ax, 0);
        }
        System.arraycopy(bhh, 0, ah, 0, 2 * hs);
        FloatLinear.accumulateDense(whhT, n3, 0, 2 * hs, hs, h, hOff, ah, 0);
        for (int i = 0; i < hs; i++) {
            z[i] = (float) sigmoid((double) (ax[i] + ah[i]));
            float r = (float) sigmoid((double) (ax[hs + i] + ah[hs + i]));
            rh[i] = r * h[hOff + i];
        }
        System.arraycopy(bhh, 2 * hs, ah, 2 * hs, hs);
        FloatLinear.accumulateDense(whhT, n3, 2 * hs, hs, hs, rh, 0, ah, 2 * hs);
        for (int i = 0; i < hs; i++) {
            float n = (float) tanh((double) (ax[2 * hs + i] + ah[2 * hs + i]));
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
