package io.reflex.fpga.xrt;

import io.reflex.fpga.device.DeviceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Decides, before any native call, which XRT libraries this process may load — or why it must not touch XRT at all.
 *
 * <p>XRT ends the process (an uncaught C++ exception: {@code std::terminate}, SIGABRT, exit 134) when it looks for
 * its shim library under {@code $XILINX_XRT/lib} and finds none: with {@code XILINX_XRT} unset, set to {@code /usr}
 * (Debian keeps the libraries in {@code /usr/lib/<multiarch>}) or to a wrong folder, and with an unknown
 * {@code XCL_EMULATION_MODE}. It does not look when the shim is already loaded. So the plan names the shim
 * ({@code libxrt_core.so.2} for a card, {@code libxrt_noop.so.2} for the noop shim) and the
 * {@code libxrt_coreutil.so.2} beside it, both checked on disk; {@link XrtRuntime} preloads the shim with
 * {@code RTLD_NOW | RTLD_GLOBAL} before the first XRT call. Settings this driver cannot make safe are refused with the
 * reason and the fix.
 *
 * <p>This class only reads the environment and the file system; it loads nothing.
 */
public final class XrtEnvironment {

    /** Which XRT shim library a process uses. */
    public enum Shim {
        /** Decide from {@code XCL_EMULATION_MODE}: the noop shim when it is {@code noop}, else the card's shim. */
        AUTO,
        /** {@code libxrt_core}: a real card through the xocl/xclmgmt drivers. */
        HARDWARE,
        /** {@code libxrt_noop}: XRT's host flow without a card; runs complete at once and compute nothing. */
        NOOP;

        /** The shim's library base name ({@code lib<name>.so.2}); not for AUTO. */
        String library() {
            return this == NOOP ? "xrt_noop" : "xrt_core";
        }
    }

    /** The environment variable XRT reads its installation folder from. */
    public static final String XILINX_XRT = "XILINX_XRT";
    /** The environment variable that selects XRT's emulation shims. */
    public static final String XCL_EMULATION_MODE = "XCL_EMULATION_MODE";
    /** XRT's library ABI version (the {@code .so.2} suffix of its libraries). */
    static final String SO_VERSION = "2";
    static final String COREUTIL = "libxrt_coreutil.so." + SO_VERSION;

    /**
     * What to load.
     *
     * @param shim        HARDWARE or NOOP (never AUTO)
     * @param shimLibrary the shim library, preloaded RTLD_NOW | RTLD_GLOBAL
     * @param coreutil    {@code libxrt_coreutil.so.2} from the same folder (the library of the C API)
     * @param xilinxXrt   the {@code XILINX_XRT} in force, or null when unset
     * @param summary     one line for reports, e.g. {@code "noop shim /usr/lib/x86_64-linux-gnu/libxrt_noop.so.2"}
     */
    public record Plan(Shim shim, Path shimLibrary, Path coreutil, String xilinxXrt, String summary) {
    }

    private XrtEnvironment() {
    }

    /** The plan for this process's environment and the usual library folders. */
    public static Plan plan(Shim requested) {
        return plan(System.getenv(), requested, defaultSearchDirs());
    }

