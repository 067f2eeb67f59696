package io.reflex.decoders;

/**
 * A {@link Decoder} whose parameters are fitted from a calibration block.
 *
 * <p>{@link #fit} runs off the hot path (it allocates and may take a noticeable time for large lagged designs);
 * once it returns, {@link #decode} is ready and allocation-free. Before the first successful fit, {@code decode}
 * returns {@link DecodeStatus#NOT_READY} with the safe output. A failed fit leaves the previous parameters (if any)
 * untouched.
 */
public interface TrainableDecoder extends Decoder {

    /**
     * Fits the decoder's parameters to the rows of {@code set} (consecutive rows are consecutive bins) and resets
     * the per-trial state.
     *
     * @throws IllegalArgumentException with a message naming the problem when the set's shape does not match the
     *                                  decoder, it holds too few rows, or the fit is singular (e.g. targets that
     *                                  never vary)
     */
    void fit(CalibrationSet set);

    /** True once a fit (or an explicit parameter load) has succeeded. */
    boolean fitted();
}
