package io.reflex.hdl.sim;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds a verilated kernel through {@code hdl/tb/Makefile} and runs its vector runner.
 * Paths are relative to the hdl module directory (Maven's working directory for tests).
 */
public final class Verilator {
    private static final Pattern SUMMARY = Pattern.compile(
            "SUMMARY kernel=(\\S+) cases=(\\d+) runs=(\\d+) words=(\\d+) failures=(\\d+) cycles=(\\d+)");

    /** Module directory (contains rtl/, tb/, target/). */
    public static final Path HDL = Path.of("").toAbsolutePath();

    private Verilator() {
    }

    /** True when a verilator executable is on the PATH. */
    public static boolean available() {
        return onPath("verilator");
    }

    /** True when the named program is on the PATH. */
    public static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    /** The build folder of a kernel configuration. */
    public static Path buildDir(String kernel, String tag) {
        return HDL.resolve("target/verilator").resolve(kernel + "_" + tag);
    }

    /**
     * Builds tb_&lt;kernel&gt; and librtlsim_&lt;kernel&gt;.so for the given Verilog parameters (make is incremental).
     *
     * @return the build folder
     */
    public static Path build(String kernel, String tag, String params) throws IOException, InterruptedException {
        return build(kernel, tag, params, "all");
    }

    /** Builds a make target of hdl/tb/Makefile (all, smoke) for a kernel configuration. */
    public static Path build(String kernel, String tag, String params, String target)
            throws IOException, InterruptedException {
        List<String> cmd = List.of("make", "-s", "-C", HDL.resolve("tb").toString(), "KERNEL=" + kernel,
                "TAG=" + tag, "OUT=" + HDL.resolve("target/verilator"), "PARAMS=" + params, "JOBS=2", target);
        Result r = exec(cmd, 1800);
        if (r.exit != 0) {
            throw new IllegalStateException("verilator build of " + kernel + " failed:\n" + r.output);
        }
        return buildDir(kernel, tag);
    }

    /** Outcome of one vector-runner invocation. */
    public record Summary(int cases, int runs, long words, int failures, long cycles, String output) {
    }

    /** Runs the vector runner of a build on a vector file; cycles per run go to cyclesJsonl. */
    public static Summary run(Path build, String kernel, Path vectors, int seed, int stallPct, long memBytes,
            Path cyclesJsonl) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(build.resolve("tb_" + kernel).toString(), vectors.toString(),
                Integer.toString(seed), Integer.toString(stallPct), Long.toString(memBytes)));
        if (cyclesJsonl != null) {
            cmd.add(cyclesJsonl.toString());
        }
        Result r = exec(cmd, 1800);
        Matcher m = SUMMARY.matcher(r.output);
        if (!m.find()) {
            throw new IllegalStateException("vector runner exited " + r.exit + " without a summary:\n" + tail(r.output));
        }
        Summary s = new Summary(Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                Long.parseLong(m.group(4)), Integer.parseInt(m.group(5)), Long.parseLong(m.group(6)),
                tail(r.output));
        if (r.exit != 0 && s.failures == 0) {
            throw new IllegalStateException("vector runner exited " + r.exit + ":\n" + tail(r.output));
        }
        return s;
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

    private static String tail(String s) {
        return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
    }
}
