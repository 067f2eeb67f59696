package io.reflex.gpu;

import com.aparapi.device.Device;
import io.reflex.decoders.Counts;
import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.checkpoint.CheckpointStatus;
import io.reflex.decoders.checkpoint.LfadsCheckpoint;
import io.reflex.decoders.fixed.ActivationLuts;
import io.reflex.decoders.fixed.FixedPoint;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.decoders.lfads.LfadsFixed;
import java.util.Arrays;

/**
 * The causal LFADS stream of {@link LfadsFixed} (FIXED_POINT.md §6) with its step on an Aparapi device
 * ({@link LfadsStepKernel}): counts rounded half away from zero and saturated to [0, 32767] as the golden model does,
 * the CI GRU, the lagged controller input, controller, co linear, generator, factors and readout in one launch, Q12
 * outputs divided by 4096. Bit-identical to {@link LfadsFixed#step}. Checkpoints in the {@code "LFS1"} layout.
 *
 * <p>Per-step calls allocate nothing on the Java side. Not thread-safe.
 */
final class AparapiLfads implements AutoCloseable {
    private static final float Q12 = 1f / (1 << FixedPoint.ACT);

    private final LfadsFixed.CausalExport m;
    private final LfadsDims d;
    private final LfadsStepKernel k;
    private final KernelLauncher launcher;
    private final LfadsCheckpoint layout;
    private final short[] scratch;
    // mem offsets
    private final int x;
    private final int ci;
    private final int ring;
    private final int conIn;
    private final int con;
    private final int u;
    private final int gen;
    private final int fac;
    private final int lr;
    private final int ciH0;
    private final int conH0;
    private final int g0;
    private final int zero;
    // weight, bias and tmp offsets: ci GRU, con GRU, gen GRU, co linear, fac, readout
    private final int[] wOff = new int[9];
    private final int[] bOff = new int[9];
    private final int[] tOff = new int[3];
    private int passes;
    private long bins;

    /**
     * @throws IllegalArgumentException for a model without a controller (the causal step of §6 needs one)
     * @throws IllegalStateException    when the kernel cannot be compiled for an OpenCL device
     */
    AparapiLfads(LfadsFixed.CausalExport model, Device device) {
        this.m = model;
        this.d = model.dims();
        if (model.ciFwd() == null) {
            throw new IllegalArgumentException("the causal step needs a model with a controller (con_dim > 0)");
        }
        int C = d.ciEncDim();
        int L = d.ciLag();
        int pos = 0;
        x = pos;
        pos += d.dataDim();
        ci = pos;
        pos += C;
        ring = pos;
        pos += (L + 1) * C;
        conIn = pos;
        pos += C + d.facDim();
        con = pos;
        pos += d.conDim();
        u = pos;
        pos += d.coDim();
        gen = pos;
        pos += d.genDim();
        fac = pos;
        pos += d.facDim();
        lr = pos;
        pos += d.readoutDim();
        ciH0 = pos;
        pos += C;
        conH0 = pos;
        pos += d.conDim();
        g0 = pos;
        pos += d.genDim();
        zero = pos;
        pos += Math.max(1, C);
        int memInts = pos;

        LfadsFixed.Gru[] grus = {model.ciFwd(), model.con(), model.gen()};
        LfadsFixed.Linear[] lins = {model.coLinear(), model.fac(), model.readout()};
        int wInts = 0;
        int bLongs = 0;
        int tInts = 0;
        for (int q = 0; q < 3; q++) {
            wOff[2 * q] = wInts;
            wInts += grus[q].wIh().length;
            wOff[2 * q + 1] = wInts;
            wInts += grus[q].wHh().length;
            bOff[2 * q] = bLongs;
            bLongs += grus[q].bIh().length;
            bOff[2 * q + 1] = bLongs;
            bLongs += grus[q].bHh().length;
            tOff[q] = tInts;
            tInts += 3 * grus[q].hidden();
        }
        for (int q = 0; q < 3; q++) {
            wOff[6 + q] = wInts;
            wInts += lins[q].w().length;
            bOff[6 + q] = bLongs;
            bLongs += lins[q].bias().length;
        }
        k = new LfadsStepKernel(20, memInts, wInts, bLongs, tInts, ActivationLuts.sigmoid(), ActivationLuts.tanh());
        for (int q = 0; q < 3; q++) {
            copy(grus[q].wIh(), k.w, wOff[2 * q]);
            copy(grus[q].wHh(), k.w, wOff[2 * q + 1]);
            System.arraycopy(grus[q].bIh(), 0, k.bias, bOff[2 * q], grus[q].bIh().length);
            System.arraycopy(grus[q].bHh(), 0, k.bias, bOff[2 * q + 1], grus[q].bHh().length);
        }
        for (int q = 0; q < 3; q++) {
            copy(lins[q].w(), k.w, wOff[6 + q]);
            System.arraycopy(lins[q].bias(), 0, k.bias, bOff[6 + q], lins[q].bias().length);
        }
        copy(model.ciH0(), k.mem, ciH0);
        copy(model.conH0(), k.mem, conH0);
        copy(model.g0(), k.mem, g0);
        layout = new LfadsCheckpoint(C, d.conDim(), d.genDim(), d.facDim(), L);
        scratch = new short[Math.max(Math.max(C, d.conDim()), Math.max(d.genDim(), d.facDim()))];
        int maxRows = Math.max(Math.max(d.dataDim(), C + d.facDim()), Math.max(d.conDim(), d.coDim()));
        maxRows = Math.max(maxRows, Math.max(Math.max(d.genDim(), d.facDim()), d.readoutDim()));
        launcher = KernelLauncher.open(k, device, maxRows);
        // an empty first launch (KernelLauncher#close explains why)
        Arrays.fill(k.ops, 0);
        if (launcher.launch(1) != KernelLauncher.OK) {
            String why = launcher.fault();
            launcher.close();
            throw new IllegalStateException(why);
        }
        reset();
    }

