package io.reflex.fpga.xrt;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.reflex.fpga.device.DeviceException;

/** An open kernel ({@code xrtKernelHandle}); closing it closes its runs first. */
public final class XrtKernelHandle extends XrtHandle {

    private final String name;
    /** Where {@code xrtKernelReadRegister} writes: allocated once, so a read allocates nothing. */
    private final Memory register = new Memory(4);
    private final long registerAddress = Pointer.nativeValue(register);

    XrtKernelHandle(XrtRuntime runtime, XrtDeviceHandle device, long handle, String name) {
        super(runtime, device, handle);
        this.name = name;
    }

    /** The kernel's name. */
    public String name() {
        return name;
    }

    /** The memory group of argument {@code argno} ({@code xrtKernelArgGroupId}); negative for scalars or on error. */
    public int argGroupId(int argno) {
        return XrtLibrary.xrtKernelArgGroupId(requireOpen("xrtKernelArgGroupId"), argno);
    }

    /**
     * The register offset of argument {@code argno} ({@code xrtKernelArgOffset}); XRT returns {@code 0xFFFFFFFF}
     * ({@code -1} here) for an argument it does not know.
     */
    public int argOffset(int argno) {
        return XrtLibrary.xrtKernelArgOffset(requireOpen("xrtKernelArgOffset"), argno);
    }

    /**
     * Reads a 32-bit register ({@code xrtKernelReadRegister}; the kernel must have been opened exclusively) into
     * {@code value[0]}. Allocates nothing.
     *
     * @return 0, or XRT's error code (also when the handle is closed: -1)
     */
    public int readRegister(int offset, int[] value) {
        long h = handle;
        if (h == 0) {
            return -1;
        }
        int rc = XrtLibrary.xrtKernelReadRegister(h, offset, registerAddress);
        if (rc == 0) {
            value[0] = register.getInt(0);
        }
        return rc;
    }

    /**
     * Opens a run of this kernel ({@code xrtRunOpen}).
     *
     * @throws DeviceException when XRT returns NULL
     */
    public XrtRunHandle openRun() {
        synchronized (LOCK) {
            long h = XrtLibrary.xrtRunOpen(requireOpen("xrtRunOpen"));
            if (h == 0) {
                throw new DeviceException("XRT cannot open a run of kernel '" + name + "' (xrtRunOpen returned NULL)");
            }
            return new XrtRunHandle(runtime(), this, h);
        }
    }

    @Override
    int release(long h) {
        int rc = XrtLibrary.xrtKernelClose(h);
        register.close();
        return rc;
    }
}
