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
import io.reflex.decoders.lfads.LfadsKernel;
import java.util.Arrays;

/**
 * The acausal LFADS trial of {@link LfadsFixed#trialQ} (FIXED_POINT.md §6) on an Aparapi device, bit-identical to
 * {@link LfadsFixed#trial}: the whole trial is one launch of {@link LfadsStepKernel} running a pass program written
 * here for the window's length: the IC encoders (forward and backward GRUs over the window, interleaved bin by bin),
 * the CI encoders (their per-bin states kept), {@code ic_linear} and {@code ic_to_g0} to the generator's initial
 * state, then every decoder step (the controller input from the lagged forward and backward CI states, controller,
 * co linear, generator, factors, readout), each step's outputs copied to their own rows in {@code mem}. The integers
 * come from {@link LfadsFixed#acausalExport()}, so the golden model stays the one definition.
 *
 * <p>As an {@link LfadsKernel} it gives the engine {@code cpu-fixed}'s trials and, through
 * {@link io.reflex.decoders.lfads.LfadsStream}, its sliding windows; the causal step is not defined for an acausal
 * model ({@link #step} throws as {@link LfadsFixed#step} does, {@link #saveStream} is UNSUPPORTED).
 *
 * <p>Per-trial calls allocate nothing on the Java side. Not thread-safe.
 */
final class AparapiLfadsAcausal implements LfadsKernel, AutoCloseable {
    private static final float Q12 = 1f / (1 << FixedPoint.ACT);
    // GRU and linear indices into gru[] / lin[] and the weight offsets
    private static final int IC_FWD = 0;
    private static final int IC_BWD = 1;
    private static final int CI_FWD = 2;
    private static final int CI_BWD = 3;
    private static final int CON = 4;
    private static final int GEN = 5;
    private static final int IC_LINEAR = 0;
    private static final int IC_TO_G0 = 1;
    private static final int CO_LINEAR = 2;
    private static final int FAC = 3;
    private static final int READOUT = 4;

    private final LfadsDims d;
    private final boolean ctl;
    private final LfadsFixed.Gru[] gru = new LfadsFixed.Gru[6];
    private final LfadsFixed.Linear[] lin = new LfadsFixed.Linear[5];
    private final int[] gW = new int[12];
    private final int[] gB = new int[12];
    private final int[] lW = new int[5];
    private final int[] lB = new int[5];
    // mem offsets
    private final int win;
    private final int e;
    private final int icH0;
    private final int icMean;
    private final int ciF;
    private final int ciH0;
    private final int fwdOut;
    private final int bwdOut;
    private final int conIn;
    private final int con;
    private final int conH0;
    private final int u;
    private final int gen;
    private final int fac;
    private final int zero;
    private final int facOut;
    private final int lrOut;
    private final int genOut;
    private final int conOut;
    private final int coOut;
    private final LfadsStepKernel k;
    private final KernelLauncher launcher;
    private final float[] icMeanF;
    private final float[] genStatesF;
    private final float[] conStatesF;
    private final float[] coF;
    private int passes;

