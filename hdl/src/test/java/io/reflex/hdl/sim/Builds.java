package io.reflex.hdl.sim;

import io.reflex.fpga.rtlsim.RtlSimBuilds;
import io.reflex.fpga.rtlsim.RtlSimDevice;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The RTL tests' access to the verilated kernels: the libraries are built by fpga-driver's {@link RtlSimBuilds}
 * (hdl/tb/Makefile, Verilator's default optimisation, which compiles quickest) and driven through
 * {@link RtlSimDevice} and the kernel host programs, the code the rtl-sim engine runs. Paths are relative to the hdl
 * module directory (Maven's working directory for tests). fpga-driver's tests build the same tags with the same
 * parameters (io.reflex.fpga.rtlsim.TestLibraries), so a reactor run builds each library once.
 */
public final class Builds {
    /** Module directory (contains rtl/, tb/, target/). */
    public static final Path HDL = Path.of("").toAbsolutePath();
    private static final RtlSimBuilds BUILDS = new RtlSimBuilds(new RtlSimBuilds.Context().reflexHome(HDL.getParent())
            .opt(RtlSimBuilds.TEST_OPT));

    private Builds() {
    }

    /** Null when verilator, g++ and make are here, else the reason (for assumeTrue). */
    public static String missing() {
        return RtlSimBuilds.missingTools();
    }

    /** True when the named program is on the PATH. */
    public static boolean onPath(String program) {
        return RtlSimBuilds.onPath(program);
    }

    /** librtlsim_&lt;kernel&gt;.so of a configuration, built or brought up to date. */
    public static Path library(String kernel, String tag, Map<String, Integer> params) {
        return BUILDS.library(kernel, tag, params);
    }

    /** Builds a target of hdl/tb/Makefile (lib, smoke) and returns the build folder. */
    public static Path build(String kernel, String tag, Map<String, Integer> params, String target) {
        return BUILDS.build(kernel, tag, params, target);
    }

    /**
     * A simulated card of a library: random stalls on every handshake and, with {@code jitter}, buffers placed at a
     * random beat within their 4 KiB page.
     */
    public static RtlSimDevice device(Path library, String kernel, int seed, int stallPct, long memBytes,
            boolean jitter) {
        return RtlSimDevice.open(new RtlSimDevice.Context().library(library).kernel(kernel).seed(seed)
                .stallPct(stallPct).memBytes(memBytes).placementJitter(jitter));
    }

    /** Exit status and combined output of a program. */
    public record Result(int exit, String output) {
    }

    /** Runs a program (combined output, time limit in seconds). */
    public static Result exec(List<String> cmd, long timeoutS) throws IOException, InterruptedException {
        Path log = Files.createTempFile("reflex-hdl", ".log");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out after " + timeoutS + " s: " + cmd);
            }
            return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
