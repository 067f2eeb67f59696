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
    /** Work items per stream, as in {@link LfadsStepKernel}. */
    int rowsPerStream = 1;
    /** Streams this launch runs. */
    int streams = 1;
    /** Floats of {@link #mem} per stream. */
    final int memStride;
    /** Floats of {@link #tmp} per stream. */
    final int tmpStride;

    LfadsFloatStepKernel(int maxOps, int maxStreams, int memFloats, int weightFloats, int biasFloats, int tmpFloats,
                         float[] clips) {
        ops = new int[maxOps * LfadsStepKernel.OP_INTS];
        memStride = Math.max(1, memFloats);
        tmpStride = Math.max(1, tmpFloats);
        mem = new float[maxStreams * memStride];
        w = new float[Math.max(1, weightFloats)];
        bias = new float[Math.max(1, biasFloats)];
        tmp = new float[maxStreams * tmpStride];
        this.clips = clips.clone();
    }

    @Override
    public void run() {
        int gid = getGlobalId();
        int s = gid / rowsPerStream;
        int i = gid - s * rowsPerStream;
        int o = getPassId() * 16;
        int type = ops[o];
        if (s < streams && i < ops[o + 1]) {
            int mb = s * memStride;
            int tb = s * tmpStride;
            if (type == 1) {
                gruA(o, i, mb, tb);
            } else if (type == 2) {
                gruB(o, i, mb, tb);
            } else if (type == 3) {
                linear(o, i, mb);
            } else if (type == 4) {
                mem[mb + ops[o + 8] + i] = mem[mb + ops[o + 7] + i];
            }
        }
    }

    private void gruA(int o, int i, int mb, int tb) {
        int hs = ops[o + 1];
        int cols = ops[o + 2];
        int wIh = ops[o + 3];
        int wHh = ops[o + 4];
        int bIh = ops[o + 5];
        int bHh = ops[o + 6];
        int x = mb + ops[o + 7];
        int h = mb + ops[o + 8];
        int g = tb + ops[o + 12];
        int sparse = ops[o + 9];
        float az = dot(bias[bIh + i], wIh + i * cols, x, cols, sparse);
        float ar = dot(bias[bIh + hs + i], wIh + (hs + i) * cols, x, cols, sparse);
        float an = dot(bias[bIh + 2 * hs + i], wIh + (2 * hs + i) * cols, x, cols, sparse);
        float hz = dot(bias[bHh + i], wHh + i * hs, h, hs, 0);
        float hr = dot(bias[bHh + hs + i], wHh + (hs + i) * hs, h, hs, 0);
        float z = sigmoid(az + hz);
        float r = sigmoid(ar + hr);
        tmp[g + i] = z;
        tmp[g + hs + i] = r * mem[h + i];
        tmp[g + 2 * hs + i] = an;
    }

    private void gruB(int o, int i, int mb, int tb) {
        int hs = ops[o + 1];
        int wHh = ops[o + 4];
        int bHh = ops[o + 6];
        int h = mb + ops[o + 8];
        int g = tb + ops[o + 12];
        float clip = clips[ops[o + 11]];
        int wr = wHh + (2 * hs + i) * hs;
        int rh = g + hs;
        float hn = bias[bHh + 2 * hs + i];
        int end4 = hs - hs % 4;
        for (int j = 0; j < end4; j += 4) {
            float p0 = w[wr + j] * tmp[rh + j];
            float p1 = w[wr + j + 1] * tmp[rh + j + 1];
            float p2 = w[wr + j + 2] * tmp[rh + j + 2];
            float p3 = w[wr + j + 3] * tmp[rh + j + 3];
            float s01 = p0 + p1;
            float s23 = p2 + p3;
            hn = hn + (s01 + s23);
        }
        for (int j = end4; j < hs; j++) {
            float p = w[wr + j] * tmp[rh + j];
            hn = hn + p;
        }
        float n = tanhF(tmp[g + 2 * hs + i] + hn);
        float z = tmp[g + i];
        // products in their own statements: OpenCL may contract a·b + c into one fma inside an expression, Java
        // rounds each product
        float zh = z * mem[h + i];
        float zn = (1f - z) * n;
        float hv = zh + zn;
        if (hv > clip) {
            hv = clip;
        }
        if (hv < -clip) {
            hv = -clip;
        }
        mem[h + i] = hv;
    }

    private void linear(int o, int i, int mb) {
        int cols = ops[o + 2];
        int wo = ops[o + 3];
        int x = mb + ops[o + 7];
        mem[mb + ops[o + 8] + i] = dot(bias[ops[o + 5] + i], wo + i * cols, x, cols, 0);
    }

    /**
     * {@code b + Σ_j w[wRow + j]·mem[x + j]} in the order of {@code FloatLinear}: sparse (spike counts, {@code sparse}
     * 1) one column at a time (the reference skips zero counts, which adds the same ±0), dense four columns per step,
     * their products summed in pairs, then the rest one at a time.
     */
    private float dot(float b, int wRow, int x, int cols, int sparse) {
        float acc = b;
        int end4 = (cols - cols % 4) * (1 - sparse);
        for (int j = 0; j < end4; j += 4) {
            float p0 = w[wRow + j] * mem[x + j];
            float p1 = w[wRow + j + 1] * mem[x + j + 1];
            float p2 = w[wRow + j + 2] * mem[x + j + 2];
            float p3 = w[wRow + j + 3] * mem[x + j + 3];
            float s01 = p0 + p1;
            float s23 = p2 + p3;
            acc = acc + (s01 + s23);
        }
        for (int j = end4; j < cols; j++) {
            float p = w[wRow + j] * mem[x + j];
            acc = acc + p;
        }
        return acc;
    }

    /** σ in double rounded to float, as the reference ({@code FloatGru.sigmoid}). */
    private float sigmoid(float a) {
        return (float) (1.0 / (1.0 + exp(-(double) a)));
    }

    /** tanh through exp in double rounded to float, as the reference ({@code FloatGru.tanh}). */
    private float tanhF(float a) {
        return (float) (1.0 - 2.0 / (exp(2.0 * (double) a) + 1.0));
    }
}
