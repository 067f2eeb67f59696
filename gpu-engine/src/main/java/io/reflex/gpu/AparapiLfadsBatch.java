package io.reflex.gpu;

import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.engine.EngineException;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.decoders.lfads.LfadsFixed;

/**
 * Batches of causal LFADS trials on Aparapi, for offline evaluation and the replay of recorded sessions: up to
 * {@link #maxTrials()} trials (or independent streams) advance together, one launch per decoder step over
 * {@code trials · rows} work items, each trial with its own state and the weights shared.
 *
 * <p>Fixed point ({@code aparapi-fixed}'s arithmetic): every trial bit for bit what {@code cpu-fixed}
 * ({@link LfadsFixed#trial}) gives for it run alone. Float32 ({@code aparapi}'s): within
 * {@code 1e-4·max(1, |cpu|)} of {@code cpu} ({@code LfadsFloat32#trial}). Causal bundles with a controller only, as
 * the engines. The device choice is the engines' option {@code device} (OpenCL, else JTP with the reason, in
 * {@code auto}).
 *
 * <p>Not thread-safe; per-call work allocates nothing on the Java side (Aparapi's launch does, as in the engines).
 */
public final class AparapiLfadsBatch implements AutoCloseable {
    private final AparapiLfadsBase stream;
    private final String note;
    private final String device;

    private AparapiLfadsBatch(AparapiEngines.Opened<? extends AparapiLfadsBase> opened, String what) {
        this.stream = opened.stream();
        this.note = opened.note();
        this.device = AparapiEngines.describe(stream.launcher(), note, what);
    }

    /**
     * A batch of up to {@code maxTrials} trials of a causal LFADS bundle.
     *
     * @param fixedPoint true for {@code aparapi-fixed}'s integer arithmetic, false for float32
     * @param maxTrials  1 to 65,536
     * @throws EngineException with the reason for an acausal bundle, one without a controller, a bad count or when no
     *                         device the choice allows can run the kernel
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
        String what = " LFADS causal batch of " + maxTrials;
        if (fixedPoint) {
            LfadsFixed golden = new LfadsFixed(bundle);
            LfadsDims d = golden.dims();
            if (!d.causal() || !d.hasController()) {
                throw new EngineException(name + ": batches run causal LFADS bundles with a controller");
            }
            LfadsFixed.CausalExport model = golden.causalExport();
            return new AparapiLfadsBatch(AparapiEngines.open(name, choice, dev -> new AparapiLfads(model, dev,
                    maxTrials)), "fixed point," + what);
        }
        return new AparapiLfadsBatch(AparapiEngines.open(name, choice, dev -> new AparapiLfadsFloat(bundle, dev,
                maxTrials)), "float32," + what);
    }

    /** The most trials one call runs. */
    public int maxTrials() {
        return stream.maxStreams;
    }

    /** The model's dimensions. */
    public LfadsDims dims() {
        return stream.dims();
    }

    /** Decoder steps of a trial of {@code bins} bins ({@code bins + recon_seq_len − encod_seq_len}), or 0. */
    public int trialSteps(int bins) {
        return stream.trialSteps(bins);
    }

    /** {@code "opencl"} or {@code "jtp"}. */
    public String executionMode() {
        return stream.launcher().mode();
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
        return stream.launcher().fault();
    }

    /**
     * Runs {@code counts.length} trials of {@code bins} bins each ({@code counts[i]} is trial i's
     * {@code [bins][dataDim]} counts) as the CPU engine runs each alone: from the learned initial states, the bins as
     * causal steps, then the forward predictions to {@code recon_seq_len} steps.
     *
     * @param factors  receives trial i's {@code [steps][facDim]} factors in {@code factors[i]}
     * @param logRates receives trial i's {@code [steps][readoutDim]} log-rates in {@code logRates[i]}
     * @return a DecodeStatus code: OK; INVALID_INPUT (outputs zeroed) for 0 or more than {@link #maxTrials()} trials,
     *         a window outside [1, encod_seq_len], short arrays or an invalid count; NUMERIC_FAULT (float32, outputs
     *         zeroed); ENGINE_FAULT ({@link #fault()} says why)
     */
    public int trials(float[][] counts, int bins, float[][] factors, float[][] logRates) {
        return stream.trials(counts, bins, factors, logRates);
    }

    /**
     * One causal bin of each of {@link #maxTrials()} independent streams (several live or replayed streams in one
     * launch), continuing each from its last bin; the streams start from the learned initial states and advance in
     * lock step. {@code counts[i]} is stream i's bin; {@code factors[i]}, {@code logRates[i]} receive its outputs.
     *
     * @return a DecodeStatus code, as {@link #trials}; INVALID_INPUT unless there are exactly {@link #maxTrials()}
     *         streams
     */
    public int steps(float[][] counts, float[][] factors, float[][] logRates) {
        return stream.stepBatch(counts, factors, logRates);
    }

    /** Restarts every stream of {@link #steps} from the learned initial states. */
    public void reset() {
        stream.reset();
    }

    @Override
    public void close() {
        stream.close();
    }
}
