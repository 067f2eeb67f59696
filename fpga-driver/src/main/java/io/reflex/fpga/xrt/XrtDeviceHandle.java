package io.reflex.fpga.xrt;

import io.reflex.fpga.device.DeviceException;
import java.nio.file.Path;

/** An open XRT device ({@code xrtDeviceHandle}); closing it closes its kernels and buffers first. */
public final class XrtDeviceHandle extends XrtHandle {

    private final int index;

    private XrtDeviceHandle(XrtRuntime runtime, long handle, int index) {
        super(runtime, null, handle);
        this.index = index;
    }

    /**
     * Opens device {@code index} ({@code xrtDeviceOpen}).
     *
     * @throws DeviceException when XRT finds no device at that index (NULL: no card, or its driver is not loaded)
     */
    public static XrtDeviceHandle open(XrtRuntime runtime, int index) {
        if (index < 0) {
            throw new DeviceException("device index " + index + " is negative");
        }
        synchronized (LOCK) {
            long h = XrtLibrary.xrtDeviceOpen(index);
            if (h == 0) {
                throw new DeviceException("no XRT device at index " + index + " (" + runtime.describe() + "): "
                        + (runtime.isNoop() ? "the noop shim refused to open it"
                                : "no card found, or its xocl driver is not loaded ('xbutil examine' lists the cards)"));
            }
            return new XrtDeviceHandle(runtime, h, index);
        }
    }

    /** The index it was opened with. */
    public int index() {
        return index;
    }

    /**
     * Loads an xclbin onto the device ({@code xrtDeviceLoadXclbinFile}). Check the file with
     * {@link io.reflex.fpga.xclbin.Xclbin#read} first: XRT itself accepts truncated files and crashes on some
     * corrupt ones.
     *
     * @throws DeviceException when XRT refuses the file
     */
    public void loadXclbin(Path file) {
        int rc = XrtLibrary.xrtDeviceLoadXclbinFile(requireOpen("xrtDeviceLoadXclbinFile"), file.toString());
        if (rc != 0) {
            throw new DeviceException("XRT refused to load " + file + " onto device " + index + " (xrtDeviceLoadXclbinFile"
                    + " returned " + rc + ")");
        }
    }

    /** The UUID of the xclbin loaded on the device ({@code xrtDeviceGetXclbinUUID}), 16 bytes. */
    public byte[] xclbinUuid() {
        byte[] uuid = new byte[16];
        int rc = XrtLibrary.xrtDeviceGetXclbinUUID(requireOpen("xrtDeviceGetXclbinUUID"), uuid);
        if (rc != 0) {
            throw new DeviceException("device " + index + " reports no loaded xclbin (xrtDeviceGetXclbinUUID returned "
                    + rc + ")");
        }
        return uuid;
    }

    /**
     * Opens a kernel of the loaded xclbin ({@code xrtPLKernelOpen}, or {@code xrtPLKernelOpenExclusive}, which
     * register reads need).
     *
     * @throws DeviceException when XRT returns NULL (no such kernel in the xclbin with that UUID, or its compute
     *                         units are opened elsewhere)
     */
    public XrtKernelHandle openKernel(byte[] xclbinUuid, String name, boolean exclusive) {
        if (xclbinUuid.length != 16) {
            throw new IllegalArgumentException("an xuid_t has 16 bytes, not " + xclbinUuid.length);
        }
        synchronized (LOCK) {
            long d = requireOpen("xrtPLKernelOpen");
            long h = exclusive ? XrtLibrary.xrtPLKernelOpenExclusive(d, xclbinUuid, name)
                    : XrtLibrary.xrtPLKernelOpen(d, xclbinUuid, name);
            if (h == 0) {
                throw new DeviceException("XRT cannot open kernel '" + name + "' on device " + index
                        + (exclusive ? " exclusively" : "") + ": not in the loaded xclbin, another xclbin is loaded,"
                        + " or its compute units are in use");
            }
            return new XrtKernelHandle(runtime(), this, h, name);
        }
    }

    /**
     * Allocates a buffer object of {@code bytes} in memory group {@code group} ({@code xrtBOAlloc}, normal flags).
     *
     * @throws DeviceException when the size is not positive or XRT refuses
     */
    public XrtBoHandle allocBo(long bytes, int group) {
        if (bytes <= 0) {
            throw new DeviceException("buffer size " + bytes + " bytes is not positive");
        }
        if (group < 0) {
            throw new DeviceException("memory group " + group + " is negative");
        }
        synchronized (LOCK) {
            long h = XrtLibrary.xrtBOAlloc(requireOpen("xrtBOAlloc"), bytes, 0L, group);
            if (h == 0) {
                throw new DeviceException("XRT cannot allocate " + bytes + " bytes in memory group " + group
                        + " of device " + index);
            }
            return new XrtBoHandle(runtime(), this, h, bytes);
        }
    }

    @Override
    int release(long h) {
        return XrtLibrary.xrtDeviceClose(h);
    }
}
