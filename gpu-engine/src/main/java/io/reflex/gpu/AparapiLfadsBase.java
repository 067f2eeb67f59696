package io.reflex.gpu;

import com.aparapi.Kernel;
import com.aparapi.device.Device;
import io.reflex.decoders.Counts;
import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.checkpoint.CheckpointStatus;
import io.reflex.decoders.checkpoint.LfadsCheckpoint;
import io.reflex.decoders.lfads.LfadsDims;
import java.util.Arrays;

/**
 * What the two Aparapi causal LFADS streams ({@link AparapiLfads}, integer, and {@link AparapiLfadsFloat}, float32)
 * share: the layout of a stream's vectors in the kernel's {@code mem}, the pass program of one causal step (written
 * into the kernel's {@code ops} before each launch; {@link LfadsStepKernel} documents the operations), the launcher
 * with its empty first launch, the bin counter and the {@code "LFS1"} checkpoint walk. The subclasses own the kernel
 * and its arithmetic: how a GRU or linear operation is encoded (shifts and clips, or the sparse flag), and how a
 * vector is written to or read from a checkpoint.
 *
 * <p>Batches: an instance made for {@code maxStreams} streams keeps that many independent copies of the vectors
 * (stream s at {@code s · memPerStream}; weights shared) and advances them together, one launch per decoder step over
 * {@code streams · maxRows} work items ({@link #trials}, {@link #stepBatch}). The single-stream calls ({@code step},
 * {@code trial}, the checkpoints) use stream 0. The streams of a batch share the bin counter: they advance in lock step.
 *
 * <p>Not thread-safe.
 */
abstract class AparapiLfadsBase implements AutoCloseable {
    /** The most passes one step's program can need. */
    static final int MAX_OPS = 20;
    /** The most streams one instance holds (bounds the kernel's arrays). */
    static final int MAX_STREAMS = 65_536;

    final LfadsDims d;
    final LfadsCheckpoint layout;
    // mem offsets within one stream
    final int x;
    final int ci;
    final int ring;
    final int conIn;
    final int con;
    final int u;
    final int gen;
    final int fac;
    final int lr;
    final int ciH0;
    final int conH0;
    final int g0;
    final int zero;
    /** Ints (or floats) of {@code mem} one stream uses. */
    final int memPerStream;
    // weights and biases: ci GRU ih, hh; con GRU ih, hh; gen GRU ih, hh; co linear, fac, readout; tmp per GRU
    final int[] wOff = new int[9];
    final int[] bOff = new int[9];
    final int[] tOff = new int[3];
    /** Streams the kernel's arrays hold. */
    final int maxStreams;
    private KernelLauncher launcher;
    private int passes;
    long bins;

    AparapiLfadsBase(LfadsDims d, int maxStreams) {
        if (maxStreams < 1 || maxStreams > MAX_STREAMS) {
            throw new IllegalArgumentException("streams must be 1.." + MAX_STREAMS + ", found " + maxStreams);
        }
        this.d = d;
        this.maxStreams = maxStreams;
        int c = d.ciEncDim();
        int lag = d.ciLag();
        int pos = 0;
        x = pos;
        pos += d.dataDim();
        ci = pos;
        pos += c;
        ring = pos;
        pos += (lag + 1) * c;
        conIn = pos;
        pos += c + d.facDim();
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
        pos += c;
        conH0 = pos;
        pos += d.conDim();
        g0 = pos;
        pos += d.genDim();
        zero = pos;
        pos += Math.max(1, c);
        memPerStream = pos;
        layout = new LfadsCheckpoint(c, d.conDim(), d.genDim(), d.facDim(), lag);
    }

    /** The widest operation of a step: the work items one stream needs per pass. */
    static int maxRows(LfadsDims d) {
        int m = Math.max(Math.max(d.dataDim(), d.ciEncDim() + d.facDim()), Math.max(d.conDim(), d.coDim()));
        return Math.max(m, Math.max(Math.max(d.genDim(), d.facDim()), d.readoutDim()));
    }

    /** The kernel's operation array. */
    abstract int[] ops();

