package io.reflex.fpga.xrt;

import io.reflex.fpga.device.DeviceException;
import java.nio.file.Path;

/** An xclbin as XRT parses it without a device ({@code xrtXclbinHandle}). */
public final class XrtXclbinHandle extends XrtHandle {

    private XrtXclbinHandle(XrtRuntime runtime, long handle) {
        super(runtime, null, handle);
    }

    /**
     * Parses a file with XRT ({@code xrtXclbinAllocFilename}). Check it with
     * {@link io.reflex.fpga.xclbin.Xclbin#read} first: XRT accepts truncated files and crashes on some corrupt ones.
     *
     * @throws DeviceException when XRT cannot read or parse it (NULL)
     */
    public static XrtXclbinHandle alloc(XrtRuntime runtime, Path file) {
        synchronized (LOCK) {
            long h = XrtLibrary.xrtXclbinAllocFilename(file.toString());
            if (h == 0) {
                throw new DeviceException("XRT cannot read " + file + " as an xclbin (xrtXclbinAllocFilename returned NULL)");
            }
            return new XrtXclbinHandle(runtime, h);
        }
    }

    /** The UUID XRT reads ({@code xrtXclbinGetUUID}), 16 bytes. */
    public byte[] uuid() {
        byte[] u = new byte[16];
        int rc = XrtLibrary.xrtXclbinGetUUID(requireOpen("xrtXclbinGetUUID"), u);
        if (rc != 0) {
            throw new DeviceException("xrtXclbinGetUUID returned " + rc);
        }
        return u;
    }

    /** Kernels XRT finds ({@code xrtXclbinGetNumKernels}). */
    public long numKernels() {
        return XrtLibrary.xrtXclbinGetNumKernels(requireOpen("xrtXclbinGetNumKernels"));
    }

    /** Compute units XRT finds ({@code xrtXclbinGetNumKernelComputeUnits}). */
    public long numComputeUnits() {
        return XrtLibrary.xrtXclbinGetNumKernelComputeUnits(requireOpen("xrtXclbinGetNumKernelComputeUnits"));
    }

    @Override
    int release(long h) {
        return XrtLibrary.xrtXclbinFreeHandle(h);
    }
}
