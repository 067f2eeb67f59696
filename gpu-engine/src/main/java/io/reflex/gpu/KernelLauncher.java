package io.reflex.gpu;

import com.aparapi.Kernel;
import com.aparapi.Range;
import com.aparapi.device.Device;
import com.aparapi.device.OpenCLDevice;
import com.aparapi.exception.CompileFailedException;
import com.aparapi.internal.kernel.KernelManager;
import java.util.LinkedHashSet;

/**
 * Runs one Aparapi kernel on one device and refuses to let Aparapi change the device behind the caller's back.
 *
 * <p>Aparapi falls back from OpenCL to its Java thread pool when it cannot translate a kernel to OpenCL or the device
 * fails, and only logs it. Here the kernel is compiled for the OpenCL device at {@link #open} (a translation failure
 * is a {@link CompileFailedException} there, with Aparapi's reason), only that device is preferred, and after every
 * launch {@link Kernel#isRunningCL()} is compared with the mode chosen: a launch that ran elsewhere returns
 * {@link #FELL_BACK}, and {@link #fault()} says what happened. The launcher is then failed for good.
 */
final class KernelLauncher implements AutoCloseable {
    /** Launch status: ran on the chosen device. */
    static final int OK = 0;
    /** Launch status: Aparapi ran the kernel somewhere else than the chosen device (see {@link #fault()}). */
    static final int FELL_BACK = 1;
    /** Launch status: the launch threw (see {@link #fault()}). */
    static final int FAILED = 2;

    private final Kernel kernel;
    private final Device device;
    private final boolean openCl;
    private final Range range;
    private final String deviceName;
    private String fault;
    private boolean launched;

    private KernelLauncher(Kernel kernel, Device device, Range range) {
        this.kernel = kernel;
        this.device = device;
        this.openCl = device instanceof OpenCLDevice;
        this.range = range;
        this.deviceName = AparapiDevices.describe(device);
    }

    /**
     * A launcher of {@code kernel} over {@code globalSize} work items on {@code device}.
     *
     * @throws IllegalStateException naming the device and Aparapi's reason when the kernel cannot be compiled for
     *                               an OpenCL device (then the caller decides whether to use the thread pool, and
     *                               says so)
     */
    static KernelLauncher open(Kernel kernel, Device device, int globalSize) {
        return open(kernel, device, globalSize, true);
    }

    /**
     * As {@link #open(Kernel, Device, int)}; with {@code precompile} false the first launch translates the kernel,
     * so that a translation failure shows as Aparapi's launch-time fallback (which {@link #launch} must catch).
     */
    static KernelLauncher open(Kernel kernel, Device device, int globalSize, boolean precompile) {
        LinkedHashSet<Device> only = new LinkedHashSet<>();
        only.add(device);
        KernelManager.instance().setPreferredDevices(kernel, only);
        if (precompile && device instanceof OpenCLDevice) {
            try {
                kernel.compile(device);
            } catch (CompileFailedException e) {
                kernel.dispose();
                throw new IllegalStateException("Aparapi cannot translate " + kernel.getClass().getSimpleName()
                        + " to OpenCL for " + AparapiDevices.describe(device) + ": " + e.getMessage(), e);
            } catch (RuntimeException | LinkageError e) {
                kernel.dispose();
                throw new IllegalStateException("OpenCL compile of " + kernel.getClass().getSimpleName() + " on "
                        + AparapiDevices.describe(device) + " failed: " + e, e);
            }
        }
        return new KernelLauncher(kernel, device, range(device, globalSize));
    }

    /**
     * A 1-D range of at least {@code workItems} items whose local size divides the global size: Aparapi's thread
     * pool runs only {@code (global / local) · local} items, so a range from {@code Range.create(device, n)} whose
     * local size does not divide {@code n} silently drops the last items there (seen: N = 5 ran 4). Kernels ignore the
     * padding items ({@code getGlobalId() >= rows}).
     */
    static Range range(Device device, int workItems) {
        int n = Math.max(1, workItems);
        int local = Math.min(64, Integer.highestOneBit(n - 1 == 0 ? 1 : (n - 1)) << 1);
        local = Math.max(1, Math.min(local, 64));
        int global = (n + local - 1) / local * local;
        return Range.create(device, global, local);
    }

    /** Whether the chosen device is OpenCL (else the Java thread pool). */
    boolean openCl() {
        return openCl;
    }

    /** The chosen device for reports. */
    String deviceName() {
        return deviceName;
    }

    /** Execution mode for reports: {@code "opencl"} or {@code "jtp"}. */
    String mode() {
        return openCl ? "opencl" : "jtp";
    }

    /** Why the launcher failed, or null. */
    String fault() {
        return fault;
    }

    /** Runs {@code passes} passes (each a full launch over the range, {@code getPassId()} 0..passes−1). */
    int launch(int passes) {
        if (fault != null) {
            return FAILED;
        }
        try {
            launched = true;
            kernel.execute(range, passes);
        } catch (RuntimeException | LinkageError | AssertionError e) {
            // AssertionError: Aparapi's own check when its fallback finds no allowed device
            fault = "Aparapi launch failed on " + deviceName + ": " + e;
            return FAILED;
        }
        if (kernel.isRunningCL() != openCl) {
            fault = "Aparapi fell back from " + (openCl ? "OpenCL (" + deviceName + ")" : "the Java thread pool")
                    + " to " + (kernel.isRunningCL() ? "OpenCL" : "Java execution (" + kernel.getTargetDevice() + ")")
                    + "; the engine does not change device silently";
            return FELL_BACK;
        }
        return OK;
    }

    /**
     * Releases the kernel. Aparapi 3.0.2's native dispose dereferences launch state that exists only after a first
     * launch (a kernel compiled and never launched crashes the JVM in {@code JNIContext::dispose}), so a launcher that
     * never launched leaves its kernel to the JVM's exit; {@link AparapiSnn} launches once at open for that reason.
     */
    @Override
    public void close() {
        if (!launched) {
            return;
        }
        try {
            kernel.dispose();
        } catch (RuntimeException | LinkageError ignored) {
            // closing never throws: the kernel's resources go with the JVM
        }
    }
}