    /**
     * The plan for a given environment: pure, for tests.
     *
     * @param env        environment variables (only {@link #XILINX_XRT} and {@link #XCL_EMULATION_MODE} are read)
     * @param requested  the shim asked for
     * @param searchDirs folders to look in when {@code XILINX_XRT} is unset, in order
     * @throws DeviceException with the reason and the fix when XRT must not be loaded
     */
    public static Plan plan(Map<String, String> env, Shim requested, List<Path> searchDirs) {
        Shim shim = shimFor(blankToNull(env.get(XCL_EMULATION_MODE)), requested);
        String xrt = blankToNull(env.get(XILINX_XRT));
        String shimFile = "lib" + shim.library() + ".so." + SO_VERSION;
        String what = shim == Shim.NOOP ? "noop shim " : "hardware shim ";
        if (xrt != null) {
            Path lib = Path.of(xrt).resolve("lib");
            Path shimPath = lib.resolve(shimFile);
            Path core = lib.resolve(COREUTIL);
            if (!Files.isRegularFile(shimPath) || !Files.isRegularFile(core)) {
                Path missing = !Files.isRegularFile(shimPath) ? shimPath : core;
                StringBuilder msg = new StringBuilder("XILINX_XRT=" + xrt + " is not an XRT installation: " + missing
                        + " does not exist (XRT would abort the process). Point XILINX_XRT at the XRT root whose lib/"
                        + " holds " + shimFile + " and " + COREUTIL + " (e.g. /opt/xilinx/xrt, as its setup.sh does),"
                        + " or unset it");
                Path found = find(searchDirs, shimFile);
                if (found != null) {
                    msg.append(" to use the libraries in ").append(found);
                }
                throw new DeviceException(msg.toString());
            }
            return new Plan(shim, shimPath, core, xrt, what + shimPath + " (XILINX_XRT=" + xrt + ")");
        }
        Path dir = find(searchDirs, shimFile);
        if (dir == null) {
            Path coreOnly = find(searchDirs, null);
            if (coreOnly != null) {
                throw new DeviceException("XRT's " + shimFile + " is missing beside " + coreOnly.resolve(COREUTIL)
                        + " (Debian: apt-get install libxrt1; or install XRT and set XILINX_XRT)");
            }
            throw new DeviceException("libxrt not installed: no " + COREUTIL + " in " + searchDirs
                    + " and XILINX_XRT is unset (Debian: apt-get install libxrt1 libxrt-utils; Xilinx packages: source"
                    + " /opt/xilinx/xrt/setup.sh)");
        }
        Path shimPath = dir.resolve(shimFile);
        return new Plan(shim, shimPath, dir.resolve(COREUTIL), null, what + shimPath + " (preloaded; XILINX_XRT unset)");
    }

    private static Shim shimFor(String mode, Shim requested) {
        if (mode == null) {
            return requested == Shim.NOOP ? Shim.NOOP : Shim.HARDWARE;
        }
        switch (mode) {
            case "noop":
                if (requested == Shim.HARDWARE) {
                    throw new DeviceException("XCL_EMULATION_MODE=noop selects XRT's noop shim, but a card was asked for;"
                            + " unset XCL_EMULATION_MODE to use a card");
                }
                return Shim.NOOP;
            case "sw_emu":
            case "hw_emu":
                throw new DeviceException("XCL_EMULATION_MODE=" + mode + " selects XRT's " + mode + " emulation, which"
                        + " needs Vitis emulation libraries this driver does not use (XRT ends the process when they"
                        + " are missing); unset it to use a card, or set it to noop for a host-flow check");
            default:
                throw new DeviceException("XCL_EMULATION_MODE='" + mode + "' is not a mode XRT knows (XRT aborts the"
                        + " process on it); unset it, or set it to noop");
        }
    }

    /** The first folder that holds libxrt_coreutil.so.2 and, when {@code shimFile} is not null, that shim too. */
    private static Path find(List<Path> dirs, String shimFile) {
        for (Path d : dirs) {
            if (Files.isRegularFile(d.resolve(COREUTIL)) && (shimFile == null || Files.isRegularFile(d.resolve(shimFile)))) {
                return d;
            }
        }
        return null;
    }

    /** Xilinx's install folder first, then the system's library folders (Debian's multiarch one included). */
    public static List<Path> defaultSearchDirs() {
        List<Path> dirs = new ArrayList<>();
        dirs.add(Path.of("/opt/xilinx/xrt/lib"));
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (arch.equals("amd64") || arch.equals("x86_64")) {
            dirs.add(Path.of("/usr/lib/x86_64-linux-gnu"));
        } else if (arch.equals("aarch64")) {
            dirs.add(Path.of("/usr/lib/aarch64-linux-gnu"));
        }
        dirs.add(Path.of("/usr/lib64"));
        dirs.add(Path.of("/usr/lib"));
        dirs.add(Path.of("/usr/local/lib"));
        return dirs;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
