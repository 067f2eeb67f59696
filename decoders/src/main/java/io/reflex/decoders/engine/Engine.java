package io.reflex.decoders.engine;

import io.reflex.decoders.bundle.ModelBundle;

/**
 * Runs a compiled model on one kind of hardware (docs/ARCHITECTURE.md, "Engines"): {@code cpu} (plain Java, float32
 * or fixed point) here; {@code rtl-sim} and {@code xrt} in fpga-driver.
 *
 * <p>Models: LFADS bundles ({@code model_type} {@code lfads}: causal steps or sliding windows per bin, whole windows
 * through {@link #trial}) and SNN reservoirs ({@code model_type} {@code snn}: one bin of spike counts in, the
 * reservoir's filtered spike traces out, decoders/SNN.md).
 *
 * <p>Life cycle: {@link #load} once (throws at this edge, with a message naming what is wrong), then per bin
 * {@link #step} (streaming) or per window {@link #trial}; {@link #close} at the end. {@code step}, {@code trial},
 * {@link #saveCheckpoint} and {@link #restoreCheckpoint} are hot-path calls: they allocate nothing, never throw for
 * bad data, and return a {@link io.reflex.decoders.DecodeStatus} code: {@code INVALID_INPUT} for bad data (which is
 * not a fault of the engine), {@code ENGINE_FAULT} when the engine itself failed. Whenever the status is not OK,
 * {@code out} holds no NaN. An engine is owned by one thread.
 *
 * <p>Checkpoints make a failover bumpless: the stream state after a step (560 bytes for the Lorenz LFADS demo
 * model) in a canonical layout per model type ({@code "LFS1"} LFADS causal, {@code "LFW1"} LFADS sliding,
 * {@code "SNS1"} SNN; package {@link io.reflex.decoders.checkpoint}), so that another engine of the same model
 * continues where one stopped: bit for bit between engines of the {@code fixed} family; a {@code float32} engine
 * reads and writes the same Q12 layout (divided by 4096 on restore, rounded on save).
 */
public interface Engine extends AutoCloseable {

    /** Stable short name, e.g. {@code "cpu"}. */
    String name();

    /**
     * The arithmetic family: {@code "fixed"} (the bit-exact golden arithmetic of decoders/FIXED_POINT.md, shared by
     * {@code cpu-fixed}, {@code rtl-sim} and {@code xrt}) or {@code "float32"}.
     */
    String arithmetic();

    /** What the engine runs on, for reports, e.g. {@code "librtlsim_lfads_kernel.so (CAUSAL=1 D=70 H=64 P=16)"}. */
    default String device() {
        return name();
    }

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

    /**
     * Several windows of the same length at once (offline evaluation, replay of many recorded trials): window i
     * ({@code windows[i]}, {@code [bins][inputCount]} row-major) into {@code outs[i]}
     * ({@code [trialSteps(bins)][outputCount]}), each exactly what {@link #trial} gives for it alone; like a trial,
     * the batch leaves the stream alone. This default runs the windows one after the other; an engine with a batch
     * path (the Aparapi engines) runs them together.
     *
     * @return {@code OK} when every window was decoded; otherwise the first other status, with every
     *         {@code outs[i]} zeroed ({@code INVALID_INPUT} for null or short arrays, or a window an engine refuses)
     */
    default int trials(float[][] windows, int bins, float[][] outs) {
        int s = io.reflex.decoders.DecodeStatus.OK;
        if (windows == null || outs == null || outs.length < windows.length) {
            s = io.reflex.decoders.DecodeStatus.INVALID_INPUT;
        } else {
            for (int i = 0; i < windows.length && s == io.reflex.decoders.DecodeStatus.OK; i++) {
                s = windows[i] == null || outs[i] == null ? io.reflex.decoders.DecodeStatus.INVALID_INPUT
                        : trial(windows[i], bins, outs[i]);
            }
        }
        if (s != io.reflex.decoders.DecodeStatus.OK && outs != null) {
            for (float[] o : outs) {
                if (o != null) {
                    java.util.Arrays.fill(o, 0f);
                }
            }
        }
        return s;
    }

    /**
     * Bytes of a checkpoint of the loaded model's stream state, or 0 when this engine cannot checkpoint it (then a
     * failover to the next engine starts from that engine's reset state).
     */
    default int checkpointBytes() {
        return 0;
    }

    /**
     * Writes the stream state as it stands now (after the last {@link #step} or {@link #reset}) into
     * {@code dst[0, checkpointBytes())}.
     *
     * @return a DecodeStatus code; {@code NOT_READY} when the engine cannot checkpoint
     */
    default int saveCheckpoint(byte[] dst) {
        return io.reflex.decoders.DecodeStatus.NOT_READY;
    }

    /**
     * Continues the stream from a checkpoint written by any engine for the same model and mode: the next
     * {@link #step} gives what the writer's next step would have given (bit for bit within the fixed family).
     *
     * @return a DecodeStatus code; {@code INVALID_INPUT} for a checkpoint of another model or layout,
     *         {@code NOT_READY} when the engine cannot restore
     */
    default int restoreCheckpoint(byte[] src) {
        return io.reflex.decoders.DecodeStatus.NOT_READY;
    }

    /** Device cycles the last call took (kernel cycles on a card or in the RTL simulation), or -1 when unknown. */
    default long lastCallCycles() {
        return -1;
    }

    /** Current health; cheap, allocation-free when nothing changed. */
    EngineHealth health();

    /** Releases the engine's resources; the engine is unhealthy afterwards. Never throws. */
    @Override
    void close();
}
