package io.reflex.gpu;

import com.aparapi.Kernel;

/**
 * The causal LFADS step of decoders/FIXED_POINT.md §6 as an Aparapi kernel in integer arithmetic, bit-identical to
 * {@link io.reflex.decoders.lfads.LfadsFixed#stepQ}: one launch per step, one pass per operation of a small program
 * ({@link #ops}, written by {@link AparapiLfads} before each launch), one work item per output row and stream:
 * {@link #streams} independent streams (a batch of trials, each with its own vectors in {@link #mem} and {@link #tmp}
 * at a stride, the weights shared) advance together, {@code streams · rowsPerStream} work items per pass.
 *
 * <p>Operations (16 ints each): {@link #GRU_A} (for each row i of a GRU cell: the three input rows and the z, r hidden
 * rows, requantised to Q10; z and r from the sigmoid LUT; {@code r⊙h}), {@link #GRU_B} (the n hidden row over
 * {@code r⊙h}, tanh LUT, the gated update, rounding and clip), {@link #LINEAR} ({@code requant16(b + W·v, shift)}),
 * {@link #COPY}. A GRU needs two passes because the n row reads every {@code r⊙h}; passes are the only barrier.
 * Accumulators are exact in 64 bits (int16·int16 products summed in {@code long}), so the order of the sum does not
 * matter, as in the golden model.
 *
 * <p>Vectors live in {@link #mem} (Q12 or Q0 values held in ints), weights in {@link #w}, biases in {@link #bias};
 * {@link #tmp} holds each GRU's z, {@code r⊙h} and the input part of n between its two passes.
 */
final class LfadsStepKernel extends Kernel {
    static final int GRU_A = 1;
    static final int GRU_B = 2;
    static final int LINEAR = 3;
    static final int COPY = 4;
    /** Ints per operation. */
    static final int OP_INTS = 16;
    static final int O_TYPE = 0;
    static final int O_ROWS = 1;
    static final int O_COLS = 2;
    static final int O_W = 3;
    static final int O_W2 = 4;
    static final int O_B = 5;
    static final int O_B2 = 6;
    static final int O_X = 7;
    static final int O_Y = 8;
    static final int O_SHIFT = 9;
    static final int O_SHIFT2 = 10;
    static final int O_CLIP = 11;
    static final int O_TMP = 12;

    final int[] ops;
    final int[] mem;
    final int[] w;
    final long[] bias;
    final int[] tmp;
    final int[] sigmoid;
    final int[] tanh;
    /** Work items per stream (the widest operation); work item {@code s · rowsPerStream + i} is row i of stream s. */
    int rowsPerStream = 1;
    /** Streams this launch runs (at most the streams the arrays were made for). */
    int streams = 1;
    /** Ints of {@link #mem} per stream: stream s's vectors start at {@code s · memStride}. */
    final int memStride;
    /** Ints of {@link #tmp} per stream. */
    final int tmpStride;

    LfadsStepKernel(int maxOps, int maxStreams, int memInts, int weightInts, int biasLongs, int tmpInts,
                    short[] sigmoidLut, short[] tanhLut) {
        ops = new int[maxOps * OP_INTS];
        memStride = Math.max(1, memInts);
        tmpStride = Math.max(1, tmpInts);
        mem = new int[maxStreams * memStride];
        w = new int[Math.max(1, weightInts)];
        bias = new long[Math.max(1, biasLongs)];
        tmp = new int[maxStreams * tmpStride];
        sigmoid = new int[sigmoidLut.length];
        tanh = new int[tanhLut.length];
        for (int i = 0; i < sigmoidLut.length; i++) {
            sigmoid[i] = sigmoidLut[i];
            tanh[i] = tanhLut[i];
        }
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
        long az = bias[bIh + i];
        long ar = bias[bIh + hs + i];
        long an = bias[bIh + 2 * hs + i];
        for (int j = 0; j < cols; j++) {
            int v = mem[x + j];
            az = az + w[wIh + i * cols + j] * v;
            ar = ar + w[wIh + (hs + i) * cols + j] * v;
            an = an + w[wIh + (2 * hs + i) * cols + j] * v;
        }
        long hz = bias[bHh + i];
        long hr = bias[bHh + hs + i];
        for (int j = 0; j < hs; j++) {
            int v = mem[h + j];
            hz = hz + w[wHh + i * hs + j] * v;
            hr = hr + w[wHh + (hs + i) * hs + j] * v;
        }
        int s1 = ops[o + 9];
        int s2 = ops[o + 10];
        int z = sigmoid[lutIndex(requant16(az, s1) + requant16(hz, s2))];
        int r = sigmoid[lutIndex(requant16(ar, s1) + requant16(hr, s2))];
        tmp[g + i] = z;
        tmp[g + hs + i] = requant16((long) r * mem[h + i], 14);
        tmp[g + 2 * hs + i] = requant16(an, s1);
    }

    private void gruB(int o, int i, int mb, int tb) {
        int hs = ops[o + 1];
        int wHh = ops[o + 4];
        int bHh = ops[o + 6];
        int h = mb + ops[o + 8];
        int g = tb + ops[o + 12];
        int clip = ops[o + 11];
        long hn = bias[bHh + 2 * hs + i];
        for (int j = 0; j < hs; j++) {
            hn = hn + w[wHh + (2 * hs + i) * hs + j] * tmp[g + hs + j];
        }
        int n = tanh[lutIndex(tmp[g + 2 * hs + i] + requant16(hn, ops[o + 10]))];
        int z = tmp[g + i];
        long acc = ((long) z * mem[h + i]) * 4 + (long) (16384 - z) * n;
        long hv = rshiftRound(acc, 16);
        if (hv > clip) {
            hv = clip;
        }
        if (hv < -clip) {
            hv = -clip;
        }
        mem[h + i] = (int) hv;
    }

    private void linear(int o, int i, int mb) {
        int cols = ops[o + 2];
        int wo = ops[o + 3];
        int x = mb + ops[o + 7];
        long acc = bias[ops[o + 5] + i];
        for (int j = 0; j < cols; j++) {
            acc = acc + w[wo + i * cols + j] * mem[x + j];
        }
        mem[mb + ops[o + 8] + i] = requant16(acc, ops[o + 9]);
    }

    private long rshiftRound(long acc, int s) {
        long r = acc;
        if (s > 0) {
            r = (acc + (1L << (s - 1))) >> s;
        }
        if (s < 0) {
            r = acc << (-s);
        }
        return r;
    }

    private int requant16(long acc, int s) {
        long r = rshiftRound(acc, s);
        int q = (int) r;
        if (r > 32767L) {
            q = 32767;
        }
        if (r < -32768L) {
            q = -32768;
        }
        return q;
    }

    private int lutIndex(int p) {
        int i = (p + 8192) >> 2;
        if (i < 0) {
            i = 0;
        }
        if (i > 4095) {
            i = 4095;
        }
        return i;
    }
}
