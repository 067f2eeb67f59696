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
 * <p>Batches: an instance made for {@code maxTrials} trials keeps that many copies of the trial's vectors (trial s at
 * {@code s · memSize} in {@code mem}, its GRU scratch at {@code s · tmpStride} in {@code tmp}; the weights shared) and
 * runs {@link #trials} of one window length together: the same pass program, one launch over
 * {@code trials · maxRows} work items (the kernels' stream dimension, as the causal batch uses it). The single-trial
 * calls use trial 0.
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
    /** The most trials one instance holds. */
    static final int MAX_TRIALS = 65_536;
    /** The most values of {@code mem} over all trials (1 GiB of ints or floats): bounds the allocation. */
    static final long MAX_MEM_VALUES = 1L << 28;
    /** The most work items of one pass. */
    static final long MAX_WORK_ITEMS = 1L << 24;

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
    /** Trials the kernel's arrays hold. */
    final int maxTrials;
    private KernelLauncher launcher;
    private int passes;
    /** Decoder steps of the last successful {@link #trials} call, 0 before one. */
    private int lastBatchSteps;
    private int lastBatchTrials;

    AparapiLfadsAcausalBase(LfadsDims d, int maxTrials) {
        if (d.causal()) {
            throw new IllegalArgumentException("the acausal trial needs an acausal bundle (hyperparameter causal = false)");
        }
        if (maxTrials < 1 || maxTrials > MAX_TRIALS) {
            throw new IllegalArgumentException("an acausal batch holds 1.." + MAX_TRIALS + " trials, found "
                    + maxTrials);
        }
        this.d = d;
        this.maxTrials = maxTrials;
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
        long total = (long) memSize * maxTrials;
        long items = (long) maxRows(d) * maxTrials;
        if (total > MAX_MEM_VALUES || items > MAX_WORK_ITEMS) {
            throw new IllegalArgumentException("an acausal batch of " + maxTrials + " trials needs " + total
                    + " values of device memory (" + memSize + " per trial) and " + items + " work items; at most "
                    + MAX_MEM_VALUES + " and " + MAX_WORK_ITEMS + " are allowed: use fewer trials per batch");
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

    /** The kernel's operation array. */
    abstract int[] ops();

    /** Writes GRU q's two passes over input {@code src}, state {@code state}. */
    abstract void gruOps(int q, int src, int state);

    /** Writes linear map q from {@code src} to {@code dst}. */
    abstract void linearOp(int q, int src, int dst);

    /** Sets how many trials the next launch runs (1..{@link #maxTrials}). */
    abstract void activeTrials(int n);

    /**
     * Writes the first {@code n} counts (validated) into trial s's {@code mem[win..)}, as the arithmetic reads them.
     */
    abstract void loadWindow(int s, float[] counts, int n);

    /**
     * Copies trial s's factors and log-rates of a trial of {@code steps} steps out; false when a log-rate is not
     * finite.
     */
    abstract boolean readOutputs(int s, int steps, float[] factors, float[] logRates);

    /**
     * Copies trial s's ic_mean and its generator states, controller states and controller outputs of {@code steps}
     * steps into the given arrays (long enough).
     */
    abstract void readStates(int s, int steps, float[] icMean, float[] genStates, float[] conStates, float[] co);

    /**
     * Opens the launcher of {@code k} and launches it once, empty ({@link KernelLauncher#close} explains why).
     *
     * @throws IllegalStateException when the kernel cannot be compiled for an OpenCL device or the first launch fails
     */
    final void start(Kernel k, Device device) {
        launcher = KernelLauncher.open(k, device, maxTrials * maxRows(d));
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
        lastBatchSteps = 0;
        loadWindow(0, counts, bins * D);
        program(bins, steps);
        activeTrials(1);
        if (launcher.launch(passes) != KernelLauncher.OK) {
            zero(factors, logRates);
            return DecodeStatus.ENGINE_FAULT;
        }
        boolean finite = readOutputs(0, steps, factors, logRates);
        readStates(0, steps, lastIcMean(), lastGenStates(), lastConStates(), lastCo());
        if (!finite) {
            zero(factors, logRates);
            return DecodeStatus.NUMERIC_FAULT;
        }
        return DecodeStatus.OK;
    }

    /** Decoder steps of a trial of {@code bins} bins ({@code bins + recon_seq_len − encod_seq_len}), or 0. */
    final int trialSteps(int bins) {
        return bins < 1 || bins > d.encSeqLen() ? 0 : bins + d.reconSeqLen() - d.encSeqLen();
    }

    /**
     * {@code counts.length} acausal trials of {@code bins} bins each, every one as the golden model's {@code trial}
     * runs it alone, in one launch of the pass program over {@code trials · maxRows} work items.
     *
     * @param counts   trial i's {@code [bins][dataDim]} counts in {@code counts[i]}
     * @param factors  receives trial i's {@code [steps][facDim]} factors
     * @param logRates receives trial i's {@code [steps][readoutDim]} log-rates
     * @return OK; INVALID_INPUT (every output zeroed) for 0 or more than {@link #maxTrials} trials, a window outside
     *         [1, encod_seq_len], short arrays or an invalid count; NUMERIC_FAULT (every output zeroed) when a trial
     *         yields a non-finite log-rate; ENGINE_FAULT (every output zeroed) when the launch failed or ran elsewhere
     */
    final int trials(float[][] counts, int bins, float[][] factors, float[][] logRates) {
        int steps = trialSteps(bins);
        lastBatchSteps = 0;
        if (steps == 0 || !batchValid(counts, bins, factors, logRates, steps)) {
            zero(factors, logRates);
            return DecodeStatus.INVALID_INPUT;
        }
        int n = counts.length;
        for (int s = 0; s < n; s++) {
            loadWindow(s, counts[s], bins * d.dataDim());
        }
        program(bins, steps);
        activeTrials(n);
        if (launcher.launch(passes) != KernelLauncher.OK) {
            zero(factors, logRates);
            return DecodeStatus.ENGINE_FAULT;
        }
        boolean finite = true;
        for (int s = 0; s < n; s++) {
            finite &= readOutputs(s, steps, factors[s], logRates[s]);
        }
        if (!finite) {
            zero(factors, logRates);
            return DecodeStatus.NUMERIC_FAULT;
        }
        lastBatchSteps = steps;
        lastBatchTrials = n;
        return DecodeStatus.OK;
    }

    /**
     * Trial s's ic_mean, generator states, controller states and controller outputs of the last successful
     * {@link #trials} call ({@code [icDim]}, {@code [steps][genDim]}, {@code [steps][conDim]},
     * {@code [steps][coDim]}).
     *
     * @throws IllegalStateException without a successful batch since the last call, or for s outside its trials
     * @throws IllegalArgumentException for an array shorter than its part
     */
    final void batchStates(int s, float[] icMean, float[] genStates, float[] conStates, float[] co) {
        int steps = lastBatchSteps;
        if (steps == 0 || s < 0 || s >= lastBatchTrials) {
            throw new IllegalStateException("no trial " + s + " in the last successful batch ("
                    + (steps == 0 ? "none" : lastBatchTrials + " trials") + ")");
        }
        if (icMean.length < d.icDim() || genStates.length < steps * d.genDim()
                || conStates.length < steps * d.conDim() || co.length < steps * d.coDim()) {
            throw new IllegalArgumentException("state arrays shorter than ic_mean [" + d.icDim() + "], " + steps
                    + " steps of generator [" + d.genDim() + "], controller [" + d.conDim() + "] and co ["
                    + d.coDim() + "]");
        }
        readStates(s, steps, icMean, genStates, conStates, co);
    }

    private boolean batchValid(float[][] counts, int bins, float[][] factors, float[][] logRates, int steps) {
        if (counts == null || factors == null || logRates == null || counts.length < 1 || counts.length > maxTrials
                || factors.length < counts.length || logRates.length < counts.length) {
            return false;
        }
        long in = (long) bins * d.dataDim();
        for (int s = 0; s < counts.length; s++) {
            if (counts[s] == null || factors[s] == null || logRates[s] == null || counts[s].length < in
                    || factors[s].length < (long) steps * d.facDim()
                    || logRates[s].length < (long) steps * d.readoutDim()
                    || !Counts.allValid(counts[s], 0, (int) in)) {
                return false;
            }
        }
        return true;
    }

    private static void zero(float[][] factors, float[][] logRates) {
        zero(factors);
        zero(logRates);
    }

    private static void zero(float[][] a) {
        if (a != null) {
            for (float[] v : a) {
                if (v != null) {
                    Arrays.fill(v, 0f);
                }
            }
        }
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
