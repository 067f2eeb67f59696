package io.reflex.fpga.rtlsim;

import io.reflex.fpga.device.DeviceException;
import io.reflex.fpga.engine.DeviceProvider;
import java.nio.file.Path;
import java.util.Map;

/**
 * Devices for the {@code rtl-sim} engine: the library of the requested build, located or built by
 * {@link RtlSimBuilds} (tag {@code rt-<parameters>}), or a given prebuilt library whatever its parameters (the
 * engine then checks that the model fits them), opened as an {@link RtlSimDevice}.
 */
public final class RtlSimProvider implements DeviceProvider {
    private final RtlSimBuilds builds;
    private final Path library;
    private final int seed;
    private final int stallPct;
    private final long memBytes;
    private final long maxRunCycles;

    /**
     * @param builds       where libraries are built (null when {@code library} is given)
     * @param library      a prebuilt library to use for every model, or null
     * @param seed         seed of the random stalls
     * @param stallPct     stall percentage [0, 95]
     * @param memBytes     simulated memory
     * @param maxRunCycles cycle budget of one invocation
     */
    public RtlSimProvider(RtlSimBuilds builds, Path library, int seed, int stallPct, long memBytes,
            long maxRunCycles) {
        this.builds = builds;
        this.library = library;
        this.seed = seed;
        this.stallPct = stallPct;
        this.memBytes = memBytes;
        this.maxRunCycles = maxRunCycles;
    }

    @Override
    public String name() {
        return "rtl-sim";
    }

    @Override
    public Provided open(String kernel, Map<String, Integer> params) {
        Path lib = library;
        if (lib == null) {
            if (builds == null) {
                throw new DeviceException("rtl-sim: neither a library nor a build location");
            }
            lib = builds.library(kernel, RtlSimBuilds.tag("rt", params), params);
        }
        RtlSimDevice.Context ctx = new RtlSimDevice.Context().library(lib).kernel(kernel).seed(seed)
                .stallPct(stallPct).memBytes(memBytes).maxRunCycles(maxRunCycles);
        if (library == null) {
            ctx.requiredParams(params);
        }
        RtlSimDevice dev = RtlSimDevice.open(ctx);
        return new Provided(dev, dev.params());
    }
}