    /** Writes a GRU's two passes (q: 0 CI, 1 controller, 2 generator) over input {@code src}, state {@code state}. */
    abstract void gruOps(int q, int src, int state);

    /** Writes linear map q (0 co linear, 1 factors, 2 readout) from {@code src} to {@code dst}. */
    abstract void linearOp(int q, int src, int dst);

    /** Sets how many streams the next launch runs (1..{@link #maxStreams}). */
    abstract void activeStreams(int n);

    /** Writes one bin of counts (validated by the caller) into stream s's input, as the arithmetic reads them. */
    abstract void loadCounts(int s, float[] counts, int off);

    /** Copies stream s's factors and log-rates out; false when a log-rate is not finite. */
    abstract boolean readOutputs(int s, float[] factors, int fOff, float[] logRates, int lOff);

    /** Writes {@code n} values of {@code mem} from {@code memOff} as Q12; false for a value that cannot be. */
    abstract boolean put(byte[] dst, int offset, int memOff, int n);

    /** Reads {@code n} Q12 values into {@code mem} at {@code memOff}. */
    abstract void get(byte[] src, int offset, int memOff, int n);

    /** Writes the factors of the learned g0 (a checkpoint before the first step); false for a non-finite one. */
    abstract boolean putInitialFactors(byte[] dst);

    /**
     * Opens the launcher of {@code k} over {@code maxStreams · maxRows} items and launches it once, empty
     * ({@link KernelLauncher#close} explains why).
     *
     * @throws IllegalStateException when the kernel cannot be compiled for an OpenCL device or the first launch fails
     */
    final void start(Kernel k, Device device) {
        launcher = KernelLauncher.open(k, device, maxStreams * maxRows(d));
        Arrays.fill(ops(), 0);
        if (launcher.launch(1) != KernelLauncher.OK) {
            String why = launcher.fault();
            launcher.close();
            throw new IllegalStateException(why);
        }
        bins = 0;
    }

    final KernelLauncher launcher() {
        return launcher;
    }

    final LfadsDims dims() {
        return d;
    }

    final long bins() {
        return bins;
    }

    final void reset() {
        bins = 0;
    }

    final int checkpointBytes() {
        return layout.bytes();
    }

    final void op(int type, int rows, int cols, int w1, int w2, int b1, int b2, int src, int dst, int s1, int s2,
                  int clip, int tmp) {
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
        p[o + LfadsStepKernel.O_TMP] = tmp;
        passes++;
    }

    private void copyOp(int n, int src, int dst) {
        if (n > 0) {
            op(LfadsStepKernel.COPY, n, 0, 0, 0, 0, 0, src, dst, 0, 0, 0, 0);
        }
    }

    /**
     * Writes the program of decoder step number {@link #bins} and launches it: with {@code input} the causal step
     * on the counts already in {@code mem[x..)}; without, a forward-prediction step past a trial's last bin (no CI
     * GRU, zero controller input from the encoder). Advances {@link #bins} when the launch ran.
     *
     * @return {@link KernelLauncher#OK} or the launcher's failure status
     */
    final int launchStep(boolean input) {
        return launchStep(input, 1);
    }

    /** As {@link #launchStep(boolean)} for streams 0..n−1 together. */
    final int launchStep(boolean input, int n) {
        activeStreams(n);
        int c = d.ciEncDim();
        int lag = d.ciLag();
        passes = 0;
        if (bins == 0) {
            copyOp(d.genDim(), g0, gen);
            copyOp(d.conDim(), conH0, con);
            copyOp(c, ciH0, ci);
            linearOp(1, gen, fac);
        }
        if (input) {
            gruOps(0, x, ci);
            copyOp(c, ci, ring + (int) (bins % (lag + 1)) * c);
        }
        copyOp(c, input && bins >= lag ? ring + (int) ((bins - lag) % (lag + 1)) * c : zero, conIn);
        copyOp(d.facDim(), fac, conIn + c);
        gruOps(1, conIn, con);
        linearOp(0, con, u);
        gruOps(2, u, gen);
        linearOp(1, gen, fac);
        linearOp(2, fac, lr);
        int s = launcher.launch(passes);
        if (s == KernelLauncher.OK) {
            bins++;
        }
        return s;
    }

