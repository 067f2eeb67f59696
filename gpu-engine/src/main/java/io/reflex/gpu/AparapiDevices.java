package io.reflex.gpu;

import com.aparapi.device.Device;
import com.aparapi.device.JavaDevice;
import com.aparapi.device.OpenCLDevice;
import com.aparapi.internal.opencl.OpenCLLoader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Finds where Aparapi kernels can run here: the first OpenCL device (GPU, then accelerator, then CPU, e.g. PoCL's
 * CPU device) or Aparapi's Java thread pool. Loading libaparapi and libOpenCL happens here, once, and any failure of
 * it (a missing library, a broken ICD) is caught and turned into a reason, so that native trouble never ends the JVM
 * and never escapes as an exception.
 *
 * <p>On Linux nothing here loads Aparapi's native side unless the JVM runs with the JDK's {@code libjsig.so} preloaded
 * ({@link #signalChainingProblem()}): an OpenCL driver built on LLVM (PoCL's CPU device, GPU vendors' drivers)
 * installs LLVM's crash handlers for SIGSEGV, SIGBUS, SIGFPE and SIGILL over HotSpot's when it compiles a kernel.
 * HotSpot takes SIGSEGV in normal operation (safepoint polls, implicit null checks); LLVM's handlers are one-shot
 * ({@code SA_RESETHAND}), so two threads faulting at once (a safepoint with two busy threads) leave the second with
 * the default action and the JVM dies of a bare "Segmentation fault", with no hs_err file, long after the kernel ran.
 * With libjsig preloaded the driver's handlers are chained behind HotSpot's instead of replacing them.
 */
public final class AparapiDevices {
    private static volatile Probe probe;
    private static volatile String chaining;
    private static volatile boolean chainingChecked;

    private AparapiDevices() {
    }

    /**
     * What the probe found.
     *
     * @param openCl the chosen OpenCL device, or null
     * @param reason why there is no OpenCL device (null when there is one)
     */
    public record Probe(OpenCLDevice openCl, String reason) {
        /** A short description of the OpenCL device, e.g. {@code "OpenCL CPU pthread-haswell-AMD EPYC ..."}. */
        public String openClName() {
            return openCl == null ? null : describe(openCl);
        }
    }

    /** The OpenCL device to use, probed once per JVM. Never throws. */
    public static Probe probe() {
        Probe p = probe;
        if (p == null) {
            synchronized (AparapiDevices.class) {
                p = probe;
                if (p == null) {
                    p = doProbe();
                    probe = p;
                }
            }
        }
        return p;
    }

    /**
     * Why Aparapi's native side must not be loaded in this JVM, or null when it may: on Linux, the JVM must have the
     * JDK's {@code libjsig.so} mapped (started with it in {@code LD_PRELOAD}, as {@code ./reflex} starts it); other
     * systems are not checked. Checked once per JVM.
     */
    public static String signalChainingProblem() {
        if (!chainingChecked) {
            synchronized (AparapiDevices.class) {
                if (!chainingChecked) {
                    chaining = signalChainingProblem(System.getProperty("os.name", ""), Path.of("/proc/self/maps"),
                            System.getProperty("java.home", "$JAVA_HOME"));
                    chainingChecked = true;
                }
            }
        }
        return chaining;
    }

    /**
     * {@link #signalChainingProblem()} for an OS name and a process's memory map file; a map that cannot be read
     * is not held against the JVM (the check is a guard against a known crash, not a permission).
     */
    static String signalChainingProblem(String osName, Path maps, String javaHome) {
        if (!osName.toLowerCase(Locale.ROOT).contains("linux")) {
            return null;
        }
        String m;
        try {
            m = Files.readString(maps, StandardCharsets.ISO_8859_1);
        } catch (IOException | RuntimeException e) {
            return null;
        }
        for (String line : m.split("\n")) {
            if (line.endsWith("/libjsig.so")) {
                return null;
            }
        }
        return "this JVM runs without the JDK's libjsig.so, and an OpenCL driver built on LLVM (PoCL, GPU drivers) "
                + "would replace the JVM's SIGSEGV handler and end the JVM later with a bare segmentation fault; start "
                + "it with LD_PRELOAD=" + javaHome + "/lib/libjsig.so (./reflex does)";
    }

    private static Probe doProbe() {
        String unchained = signalChainingProblem();
        if (unchained != null) {
            return new Probe(null, "OpenCL not loaded: " + unchained);
        }
        try {
            if (!OpenCLLoader.isOpenCLAvailable()) {
                return new Probe(null, "no OpenCL library (install ocl-icd-libopencl1 and an ICD such as "
                        + "pocl-opencl-icd)");
            }
            for (Device.TYPE t : new Device.TYPE[] {Device.TYPE.GPU, Device.TYPE.ACC, Device.TYPE.CPU}) {
                List<OpenCLDevice> l = OpenCLDevice.listDevices(t);
                if (l != null && !l.isEmpty()) {
                    return new Probe(l.get(0), null);
                }
            }
            return new Probe(null, "no OpenCL device (install pocl-opencl-icd)");
        } catch (Throwable e) {
            // LinkageError (libaparapi or libOpenCL missing or incompatible) or an ICD failing inside the probe
            return new Probe(null, "OpenCL unusable: " + e);
        }
    }

    /** The Java thread pool device. */
    public static Device threadPool() {
        return JavaDevice.THREAD_POOL;
    }

    /** A short description of a device for reports. */
    public static String describe(Device d) {
        if (d instanceof OpenCLDevice o) {
            String name = o.getName() == null ? "?" : o.getName().trim();
            String platform = o.getOpenCLPlatform() == null ? "?" : o.getOpenCLPlatform().getName();
            return "OpenCL " + o.getType() + " " + name + " (" + platform + ")";
        }
        return "Aparapi JTP (Java thread pool, " + Runtime.getRuntime().availableProcessors() + " cores)";
    }
}
