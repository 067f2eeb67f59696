package io.reflex.fpga.rtlsim;

import io.reflex.decoders.engine.Engine;
import io.reflex.decoders.engine.EngineException;
import io.reflex.decoders.engine.EngineFactory;
import io.reflex.fpga.engine.DeviceEngine;
import io.reflex.fpga.engine.EngineOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * The {@code rtl-sim} engine: LFADS and SNN models on the verilated kernels (fpga-driver/README.md, "RTL-sim
 * engine"). Options beside {@link EngineOptions#KEYS}: {@code library} (a prebuilt {@code librtlsim_<kernel>.so}
 * instead of building one per model), {@code stall_pct} (random stalls on every handshake, 0–95, default 0),
 * {@code seed} (of the stalls, default 1), {@code mem_bytes} (simulated memory, default 64 MiB), {@code max_cycles}
 * (cycle budget per invocation, default 5·10^7), {@code build_jobs} (parallel compile jobs, default 2),
 * {@code reflex_home} (the repository whose hdl/ is built; default the system property {@code reflex.home}).
 */
public final class RtlSimEngineFactory implements EngineFactory {
    /** The engine name. */
    public static final String NAME = "rtl-sim";
    /** Option names of the RTL simulation itself. */
    public static final Set<String> SIM_KEYS = Set.of("library", "stall_pct", "seed", "mem_bytes", "max_cycles",
            "build_jobs", "reflex_home");

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
        EngineOptions common = EngineOptions.parse(NAME, o, SIM_KEYS);
        int stall = EngineOptions.intOption(NAME, o, "stall_pct", 0, 0, 95);
        int seed = EngineOptions.intOption(NAME, o, "seed", 1, 0, Integer.MAX_VALUE);
        long mem = EngineOptions.longOption(NAME, o, "mem_bytes", 64L << 20, 1L << 20, RtlSimDevice.MAX_MEM_BYTES);
        long cycles = EngineOptions.longOption(NAME, o, "max_cycles", 50_000_000L, 1, 1L << 40);
        int jobs = EngineOptions.intOption(NAME, o, "build_jobs", 2, 1, 64);
        Path library = null;
        RtlSimBuilds builds = null;
        if (o.containsKey("library")) {
            library = Path.of(o.get("library")).toAbsolutePath();
            if (!Files.isRegularFile(library)) {
                throw new EngineException(NAME + ": option library: no file " + library);
            }
        } else {
            RtlSimBuilds.Context bc = new RtlSimBuilds.Context().jobs(jobs);
            if (o.containsKey("reflex_home")) {
                bc.reflexHome(Path.of(o.get("reflex_home")));
            }
            try {
                builds = new RtlSimBuilds(bc);
            } catch (IllegalArgumentException e) {
                throw new EngineException(NAME + ": " + e.getMessage(), e);
            }
            String missing = RtlSimBuilds.missingTools();
            if (missing != null && !Files.isDirectory(builds.outDir())) {
                throw new EngineException(NAME + ": cannot build kernels here: " + missing);
            }
        }
        return new DeviceEngine(NAME, new RtlSimProvider(builds, library, seed, stall, mem, cycles), common);
    }
}