    /** Decoder steps of a trial of {@code trialBins} bins: {@code bins + recon_seq_len − encod_seq_len}, or 0. */
    final int trialSteps(int trialBins) {
        return trialBins < 1 || trialBins > d.encSeqLen() ? 0 : trialBins + d.reconSeqLen() - d.encSeqLen();
    }

    /**
     * A whole trial of a causal model on stream 0, as {@code LfadsFixed#trial} / {@code LfadsFloat32#trial} runs one:
     * the stream restarts from the learned initial states, the {@code trialBins} bins run as causal steps and the
     * remaining decoder steps as forward predictions. The stream's state is the trial's afterwards (the engines keep
     * a separate instance for trials, so a trial leaves their live stream alone). One launch per decoder step.
     *
     * @param factors  receives {@code [steps][facDim]}
     * @param logRates receives {@code [steps][readoutDim]}
     * @return OK; INVALID_INPUT (outputs zeroed, state unchanged) for a window outside [1, encod_seq_len], short
     *         arrays or an invalid count; NUMERIC_FAULT (outputs zeroed) for a non-finite log-rate; ENGINE_FAULT
     *         (outputs zeroed) when a launch failed or ran elsewhere
     */
    final int trial(float[] counts, int trialBins, float[] factors, float[] logRates) {
        int steps = trialSteps(trialBins);
        int dd = d.dataDim();
        if (steps == 0 || counts == null || factors == null || logRates == null
                || counts.length < (long) trialBins * dd || factors.length < (long) steps * d.facDim()
                || logRates.length < (long) steps * d.readoutDim() || !Counts.allValid(counts, 0, trialBins * dd)) {
            zero(factors);
            zero(logRates);
            return DecodeStatus.INVALID_INPUT;
        }
        bins = 0;
        for (int t = 0; t < steps; t++) {
            boolean input = t < trialBins;
            if (input) {
                loadCounts(0, counts, t * dd);
            }
            int s = launchStep(input) != KernelLauncher.OK ? DecodeStatus.ENGINE_FAULT
                    : readOutputs(0, factors, t * d.facDim(), logRates, t * d.readoutDim()) ? DecodeStatus.OK
                    : DecodeStatus.NUMERIC_FAULT;
            if (s != DecodeStatus.OK) {
                zero(factors);
                zero(logRates);
                return s;
            }
        }
        return DecodeStatus.OK;
    }

    /**
     * A batch of whole trials of a causal model, each as {@code LfadsFixed#trial} / {@code LfadsFloat32#trial} runs
     * one: every stream restarts from the learned initial states, the {@code trialBins} bins of its counts
     * ({@code counts[s]}, {@code [trialBins][dataDim]}) run as causal steps and the remaining decoder steps as forward
     * predictions; all {@code counts.length} trials advance together, one launch per decoder step. The streams' states
     * are the trials' afterwards.
     *
     * @param factors  receives {@code [steps][facDim]} per trial
     * @param logRates receives {@code [steps][readoutDim]} per trial
     * @return OK; INVALID_INPUT (every output zeroed) for 0 or more than {@link #maxStreams} trials, a window outside
     *         [1, encod_seq_len], short arrays or an invalid count; NUMERIC_FAULT (every output zeroed) when a trial
     *         yields a non-finite log-rate; ENGINE_FAULT when a launch failed or ran elsewhere
     */
    final int trials(float[][] counts, int trialBins, float[][] factors, float[][] logRates) {
        int steps = trialSteps(trialBins);
        if (!batchValid(counts, trialBins, factors, logRates, Math.max(1, steps)) || steps == 0) {
            zero(factors, logRates);
            return DecodeStatus.INVALID_INPUT;
        }
        int n = counts.length;
        int dd = d.dataDim();
        bins = 0;
        boolean finite = true;
        for (int t = 0; t < steps; t++) {
            boolean input = t < trialBins;
            if (input) {
                for (int s = 0; s < n; s++) {
                    loadCounts(s, counts[s], t * dd);
                }
            }
            if (launchStep(input, n) != KernelLauncher.OK) {
                zero(factors, logRates);
                return DecodeStatus.ENGINE_FAULT;
            }
            for (int s = 0; s < n; s++) {
                finite &= readOutputs(s, factors[s], t * d.facDim(), logRates[s], t * d.readoutDim());
            }
        }
        if (!finite) {
            zero(factors, logRates);
            return DecodeStatus.NUMERIC_FAULT;
        }
        return DecodeStatus.OK;
    }

