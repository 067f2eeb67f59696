package io.reflex.decoders;

/**
 * Maps one bin of features (e.g. spike counts per channel) to control outputs (e.g. 2-d velocity).
 *
 * <p>{@link #decode} runs on the hot path: it writes into caller-owned, preallocated arrays, allocates nothing
 * and reports problems through a {@link DecodeStatus} code instead of throwing. Whenever the status is not
 * {@link DecodeStatus#OK}, {@code out} already holds the decoder's safe output (see {@link #safeOutput}), so a
 * caller can always forward {@code out}.
 *
 * <p>A decoder is owned by one thread at a time; it is not thread-safe.
 */
public interface Decoder {

    /** Short stable name used in reports and configs, e.g. {@code "kalman"}. */
    String name();

    /** Number of input features per bin (channels). */
    int inputCount();

    /** Number of outputs per bin (e.g. 2 for velocity x, y). */
    int outputCount();

    /**
     * Decodes one bin.
     *
     * @param features {@link #inputCount()} values; NaN or infinite values make the call return
     *                 {@link DecodeStatus#INVALID_INPUT}
     * @param out      receives {@link #outputCount()} values
     * @return a {@link DecodeStatus} code
     */
    int decode(float[] features, float[] out);

    /** Writes the safe output (hold the last good value, or zero) into {@code out} without changing state. */
    void safeOutput(float[] out);

    /** Forgets all per-trial state (filter state, history) but keeps the fitted parameters. */
    void reset();
}
