package io.reflex.gpu;

import com.aparapi.device.Device;
import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.checkpoint.CheckpointStatus;
import io.reflex.decoders.engine.Engine;
import io.reflex.decoders.engine.EngineException;
import io.reflex.decoders.engine.EngineFactory;
import io.reflex.decoders.engine.EngineHealth;
import io.reflex.decoders.lfads.LfadsFixed;
import io.reflex.decoders.snn.SnnDecoder;
import io.reflex.decoders.snn.SnnReservoir;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The engine {@code aparapi-fixed}: the fixed-point golden arithmetic of decoders/FIXED_POINT.md as Aparapi kernels in
 * integer arithmetic, bit-identical to {@code cpu-fixed} (and so to {@code rtl-sim} and {@code xrt}), on an OpenCL
 * device when one exists, else on Aparapi's Java thread pool (JTP).
 *
 * <p>Models: SNN reservoirs ({@code model_type} {@code snn}; {@link #step} as {@code cpu-fixed}: one bin of counts in,
 * the N traces / 2^16 out; checkpoints {@code "SNS1"}) and causal LFADS bundles ({@link #step} is the causal step of
 * FIXED_POINT.md §6, yielding the factors as {@code cpu-fixed} does by default; checkpoints {@code "LFS1"}). So
 * failover to and from any fixed engine is bumpless. Not yet on Aparapi: LFADS trials and sliding windows (acausal
 * bundles are refused at load with that reason; {@link #maxTrialBins()} is 0), other outputs than the factors.
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
    public static final Set<String> OPTIONS = Set.of("device");

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
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (RuntimeException e) {
                throw new EngineException(NAME + ": option device must be auto, opencl or jtp, found '" + s + "'");
            }
        }
    }

    private final DeviceChoice choice;
    private AparapiSnn snn;
    private AparapiLfads lfads;
    private float[] lfadsFactors;
    private float[] lfadsLogRates;
    private String pendingNote;
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
                throw new EngineException(NAME + ": only causal LFADS steps run on Aparapi yet; this bundle is not "
                        + "causal (sliding windows and trials: issue #16)");
            }
            if (!golden.dims().hasController()) {
                throw new EngineException(NAME + ": the causal step needs a model with a controller (con_dim > 0)");
            }
            LfadsFixed.CausalExport model = golden.causalExport();
            AparapiLfads next = open(dev -> new AparapiLfads(model, dev));
            closeModel();
            lfads = next;
            lfadsFactors = new float[model.dims().facDim()];
            lfadsLogRates = new float[model.dims().readoutDim()];
            describe(next.launcher(), "LFADS causal step (fixed point), " + model.dims().dataDim() + " inputs, "
                    + model.dims().facDim() + " factors");
            return;
        }
        if (!SnnDecoder.MODEL_TYPE.equals(type)) {
            throw new EngineException(NAME + ": model_type '" + type + "' is not supported (lfads, snn)");
        }
        SnnReservoir model = SnnReservoir.fromBundle(bundle);
        AparapiSnn next = open(dev -> new AparapiSnn(model, dev));
        closeModel();
        snn = next;
        describe(next.launcher(), "SNN integer LIF, " + next.neuronCount() + " neurons, " + next.binTicks()
                + " ticks per bin");
    }

    /** Opens a stream on the device the choice allows; sets {@link #pendingNote} to why it is not OpenCL (auto). */
    private <T> T open(java.util.function.Function<Device, T> make) {
        pendingNote = null;
        try {
            if (choice == DeviceChoice.JTP) {
                return make.apply(AparapiDevices.threadPool());
            }
            AparapiDevices.Probe p = AparapiDevices.probe();
            if (p.openCl() == null) {
                if (choice == DeviceChoice.OPENCL) {
                    throw new EngineException(NAME + ": " + p.reason());
                }
                pendingNote = p.reason();
                return make.apply(AparapiDevices.threadPool());
            }
            try {
                return make.apply(p.openCl());
            } catch (IllegalStateException e) {
                if (choice == DeviceChoice.OPENCL) {
                    throw new EngineException(NAME + ": " + e.getMessage(), e);
                }
                pendingNote = e.getMessage();
                return make.apply(AparapiDevices.threadPool());
            }
        } catch (IllegalStateException | IllegalArgumentException e) {
            throw new EngineException(NAME + ": " + e.getMessage(), e);
        } catch (LinkageError e) {
            throw new EngineException(NAME + ": Aparapi unusable here: " + e, e);
        }
    }

    private void closeModel() {
        if (snn != null) {
            snn.close();
            snn = null;
        }
        if (lfads != null) {
            lfads.close();
            lfads = null;
        }
    }

    private void describe(KernelLauncher l, String what) {
        note = pendingNote;
        faults = 0;
        device = l.deviceName() + ", " + l.mode() + (note == null ? "" : " (not OpenCL: " + note + ")") + ": " + what;
        health = new EngineHealth(true, note == null ? "ok: " + l.mode() : "ok: jtp; " + note, 0);
    }

    private KernelLauncher launcher() {
        return snn != null ? snn.launcher() : lfads != null ? lfads.launcher() : null;
    }

    @Override
    public int inputCount() {
        return snn != null ? snn.inputCount() : lfads != null ? lfads.dims().dataDim() : 0;
    }

    /** Neurons of an SNN; factors of an LFADS model (what {@code cpu-fixed} yields by default). */
    @Override
    public int outputCount() {
        return snn != null ? snn.neuronCount() : lfads != null ? lfads.dims().facDim() : 0;
    }

    @Override
    public int maxTrialBins() {
        return 0;
    }

    @Override
    public int trialSteps(int bins) {
        return 0;
    }

    private boolean loaded() {
        return snn != null || lfads != null;
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

    @Override
    public int trial(float[] window, int bins, float[] out) {
        if (out != null) {
            Arrays.fill(out, 0f);
        }
        return ready() ? DecodeStatus.INVALID_INPUT : DecodeStatus.NOT_READY;
    }

    @Override
    public void reset() {
        if (snn != null) {
            snn.reset();
        }
        if (lfads != null) {
            lfads.reset();
        }
    }

    @Override
    public int checkpointBytes() {
        return closed ? 0 : snn != null ? snn.checkpointBytes() : lfads != null ? lfads.checkpointBytes() : 0;
    }

    @Override
    public int saveCheckpoint(byte[] dst) {
        if (!ready()) {
            return DecodeStatus.NOT_READY;
        }
        CheckpointStatus s = snn != null ? snn.save(dst) : lfads.save(dst);
        return s == CheckpointStatus.OK ? DecodeStatus.OK : DecodeStatus.INVALID_INPUT;
    }

    @Override
    public int restoreCheckpoint(byte[] src) {
        if (!ready()) {
            return DecodeStatus.NOT_READY;
        }
        CheckpointStatus s = snn != null ? snn.restore(src) : lfads.restore(src);
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
            Map<String, String> o = options == null ? Map.of() : options;
            for (String key : o.keySet()) {
                if (!OPTIONS.contains(key)) {
                    throw new EngineException(NAME + ": unknown option '" + key + "'; allowed are "
                            + new TreeSet<>(OPTIONS));
                }
            }
            return new AparapiFixedEngine(o.containsKey("device") ? DeviceChoice.parse(o.get("device"))
                    : DeviceChoice.AUTO);
        }
    }
}
