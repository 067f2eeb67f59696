package io.reflex.gpu;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.checkpoint.CheckpointStatus;
import io.reflex.decoders.engine.Engine;
import io.reflex.decoders.engine.EngineException;
import io.reflex.decoders.engine.EngineFactory;
import io.reflex.decoders.engine.EngineHealth;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.decoders.lfads.LfadsMode;
import io.reflex.decoders.lfads.LfadsStream;
import io.reflex.decoders.snn.SnnDecoder;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * The engine {@code aparapi}: the float32 causal LFADS step of the {@code cpu} engine
 * ({@link io.reflex.decoders.lfads.LfadsFloat32#step}) as an Aparapi float kernel ({@link LfadsFloatStepKernel}), on
 * an OpenCL device when one exists, else on Aparapi's Java thread pool (JTP). Results agree with {@code cpu} to float
 * rounding (within {@code 1e-4·max(1, |cpu|)}, AparapiLfadsFloatTest), not bit for bit; a bit-exact failover target
 * is {@code aparapi-fixed}.
 *
 * <p>Models: causal LFADS bundles with a controller; {@link #step} yields the factors, as {@code cpu} does by default;
 * {@link #trial} runs a whole window of 1 to {@code encod_seq_len} bins as {@code cpu} does for a causal bundle (its
 * own kernel instance, one launch per decoder step, the stream untouched); checkpoints {@code "LFS1"},
 * interchangeable with {@code cpu}. Acausal bundles run as {@code cpu} runs them: {@link #trial} over a window of 1 to
 * {@code encod_seq_len} bins ({@link AparapiLfadsAcausalFloat}, one launch per trial) and {@link #step} in sliding
 * mode (through {@link LfadsStream}, checkpoints {@code "LFW1"}). Refused at load with the reason: SNN reservoirs (the
 * LIF has no float path; it is integer only, so it runs on {@code aparapi-fixed}).
 *
 * <p>Option {@code device}: {@code auto} (default: OpenCL when a device exists and the kernel translates, else JTP,
 * the reason kept in {@link #device()} and {@link #health()}), {@code opencl} (refuse to load without an OpenCL
 * device) or {@code jtp}. If Aparapi runs a launch elsewhere than the device chosen at load, the step returns
 * {@code ENGINE_FAULT} and the engine is unhealthy with the reason; it never continues on a device nobody chose.
 */
public final class AparapiEngine implements Engine {
    /** The engine name. */
    public static final String NAME = "aparapi";
    /** Options {@link Factory#create(Map)} accepts. */
    public static final Set<String> OPTIONS = AparapiEngines.OPTIONS;

    private final AparapiFixedEngine.DeviceChoice choice;
    private AparapiLfadsFloat lfads;
    private AparapiLfadsFloat trials;
    private AparapiLfadsAcausalFloat acausal;
    private LfadsStream sliding;
    private TrialBatcher batcher;
    private float[] factors;
    private float[] logRates;
    private float[] trialFactors;
    private float[] trialLogRates;
    private String device = "aparapi (no model loaded)";
    private String note;
    private EngineHealth health = EngineHealth.NOT_LOADED;
    private long faults;
    private boolean closed;

    /** An engine with the given device choice. */
    public AparapiEngine(AparapiFixedEngine.DeviceChoice choice) {
        if (choice == null) {
            throw new IllegalArgumentException("choice must not be null");
        }
        this.choice = choice;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String arithmetic() {
        return "float32";
    }

    @Override
    public String device() {
        return device;
    }

    /** {@code "opencl"} or {@code "jtp"} for the loaded model, or null before a load. */
    public String executionMode() {
        KernelLauncher l = launcher();
        return l == null ? null : l.mode();
    }

    private KernelLauncher launcher() {
        return lfads != null ? lfads.launcher() : acausal != null ? acausal.launcher() : null;
    }

    private LfadsDims dims() {
        return lfads != null ? lfads.dims() : acausal != null ? acausal.dims() : null;
    }

    /** Why the engine is not on OpenCL (auto mode), or null. */
    public String fallbackNote() {
        return note;
    }

    @Override
    public void load(ModelBundle bundle) {
        if (closed) {
            throw new EngineException(NAME + ": engine is closed");
        }
        String type = bundle.modelType();
        if (SnnDecoder.MODEL_TYPE.equals(type)) {
            throw new EngineException(NAME + ": an SNN has no float32 path (its LIF arithmetic is integer only); "
                    + "use aparapi-fixed");
        }
        if (!"lfads".equals(type)) {
            throw new EngineException(NAME + ": model_type '" + type + "' is not supported (lfads)");
        }
        LfadsDims declared;
        try {
            declared = LfadsDims.from(bundle);
        } catch (RuntimeException e) {
            throw new EngineException(NAME + ": " + e.getMessage(), e);
        }
        if (!declared.causal()) {
            loadAcausal(bundle);
            return;
        }
        AparapiEngines.Opened<AparapiLfadsFloat> opened = AparapiEngines.open(NAME, choice,
                dev -> new AparapiLfadsFloat(bundle, dev));
        AparapiLfadsFloat next = opened.stream();
        AparapiLfadsFloat nextTrials;
        try {
            // trials run on their own instance (same device) so that a trial leaves the stream's state alone
            nextTrials = new AparapiLfadsFloat(bundle, AparapiEngines.sameDevice(next.launcher()));
        } catch (RuntimeException e) {
            next.close();
            throw new EngineException(NAME + ": " + e.getMessage(), e);
        }
        closeModel();
        lfads = next;
        trials = nextTrials;
        batcher = new TrialBatcher(bundle, false, choice, next.dims().readoutDim());
        LfadsDims dims = next.dims();
        factors = new float[dims.facDim()];
        logRates = new float[dims.readoutDim()];
        trialFactors = new float[dims.reconSeqLen() * dims.facDim()];
        trialLogRates = new float[dims.reconSeqLen() * dims.readoutDim()];
        KernelLauncher l = next.launcher();
        note = opened.note();
        faults = 0;
        device = AparapiEngines.describe(l, note, "LFADS causal step (float32), " + next.dims().dataDim()
                + " inputs, " + next.dims().facDim() + " factors");
        health = AparapiEngines.loaded(l, note);
    }

    private void loadAcausal(ModelBundle bundle) {
        AparapiEngines.Opened<AparapiLfadsAcausalFloat> opened = AparapiEngines.open(NAME, choice,
                dev -> new AparapiLfadsAcausalFloat(bundle, dev));
        closeModel();
        acausal = opened.stream();
        sliding = new LfadsStream(acausal, LfadsMode.SLIDING);
        batcher = new TrialBatcher(bundle, false, choice, acausal.dims().readoutDim());
        LfadsDims dims = acausal.dims();
        factors = new float[dims.facDim()];
        logRates = new float[dims.readoutDim()];
        trialFactors = new float[dims.reconSeqLen() * dims.facDim()];
        trialLogRates = new float[dims.reconSeqLen() * dims.readoutDim()];
        KernelLauncher l = acausal.launcher();
        note = opened.note();
        faults = 0;
        device = AparapiEngines.describe(l, note, "LFADS acausal trial and sliding window (float32), "
                + dims.dataDim() + " inputs, " + dims.facDim() + " factors, windows up to " + dims.encSeqLen()
                + " bins");
        health = AparapiEngines.loaded(l, note);
    }

    private void closeModel() {
        if (batcher != null) {
            batcher.close();
            batcher = null;
        }
        if (lfads != null) {
            lfads.close();
            lfads = null;
        }
        if (trials != null) {
            trials.close();
            trials = null;
        }
        if (acausal != null) {
            acausal.close();
            acausal = null;
            sliding = null;
        }
    }

    @Override
    public int inputCount() {
        return dims() == null ? 0 : dims().dataDim();
    }

    /** The factors of the LFADS model (what {@code cpu} yields by default). */
    @Override
    public int outputCount() {
        return dims() == null ? 0 : dims().facDim();
    }

    @Override
    public int maxTrialBins() {
        return dims() == null ? 0 : dims().encSeqLen();
    }

    @Override
    public int trialSteps(int bins) {
        if (lfads != null) {
            return lfads.trialSteps(bins);
        }
        if (acausal == null || bins < 1 || bins > acausal.dims().encSeqLen()) {
            return 0;
        }
        return bins + acausal.dims().reconSeqLen() - acausal.dims().encSeqLen();
    }

    private boolean ready() {
        return !closed && dims() != null && health.healthy();
    }

    @Override
    public int step(float[] in, float[] out) {
        if (!ready()) {
            if (out != null) {
                Arrays.fill(out, 0, Math.min(out.length, outputCount()), 0f);
            }
            return dims() != null && !closed ? DecodeStatus.ENGINE_FAULT : DecodeStatus.NOT_READY;
        }
        if (out == null || out.length < factors.length) {
            if (out != null) {
                Arrays.fill(out, 0f);
            }
            return DecodeStatus.INVALID_INPUT;
        }
        int s;
        if (acausal != null) {
            s = in == null || in.length < acausal.dims().dataDim() ? DecodeStatus.INVALID_INPUT
                    : sliding.push(in, 0, factors, logRates);
            if (s != DecodeStatus.OK) {
                Arrays.fill(factors, 0f);
            }
        } else {
            s = lfads.step(in, factors, logRates);
        }
        System.arraycopy(factors, 0, out, 0, factors.length);
        if (s == DecodeStatus.ENGINE_FAULT) {
            faults++;
            health = new EngineHealth(false, launcher().fault(), faults);
        }
        return s;
    }

    @Override
    public int trial(float[] window, int bins, float[] out) {
        if (!ready()) {
            if (out != null) {
                Arrays.fill(out, 0f);
            }
            return dims() != null && !closed ? DecodeStatus.ENGINE_FAULT : DecodeStatus.NOT_READY;
        }
        int steps = trialSteps(bins);
        int f = factors.length;
        if (steps == 0 || window == null || out == null || window.length < (long) bins * inputCount()
                || out.length < (long) steps * f) {
            if (out != null) {
                Arrays.fill(out, 0f);
            }
            return DecodeStatus.INVALID_INPUT;
        }
        int s = acausal != null ? acausal.trial(window, bins, trialFactors, trialLogRates)
                : trials.trial(window, bins, trialFactors, trialLogRates);
        System.arraycopy(trialFactors, 0, out, 0, steps * f);
        if (s == DecodeStatus.ENGINE_FAULT) {
            faults++;
            health = new EngineHealth(false, (acausal != null ? acausal.launcher() : trials.launcher()).fault(),
                    faults);
        }
        return s;
    }

    /**
     * Windows of an LFADS model together: up to {@value TrialBatcher#MAX_PER_LAUNCH} per launch through an
     * {@link AparapiLfadsBatch} on this engine's device choice (opened at the first call), each window's factors
     * exactly what {@link #trial} gives for it alone; the stream is left alone. For an SNN INVALID_INPUT (no trials).
     */
    @Override
    public int trials(float[][] windows, int bins, float[][] outs) {
        if (!ready()) {
            TrialBatcher.zero(outs);
            return dims() != null && !closed ? DecodeStatus.ENGINE_FAULT : DecodeStatus.NOT_READY;
        }
        int s = TrialBatcher.trials(batcher, windows, bins, outs, trialSteps(bins), inputCount(), outputCount());
        if (s == DecodeStatus.ENGINE_FAULT) {
            faults++;
            health = new EngineHealth(false, batcher.fault(), faults);
        }
        return s;
    }

    @Override
    public void reset() {
        if (lfads != null) {
            lfads.reset();
        }
        if (sliding != null) {
            sliding.reset();
        }
    }

    @Override
    public int checkpointBytes() {
        return closed ? 0 : lfads != null ? lfads.checkpointBytes() : sliding != null ? sliding.checkpointBytes() : 0;
    }

    @Override
    public int saveCheckpoint(byte[] dst) {
        if (!ready()) {
            return DecodeStatus.NOT_READY;
        }
        return switch (lfads != null ? lfads.save(dst) : sliding.save(dst)) {
            case OK -> DecodeStatus.OK;
            case BAD_VALUE -> DecodeStatus.NUMERIC_FAULT;
            default -> DecodeStatus.INVALID_INPUT;
        };
    }

    @Override
    public int restoreCheckpoint(byte[] src) {
        if (!ready()) {
            return DecodeStatus.NOT_READY;
        }
        CheckpointStatus s = lfads != null ? lfads.restore(src) : sliding.restore(src);
        return s == CheckpointStatus.OK ? DecodeStatus.OK : DecodeStatus.INVALID_INPUT;
    }

    @Override
    public EngineHealth health() {
        return health;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            closeModel();
            health = new EngineHealth(false, "closed", faults);
        }
    }

    /** Factory of {@code aparapi}. */
    public static final class Factory implements EngineFactory {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public Engine create() {
            return new AparapiEngine(AparapiFixedEngine.DeviceChoice.AUTO);
        }

        @Override
        public Engine create(Map<String, String> options) {
            return new AparapiEngine(AparapiEngines.choice(NAME, options));
        }
    }
}
