package io.reflex.decoders.engine;

import io.reflex.decoders.bundle.ModelBundle;

/**
 * Runs a compiled model on one kind of hardware (docs/ARCHITECTURE.md, "Engines"): {@code cpu} (plain Java, float32
 * or fixed point) here; {@code rtl-sim} and {@code xrt} in fpga-driver.
 *
 * <p>Life cycle: {@link #load} once (throws at this edge, with a message naming what is wrong), then per bin
 * {@link #step} (streaming) or per window {@link #trial}; {@link #close} at the end. {@code step} and
 * {@code trial} are hot-path calls: they allocate nothing, never throw for bad data, and return a
 * {@link io.reflex.decoders.DecodeStatus} code ({@code ENGINE_FAULT} when the engine itself failed). Whenever the
 * status is not OK, {@code out} holds no NaN. An engine is owned by one thread.
 */
public interface Engine extends AutoCloseable {

    /** Stable short name, e.g. {@code "cpu"}. */
    String name();

    /**
     * Loads (compiles, uploads) the model of a bundle; replaces any model loaded before.
     *
     * @throws io.reflex.decoders.bundle.BundleException when the bundle does not describe a valid model
     * @throws EngineException                           when this engine cannot run the model or is unavailable
     */
    void load(ModelBundle bundle);

    /** Inputs per bin of the loaded model (e.g. spike-count channels). */
    int inputCount();

    /** Outputs per bin of the loaded model. */
    int outputCount();

    /** Largest window {@link #trial} accepts, in bins. */
    int maxTrialBins();

    /** Output steps {@link #trial} produces for a window of {@code bins} bins. */
    int trialSteps(int bins);

    /**
     * One bin of the stream.
     *
     * @param in  {@link #inputCount()} values
     * @param out receives {@link #outputCount()} values
     * @return a DecodeStatus code
     */
    int step(float[] in, float[] out);

    /**
     * A whole window.
     *
     * @param window {@code [bins][inputCount]} row-major
     * @param out    receives {@code [trialSteps(bins)][outputCount]}
     * @return a DecodeStatus code
     */
    int trial(float[] window, int bins, float[] out);

    /** Forgets the stream state (a new trial starts with the next {@link #step}). */
    void reset();

    /** Current health; cheap, allocation-free when nothing changed. */
    EngineHealth health();

    /** Releases the engine's resources; the engine is unhealthy afterwards. Never throws. */
    @Override
    void close();
}
