package io.reflex.gpu;

import com.aparapi.device.Device;
import com.aparapi.device.JavaDevice;
import com.aparapi.device.OpenCLDevice;
import com.aparapi.internal.opencl.OpenCLLoader;
import java.util.List;

/**
 * Finds where Aparapi kernels can run here: the first OpenCL device (GPU, then accelerator, then CPU, e.g. PoCL's
 * CPU device) or Aparapi's Java thread pool. Loading libaparapi and libOpenCL happens here, once, and any failure of
 * it (a missing library, a broken ICD) is caught and turned into a reason, so that native trouble never ends the JVM
 * and never escapes as an exception.
 */
public final class AparapiDevices {
    private static volatile Probe probe;

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

    private static Probe doProbe() {
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
