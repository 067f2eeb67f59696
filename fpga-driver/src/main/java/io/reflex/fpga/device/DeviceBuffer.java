package io.reflex.fpga.device;

/**
 * Memory a kernel reads or writes: host memory mirrored on the card (XRT buffer object) or a region of the
 * simulated card's memory. Writes and reads touch the host side; {@link #sync} moves data across. Every call
 * allocates nothing and returns {@link KernelDevice#OK} or {@link KernelDevice#ERROR}.
 */
public interface DeviceBuffer extends AutoCloseable {

    /** Direction of {@link #sync}: host to device. */
    int TO_DEVICE = 0;
    /** Direction of {@link #sync}: device to host. */
    int FROM_DEVICE = 1;

    /** Size in bytes. */
    long size();

    /** The device address the kernel sees (what its 64-bit argument register holds). */
    long deviceAddress();

    /** Copies {@code len} bytes of {@code src} from {@code srcOff} to byte {@code offset} of the buffer. */
    int write(byte[] src, int srcOff, long offset, int len);

    /** Copies {@code len} bytes at byte {@code offset} of the buffer into {@code dst} at {@code dstOff}. */
    int read(long offset, byte[] dst, int dstOff, int len);

    /** Moves {@code len} bytes at {@code offset} across, in {@code direction} ({@link #TO_DEVICE} or {@link #FROM_DEVICE}). */
    int sync(int direction, long offset, long len);

    /** Frees the buffer. Never throws. */
    @Override
    void close();
}