    /**
     * @throws IllegalStateException when the kernel cannot be compiled for an OpenCL device or its first launch fails
     */
    AparapiLfadsAcausal(LfadsFixed.AcausalExport m, Device device) {
        this.d = m.dims();
        this.ctl = d.hasController();
        gru[IC_FWD] = m.icFwd();
        gru[IC_BWD] = m.icBwd();
        gru[CI_FWD] = m.ciFwd();
        gru[CI_BWD] = m.ciBwd();
        gru[CON] = m.con();
        gru[GEN] = m.gen();
        lin[IC_LINEAR] = m.icLinear();
        lin[IC_TO_G0] = m.icToG0();
        lin[CO_LINEAR] = m.coLinear();
        lin[FAC] = m.fac();
        lin[READOUT] = m.readout();
        int T = d.encSeqLen();
        int tr = d.reconSeqLen();
        int D = d.dataDim();
        int E = d.icEncDim();
        int C = d.ciEncDim();
        int pos = 0;
        win = pos;
        pos += T * D;
        e = pos;
        pos += 2 * E;
        icH0 = pos;
        pos += 2 * E;
        icMean = pos;
        pos += d.icDim();
        ciF = pos;
        pos += ctl ? 2 * C : 0;
        ciH0 = pos;
        pos += ctl ? 2 * C : 0;
        fwdOut = pos;
        pos += ctl ? T * C : 0;
        bwdOut = pos;
        pos += ctl ? T * C : 0;
        conIn = pos;
        pos += d.conInputDim();
        con = pos;
        pos += d.conDim();
        conH0 = pos;
        pos += d.conDim();
        u = pos;
        pos += d.coDim();
        gen = pos;
        pos += d.genDim();
        fac = pos;
        pos += d.facDim();
        zero = pos;
        pos += Math.max(1, C);
        facOut = pos;
        pos += tr * d.facDim();
        lrOut = pos;
        pos += tr * d.readoutDim();
        genOut = pos;
        pos += tr * d.genDim();
        conOut = pos;
        pos += tr * d.conDim();
        coOut = pos;
        pos += tr * d.coDim();
        int memInts = pos;

        int wInts = 0;
        int bLongs = 0;
        int maxHidden = 1;
        for (int q = 0; q < gru.length; q++) {
            if (gru[q] != null) {
                gW[2 * q] = wInts;
                wInts += gru[q].wIh().length;
                gW[2 * q + 1] = wInts;
                wInts += gru[q].wHh().length;
                gB[2 * q] = bLongs;
                bLongs += gru[q].bIh().length;
                gB[2 * q + 1] = bLongs;
                bLongs += gru[q].bHh().length;
                maxHidden = Math.max(maxHidden, gru[q].hidden());
            }
        }
        for (int q = 0; q < lin.length; q++) {
            if (lin[q] != null) {
                lW[q] = wInts;
                wInts += lin[q].w().length;
                lB[q] = bLongs;
                bLongs += lin[q].bias().length;
            }
        }
        // one tmp area serves every GRU: a GRU's two passes are adjacent, and passes are the only barrier
        k = new LfadsStepKernel(maxPasses(d), 1, memInts, wInts, bLongs, 3 * maxHidden, ActivationLuts.sigmoid(),
                ActivationLuts.tanh());
        for (int q = 0; q < gru.length; q++) {
            if (gru[q] != null) {
                copy(gru[q].wIh(), k.w, gW[2 * q]);
                copy(gru[q].wHh(), k.w, gW[2 * q + 1]);
                System.arraycopy(gru[q].bIh(), 0, k.bias, gB[2 * q], gru[q].bIh().length);
                System.arraycopy(gru[q].bHh(), 0, k.bias, gB[2 * q + 1], gru[q].bHh().length);
            }
        }
        for (int q = 0; q < lin.length; q++) {
            if (lin[q] != null) {
                copy(lin[q].w(), k.w, lW[q]);
                System.arraycopy(lin[q].bias(), 0, k.bias, lB[q], lin[q].bias().length);
            }
        }
        copy(m.icH0(), k.mem, icH0);
        copy(m.ciH0(), k.mem, ciH0);
        copy(m.conH0(), k.mem, conH0);
        int rows = maxRows(d);
        k.rowsPerStream = rows;
        k.streams = 1;
        icMeanF = new float[d.icDim()];
        genStatesF = new float[tr * d.genDim()];
        conStatesF = new float[tr * d.conDim()];
        coF = new float[tr * d.coDim()];
        launcher = KernelLauncher.open(k, device, rows);
        Arrays.fill(k.ops, 0);
        if (launcher.launch(1) != KernelLauncher.OK) {
            String why = launcher.fault();
            launcher.close();
            throw new IllegalStateException(why);
        }
    }

    /** Passes of the longest trial: setup, ten per window bin, the initial state, fourteen per decoder step. */
    static int maxPasses(LfadsDims d) {
        return 3 + 10 * d.encSeqLen() + 3 + 14 * d.reconSeqLen();
    }

