package io.reflex.decoders.lfads;

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
     * Runs the whole model over a window (inference-spec.md §1.3, posterior mean).
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

    /** Initial-condition mean of the last trial ({@code icDim} values, live view; empty for causal models). */
    float[] lastIcMean();

    /** Generator states {@code [steps][genDim]} of the last trial (live view, float values). */
    float[] lastGenStates();

    /** Controller states {@code [steps][conDim]} of the last trial (live view). */
    float[] lastConStates();

    /** Controller outputs {@code [steps][coDim]} of the last trial (live view). */
    float[] lastCo();
}
