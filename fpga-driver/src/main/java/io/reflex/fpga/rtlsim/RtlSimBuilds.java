package io.reflex.fpga.rtlsim;

import io.reflex.fpga.device.DeviceException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Locates or builds the verilated kernels ({@code librtlsim_<kernel>.so}) through {@code hdl/tb/Makefile}, into
 * {@code <reflex.home>/hdl/target/verilator/<kernel>_<tag>/}. make is incremental and the Makefile rebuilds a folder
 * whose Verilog parameters or optimisation flags changed, so asking again is cheap. Two processes (or threads)
 * asking for the same folder are serialised by a lock file beside it ({@code <kernel>_<tag>.lock}); the build's
 * output goes to {@code <kernel>_<tag>.log}. Without verilator, g++ or make an existing library is used as it is
 * (its parameters are checked when {@link RtlSimDevice} opens it); otherwise the reason names the missing tool.
 */
public final class RtlSimBuilds {
    /**
     * C++ optimisation of the libraries the runtime builds (the model's per-cycle code and the AXI harness). Chosen
     * by measurement (fpga-driver/README.md, "RTL-sim builds"): 1.5× the simulation speed of -Os on the causal
     * LFADS build and 1.2× on the SNN build, for the build time of -O2.
     */
    public static final String RUNTIME_OPT = "-O3";
    /** The optimisation hdl's tests build with: Verilator's default, quick to compile. */
    public static final String TEST_OPT = "-Os";

    private static final Map<Path, Object> JVM_LOCKS = new ConcurrentHashMap<>();
    private final Context ctx;

    /** Builds as {@code ctx} says (concluded here). */
    public RtlSimBuilds(Context ctx) {
        this.ctx = ctx.conclude();
    }

    /** The repository root the builds use. */
    public Path home() {
        return ctx.reflexHome;
    }

    /** {@code <home>/hdl/target/verilator}. */
    public Path outDir() {
        return ctx.reflexHome.resolve("hdl/target/verilator");
    }

    /** The build folder of a kernel configuration. */
    public Path buildDir(String kernel, String tag) {
        return outDir().resolve(kernel + "_" + tag);
    }

    /** A folder tag naming every parameter, e.g. {@code rt-causal1-d70-t_max73-...}. */
    public static String tag(String prefix, Map<String, Integer> params) {
        StringBuilder sb = new StringBuilder(prefix);
        for (Map.Entry<String, Integer> e : params.entrySet()) {
            sb.append('-').append(e.getKey().toLowerCase(Locale.ROOT)).append(e.getValue());
        }
        return sb.toString();
    }

