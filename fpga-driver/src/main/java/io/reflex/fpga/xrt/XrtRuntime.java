package io.reflex.fpga.xrt;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import io.reflex.fpga.device.DeviceException;
import io.reflex.fpga.xrt.XrtEnvironment.Plan;
import io.reflex.fpga.xrt.XrtEnvironment.Shim;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * XRT loaded into this process, once: the environment checked ({@link XrtEnvironment}), the shim library preloaded
 * with {@code RTLD_NOW | RTLD_GLOBAL} so that XRT never goes looking for it, {@code libxrt_coreutil} bound
 * ({@link XrtLibrary}). Every facade handle starts from here, so no XRT function runs before these checks.
 *
 * <p>XRT keeps process-wide state: the first shim loaded stays for the life of the process, so a later request for
 * the other shim is refused. XRT also crashes at process exit (SIGSEGV or SIGABRT from its static destructors) when
 * kernel, buffer or run handles are still open; a shutdown hook closes whatever the program left open, devices last.
 */
public final class XrtRuntime {

    private static final int RTLD_NOW = 0x2;
    private static final int RTLD_GLOBAL = 0x100;

    private static XrtRuntime loaded;

    private final Plan plan;
    private final XrtLibrary.Varargs varargs;
    /** Open top-level handles (devices, xclbins), guarded by {@link XrtHandle#LOCK}. */
    private final Set<XrtHandle> roots = new LinkedHashSet<>();

    private XrtRuntime(Plan plan, XrtLibrary.Varargs varargs) {
        this.plan = plan;
        this.varargs = varargs;
    }

    /**
     * XRT for this process: loads it on the first call, returns the same runtime afterwards.
     *
     * @param requested the shim asked for ({@link Shim#AUTO}: from {@code XCL_EMULATION_MODE})
     * @throws DeviceException with the reason when the environment is unsafe, the libraries are missing or cannot be
     *                         loaded, or this process already loaded XRT with another shim
     */
    public static synchronized XrtRuntime load(Shim requested) {
        Plan p = XrtEnvironment.plan(requested);
        if (loaded != null) {
            if (!loaded.plan.shimLibrary().equals(p.shimLibrary())) {
                throw new DeviceException("this JVM already loaded XRT with the " + loaded.plan.summary()
                        + "; XRT cannot change its shim within a process (asked for the " + p.summary()
                        + "): use another JVM");
            }
            return loaded;
        }
        Map<String, Object> opts = Map.of(Library.OPTION_OPEN_FLAGS, RTLD_NOW | RTLD_GLOBAL);
        XrtLibrary.Varargs va;
        try {
            // The shim first: its static initialiser registers it with libxrt_coreutil, so XRT never searches
            // $XILINX_XRT/lib for it (the search that aborts the process).
            NativeLibrary.getInstance(p.shimLibrary().toString(), opts);
            NativeLibrary core = NativeLibrary.getInstance(p.coreutil().toString(), opts);
            Native.register(XrtLibrary.class, core);
            va = Native.load(p.coreutil().toString(), XrtLibrary.Varargs.class, opts);
        } catch (UnsatisfiedLinkError | IllegalArgumentException e) {
            throw new DeviceException("cannot load XRT (" + p.summary() + "): " + e.getMessage(), e);
        }
        XrtRuntime rt = new XrtRuntime(p, va);
        Runtime.getRuntime().addShutdownHook(new Thread(rt::closeAll, "xrt-close-at-exit"));
        loaded = rt;
        return rt;
    }

    /** The runtime if this process loaded XRT, else null. */
    public static synchronized XrtRuntime loadedOrNull() {
        return loaded;
    }

    /** What was loaded. */
    public Plan plan() {
        return plan;
    }

    /** Whether XRT runs on its noop shim: the host flow works, runs compute nothing, registers cannot be read. */
    public boolean isNoop() {
        return plan.shim() == Shim.NOOP;
    }

    /** One line for reports. */
    public String describe() {
        return "XRT " + plan.summary();
    }

    XrtLibrary.Varargs varargs() {
        return varargs;
    }

    void register(XrtHandle root) {
        roots.add(root);
    }

    void unregister(XrtHandle root) {
        roots.remove(root);
    }

    /** Closes every handle still open (children before parents, xclbins and devices last). */
    void closeAll() {
        List<XrtHandle> open;
        synchronized (XrtHandle.LOCK) {
            open = new ArrayList<>(roots);
        }
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }
}
