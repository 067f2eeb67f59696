package io.reflex.gpu;

import com.aparapi.Kernel;
import com.aparapi.device.Device;
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
 * <p>Not thread-safe.
 */
abstract class AparapiLfadsBase implements AutoCloseable {
    /** The most passes one step's program can need. */
    static final int MAX_OPS = 20;

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
    private KernelLauncher launcher;
    private int passes;
    long bins;

    AparapiLfadsBase(LfadsDims d) {
        this.d = d;
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

    /** Writes {@code n} values of {@code mem} from {@code memOff} as Q12; false for a value that cannot be. */
    abstract boolean put(byte[] dst, int offset, int memOff, int n);

    /** Reads {@code n} Q12 values into {@code mem} at {@code memOff}. */
    abstract void get(byte[] src, int offset, int memOff, int n);

    /** Writes the factors of the learned g0 (a checkpoint before the first step); false for a non-finite one. */
    abstract boolean putInitialFactors(byte[] dst);

    /**
     * Opens the launcher of {@code k} over {@code workItems} items and launches it once, empty
     * ({@link KernelLauncher#close} explains why).
     *
     * @throws IllegalStateException when the kernel cannot be compiled for an OpenCL device or the first launch fails
     */
    final void start(Kernel k, Device device, int workItems) {
        launcher = KernelLauncher.open(k, device, workItems);
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
