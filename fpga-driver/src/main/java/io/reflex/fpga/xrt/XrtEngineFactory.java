package io.reflex.fpga.xrt;

import io.reflex.decoders.engine.Engine;
import io.reflex.decoders.engine.EngineException;
import io.reflex.decoders.engine.EngineFactory;
import io.reflex.fpga.device.DeviceException;
import io.reflex.fpga.engine.DeviceEngine;
import io.reflex.fpga.engine.EngineOptions;
import io.reflex.fpga.xclbin.BuildParams;
import io.reflex.fpga.xrt.XrtEnvironment.Shim;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * The {@code xrt} engine: LFADS and SNN models on the kernels of an xclbin on a card (fpga-driver/README.md, "XRT
 * engine"). Options beside {@link EngineOptions#KEYS} {@code output} and {@code timeout_ms}: {@code xclbin} (the
 * file, required), {@code device} (XRT device index, default 0), {@code params} (build parameters for an xclbin that
 * does not state them, {@code KERNEL:NAME=VALUE,...[;KERNEL:...]}). The build options of the other kernel engines
 * ({@code p}, {@code t_max}, ...) are refused: the xclbin fixes the build.
 *
 * <p>{@link #create} reads the xclbin and checks the XRT installation on disk but calls nothing in XRT, and without
 * an {@code xclbin} option it refuses before anything else: an engine chain that names {@code xrt} on a machine
 * without a card pays a map lookup. The device is opened at the engine's {@code load}.
 */
public final class XrtEngineFactory implements EngineFactory {
    /** The engine name. */
    public static final String NAME = "xrt";
    /** Option names of the XRT engine itself. */
    public static final Set<String> XRT_KEYS = Set.of("xclbin", "device", "params");
    /** Build choices the xclbin makes for this engine. */
    static final Set<String> BUILD_KEYS = Set.of("p", "t_max", "lag_max", "max_n", "max_in", "max_nnz");

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Engine create() {
        return create(Map.of());
    }

    @Override
    public Engine create(Map<String, String> options) {
        Map<String, String> o = options == null ? Map.of() : options;
        String file = o.get("xclbin");
        if (file == null || file.isBlank()) {
            throw new EngineException(NAME + ": no xclbin configured (engine option xclbin, e.g."
                    + " decoder.engineOptions.xrt.xclbin in a config): the xrt engine runs the kernels of a v++ build"
                    + " of hdl/vitis on a card (hdl/BRINGUP.md)");
        }
        EngineOptions common = EngineOptions.parse(NAME, o, XRT_KEYS);
        for (String k : BUILD_KEYS) {
            if (o.containsKey(k)) {
                throw new EngineException(NAME + ": option " + k + " is a build choice, and the xclbin fixes the build"
                        + " (state an xclbin's parameters with the option params)");
            }
        }
        int device = EngineOptions.intOption(NAME, o, "device", 0, 0, 63);
        Map<String, Map<String, Integer>> stated = Map.of();
        if (o.containsKey("params")) {
            try {
                stated = BuildParams.parseSpec(o.get("params"));
            } catch (IllegalArgumentException e) {
                throw new EngineException(NAME + ": option params: " + e.getMessage(), e);
            }
        }
        XrtProvider provider;
        try {
            provider = XrtProvider.of(Path.of(file).toAbsolutePath(), device, stated, Shim.AUTO);
            // XRT aborts the process on a wrong installation: find out now, from the file system alone
            XrtEnvironment.plan(Shim.AUTO);
        } catch (DeviceException e) {
            throw new EngineException(NAME + ": " + e.getMessage(), e);
        }
        return new DeviceEngine(NAME, provider, common);
    }
}