    /**
     * One causal step of each of the {@link #maxStreams} streams (several independent streams in one launch), as
     * {@code step} does for one: {@code counts[s]} is stream s's bin.
     *
     * @return OK; INVALID_INPUT (outputs zeroed, streams unchanged) unless there are exactly {@link #maxStreams}
     *         streams with valid counts and outputs of their sizes; NUMERIC_FAULT for a non-finite log-rate (the
     *         streams have advanced); ENGINE_FAULT when the launch failed or ran elsewhere
     */
    final int stepBatch(float[][] counts, float[][] factors, float[][] logRates) {
        if (counts == null || counts.length != maxStreams || !batchValid(counts, 1, factors, logRates, 1)) {
            zero(factors, logRates);
            return DecodeStatus.INVALID_INPUT;
        }
        for (int s = 0; s < maxStreams; s++) {
            loadCounts(s, counts[s], 0);
        }
        if (launchStep(true, maxStreams) != KernelLauncher.OK) {
            zero(factors, logRates);
            return DecodeStatus.ENGINE_FAULT;
        }
        boolean finite = true;
        for (int s = 0; s < maxStreams; s++) {
            finite &= readOutputs(s, factors[s], 0, logRates[s], 0);
        }
        return finite ? DecodeStatus.OK : DecodeStatus.NUMERIC_FAULT;
    }

    private boolean batchValid(float[][] counts, int inBins, float[][] factors, float[][] logRates, int steps) {
        if (counts == null || factors == null || logRates == null || counts.length < 1 || counts.length > maxStreams
                || factors.length < counts.length || logRates.length < counts.length || inBins < 1) {
            return false;
        }
        long in = (long) inBins * d.dataDim();
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

    private static void zero(float[] a) {
        if (a != null) {
            Arrays.fill(a, 0f);
        }
    }

    private static void zero(float[][] a) {
        if (a != null) {
            for (float[] v : a) {
                zero(v);
            }
        }
    }

    /** The {@code "LFS1"} checkpoint of the stream. Allocates nothing. */
    final CheckpointStatus save(byte[] dst) {
        if (dst == null || dst.length < layout.bytes()) {
            return CheckpointStatus.TOO_SHORT;
        }
        int c = d.ciEncDim();
        int lag = d.ciLag();
        layout.writeHeader(dst, bins);
        boolean finite;
        if (bins == 0) {
            finite = put(dst, layout.ciOffset(), ciH0, c)
                    && put(dst, layout.conOffset(), conH0, d.conDim())
                    && put(dst, layout.genOffset(), g0, d.genDim())
                    && putInitialFactors(dst);
        } else {
            finite = put(dst, layout.ciOffset(), ci, c)
                    && put(dst, layout.conOffset(), con, d.conDim())
                    && put(dst, layout.genOffset(), gen, d.genDim())
                    && put(dst, layout.facOffset(), fac, d.facDim());
        }
        for (int q = 0; q < lag && finite; q++) {
            long bin = bins - 1 - q;
            if (bin >= 0) {
                finite = put(dst, layout.histOffset(q), ring + (int) (bin % (lag + 1)) * c, c);
            } else {
                LfadsCheckpoint.putZeros(dst, layout.histOffset(q), c);
            }
        }
        return finite ? CheckpointStatus.OK : CheckpointStatus.BAD_VALUE;
    }

    /** Continues from an {@code "LFS1"} checkpoint. Allocates nothing. */
    final CheckpointStatus restore(byte[] src) {
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
        if (launcher != null) {
            launcher.close();
        }
    }
}