    /** The widest operation: the work items of one pass. */
    static int maxRows(LfadsDims d) {
        int m = Math.max(2 * d.icEncDim(), 2 * d.ciEncDim());
        m = Math.max(m, Math.max(d.icDim(), d.conDim()));
        m = Math.max(m, Math.max(d.coDim(), d.genDim()));
        return Math.max(1, Math.max(m, Math.max(d.facDim(), d.readoutDim())));
    }

    private static void copy(short[] src, int[] dst, int off) {
        for (int i = 0; i < src.length; i++) {
            dst[off + i] = src[i];
        }
    }

    KernelLauncher launcher() {
        return launcher;
    }

    private void op(int type, int rows, int cols, int w1, int w2, int b1, int b2, int src, int dst, int s1, int s2,
                    int clip) {
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
        p[o + LfadsStepKernel.O_TMP] = 0;
        passes++;
    }

    private void copyOp(int n, int src, int dst) {
        if (n > 0) {
            op(LfadsStepKernel.COPY, n, 0, 0, 0, 0, 0, src, dst, 0, 0, 0);
        }
    }

    private void gruOps(int q, int src, int state) {
        LfadsFixed.Gru g = gru[q];
        op(LfadsStepKernel.GRU_A, g.hidden(), g.in(), gW[2 * q], gW[2 * q + 1], gB[2 * q], gB[2 * q + 1], src, state,
                g.shiftIh(), g.shiftHh(), g.clipQ());
        op(LfadsStepKernel.GRU_B, g.hidden(), g.in(), gW[2 * q], gW[2 * q + 1], gB[2 * q], gB[2 * q + 1], src, state,
                g.shiftIh(), g.shiftHh(), g.clipQ());
    }

    private void linearOp(int q, int src, int dst) {
        LfadsFixed.Linear l = lin[q];
        op(LfadsStepKernel.LINEAR, l.rows(), l.cols(), lW[q], 0, lB[q], 0, src, dst, l.shift(), 0, 0);
    }

    /** Writes the program of a trial over the {@code bins} bins in {@code mem[win..)}, in {@link LfadsFixed#trialQ}'s order. */
    private void program(int bins, int steps) {
        int D = d.dataDim();
        int E = d.icEncDim();
        int C = d.ciEncDim();
        int L = d.ciLag();
        int F = d.facDim();
        passes = 0;
        copyOp(2 * E, icH0, e);
        if (ctl) {
            copyOp(2 * C, ciH0, ciF);
            copyOp(d.conDim(), conH0, con);
        }
        for (int t = 0; t < bins; t++) {
            int tb = bins - 1 - t;
            gruOps(IC_FWD, win + t * D, e);
            gruOps(IC_BWD, win + tb * D, e + E);
            if (ctl) {
                gruOps(CI_FWD, win + t * D, ciF);
                copyOp(C, ciF, fwdOut + t * C);
                gruOps(CI_BWD, win + tb * D, ciF + C);
                copyOp(C, ciF + C, bwdOut + tb * C);
            }
        }
        linearOp(IC_LINEAR, e, icMean);
        linearOp(IC_TO_G0, icMean, gen);
        linearOp(FAC, gen, fac);
        for (int t = 0; t < steps; t++) {
            if (ctl) {
                int tf = t - L;
                copyOp(C, tf >= 0 && t < bins ? fwdOut + tf * C : zero, conIn);
                int tb = t + L;
                copyOp(C, tb <= bins - 1 ? bwdOut + tb * C : zero, conIn + C);
                copyOp(F, fac, conIn + 2 * C);
                gruOps(CON, conIn, con);
                linearOp(CO_LINEAR, con, u);
                copyOp(d.conDim(), con, conOut + t * d.conDim());
                copyOp(d.coDim(), u, coOut + t * d.coDim());
            }
            gruOps(GEN, u, gen);
            copyOp(d.genDim(), gen, genOut + t * d.genDim());
            linearOp(FAC, gen, fac);
            copyOp(F, fac, facOut + t * F);
            linearOp(READOUT, fac, lrOut + t * d.readoutDim());
        }
    }

