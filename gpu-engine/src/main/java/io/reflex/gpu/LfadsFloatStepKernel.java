package io.reflex.gpu;

import com.aparapi.Kernel;

/**
 * The causal LFADS step of {@link io.reflex.decoders.lfads.LfadsFloat32#step} as an Aparapi kernel in float32: the
 * same small program of passes as {@link LfadsStepKernel} (written by {@link AparapiLfadsFloat} before each launch,
 * {@link LfadsStepKernel#OP_INTS} ints per operation, one work item per output row), in float arithmetic.
 *
 * <p>Operations: {@link LfadsStepKernel#GRU_A} (for row i of a GRU cell: the three input rows and the z, r hidden rows
 * with their biases, {@code z = σ(·)}, {@code r = σ(·)}, {@code r·h}), {@link LfadsStepKernel#GRU_B} (the n hidden row
 * over {@code r⊙h}, {@code n = tanh(·)}, {@code z·h + (1 − z)·n} clamped to ± the cell clip
 * {@code clips[ops[o + O_CLIP]]}), {@link LfadsStepKernel#LINEAR} ({@code b + W·v}), {@link LfadsStepKernel#COPY}.
 * σ and tanh are evaluated in float through {@code exp} ({@code 1/(1+e^−a)}, {@code 1 − 2/(e^{2a}+1)}); sums run in
 * input order. The Java reference rounds its activations from double and sums four columns at a time, so results
 * agree to float rounding, not bit for bit (the tolerance is in AparapiLfadsFloatTest).
 */
final class LfadsFloatStepKernel extends Kernel {
    final int[] ops;
    final float[] mem;
    final float[] w;
    final float[] bias;
    final float[] tmp;
    final float[] clips;

    LfadsFloatStepKernel(int maxOps, int memFloats, int weightFloats, int biasFloats, int tmpFloats, float[] clips) {
        ops = new int[maxOps * LfadsStepKernel.OP_INTS];
        mem = new float[Math.max(1, memFloats)];
        w = new float[Math.max(1, weightFloats)];
        bias = new float[Math.max(1, biasFloats)];
        tmp = new float[Math.max(1, tmpFloats)];
        this.clips = clips.clone();
    }

    @Override
    public void run() {
        int i = getGlobalId();
        int o = getPassId() * 16;
        int type = ops[o];
        if (i < ops[o + 1]) {
            if (type == 1) {
                gruA(o, i);
            } else if (type == 2) {
                gruB(o, i);
            } else if (type == 3) {
                linear(o, i);
            } else if (type == 4) {
                mem[ops[o + 8] + i] = mem[ops[o + 7] + i];
            }
        }
    }

    private void gruA(int o, int i) {
        int hs = ops[o + 1];
        int cols = ops[o + 2];
        int wIh = ops[o + 3];
        int wHh = ops[o + 4];
        int bIh = ops[o + 5];
        int bHh = ops[o + 6];
        int x = ops[o + 7];
        int h = ops[o + 8];
        int g = ops[o + 12];
        float az = bias[bIh + i];
        float ar = bias[bIh + hs + i];
        float an = bias[bIh + 2 * hs + i];
        for (int j = 0; j < cols; j++) {
            float v = mem[x + j];
            az = az + w[wIh + i * cols + j] * v;
            ar = ar + w[wIh + (hs + i) * cols + j] * v;
            an = an + w[wIh + (2 * hs + i) * cols + j] * v;
        }
        float hz = bias[bHh + i];
        float hr = bias[bHh + hs + i];
        for (int j = 0; j < hs; j++) {
            float v = mem[h + j];
            hz = hz + w[wHh + i * hs + j] * v;
            hr = hr + w[wHh + (hs + i) * hs + j] * v;
        }
        float z = sigmoid(az + hz);
        float r = sigmoid(ar + hr);
        tmp[g + i] = z;
        tmp[g + hs + i] = r * mem[h + i];
        tmp[g + 2 * hs + i] = an;
    }

    private void gruB(int o, int i) {
        int hs = ops[o + 1];
        int wHh = ops[o + 4];
        int bHh = ops[o + 6];
        int h = ops[o + 8];
        int g = ops[o + 12];
        float clip = clips[ops[o + 11]];
        float hn = bias[bHh + 2 * hs + i];
        for (int j = 0; j < hs; j++) {
            hn = hn + w[wHh + (2 * hs + i) * hs + j] * tmp[g + hs + j];
        }
        float n = tanhF(tmp[g + 2 * hs + i] + hn);
        float z = tmp[g + i];
        float hv = z * mem[h + i] + (1f - z) * n;
        if (hv > clip) {
            hv = clip;
        }
        if (hv < -clip) {
            hv = -clip;
        }
        mem[h + i] = hv;
    }

    private void linear(int o, int i) {
        int cols = ops[o + 2];
        int wo = ops[o + 3];
        int x = ops[o + 7];
        float acc = bias[ops[o + 5] + i];
        for (int j = 0; j < cols; j++) {
            acc = acc + w[wo + i * cols + j] * mem[x + j];
        }
        mem[ops[o + 8] + i] = acc;
    }

    private float sigmoid(float a) {
        return 1f / (1f + exp(-a));
    }

    private float tanhF(float a) {
        return 1f - 2f / (exp(2f * a) + 1f);
    }
}
