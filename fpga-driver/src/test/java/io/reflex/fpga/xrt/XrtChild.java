package io.reflex.fpga.xrt;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import io.reflex.fpga.device.DeviceBuffer;
import io.reflex.fpga.device.DeviceException;
import io.reflex.fpga.device.KernelDevice;
import io.reflex.fpga.device.KernelRun;
import io.reflex.fpga.xrt.XrtEnvironment.Shim;
import java.nio.file.Path;
import java.util.Map;

/**
 * The child process of {@link XrtProcessTest}: one XRT scenario per run, in a JVM whose environment the test chose.
 * "raw-*" modes call XRT the way an unprotected program would; "driver-*" modes go through the driver. The exit code
 * and the output are the result.
 */
public final class XrtChild {

    private XrtChild() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        switch (mode) {
            case "raw-open" -> {
                // libxrt_coreutil alone, as any program linking it would start: no shim preloaded, no checks.
                Native.register(XrtLibrary.class, NativeLibrary.getInstance(args[1]));
                long d = XrtLibrary.xrtDeviceOpen(0);
                System.out.println("raw: xrtDeviceOpen returned " + d);
            }
            case "raw-xclbin" -> {
                bindRawWithNoop(args[1]);
                long x = XrtLibrary.xrtXclbinAllocFilename(args[2]);
                System.out.println("raw: xrtXclbinAllocFilename returned " + x);
            }
            case "raw-leave-open" -> {
                bindRawWithNoop(args[1]);
                long d = XrtLibrary.xrtDeviceOpen(0);
                XrtLibrary.xrtDeviceLoadXclbinFile(d, args[2]);
                byte[] uuid = new byte[16];
                XrtLibrary.xrtDeviceGetXclbinUUID(d, uuid);
                long k = XrtLibrary.xrtPLKernelOpen(d, uuid, args[3]);
                long bo = XrtLibrary.xrtBOAlloc(d, 4096, 0, XrtLibrary.xrtKernelArgGroupId(k, 0));
                long run = XrtLibrary.xrtRunOpen(k);
                System.out.println("raw: left open device " + d + " kernel " + k + " bo " + bo + " run " + run);
            }
            case "driver-open", "driver-leave-open" -> {
                try {
                    XrtDevice dev = XrtDevice.open(new XrtDevice.Context().xclbin(Path.of(args[1])).kernel(args[2])
                            .shim(Shim.AUTO));
                    DeviceBuffer in = dev.alloc(1, 4096);
                    KernelRun run = dev.newRun().arg(0, in).arg(1, in).arg(2, in).arg(3, 1).arg(4, 2);
                    int rc = in.sync(DeviceBuffer.TO_DEVICE, 0, 4096);
                    rc |= run.start();
                    rc |= run.await(1000);
                    System.out.println("opened: " + dev.description() + "; one invocation: "
                            + (rc == KernelDevice.OK ? "ok" : dev.lastError()));
                    if (mode.equals("driver-open")) {
                        dev.close();
                    }
                } catch (DeviceException e) {
                    System.out.println("refused: " + e.getMessage());
                }
            }
            case "driver-switch-shim" -> {
                XrtRuntime.load(Shim.NOOP);
                try {
                    XrtRuntime.load(Shim.HARDWARE);
                    System.out.println("switched");
                } catch (DeviceException e) {
                    System.out.println("refused: " + e.getMessage());
                }
            }
            default -> throw new IllegalArgumentException(mode);
        }
        System.out.flush();
    }

    /** The noop shim preloaded as the driver does, but none of its checks or its care when exiting. */
    private static void bindRawWithNoop(String libDir) {
        Map<String, Object> opts = Map.of(Library.OPTION_OPEN_FLAGS, 0x102);
        NativeLibrary.getInstance(Path.of(libDir, "libxrt_noop.so.2").toString(), opts);
        Native.register(XrtLibrary.class, NativeLibrary.getInstance(Path.of(libDir, "libxrt_coreutil.so.2").toString(), opts));
    }
}
