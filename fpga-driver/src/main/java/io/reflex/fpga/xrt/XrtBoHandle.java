package io.reflex.fpga.xrt;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/**
 * A buffer object ({@code xrtBufferHandle}) with a native staging copy of its size: {@link #write} and {@link #read}
 * copy between Java arrays and the staging memory, then call {@code xrtBOWrite} / {@code xrtBORead} with its native
 * address, so that no call allocates or pins a Java array. Ranges are the caller's to check (XRT rejects writes and
 * reads past the end, but not syncs).
 */
public final class XrtBoHandle extends XrtHandle {

    private final long size;
    private final Memory staging;
    private final long stagingAddress;
    private final long deviceAddress;

    XrtBoHandle(XrtRuntime runtime, XrtDeviceHandle device, long handle, long size) {
        super(runtime, device, handle);
        this.size = size;
        this.staging = new Memory(size);
        this.stagingAddress = Pointer.nativeValue(staging);
        this.deviceAddress = XrtLibrary.xrtBOAddress(handle);
    }

    /** Size in bytes. */
    public long size() {
        return size;
    }

    /** The device address ({@code xrtBOAddress}, read once at allocation). */
    public long deviceAddress() {
        return deviceAddress;
    }

    /** The size XRT reports ({@code xrtBOSize}). */
    public long xrtSize() {
        return XrtLibrary.xrtBOSize(requireOpen("xrtBOSize"));
    }

    /**
     * Copies {@code len} bytes of {@code src} at {@code srcOff} to byte {@code seek} of the buffer
     * ({@code xrtBOWrite}). The staging copy is skipped when {@code seek + len} lies outside it, so XRT's own range
     * check answers.
     *
     * @return 0, or XRT's error code (-1 when the handle is closed)
     */
    public int write(byte[] src, int srcOff, long seek, int len) {
        long h = handle;
        if (h == 0) {
            return -1;
        }
        long at = stagingAddress;
        if (seek >= 0 && len >= 0 && seek + len <= size) {
            staging.write(seek, src, srcOff, len);
            at += seek;
        }
        return XrtLibrary.xrtBOWrite(h, at, len, seek);
    }

    /**
     * Copies {@code len} bytes at byte {@code skip} of the buffer ({@code xrtBORead}) into {@code dst} at
     * {@code dstOff}.
     *
     * @return 0, or XRT's error code (-1 when the handle is closed)
     */
    public int read(long skip, byte[] dst, int dstOff, int len) {
        long h = handle;
        if (h == 0) {
            return -1;
        }
        boolean inside = skip >= 0 && len >= 0 && skip + len <= size;
        int rc = XrtLibrary.xrtBORead(h, inside ? stagingAddress + skip : stagingAddress, len, skip);
        if (rc == 0 && inside) {
            staging.read(skip, dst, dstOff, len);
        }
        return rc;
    }

    /**
     * Synchronises {@code len} bytes at {@code offset} ({@code xrtBOSync}; direction 0 to the device, 1 from it).
     *
     * @return 0, or XRT's error code (-1 when the handle is closed)
     */
    public int sync(int direction, long len, long offset) {
        long h = handle;
        if (h == 0) {
            return -1;
        }
        return XrtLibrary.xrtBOSync(h, direction, len, offset);
    }

    @Override
    int release(long h) {
        int rc = XrtLibrary.xrtBOFree(h);
        staging.close();
        return rc;
    }
}
