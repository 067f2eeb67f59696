package io.reflex.decoders.lfads;

import io.reflex.decoders.checkpoint.CheckpointStatus;
import io.reflex.decoders.checkpoint.LfadsCheckpoint;

/**
 * One arithmetic (float32 or fixed point) of an LFADS model with preallocated buffers. {@link #trial} and
 * {@link #step} allocate nothing and never throw on bad data: they return a {@link io.reflex.decoders.DecodeStatus}
 * code, and whenever it is not OK the outputs hold zeros (never NaN). Not thread-safe.
 */
public interface LfadsKernel {

    /** The model's dimensions. */
    LfadsDims dims();

    /** {@code "float32"} or {@code "fixed"}. */
    String arithmetic();

    /**
     * Runs the whole model over a window (decoders/LFADS.md §1.3, posterior mean).
     *
     * @param counts    spike counts, row-major {@code [bins][dataDim]}
     * @param bins      window length in [1, encSeqLen]; the model runs {@code bins + reconSeqLen − encSeqLen} steps
     * @param factors   receives {@code [steps][facDim]}
     * @param logRates  receives {@code [steps][readoutDim]} (natural log of counts per bin)
     * @return a DecodeStatus code
     */
    int trial(float[] counts, int bins, float[] factors, float[] logRates);

    /** Forgets the causal stream; the next {@link #step} is bin 0 of a new trial. */
    void resetStream();

    /**
     * One causal step (causal bundles only): forward CI GRU on the new bin, controller, generator, factors,
     * log-rates. O(1) per bin.
     *
     * @param counts   one bin, {@code dataDim} values (offset {@code off})
     * @param factors  receives {@code facDim} values
     * @param logRates receives {@code readoutDim} values
     * @return a DecodeStatus code; on a bad input the stream state does not advance
     */
    int step(float[] counts, int off, float[] factors, float[] logRates);

    /** Bins taken by {@link #step} since the last {@link #resetStream}. */
    long streamBins();

    /**
     * The {@code "LFS1"} layout of this model's causal stream state, or null when the model is not causal (sliding
     * streams are checkpointed by {@link LfadsStream}).
     */
    LfadsCheckpoint streamLayout();

    /**
     * Writes the causal stream state as it stands (after the last {@link #step} or {@link #resetStream}) in the
     * {@code "LFS1"} layout into {@code dst[0, streamLayout().bytes())}. A float32 kernel rounds its state to Q12.
     * Allocates nothing.
     *
     * @return OK; UNSUPPORTED for a model that is not causal; TOO_SHORT for a short array; BAD_VALUE when a float
     *         state is not finite (nothing usable was written)
     */
    CheckpointStatus saveStream(byte[] dst);

    /**
     * Continues the causal stream from an {@code "LFS1"} checkpoint of the same model, written by a kernel of either
     * arithmetic: the next {@link #step} gives what the writer's next step would have given (bit for bit between
     * fixed-point kernels; a float32 kernel reads the Q12 values divided by 4096). A checkpoint with 0 bins resets
     * the stream. Allocates nothing; on any status but OK the stream is left as it was.
     *
     * @return OK, UNSUPPORTED for a model that is not causal, or what {@link LfadsCheckpoint#check} found
     */
    CheckpointStatus restoreStream(byte[] src);

    /** Initial-condition mean of the last trial ({@code icDim} values, live view; empty for causal models). */
    float[] lastIcMean();

    /** Generator states {@code [steps][genDim]} of the last trial (live view, float values). */
    float[] lastGenStates();

    /** Controller states {@code [steps][conDim]} of the last trial (live view). */
    float[] lastConStates();

    /** Controller outputs {@code [steps][coDim]} of the last trial (live view). */
    float[] lastCo();
}