    private static void copy(short[] src, int[] dst, int off) {
        for (int i = 0; i < src.length; i++) {
            dst[off + i] = src[i];
        }
    }

    KernelLauncher launcher() {
        return launcher;
    }

    LfadsDims dims() {
        return d;
    }

    long bins() {
        return bins;
    }

    void reset() {
        bins = 0;
    }

    private void op(int type, int rows, int cols, int w1, int w2, int b1, int b2, int src, int dst, int s1, int s2,
                    int clip, int tmp) {
        int o = passes * LfadsStepKernel.OP_INTS;
        int[] p = k.ops;
        p[o + LfadsStepKernel.O_TYPE] = type;
        p[o + LfadsStepKernel.O_ROWS] = rows;
        p[o + LfadsStepKernel.O_COLS] = cols;
        p[o + LfadsStepKernel.O_W] = w1;
        p[o + LfadsStepKernel.O_W2] = w2;
        p[o + LfadsStepKernel.O_B] = b1;
        p[o + LfadsStepKernel.O_B2] = b2;
        p[o + LfadsStepKernel.O_X] = src;
        p[o + LfadsStepKernel.O_Y] = dst;
        p[o + LfadsStepKernel.O_SHIFT] = s1;
        p[o + LfadsStepKernel.O_SHIFT2] = s2;
        p[o + LfadsStepKernel.O_CLIP] = clip;
        p[o + LfadsStepKernel.O_TMP] = tmp;
        passes++;
    }

    private void copyOp(int n, int src, int dst) {
        if (n > 0) {
            op(LfadsStepKernel.COPY, n, 0, 0, 0, 0, 0, src, dst, 0, 0, 0, 0);
        }
    }

    private void gruOps(int q, LfadsFixed.Gru g, int src, int state) {
        op(LfadsStepKernel.GRU_A, g.hidden(), g.in(), wOff[2 * q], wOff[2 * q + 1], bOff[2 * q], bOff[2 * q + 1], src,
                state, g.shiftIh(), g.shiftHh(), g.clipQ(), tOff[q]);
        op(LfadsStepKernel.GRU_B, g.hidden(), g.in(), wOff[2 * q], wOff[2 * q + 1], bOff[2 * q], bOff[2 * q + 1], src,
                state, g.shiftIh(), g.shiftHh(), g.clipQ(), tOff[q]);
    }

    private void linearOp(int q, LfadsFixed.Linear l, int src, int dst) {
        op(LfadsStepKernel.LINEAR, l.rows(), l.cols(), wOff[6 + q], 0, bOff[6 + q], 0, src, dst, l.shift(), 0, 0, 0);
    }

