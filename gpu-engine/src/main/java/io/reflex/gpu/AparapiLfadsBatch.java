package io.reflex.gpu;

import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.engine.EngineException;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.decoders.lfads.LfadsFixed;

/**
 * Batches of LFADS trials on Aparapi, for offline evaluation and the replay of recorded sessions, each trial with its
 * own state and the weights shared. Causal bundles (with a controller, as the engines): up to {@link #maxTrials()}
 * trials (or independent streams) advance together, one launch per decoder step over {@code trials · rows} work
 * items. Acausal (trial-mode) bundles: up to {@link #maxTrials()} whole trials (bidirectional encoders, initial
 * state, every decoder step) in one launch of the acausal pass program over {@code trials · rows} work items.
 *
 * <p>Fixed point ({@code aparapi-fixed}'s arithmetic): every trial bit for bit what {@code cpu-fixed}
 * ({@link LfadsFixed#trial}) gives for it run alone. Float32 ({@code aparapi}'s): within
 * {@code 1e-4·max(1, |cpu|)} of {@code cpu} ({@code LfadsFloat32#trial}). The device choice is the engines' option
 * {@code device} (OpenCL, else JTP with the reason, in {@code auto}).
 *
 * <p>Not thread-safe; per-call work allocates nothing on the Java side (Aparapi's launch does, as in the engines).
 */
public final class AparapiLfadsBatch implements AutoCloseable {
    /** The causal batch, or null for an acausal bundle. */
    private final AparapiLfadsBase stream;
    /** The acausal batch, or null for a causal bundle. */
    private final AparapiLfadsAcausalBase acausal;
    private final String note;
    private final String device;

    private AparapiLfadsBatch(AparapiLfadsBase stream, AparapiLfadsAcausalBase acausal, String note, String what) {
        this.stream = stream;
        this.acausal = acausal;
        this.note = note;
        this.device = AparapiEngines.describe(launcher(), note, what);
    }

    private static AparapiLfadsBatch causal(AparapiEngines.Opened<? extends AparapiLfadsBase> o, String what) {
        return new AparapiLfadsBatch(o.stream(), null, o.note(), what);
    }

    private static AparapiLfadsBatch acausal(AparapiEngines.Opened<? extends AparapiLfadsAcausalBase> o,
                                             String what) {
        return new AparapiLfadsBatch(null, o.stream(), o.note(), what);
    }

    private KernelLauncher launcher() {
        return stream != null ? stream.launcher() : acausal.launcher();
    }

    /**
     * A batch of up to {@code maxTrials} trials of an LFADS bundle, causal or acausal.
     *
     * @param fixedPoint true for {@code aparapi-fixed}'s integer arithmetic, false for float32
     * @param maxTrials  1 to 65,536 (an acausal batch also at most 2^28 values of device memory in all)
     * @throws EngineException with the reason for a causal bundle without a controller, a bad count, a batch too
     *                         large for the bounds, or when no device the choice allows can run the kernel
     */
    public static AparapiLfadsBatch open(ModelBundle bundle, boolean fixedPoint,
                                         AparapiFixedEngine.DeviceChoice choice, int maxTrials) {
        String name = fixedPoint ? AparapiFixedEngine.NAME : AparapiEngine.NAME;
        if (maxTrials < 1 || maxTrials > AparapiLfadsBase.MAX_STREAMS) {
            throw new EngineException(name + ": a batch holds 1.." + AparapiLfadsBase.MAX_STREAMS
                    + " trials, found " + maxTrials);
        }
        if (!"lfads".equals(bundle.modelType())) {
            throw new EngineException(name + ": batches run LFADS bundles, found model_type '" + bundle.modelType()
                    + "'");
        }
        boolean causal;
        try {
            causal = LfadsDims.from(bundle).causal();
        } catch (RuntimeException e) {
            throw new EngineException(name + ": " + e.getMessage(), e);
        }
        String what = " LFADS " + (causal ? "causal" : "acausal") + " batch of " + maxTrials;
        if (fixedPoint) {
            LfadsFixed golden = new LfadsFixed(bundle);
            LfadsDims d = golden.dims();
            if (!d.causal()) {
                LfadsFixed.AcausalExport model = golden.acausalExport();
                return acausal(AparapiEngines.open(name, choice, dev -> new AparapiLfadsAcausal(model, dev,
                        maxTrials)), "fixed point," + what);
            }
            if (!d.hasController()) {
                throw new EngineException(name + ": causal batches run causal LFADS bundles with a controller");
            }
            LfadsFixed.CausalExport model = golden.causalExport();
            return causal(AparapiEngines.open(name, choice, dev -> new AparapiLfads(model, dev, maxTrials)),
                    "fixed point," + what);
        }
        if (!causal) {
            return acausal(AparapiEngines.open(name, choice, dev -> new AparapiLfadsAcausalFloat(bundle, dev,
                    maxTrials)), "float32," + what);
        }
        return causal(AparapiEngines.open(name, choice, dev -> new AparapiLfadsFloat(bundle, dev, maxTrials)),
                "float32," + what);
    }