    @Override
    public LfadsDims dims() {
        return d;
    }

    @Override
    public String arithmetic() {
        return "fixed";
    }

    /**
     * The trial, as {@link LfadsFixed#trial}: counts rounded half away from zero and saturated to [0, 32767].
     *
     * @return OK; INVALID_INPUT (outputs zeroed) for a window outside [1, encod_seq_len], short arrays or an invalid
     *         count; ENGINE_FAULT (outputs zeroed) when the launch failed or ran elsewhere than the chosen device
     */
    @Override
    public int trial(float[] counts, int bins, float[] factors, float[] logRates) {
        int D = d.dataDim();
        int steps = bins + d.reconSeqLen() - d.encSeqLen();
        if (counts == null || factors == null || logRates == null || bins < 1 || bins > d.encSeqLen()
                || counts.length < (long) bins * D || factors.length < (long) steps * d.facDim()
                || logRates.length < (long) steps * d.readoutDim() || !Counts.allValid(counts, 0, bins * D)) {
            zero(factors, logRates);
            return DecodeStatus.INVALID_INPUT;
        }
        for (int j = 0; j < bins * D; j++) {
            double r = FixedPoint.roundHalfAway(counts[j]);
            k.mem[win + j] = r <= 0 ? 0 : r >= Short.MAX_VALUE ? Short.MAX_VALUE : (int) r;
        }
        program(bins, steps);
        if (launcher.launch(passes) != KernelLauncher.OK) {
            zero(factors, logRates);
            return DecodeStatus.ENGINE_FAULT;
        }
        for (int j = 0; j < steps * d.facDim(); j++) {
            factors[j] = k.mem[facOut + j] * Q12;
        }
        for (int j = 0; j < steps * d.readoutDim(); j++) {
            logRates[j] = k.mem[lrOut + j] * Q12;
        }
        for (int j = 0; j < d.icDim(); j++) {
            icMeanF[j] = k.mem[icMean + j] * Q12;
        }
        for (int j = 0; j < steps * d.genDim(); j++) {
            genStatesF[j] = k.mem[genOut + j] * Q12;
        }
        for (int j = 0; j < steps * d.conDim(); j++) {
            conStatesF[j] = k.mem[conOut + j] * Q12;
        }
        for (int j = 0; j < steps * d.coDim(); j++) {
            coF[j] = k.mem[coOut + j] * Q12;
        }
        return DecodeStatus.OK;
    }

    private static void zero(float[] factors, float[] logRates) {
        if (factors != null) {
            Arrays.fill(factors, 0f);
        }
        if (logRates != null) {
            Arrays.fill(logRates, 0f);
        }
    }

    /** Nothing to forget: an acausal model has no causal stream. */
    @Override
    public void resetStream() {
    }

    /** @throws IllegalStateException always, as {@link LfadsFixed#step} for an acausal model */
    @Override
    public int step(float[] counts, int off, float[] factors, float[] logRates) {
        throw new IllegalStateException("causal steps need a causal bundle (hyperparameter causal = true)");
    }

    @Override
    public long streamBins() {
        return 0;
    }

    @Override
    public LfadsCheckpoint streamLayout() {
        return null;
    }

    @Override
    public CheckpointStatus saveStream(byte[] dst) {
        return CheckpointStatus.UNSUPPORTED;
    }

    @Override
    public CheckpointStatus restoreStream(byte[] src) {
        return CheckpointStatus.UNSUPPORTED;
    }

    @Override
    public float[] lastIcMean() {
        return icMeanF;
    }

    @Override
    public float[] lastGenStates() {
        return genStatesF;
    }

    @Override
    public float[] lastConStates() {
        return conStatesF;
    }

    @Override
    public float[] lastCo() {
        return coF;
    }

    @Override
    public void close() {
        launcher.close();
    }
}
