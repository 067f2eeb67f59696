package io.reflex.decoders.lfads;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.checkpoint.CheckpointStatus;
import io.reflex.decoders.checkpoint.LfadsWindowCheckpoint;

/**
 * Bin-by-bin LFADS over a kernel, in {@link LfadsMode#SLIDING} or {@link LfadsMode#CAUSAL} mode. Each
 * {@link #push} takes one bin of counts and yields the factors and log-rates of that bin. Sliding mode keeps the
 * last {@code encod_seq_len} bins in a ring and reruns the whole model (until the ring is full it runs on the bins
 * seen so far); causal mode takes one O(1) step. Allocates nothing after construction. Not thread-safe.
 *
 * <p>Checkpoints ({@link #checkpointBytes}, {@link #save}, {@link #restore}): a causal stream saves the kernel's
 * {@code "LFS1"} state ({@link io.reflex.decoders.checkpoint.LfadsCheckpoint}), a sliding stream its ring of recent
 * bins ({@code "LFW1"}, {@link LfadsWindowCheckpoint}). Either restores into a stream of the same model and mode in
 * either arithmetic.
 */
public final class LfadsStream {
    private final LfadsKernel kernel;
    private final LfadsMode mode;
    private final LfadsDims d;
    private final float[] ring;
    private final float[] window;
    private final float[] trialFactors;
    private final float[] trialLogRates;
    private final LfadsWindowCheckpoint windowLayout;
    private long pushed;

    /**
     * @throws IllegalArgumentException for mode TRIAL, or CAUSAL with a bundle that is not causal
     */
    public LfadsStream(LfadsKernel kernel, LfadsMode mode) {
        this.kernel = kernel;
        this.mode = mode;
        this.d = kernel.dims();
        if (mode == LfadsMode.TRIAL) {
            throw new IllegalArgumentException("mode trial is not a streaming mode: call LfadsKernel.trial");
        }
        if (mode == LfadsMode.CAUSAL && !d.causal()) {
            throw new IllegalArgumentException("mode causal needs a causal bundle (hyperparameter causal = true); "
                    + "use mode sliding for this model");
        }
        int T = d.encSeqLen();
        this.ring = mode == LfadsMode.SLIDING ? new float[T * d.dataDim()] : new float[0];
        this.window = mode == LfadsMode.SLIDING ? new float[T * d.dataDim()] : new float[0];
        this.trialFactors = mode == LfadsMode.SLIDING ? new float[d.reconSeqLen() * d.facDim()] : new float[0];
        this.trialLogRates = mode == LfadsMode.SLIDING ? new float[d.reconSeqLen() * d.readoutDim()] : new float[0];
        this.windowLayout = mode == LfadsMode.SLIDING ? new LfadsWindowCheckpoint(d.dataDim(), T) : null;
        kernel.resetStream();
    }

    public LfadsKernel kernel() {
        return kernel;
    }

    public LfadsMode mode() {
        return mode;
    }

    /** Bins accepted since construction or the last {@link #reset}. */
    public long binsPushed() {
        return pushed;
    }

    /** Starts a new stream (a new trial). */
    public void reset() {
        pushed = 0;
        kernel.resetStream();
    }

    /**
     * One new bin.
     *
     * @param counts   {@code dataDim} counts at {@code off}
     * @param factors  receives {@code facDim} factors of this bin
     * @param logRates receives {@code readoutDim} log-rates of this bin
     * @return a DecodeStatus code; a bin with NaN or infinite counts is not taken into the state
     */
    public int push(float[] counts, int off, float[] factors, float[] logRates) {
        final int D = d.dataDim();
        if (off < 0 || counts.length < off + D || factors.length < d.facDim() || logRates.length < d.readoutDim()) {
            java.util.Arrays.fill(factors, 0f);
            java.util.Arrays.fill(logRates, 0f);
            return DecodeStatus.INVALID_INPUT;
        }
        if (mode == LfadsMode.CAUSAL) {
            int s = kernel.step(counts, off, factors, logRates);
            if (s == DecodeStatus.OK) {
                pushed++;
            }
            return s;
        }
        for (int k = 0; k < D; k++) {
            if (!io.reflex.decoders.Counts.valid(counts[off + k])) {
                java.util.Arrays.fill(factors, 0, d.facDim(), 0f);
                java.util.Arrays.fill(logRates, 0, d.readoutDim(), 0f);
                return DecodeStatus.INVALID_INPUT;
            }
        }
        final int T = d.encSeqLen();
        System.arraycopy(counts, off, ring, (int) (pushed % T) * D, D);
        pushed++;
        int bins = (int) Math.min(pushed, T);
        long first = pushed - bins;
        for (int t = 0; t < bins; t++) {
            System.arraycopy(ring, (int) ((first + t) % T) * D, window, t * D, D);
        }
        int s = kernel.trial(window, bins, trialFactors, trialLogRates);
        System.arraycopy(trialFactors, (bins - 1) * d.facDim(), factors, 0, d.facDim());
        System.arraycopy(trialLogRates, (bins - 1) * d.readoutDim(), logRates, 0, d.readoutDim());
        return s;
    }

    /** Bytes of a checkpoint of this stream ({@code "LFS1"} causal, {@code "LFW1"} sliding). */
    public int checkpointBytes() {
        return mode == LfadsMode.CAUSAL ? kernel.streamLayout().bytes() : windowLayout.bytes();
    }

    /**
     * Writes the stream state as it stands into {@code dst[0, checkpointBytes())}. Allocates nothing.
     *
     * @return OK, TOO_SHORT, or BAD_VALUE when a float32 causal state is not finite
     */
    public CheckpointStatus save(byte[] dst) {
        if (mode == LfadsMode.CAUSAL) {
            return kernel.saveStream(dst);
        }
        if (dst == null || dst.length < windowLayout.bytes()) {
            return CheckpointStatus.TOO_SHORT;
        }
        final int D = d.dataDim();
        final int T = d.encSeqLen();
        windowLayout.writeHeader(dst, pushed);
        for (int k = 0; k < T; k++) {
            long bin = pushed - 1 - k;
            int off = windowLayout.binOffset(k);
            if (bin >= 0) {
                LfadsWindowCheckpoint.putFloats(dst, off, ring, (int) (bin % T) * D, D);
            } else {
                java.util.Arrays.fill(dst, off, off + 4 * D, (byte) 0);
            }
        }
        return CheckpointStatus.OK;
    }

    /**
     * Continues from a checkpoint of a stream of the same model and mode (written in either arithmetic): the next
     * {@link #push} gives what the writer's next push would have given. On any status but OK the stream is left as
     * it was. Allocates nothing.
     */
    public CheckpointStatus restore(byte[] src) {
        if (mode == LfadsMode.CAUSAL) {
            CheckpointStatus s = kernel.restoreStream(src);
            if (s.ok()) {
                pushed = kernel.streamBins();
            }
            return s;
        }
        CheckpointStatus s = windowLayout.check(src);
        if (!s.ok()) {
            return s;
        }
        final int D = d.dataDim();
        final int T = d.encSeqLen();
        long bins = LfadsWindowCheckpoint.bins(src);
        for (int k = 0; k < T; k++) {
            long bin = bins - 1 - k;
            if (bin >= 0) {
                LfadsWindowCheckpoint.getFloats(src, windowLayout.binOffset(k), ring, (int) (bin % T) * D, D);
            }
        }
        pushed = bins;
        return CheckpointStatus.OK;
    }
}