    /** Whether the bundle is acausal: {@link #trials} runs whole acausal trials, {@link #steps} is not defined. */
    public boolean acausal() {
        return acausal != null;
    }

    /** The most trials one call runs. */
    public int maxTrials() {
        return stream != null ? stream.maxStreams : acausal.maxTrials;
    }

    /** The model's dimensions. */
    public LfadsDims dims() {
        return stream != null ? stream.dims() : acausal.dims();
    }

    /** Decoder steps of a trial of {@code bins} bins ({@code bins + recon_seq_len − encod_seq_len}), or 0. */
    public int trialSteps(int bins) {
        return stream != null ? stream.trialSteps(bins) : acausal.trialSteps(bins);
    }

    /** {@code "opencl"} or {@code "jtp"}. */
    public String executionMode() {
        return launcher().mode();
    }

    /** The device, mode and, when not OpenCL ({@code auto}), why. */
    public String device() {
        return device;
    }

    /** Why the batch is not on OpenCL ({@code auto}), or null. */
    public String fallbackNote() {
        return note;
    }

    /** Why a launch failed, or null. */
    public String fault() {
        return launcher().fault();
    }

    /**
     * Runs {@code counts.length} trials of {@code bins} bins each ({@code counts[i]} is trial i's
     * {@code [bins][dataDim]} counts) as the CPU engine runs each alone. Causal: from the learned initial states, the
     * bins as causal steps, then the forward predictions to {@code recon_seq_len} steps, one launch per step.
     * Acausal: the golden model's {@code trial} (encoders over the window both ways, initial state, every decoder
     * step) for every trial in one launch.
     *
     * @param factors  receives trial i's {@code [steps][facDim]} factors in {@code factors[i]}
     * @param logRates receives trial i's {@code [steps][readoutDim]} log-rates in {@code logRates[i]}
     * @return a DecodeStatus code: OK; INVALID_INPUT (outputs zeroed) for 0 or more than {@link #maxTrials()} trials,
     *         a window outside [1, encod_seq_len], short arrays or an invalid count; NUMERIC_FAULT (float32, outputs
     *         zeroed); ENGINE_FAULT ({@link #fault()} says why)
     */
    public int trials(float[][] counts, int bins, float[][] factors, float[][] logRates) {
        return stream != null ? stream.trials(counts, bins, factors, logRates)
                : acausal.trials(counts, bins, factors, logRates);
    }

    /**
     * Acausal batches: trial i's ic_mean ({@code [icDim]}), generator states ({@code [steps][genDim]}), controller
     * states ({@code [steps][conDim]}) and controller outputs ({@code [steps][coDim]}) of the last successful
     * {@link #trials} call, as the golden model's {@code lastIcMean}, {@code lastGenStates}, {@code lastConStates}
     * and {@code lastCo} give them after that trial alone.
     *
     * @throws IllegalStateException for a causal batch, or without trial i in the last successful call
     * @throws IllegalArgumentException for an array shorter than its part
     */
    public void trialStates(int trial, float[] icMean, float[] genStates, float[] conStates, float[] co) {
        if (acausal == null) {
            throw new IllegalStateException("trial states are kept for acausal batches only");
        }
        acausal.batchStates(trial, icMean, genStates, conStates, co);
    }

    /**
     * One causal bin of each of {@link #maxTrials()} independent streams (several live or replayed streams in one
     * launch), continuing each from its last bin; the streams start from the learned initial states and advance in
     * lock step. {@code counts[i]} is stream i's bin; {@code factors[i]}, {@code logRates[i]} receive its outputs.
     *
     * @return a DecodeStatus code, as {@link #trials}; INVALID_INPUT unless there are exactly {@link #maxTrials()}
     *         streams
     * @throws IllegalStateException for an acausal bundle (no causal step, as the golden models)
     */
    public int steps(float[][] counts, float[][] factors, float[][] logRates) {
        return causalStream().stepBatch(counts, factors, logRates);
    }

    /**
     * Restarts every stream of {@link #steps} from the learned initial states.
     *
     * @throws IllegalStateException for an acausal bundle
     */
    public void reset() {
        causalStream().reset();
    }

    private AparapiLfadsBase causalStream() {
        if (stream == null) {
            throw new IllegalStateException("causal steps need a causal bundle (hyperparameter causal = true)");
        }
        return stream;
    }

    @Override
    public void close() {
        if (stream != null) {
            stream.close();
        } else {
            acausal.close();
        }
    }
}
