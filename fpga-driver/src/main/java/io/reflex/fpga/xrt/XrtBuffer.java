package io.reflex.fpga.xrt;

import io.reflex.fpga.device.DeviceBuffer;
import io.reflex.fpga.device.KernelDevice;

/** {@link DeviceBuffer} over an XRT buffer object: ranges checked here, failures reported to the device. */
final class XrtBuffer implements DeviceBuffer {

    private final XrtDevice owner;
    private final DeviceError errors;
    final XrtBoHandle bo;
    private final long size;

    XrtBuffer(XrtDevice owner, XrtBoHandle bo) {
        this.owner = owner;
        this.errors = owner.errors;
        this.bo = bo;
        this.size = bo.size();
    }

    XrtDevice owner() {
        return owner;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public long deviceAddress() {
        return bo.deviceAddress();
    }

    @Override
    public int write(byte[] src, int srcOff, long offset, int len) {
        if (srcOff < 0 || len < 0 || srcOff > src.length - len) {
            return errors.fail("write: source range [%d, +len) outside the source array of %d bytes", srcOff, src.length);
        }
        if (offset < 0 || offset > size - len) {
            return errors.fail("write: %d bytes at offset %d run past the end of the buffer", len, offset);
        }
        int rc = bo.write(src, srcOff, offset, len);
        return rc == 0 ? KernelDevice.OK : errors.fail("xrtBOWrite at offset %d returned %d", offset, rc);
    }

    @Override
    public int read(long offset, byte[] dst, int dstOff, int len) {
        if (dstOff < 0 || len < 0 || dstOff > dst.length - len) {
            return errors.fail("read: target range [%d, +len) outside the target array of %d bytes", dstOff, dst.length);
        }
        if (offset < 0 || offset > size - len) {
            return errors.fail("read: %d bytes at offset %d run past the end of the buffer", len, offset);
        }
        int rc = bo.read(offset, dst, dstOff, len);
        return rc == 0 ? KernelDevice.OK : errors.fail("xrtBORead at offset %d returned %d", offset, rc);
    }

    @Override
    public int sync(int direction, long offset, long len) {
        if (direction != TO_DEVICE && direction != FROM_DEVICE) {
            return errors.fail("sync: direction %d is neither TO_DEVICE (0) nor FROM_DEVICE (1)", direction, 0);
        }
        // XRT's noop shim does not check sync ranges; a card's DMA would fault, so check here.
        if (offset < 0 || len < 0 || offset > size - len) {
            return errors.fail("sync: %d bytes at offset %d run past the end of the buffer", len, offset);
        }
        int rc = bo.sync(direction, len, offset);
        return rc == 0 ? KernelDevice.OK : errors.fail("xrtBOSync at offset %d returned %d", offset, rc);
    }

    @Override
    public void close() {
        bo.close();
    }
}
