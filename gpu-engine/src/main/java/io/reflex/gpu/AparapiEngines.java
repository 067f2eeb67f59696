package io.reflex.gpu;

import com.aparapi.device.Device;
import io.reflex.decoders.engine.EngineException;
import io.reflex.decoders.engine.EngineHealth;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The device choice, the option parsing and the reports that both Aparapi engines ({@code aparapi-fixed},
 * {@code aparapi}) share, so that they choose and name devices by one rule.
 */
final class AparapiEngines {
    /** Options both engines accept. */
    static final Set<String> OPTIONS = Set.of("device");

    private AparapiEngines() {
    }

    /** A stream opened on a device, and why that device is not OpenCL ({@code auto} on JTP), or null. */
    record Opened<T>(T stream, String note) {
    }

    /**
     * Opens a stream with {@code make} on the device the choice allows: {@code jtp} the thread pool; {@code opencl}
     * the OpenCL device or a refusal with the reason; {@code auto} the OpenCL device, else (no device, or the kernel
     * does not translate) the thread pool with the reason kept as the note.
     *
     * @throws EngineException naming {@code engine} and the reason, when no allowed device can run the stream, or
     *                         when the JVM runs without signal chaining ({@link AparapiDevices#signalChainingProblem},
     *                         which holds for the thread pool too: Aparapi loads OpenCL whichever device runs)
     */
    static <T> Opened<T> open(String engine, AparapiFixedEngine.DeviceChoice choice, Function<Device, T> make) {
        String unchained = AparapiDevices.signalChainingProblem();
        if (unchained != null) {
            throw new EngineException(engine + ": " + unchained);
        }
        try {
            if (choice == AparapiFixedEngine.DeviceChoice.JTP) {
                return new Opened<>(make.apply(AparapiDevices.threadPool()), null);
            }
            AparapiDevices.Probe p = AparapiDevices.probe();
            if (p.openCl() == null) {
                if (choice == AparapiFixedEngine.DeviceChoice.OPENCL) {
                    throw new EngineException(engine + ": " + p.reason());
                }
                return new Opened<>(make.apply(AparapiDevices.threadPool()), p.reason());
            }
            try {
                return new Opened<>(make.apply(p.openCl()), null);
            } catch (IllegalStateException e) {
                if (choice == AparapiFixedEngine.DeviceChoice.OPENCL) {
                    throw new EngineException(engine + ": " + e.getMessage(), e);
                }
                return new Opened<>(make.apply(AparapiDevices.threadPool()), e.getMessage());
            }
        } catch (IllegalStateException | IllegalArgumentException e) {
            throw new EngineException(engine + ": " + e.getMessage(), e);
        } catch (LinkageError e) {
            throw new EngineException(engine + ": Aparapi unusable here: " + e, e);
        }
    }

    /** The same device as {@code l}'s, for a second stream that must run where the first does. */
    static Device sameDevice(KernelLauncher l) {
        return l.openCl() ? AparapiDevices.probe().openCl() : AparapiDevices.threadPool();
    }

    /** The engine's {@code device()}: device, mode, the note when not OpenCL, and what runs. */
    static String describe(KernelLauncher l, String note, String what) {
        return l.deviceName() + ", " + l.mode() + (note == null ? "" : " (not OpenCL: " + note + ")") + ": " + what;
    }

    /** The healthy state after a load: {@code ok: opencl}, {@code ok: jtp} or {@code ok: jtp; <note>}. */
    static EngineHealth loaded(KernelLauncher l, String note) {
        return new EngineHealth(true, note == null ? "ok: " + l.mode() : "ok: jtp; " + note, 0);
    }

    /**
     * The device choice of a factory's options.
     *
     * @throws EngineException naming {@code engine} for an unknown option or a bad {@code device} value
     */
    static AparapiFixedEngine.DeviceChoice choice(String engine, Map<String, String> options) {
        Map<String, String> o = options == null ? Map.of() : options;
        for (String key : o.keySet()) {
            if (!OPTIONS.contains(key)) {
                throw new EngineException(engine + ": unknown option '" + key + "'; allowed are "
                        + new TreeSet<>(OPTIONS));
            }
        }
        if (!o.containsKey("device")) {
            return AparapiFixedEngine.DeviceChoice.AUTO;
        }
        return parseDevice(engine, o.get("device"));
    }

    /**
     * Parses {@code auto}, {@code opencl} or {@code jtp}.
     *
     * @throws EngineException naming {@code engine} for any other value
     */
    static AparapiFixedEngine.DeviceChoice parseDevice(String engine, String v) {
        try {
            return AparapiFixedEngine.DeviceChoice.valueOf(v.trim().toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new EngineException(engine + ": option device must be auto, opencl or jtp, found '" + v + "'");
        }
    }
}
