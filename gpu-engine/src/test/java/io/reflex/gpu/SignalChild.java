package io.reflex.gpu;

import com.aparapi.Kernel;
import com.aparapi.Range;
import com.aparapi.device.Device;
import com.aparapi.device.OpenCLDevice;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.reflex.decoders.engine.EngineChain;
import io.reflex.decoders.engine.EngineSpec;
import io.reflex.decoders.snn.SnnDecoder;
import java.util.List;

/**
 * A JVM of its own for {@link SignalChainingTest}, started with or without libjsig. Modes:
 * <ul>
 *   <li>{@code compile}: compiles and runs one kernel on the first OpenCL device straight through Aparapi (past the
 *       engines' guard), then prints the library of the SIGSEGV handler installed before OpenCL was loaded ({@code before=}), after
 *       the devices were listed ({@code listed=}) and after the compile ({@code sigsegv=}), or
 *       {@code no-opencl} when there is no device;</li>
 *   <li>{@code engine}: an SNN on {@code aparapi-fixed} (any device) in a chain before {@code cpu-fixed}; prints
 *       {@code active=<engine>} and {@code aparapi=<its open error, or ok>}.</li>
 * </ul>
 */
public final class SignalChild {
    private SignalChild() {
    }

    /** Adds its global id to each element: enough for a driver to compile a kernel. */
    static final class AddId extends Kernel {
        final int[] v = new int[64];

        @Override
        public void run() {
            v[getGlobalId()] += getGlobalId();
        }
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("compile")) {
            String before = sigsegvHandler();
            OpenCLDevice d = null;
            for (Device.TYPE t : new Device.TYPE[] {Device.TYPE.GPU, Device.TYPE.ACC, Device.TYPE.CPU}) {
                List<OpenCLDevice> l = OpenCLDevice.listDevices(t);
                if (d == null && l != null && !l.isEmpty()) {
                    d = l.get(0);
                }
            }
            if (d == null) {
                System.out.println("no-opencl");
                return;
            }
            String listed = sigsegvHandler();
            AddId k = new AddId();
            String after;
            try (KernelLauncher l = KernelLauncher.open(k, d, 64)) {
                // read at once: LLVM's handler is one-shot, and the JVM's next SIGSEGV (a safepoint poll) restores
                // HotSpot's, when it does not end the JVM
                after = sigsegvHandler();
                if (l.launch(1) != KernelLauncher.OK || k.v[63] != 63) {
                    System.out.println("launch-failed " + l.fault());
                    return;
                }
            }
            System.out.println("before=" + before);
            System.out.println("listed=" + listed);
            System.out.println("sigsegv=" + after);
        } else {
            try (EngineChain c = EngineChain.create(List.of(EngineSpec.of(AparapiFixedEngine.NAME),
                    EngineSpec.of("cpu-fixed")))) {
                c.load(SnnDecoder.reservoirBundle(new SnnDecoder.Context().inputCount(8).neuronCount(256), "snn-256",
                        "SignalChild").toBundle());
                System.out.println("active=" + c.active().name());
                System.out.println("aparapi=" + (c.usable(0) ? "ok" : c.reason(0)));
            }
        }
    }

    /** The C library calls {@link #sigsegvHandler} needs. */
    interface LibC extends Library {
        LibC INSTANCE = Native.load("c", LibC.class);

        long syscall(long number, Object... args);

        int dladdr(Pointer address, Pointer info);
    }

    /**
     * The file of the SIGSEGV handler the kernel holds for this process (x86-64 Linux), e.g. {@code ".../libjvm.so"}:
     * asked with the raw rt_sigaction system call, because libjsig answers the C library's sigaction with the handler
     * it chained, not the one installed. HotSpot's own report ({@code jcmd VM.info}) goes through that sigaction too.
     */
    static String sigsegvHandler() {
        // struct kernel_sigaction on x86-64: handler, flags, restorer, mask (8 bytes each)
        try (Memory act = new Memory(32); Memory info = new Memory(32)) {
            act.clear();
            long r = LibC.INSTANCE.syscall(13L /* SYS_rt_sigaction */, 11 /* SIGSEGV */, Pointer.NULL, act, 8L);
            if (r != 0) {
                return "rt_sigaction failed: " + r;
            }
            Pointer handler = act.getPointer(0);
            if (Pointer.nativeValue(handler) <= 1) {
                return Pointer.nativeValue(handler) == 0 ? "SIG_DFL" : "SIG_IGN";
            }
            info.clear();
            if (LibC.INSTANCE.dladdr(handler, info) == 0 || info.getPointer(0) == null) {
                return "unknown " + handler;
            }
            return info.getPointer(0).getString(0);
        }
    }
}