    /**
     * One causal step, as {@link LfadsFixed#step}.
     *
     * @return OK; INVALID_INPUT (outputs zeroed, stream unchanged) for short arrays or an invalid count;
     *         ENGINE_FAULT when the launch failed or ran elsewhere than the chosen device
     */
    int step(float[] counts, float[] factors, float[] logRates) {
        int dd = d.dataDim();
        if (counts == null || factors == null || logRates == null || counts.length < dd
                || factors.length < d.facDim() || logRates.length < d.readoutDim() || !Counts.allValid(counts, 0, dd)) {
            if (factors != null) {
                Arrays.fill(factors, 0f);
            }
            if (logRates != null) {
                Arrays.fill(logRates, 0f);
            }
            return DecodeStatus.INVALID_INPUT;
        }
        for (int j = 0; j < dd; j++) {
            double r = FixedPoint.roundHalfAway(counts[j]);
            k.mem[x + j] = r <= 0 ? 0 : r >= Short.MAX_VALUE ? Short.MAX_VALUE : (int) r;
        }
        int c = d.ciEncDim();
        int lag = d.ciLag();
        passes = 0;
        if (bins == 0) {
            copyOp(d.genDim(), g0, gen);
            copyOp(d.conDim(), conH0, con);
            copyOp(c, ciH0, ci);
            linearOp(1, m.fac(), gen, fac);
        }
        gruOps(0, m.ciFwd(), x, ci);
        copyOp(c, ci, ring + (int) (bins % (lag + 1)) * c);
        copyOp(c, bins >= lag ? ring + (int) ((bins - lag) % (lag + 1)) * c : zero, conIn);
        copyOp(d.facDim(), fac, conIn + c);
        gruOps(1, m.con(), conIn, con);
        linearOp(0, m.coLinear(), con, u);
        gruOps(2, m.gen(), u, gen);
        linearOp(1, m.fac(), gen, fac);
        linearOp(2, m.readout(), fac, lr);
        if (launcher.launch(passes) != KernelLauncher.OK) {
            Arrays.fill(factors, 0, d.facDim(), 0f);
            Arrays.fill(logRates, 0, d.readoutDim(), 0f);
            return DecodeStatus.ENGINE_FAULT;
        }
        for (int i = 0; i < d.facDim(); i++) {
            factors[i] = k.mem[fac + i] * Q12;
        }
        for (int i = 0; i < d.readoutDim(); i++) {
            logRates[i] = k.mem[lr + i] * Q12;
        }
        bins++;
        return DecodeStatus.OK;
    }

    int checkpointBytes() {
        return layout.bytes();
    }

    private void put(byte[] dst, int offset, int memOff, int n) {
        for (int i = 0; i < n; i++) {
            scratch[i] = (short) k.mem[memOff + i];
        }
        LfadsCheckpoint.putQ12(dst, offset, scratch, 0, n);
    }

    private void get(byte[] src, int offset, int memOff, int n) {
        LfadsCheckpoint.getQ12(src, offset, scratch, 0, n);
        for (int i = 0; i < n; i++) {
            k.mem[memOff + i] = scratch[i];
        }
    }

    /** The {@code "LFS1"} checkpoint, as {@link LfadsFixed#saveStream}. Allocates nothing. */
    CheckpointStatus save(byte[] dst) {
        if (dst == null || dst.length < layout.bytes()) {
            return CheckpointStatus.TOO_SHORT;
        }
        int c = d.ciEncDim();
        int lag = d.ciLag();
        layout.writeHeader(dst, bins);
        if (bins == 0) {
            put(dst, layout.ciOffset(), ciH0, c);
            put(dst, layout.conOffset(), conH0, d.conDim());
            put(dst, layout.genOffset(), g0, d.genDim());
            facOfG0(dst);
        } else {
            put(dst, layout.ciOffset(), ci, c);
            put(dst, layout.conOffset(), con, d.conDim());
            put(dst, layout.genOffset(), gen, d.genDim());
            put(dst, layout.facOffset(), fac, d.facDim());
        }
        for (int q = 0; q < lag; q++) {
            long bin = bins - 1 - q;
            if (bin >= 0) {
                put(dst, layout.histOffset(q), ring + (int) (bin % (lag + 1)) * c, c);
            } else {
                LfadsCheckpoint.putZeros(dst, layout.histOffset(q), c);
            }
        }
        return CheckpointStatus.OK;
    }

    /** The factors of the learned g0 (what a first step starts from), computed here as {@code fac} does. */
    private void facOfG0(byte[] dst) {
        LfadsFixed.Linear l = m.fac();
        short[] g = m.g0();
        for (int i = 0; i < l.rows(); i++) {
            long acc = l.bias()[i];
            for (int j = 0; j < l.cols(); j++) {
                acc += l.w()[i * l.cols() + j] * g[j];
            }
            scratch[i] = FixedPoint.requant16(acc, l.shift());
        }
        LfadsCheckpoint.putQ12(dst, layout.facOffset(), scratch, 0, l.rows());
    }

    /** Continues from an {@code "LFS1"} checkpoint, as {@link LfadsFixed#restoreStream}. Allocates nothing. */
    CheckpointStatus restore(byte[] src) {
        CheckpointStatus s = layout.check(src);
        if (!s.ok()) {
            return s;
        }
        long b = LfadsCheckpoint.bins(src);
        if (b == 0) {
            bins = 0;
            return CheckpointStatus.OK;
        }
        int c = d.ciEncDim();
        int lag = d.ciLag();
        get(src, layout.ciOffset(), ci, c);
        get(src, layout.conOffset(), con, d.conDim());
        get(src, layout.genOffset(), gen, d.genDim());
        get(src, layout.facOffset(), fac, d.facDim());
        for (int q = 0; q < lag; q++) {
            long bin = b - 1 - q;
            if (bin >= 0) {
                get(src, layout.histOffset(q), ring + (int) (bin % (lag + 1)) * c, c);
            }
        }
        bins = b;
        return CheckpointStatus.OK;
    }

    @Override
    public void close() {
        launcher.close();
    }
}
