package io.reflex.gpu;

import com.aparapi.Kernel;
import com.aparapi.device.Device;
import io.reflex.decoders.Counts;
import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.checkpoint.CheckpointStatus;
import io.reflex.decoders.checkpoint.LfadsCheckpoint;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.decoders.lfads.LfadsKernel;
import java.util.Arrays;

/**
 * What the two Aparapi acausal LFADS trials ({@link AparapiLfadsAcausal}, integer, and {@link AparapiLfadsAcausalFloat},
 * float32) share: the layout of the trial's vectors in the kernel's {@code mem} and the pass program of a whole trial
 * in the order of {@code LfadsFixed#trialQ} / {@code LfadsFloat32#trial}, run as one launch: the IC encoders (forward
 * and backward GRUs over the window, interleaved bin by bin), the CI encoders (their per-bin states kept),
 * {@code ic_linear} and {@code ic_to_g0} to the generator's initial state, then every decoder step (the controller
 * input from the lagged forward and backward CI states, controller, co linear, generator, factors, readout), each
 * step's outputs copied to their own rows of {@code mem}. The subclasses own the kernel and its arithmetic: how a GRU
 * or linear operation is encoded, how counts are written and outputs read.
 *
 * <p>As an {@link LfadsKernel} it gives an engine the golden model's trials and, through
 * {@link io.reflex.decoders.lfads.LfadsStream}, its sliding windows; the causal step is not defined for an acausal
 * model ({@link #step} throws as the golden models do, {@link #saveStream} is UNSUPPORTED).
 *
 * <p>Per-trial calls allocate nothing on the Java side. Not thread-safe.
 */
abstract class AparapiLfadsAcausalBase implements LfadsKernel, AutoCloseable {
    // GRU and linear indices
    static final int IC_FWD = 0;
    static final int IC_BWD = 1;
    static final int CI_FWD = 2;
    static final int CI_BWD = 3;
    static final int CON = 4;
    static final int GEN = 5;
    static final int IC_LINEAR = 0;
    static final int IC_TO_G0 = 1;
    static final int CO_LINEAR = 2;
    static final int FAC = 3;
    static final int READOUT = 4;

    final LfadsDims d;
    final boolean ctl;
    // mem offsets
    final int win;
    final int e;
    final int icH0;
    final int icMean;
    final int ciF;
    final int ciH0;
    final int fwdOut;
    final int bwdOut;
    final int conIn;
    final int con;
    final int conH0;
    final int u;
    final int gen;
    final int fac;
    final int zero;
    final int facOut;
    final int lrOut;
    final int genOut;
    final int conOut;
    final int coOut;
    /** Values of {@code mem} the trial uses. */
    final int memSize;
    private KernelLauncher launcher;
    private int passes;

    AparapiLfadsAcausalBase(LfadsDims d) {
        if (d.causal()) {
            throw new IllegalArgumentException("the acausal trial needs an acausal bundle (hyperparameter causal = false)");
        }
        this.d = d;
        this.ctl = d.hasController();
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
        memSize = pos;
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

    /** The kernel's operation array. */
    abstract int[] ops();

    /** Writes GRU q's two passes over input {@code src}, state {@code state}. */
    abstract void gruOps(int q, int src, int state);

    /** Writes linear map q from {@code src} to {@code dst}. */
    abstract void linearOp(int q, int src, int dst);

    /** Writes the first {@code n} counts (validated) into {@code mem[win..)}, as the arithmetic reads them. */
    abstract void loadWindow(float[] counts, int n);

    /**
     * Copies the outputs of a trial of {@code steps} steps out (and the last-trial views); false when a log-rate is
     * not finite.
     */
    abstract boolean readOutputs(int steps, float[] factors, float[] logRates);

    /**
     * Opens the launcher of {@code k} and launches it once, empty ({@link KernelLauncher#close} explains why).
     *
     * @throws IllegalStateException when the kernel cannot be compiled for an OpenCL device or the first launch fails
     */
    final void start(Kernel k, Device device) {
        launcher = KernelLauncher.open(k, device, maxRows(d));
        Arrays.fill(ops(), 0);
        if (launcher.launch(1) != KernelLauncher.OK) {
            String why = launcher.fault();
            launcher.close();
            throw new IllegalStateException(why);
        }
    }

    final KernelLauncher launcher() {
        return launcher;
    }

    final void op(int type, int rows, int cols, int w1, int w2, int b1, int b2, int src, int dst, int s1, int s2,
                  int clip) {
        int o = passes * LfadsStepKernel.OP_INTS;
        int[] p = ops();
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
        // one tmp area serves every GRU: a GRU's two passes are adjacent, and passes are the only barrier
        p[o + LfadsStepKernel.O_TMP] = 0;
        passes++;
    }

    private void copyOp(int n, int src, int dst) {
        if (n > 0) {
            op(LfadsStepKernel.COPY, n, 0, 0, 0, 0, 0, src, dst, 0, 0, 0);
        }
    }

    /** Writes the program of a trial over the {@code bins} bins in {@code mem[win..)}, in the golden models' order. */
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
    public final LfadsDims dims() {
        return d;
    }

    /**
     * The trial, as the golden model's {@code trial}.
     *
     * @return OK; INVALID_INPUT (outputs zeroed) for a window outside [1, encod_seq_len], short arrays or an invalid
     *         count; NUMERIC_FAULT (outputs zeroed) for a non-finite log-rate; ENGINE_FAULT (outputs zeroed) when the
     *         launch failed or ran elsewhere than the chosen device
     */
    @Override
    public final int trial(float[] counts, int bins, float[] factors, float[] logRates) {
        int D = d.dataDim();
        int steps = bins + d.reconSeqLen() - d.encSeqLen();
        if (counts == null || factors == null || logRates == null || bins < 1 || bins > d.encSeqLen()
                || counts.length < (long) bins * D || factors.length < (long) steps * d.facDim()
                || logRates.length < (long) steps * d.readoutDim() || !Counts.allValid(counts, 0, bins * D)) {
            zero(factors, logRates);
            return DecodeStatus.INVALID_INPUT;
        }
        loadWindow(counts, bins * D);
        program(bins, steps);
        if (launcher.launch(passes) != KernelLauncher.OK) {
            zero(factors, logRates);
            return DecodeStatus.ENGINE_FAULT;
        }
        if (!readOutputs(steps, factors, logRates)) {
            zero(factors, logRates);
            return DecodeStatus.NUMERIC_FAULT;
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
    public final void resetStream() {
    }

    /** @throws IllegalStateException always, as the golden models' {@code step} for an acausal model */
    @Override
    public final int step(float[] counts, int off, float[] factors, float[] logRates) {
        throw new IllegalStateException("causal steps need a causal bundle (hyperparameter causal = true)");
    }

    @Override
    public final long streamBins() {
        return 0;
    }

    @Override
    public final LfadsCheckpoint streamLayout() {
        return null;
    }

    @Override
    public final CheckpointStatus saveStream(byte[] dst) {
        return CheckpointStatus.UNSUPPORTED;
    }

    @Override
    public final CheckpointStatus restoreStream(byte[] src) {
        return CheckpointStatus.UNSUPPORTED;
    }

    @Override
    public void close() {
        if (launcher != null) {
            launcher.close();
        }
    }
}