    /** The Makefile's {@code PARAMS} for Verilog parameters ({@code -GNAME=VALUE ...}). */
    public static String verilatorParams(Map<String, Integer> params) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Integer> e : params.entrySet()) {
            sb.append(sb.length() == 0 ? "" : " ").append("-G").append(e.getKey()).append('=').append(e.getValue());
        }
        return sb.toString();
    }

    /**
     * The library of a kernel built with the given Verilog parameters (built or brought up to date first when the
     * tools are here).
     *
     * @throws DeviceException when it cannot be built or found, naming why
     */
    public Path library(String kernel, String tag, Map<String, Integer> params) {
        Path lib = buildDir(kernel, tag).resolve("librtlsim_" + kernel + ".so");
        String missing = missingTools();
        if (missing != null) {
            if (Files.isRegularFile(lib)) {
                return lib;
            }
            throw new DeviceException("cannot build " + lib + ": " + missing);
        }
        build(kernel, tag, params, "lib");
        return lib;
    }

    /**
     * Runs one target of hdl/tb/Makefile ({@code lib}, {@code smoke}) for a kernel configuration, under the
     * folder's lock.
     *
     * @return the build folder
     * @throws DeviceException when a tool is missing or the build fails (with the end of its output)
     */
    public Path build(String kernel, String tag, Map<String, Integer> params, String target) {
        if (!kernel.matches("[a-z0-9_]+") || !tag.matches("[A-Za-z0-9_.-]+")) {
            throw new DeviceException("kernel and tag must be plain names, got '" + kernel + "', '" + tag + "'");
        }
        String missing = missingTools();
        if (missing != null) {
            throw new DeviceException("cannot build " + kernel + "_" + tag + ": " + missing);
        }
        Path out = outDir();
        Path makefile = ctx.reflexHome.resolve("hdl/tb/Makefile");
        if (!Files.isRegularFile(makefile)) {
            throw new DeviceException("no " + makefile + ": reflex.home must be the repository root");
        }
        List<String> cmd = new ArrayList<>();
        if (ctx.nice && onPath("nice")) {
            cmd.addAll(List.of("nice", "-n", "10"));
        }
        cmd.addAll(List.of("make", "-s", "-C", makefile.getParent().toString(), "KERNEL=" + kernel, "TAG=" + tag,
                "OUT=" + out, "PARAMS=" + verilatorParams(params), "OPT=" + ctx.opt, "JOBS=" + ctx.jobs, target));
        Path lockFile = out.resolve(kernel + "_" + tag + ".lock");
        Path log = out.resolve(kernel + "_" + tag + ".log");
        try {
            Files.createDirectories(out);
            Object jvmLock = JVM_LOCKS.computeIfAbsent(lockFile.toAbsolutePath().normalize(), k -> new Object());
            synchronized (jvmLock) {
                try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                        FileLock ignored = ch.lock()) {
                    run(cmd, log, kernel + "_" + tag);
                }
            }
        } catch (IOException e) {
            throw new DeviceException("cannot build " + kernel + "_" + tag + " in " + out + ": " + e.getMessage(), e);
        }
        return buildDir(kernel, tag);
    }

    private void run(List<String> cmd, Path log, String what) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean done;
        try {
            done = p.waitFor(ctx.timeoutS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill(p);
            throw new DeviceException("build of " + what + " interrupted", e);
        }
        if (!done) {
            kill(p);
            throw new DeviceException("build of " + what + " took more than " + ctx.timeoutS + " s (log " + log + ")");
        }
        if (p.exitValue() != 0) {
            throw new DeviceException("build of " + what + " failed (make exit " + p.exitValue() + ", log " + log
                    + "):\n" + tail(Files.readString(log, StandardCharsets.UTF_8)));
        }
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    private static String tail(String s) {
        return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
    }

    /** Null when verilator, a C++ compiler and make are on the PATH, else which are missing and what to do. */
    public static String missingTools() {
        return missingTools(System.getenv().getOrDefault("PATH", ""), System.getenv().getOrDefault("CXX", "g++"));
    }

    static String missingTools(String pathEnv, String cxx) {
        List<String> missing = new ArrayList<>();
        for (String tool : List.of("verilator", "make", cxx)) {
            if (!onPath(tool, pathEnv)) {
                missing.add(tool);
            }
        }
        if (missing.isEmpty()) {
            return null;
        }
        return String.join(", ", missing) + (missing.size() == 1 ? " is" : " are")
                + " not installed (Debian: apt-get install verilator g++ make), or pass a prebuilt library";
    }

    /** True when the named program is an executable on the PATH. */
    public static boolean onPath(String program) {
        return onPath(program, System.getenv().getOrDefault("PATH", ""));
    }

    private static boolean onPath(String program, String pathEnv) {
        if (program.contains("/")) {
            return Files.isExecutable(Path.of(program));
        }
        for (String dir : pathEnv.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    /** Configuration of {@link RtlSimBuilds}; {@link #conclude()} validates and derives the defaults. */
    public static final class Context {
        private Path reflexHome;
        private int jobs = 2;
        private String opt = RUNTIME_OPT;
        private long timeoutS = 3600;
        private boolean nice = true;
        private boolean concluded;

        /**
         * The repository root (holding hdl/tb/Makefile); default the system property {@code reflex.home} (set by
         * the launcher), else the nearest directory above the working directory that holds hdl/tb/Makefile.
         */
        public Context reflexHome(Path value) {
            reflexHome = value;
            return this;
        }

        /** Parallel compile jobs, [1, 64]; default 2 (the machine is shared). */
        public Context jobs(int value) {
            jobs = value;
            return this;
        }

        /** C++ optimisation flags ({@link #RUNTIME_OPT} by default, {@link #TEST_OPT} for hdl's tests). */
        public Context opt(String value) {
            opt = value;
            return this;
        }

        /** Longest build in seconds, at least 1; default 3600. */
        public Context timeoutS(long value) {
            timeoutS = value;
            return this;
        }

        /** Builds under {@code nice -n 10} (default true). */
        public Context nice(boolean value) {
            nice = value;
            return this;
        }

        /** Validates every field; idempotent. */
        public Context conclude() {
            if (concluded) {
                return this;
            }
            if (reflexHome == null) {
                String h = System.getProperty("reflex.home");
                reflexHome = h != null ? Path.of(h) : findHome(Path.of("").toAbsolutePath());
            }
            reflexHome = reflexHome.toAbsolutePath().normalize();
            if (jobs < 1 || jobs > 64) {
                throw new IllegalArgumentException("jobs must be in [1, 64], got " + jobs);
            }
            if (opt == null || !opt.matches("[-A-Za-z0-9=_ ]*")) {
                throw new IllegalArgumentException("opt must be compiler flags like -O2, got '" + opt + "'");
            }
            if (timeoutS < 1) {
                throw new IllegalArgumentException("timeoutS must be >= 1, got " + timeoutS);
            }
            concluded = true;
            return this;
        }

        private static Path findHome(Path start) {
            for (Path p = start; p != null; p = p.getParent()) {
                if (Files.isRegularFile(p.resolve("hdl/tb/Makefile"))) {
                    return p;
                }
            }
            throw new IllegalArgumentException("reflex.home is not set and no directory above " + start
                    + " holds hdl/tb/Makefile");
        }
    }
}
