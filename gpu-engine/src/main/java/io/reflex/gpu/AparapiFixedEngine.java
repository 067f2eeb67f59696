package io.reflex.gpu;

import com.aparapi.device.Device;
import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.checkpoint.CheckpointStatus;
import io.reflex.decoders.engine.Engine;
import io.reflex.decoders.engine.EngineException;
import io.reflex.decoders.engine.EngineFactory;
import io.reflex.decoders.engine.EngineHealth;
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
 * the N traces / 2^16 out; checkpoints {@code "SNS1"}, so failover to and from any fixed engine is bumpless). LFADS is
 * not implemented yet: {@link #load} refuses it with that reason, and a chain passes to its next engine.
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
        return snn == null ? null : snn.launcher().mode();
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
            throw new EngineException(NAME + ": LFADS is not implemented on Aparapi yet (SNN only; issue #16)");
        }
        if (!SnnDecoder.MODEL_TYPE.equals(type)) {
            throw new EngineException(NAME + ": model_type '" + type + "' is not supported (snn)");
        }
        SnnReservoir model = SnnReservoir.fromBundle(bundle);
        AparapiSnn next;
        String why = null;
        try {
            if (choice == DeviceChoice.JTP) {
                next = new AparapiSnn(model, AparapiDevices.threadPool());
            } else {
                AparapiDevices.Probe p = AparapiDevices.probe();
                if (p.openCl() == null) {
                    if (choice == DeviceChoice.OPENCL) {
                        throw new EngineException(NAME + ": " + p.reason());
                    }
                    why = p.reason();
                    next = new AparapiSnn(model, AparapiDevices.threadPool());
                } else {
                    try {
                        next = new AparapiSnn(model, p.openCl());
                    } catch (IllegalStateException e) {
                        if (choice == DeviceChoice.OPENCL) {
                            throw new EngineException(NAME + ": " + e.getMessage(), e);
                        }
                        why = e.getMessage();
                        next = new AparapiSnn(model, AparapiDevices.threadPool());
                    }
                }
            }
        } catch (IllegalStateException e) {
            throw new EngineException(NAME + ": " + e.getMessage(), e);
        } catch (LinkageError e) {
            throw new EngineException(NAME + ": Aparapi unusable here: " + e, e);
        }
        if (snn != null) {
            snn.close();
        }
        snn = next;
        note = why;
        faults = 0;
        KernelLauncher l = next.launcher();
        device = l.deviceName() + ", " + l.mode() + (why == null ? "" : " (not OpenCL: " + why + ")")
                + ": SNN integer LIF, " + next.neuronCount() + " neurons, " + next.binTicks() + " ticks per bin";
        health = new EngineHealth(true, why == null ? "ok: " + l.mode() : "ok: jtp; " + why, 0);
    }

    @Override
    public int inputCount() {
        return snn == null ? 0 : snn.inputCount();
    }

    @Override
    public int outputCount() {
        return snn == null ? 0 : snn.neuronCount();
    }

    @Override
    public int maxTrialBins() {
        return 0;
    }

    @Override
    public int trialSteps(int bins) {
        return 0;
    }

    private boolean ready() {
        return !closed && snn != null && health.healthy();
    }

    @Override
    public int step(float[] in, float[] out) {
        if (!ready()) {
            if (out != null) {
                Arrays.fill(out, 0, Math.min(out.length, outputCount()), 0f);
            }
            return snn != null && !closed ? DecodeStatus.ENGINE_FAULT : DecodeStatus.NOT_READY;
        }
        int s = snn.step(in, out);
        if (s == DecodeStatus.ENGINE_FAULT) {
            faults++;
            health = new EngineHealth(false, snn.launcher().fault(), faults);
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
    }

    @Override
    public int checkpointBytes() {
        return closed || snn == null ? 0 : snn.checkpointBytes();
    }

    @Override
    public int saveCheckpoint(byte[] dst) {
        if (!ready()) {
            return DecodeStatus.NOT_READY;
        }
        return snn.save(dst) == CheckpointStatus.OK ? DecodeStatus.OK : DecodeStatus.INVALID_INPUT;
    }

    @Override
    public int restoreCheckpoint(byte[] src) {
        if (!ready()) {
            return DecodeStatus.NOT_READY;
        }
        return snn.restore(src) == CheckpointStatus.OK ? DecodeStatus.OK : DecodeStatus.INVALID_INPUT;
    }

    @Override
    public EngineHealth health() {
        return health;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (snn != null) {
                snn.close();
            }
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
