package io.reflex.gpu;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.checkpoint.CheckpointStatus;
import io.reflex.decoders.engine.Engine;
import io.reflex.decoders.engine.EngineException;
import io.reflex.decoders.engine.EngineFactory;
import io.reflex.decoders.engine.EngineHealth;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.decoders.lfads.LfadsFixed;
import io.reflex.decoders.lfads.LfadsMode;
import io.reflex.decoders.lfads.LfadsStream;
import io.reflex.decoders.snn.SnnDecoder;
import io.reflex.decoders.snn.SnnReservoir;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * The engine {@code aparapi-fixed}: the fixed-point golden arithmetic of decoders/FIXED_POINT.md as Aparapi kernels in
 * integer arithmetic, bit-identical to {@code cpu-fixed} (and so to {@code rtl-sim} and {@code xrt}), on an OpenCL
 * device when one exists, else on Aparapi's Java thread pool (JTP).
 *
 * <p>Models: SNN reservoirs ({@code model_type} {@code snn}; {@link #step} as {@code cpu-fixed}: one bin of counts in,
 * the N traces / 2^16 out; checkpoints {@code "SNS1"}) and causal LFADS bundles ({@link #step} is the causal step of
 * FIXED_POINT.md §6, yielding the factors as {@code cpu-fixed} does by default; checkpoints {@code "LFS1"};
 * {@link #trial} runs a whole window of 1 to {@code encod_seq_len} bins as {@code cpu-fixed} does for a causal
 * bundle, on its own kernel instance, one launch per decoder step, so a trial leaves the stream alone). So
 * failover to and from any fixed engine is bumpless. Acausal LFADS bundles run as {@code cpu-fixed} runs them:
 * {@link #trial} over a window of 1 to {@code encod_seq_len} bins ({@link AparapiLfadsAcausal}, one launch per
 * trial) and {@link #step} in sliding mode (the last {@code encod_seq_len} bins rerun every bin, through
 * {@link LfadsStream} as {@code cpu-fixed} does; checkpoints {@code "LFW1"}), yielding the factors. Not yet on
 * Aparapi: other outputs than the factors.
 *
 * <p>Option {@code device}: {@code auto} (default: OpenCL when a device exists and the kernel translates, else JTP,
 * the reason kept in {@link #device()} and {@link #health()}), {@code opencl} (refuse to load without an OpenCL
 * device) or {@code jtp}. Whatever was chosen at load is kept: if Aparapi runs a launch elsewhere (its silent
 * fallback), the step returns {@code ENGINE_FAULT} and the engine is unhealthy with the reason, so a chain fails
 * over instead of continuing on a device nobody chose.
 */
public final class AparapiFixedEngine implements Engine {
    /** The engine name. */
    public static final String NAME = "aparapi-fixed";
    /** Options {@link Factory#create(Map)} accepts. */
    public static final Set<String> OPTIONS = AparapiEngines.OPTIONS;

    /** Device choice of the option {@code device}. */
    public enum DeviceChoice {
        /** OpenCL when possible, else the Java thread pool (saying why). */
        AUTO,
        /** OpenCL only. */
        OPENCL,
        /** The Java thread pool only. */
        JTP;

        /** Parses {@code auto}, {@code opencl} or {@code jtp}. */
        public static DeviceChoice parse(String s) {
            return AparapiEngines.parseDevice(NAME, s);
        }
    }

    private final DeviceChoice choice;
    private AparapiSnn snn;
    private AparapiLfads lfads;
    private AparapiLfads trials;
    private AparapiLfadsAcausal acausal;
    private LfadsStream sliding;
    private TrialBatcher batcher;
    private float[] trialFactors;
    private float[] trialLogRates;
    private float[] lfadsFactors;
    private float[] lfadsLogRates;
    private String device = "aparapi (no model loaded)";
    private String note;
    private EngineHealth health = EngineHealth.NOT_LOADED;
    private long faults;
    private boolean closed;

    /** An engine with the given device choice. */
    public AparapiFixedEngine(DeviceChoice choice) {
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
        return "fixed";
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

    /** Why the engine is not on OpenCL (auto mode), or null. */
    public String fallbackNote() {
        return note;
    }

    /** Spikes dropped because a bin's count exceeded {@code bin_ticks}. */
    public long countsClipped() {
        return snn == null ? 0 : snn.countsClipped();
    }

    @Override
    public void load(ModelBundle bundle) {
        if (closed) {
            throw new EngineException(NAME + ": engine is closed");
        }
        String type = bundle.modelType();
        if ("lfads".equals(type)) {
            LfadsFixed golden = new LfadsFixed(bundle);
            if (!golden.dims().causal()) {
                loadAcausal(golden, bundle);
                return;
            }
            if (!golden.dims().hasController()) {
                throw new EngineException(NAME + ": the causal step needs a model with a controller (con_dim > 0)");
            }
            LfadsFixed.CausalExport model = golden.causalExport();
            AparapiEngines.Opened<AparapiLfads> next = AparapiEngines.open(NAME, choice,
                    dev -> new AparapiLfads(model, dev));
            AparapiLfads nextTrials;
            try {
                // trials run on their own instance (same device) so that a trial leaves the stream's state alone
                nextTrials = new AparapiLfads(model, AparapiEngines.sameDevice(next.stream().launcher()));
            } catch (RuntimeException e) {
                next.stream().close();
                throw new EngineException(NAME + ": " + e.getMessage(), e);
            }
            closeModel();
            lfads = next.stream();
            trials = nextTrials;
            batcher = new TrialBatcher(bundle, true, choice, model.dims().readoutDim());
            LfadsDims d = model.dims();
            lfadsFactors = new float[d.facDim()];
            lfadsLogRates = new float[d.readoutDim()];
            trialFactors = new float[d.reconSeqLen() * d.facDim()];
            trialLogRates = new float[d.reconSeqLen() * d.readoutDim()];
            describe(lfads.launcher(), next.note(), "LFADS causal step (fixed point), " + model.dims().dataDim() + " inputs, "
                    + model.dims().facDim() + " factors");
            return;
        }
        if (!SnnDecoder.MODEL_TYPE.equals(type)) {
            throw new EngineException(NAME + ": model_type '" + type + "' is not supported (lfads, snn)");
        }
        SnnReservoir model = SnnReservoir.fromBundle(bundle);
        AparapiEngines.Opened<AparapiSnn> next = AparapiEngines.open(NAME, choice, dev -> new AparapiSnn(model, dev));
        closeModel();
        snn = next.stream();
        describe(snn.launcher(), next.note(), "SNN integer LIF, " + snn.neuronCount() + " neurons, " + snn.binTicks()
                + " ticks per bin");
    }

    private void loadAcausal(LfadsFixed golden, ModelBundle bundle) {
        LfadsFixed.AcausalExport model = golden.acausalExport();
        AparapiEngines.Opened<AparapiLfadsAcausal> next = AparapiEngines.open(NAME, choice,
                dev -> new AparapiLfadsAcausal(model, dev));
        closeModel();
        acausal = next.stream();
        sliding = new LfadsStream(acausal, LfadsMode.SLIDING);
        batcher = new TrialBatcher(bundle, true, choice, model.dims().readoutDim());
        LfadsDims d = model.dims();
        lfadsFactors = new float[d.facDim()];
        lfadsLogRates = new float[d.readoutDim()];
        trialFactors = new float[d.reconSeqLen() * d.facDim()];
        trialLogRates = new float[d.reconSeqLen() * d.readoutDim()];
        describe(acausal.launcher(), next.note(), "LFADS acausal trial and sliding window (fixed point), "
                + d.dataDim() + " inputs, " + d.facDim() + " factors, windows up to " + d.encSeqLen() + " bins");
    }

    private void closeModel() {
        if (batcher != null) {
            batcher.close();
            batcher = null;
        }
        if (snn != null) {
            snn.close();
            snn = null;
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

    private void describe(KernelLauncher l, String why, String what) {
        note = why;
        faults = 0;
        device = AparapiEngines.describe(l, note, what);
        health = AparapiEngines.loaded(l, note);
    }

    private KernelLauncher launcher() {
        return snn != null ? snn.launcher() : lfads != null ? lfads.launcher()
                : acausal != null ? acausal.launcher() : null;
    }

    @Override
    public int inputCount() {
        return snn != null ? snn.inputCount() : lfads != null ? lfads.dims().dataDim()
                : acausal != null ? acausal.dims().dataDim() : 0;
    }

    /** Neurons of an SNN; factors of an LFADS model (what {@code cpu-fixed} yields by default). */
    @Override
    public int outputCount() {
        return snn != null ? snn.neuronCount() : lfads != null ? lfads.dims().facDim()
                : acausal != null ? acausal.dims().facDim() : 0;
    }

    /** {@code encod_seq_len} of an LFADS model (causal or acausal); 0 for an SNN (no trials, as {@code cpu-fixed}). */
    @Override
    public int maxTrialBins() {
        LfadsDims d = lfadsDims();
        return d == null || closed ? 0 : d.encSeqLen();
    }

    @Override
    public int trialSteps(int bins) {
        if (bins < 1 || bins > maxTrialBins()) {
            return 0;
        }
        LfadsDims d = lfadsDims();
        return bins + d.reconSeqLen() - d.encSeqLen();
    }

    private LfadsDims lfadsDims() {
        return lfads != null ? lfads.dims() : acausal != null ? acausal.dims() : null;
    }

    private boolean loaded() {
        return snn != null || lfads != null || acausal != null;
    }

    private boolean ready() {
        return !closed && loaded() && health.healthy();
    }

    @Override
    public int step(float[] in, float[] out) {
        if (!ready()) {
            if (out != null) {
                Arrays.fill(out, 0, Math.min(out.length, outputCount()), 0f);
            }
            return loaded() && !closed ? DecodeStatus.ENGINE_FAULT : DecodeStatus.NOT_READY;
        }
        int s;
        if (snn != null) {
            s = snn.step(in, out);
        } else if (out == null || out.length < lfadsFactors.length) {
            if (out != null) {
                Arrays.fill(out, 0f);
            }
            s = DecodeStatus.INVALID_INPUT;
        } else if (acausal != null) {
            s = in == null || in.length < acausal.dims().dataDim() ? DecodeStatus.INVALID_INPUT
                    : sliding.push(in, 0, lfadsFactors, lfadsLogRates);
            if (s != DecodeStatus.OK) {
                Arrays.fill(lfadsFactors, 0f);
            }
            System.arraycopy(lfadsFactors, 0, out, 0, lfadsFactors.length);
        } else {
            s = lfads.step(in, lfadsFactors, lfadsLogRates);
            System.arraycopy(lfadsFactors, 0, out, 0, lfadsFactors.length);
        }
        if (s == DecodeStatus.ENGINE_FAULT) {
            faults++;
            health = new EngineHealth(false, launcher().fault(), faults);
        }
        return s;
    }

    /**
     * A whole window of an LFADS model, as {@code cpu-fixed}'s trial: {@code out} receives the factors of every
     * decoder step. A causal bundle's trial runs on the engine's second kernel instance (learned initial states, the
     * bins as causal steps, then forward predictions), so the live stream continues as if no trial had run. For an
     * SNN INVALID_INPUT (no trials, as {@code cpu-fixed}).
     */
    @Override
    public int trial(float[] window, int bins, float[] out) {
        if (!ready()) {
            if (out != null) {
                Arrays.fill(out, 0f);
            }
            return loaded() && !closed ? DecodeStatus.ENGINE_FAULT : DecodeStatus.NOT_READY;
        }
        int steps = trialSteps(bins);
        int f = outputCount();
        if (steps <= 0 || window == null || out == null || window.length < (long) bins * inputCount()
                || out.length < (long) steps * f) {
            if (out != null) {
                Arrays.fill(out, 0f);
            }
            return DecodeStatus.INVALID_INPUT;
        }
        int s = acausal != null ? acausal.trial(window, bins, trialFactors, trialLogRates)
                : trials.trial(window, bins, trialFactors, trialLogRates);
        if (s != DecodeStatus.OK) {
            Arrays.fill(out, 0, steps * f, 0f);
            if (s == DecodeStatus.ENGINE_FAULT) {
                faults++;
                health = new EngineHealth(false, (acausal != null ? acausal.launcher() : trials.launcher()).fault(),
                        faults);
            }
            return s;
        }
        System.arraycopy(trialFactors, 0, out, 0, steps * f);
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
            return loaded() && !closed ? DecodeStatus.ENGINE_FAULT : DecodeStatus.NOT_READY;
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
        if (snn != null) {
            snn.reset();
        }
        if (lfads != null) {
            lfads.reset();
        }
        if (sliding != null) {
            sliding.reset();
        }
    }

    @Override
    public int checkpointBytes() {
        return closed ? 0 : snn != null ? snn.checkpointBytes() : lfads != null ? lfads.checkpointBytes()
                : sliding != null ? sliding.checkpointBytes() : 0;
    }

    @Override
    public int saveCheckpoint(byte[] dst) {
        if (!ready()) {
            return DecodeStatus.NOT_READY;
        }
        CheckpointStatus s = snn != null ? snn.save(dst) : lfads != null ? lfads.save(dst) : sliding.save(dst);
        return s == CheckpointStatus.OK ? DecodeStatus.OK : DecodeStatus.INVALID_INPUT;
    }

    @Override
    public int restoreCheckpoint(byte[] src) {
        if (!ready()) {
            return DecodeStatus.NOT_READY;
        }
        CheckpointStatus s = snn != null ? snn.restore(src) : lfads != null ? lfads.restore(src)
                : sliding.restore(src);
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

    /** Factory of {@code aparapi-fixed}. */
    public static final class Factory implements EngineFactory {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public Engine create() {
            return new AparapiFixedEngine(DeviceChoice.AUTO);
        }

        @Override
        public Engine create(Map<String, String> options) {
            return new AparapiFixedEngine(AparapiEngines.choice(NAME, options));
        }
    }
}
