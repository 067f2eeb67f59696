package io.reflex.fpga.host;

import io.reflex.fpga.abi.KernelAbi;
import io.reflex.fpga.device.DeviceBuffer;
import io.reflex.fpga.device.DeviceException;
import io.reflex.fpga.device.KernelDevice;
import io.reflex.fpga.device.KernelRun;

/**
 * The invocation step every kernel host program shares: the kernels of this project take three buffers and two
 * scalars (a count and a flags word) and report a status word. One {@link KernelRun} per (flags, count) pair is
 * prepared on first use and kept, so that repeated invocations only start and wait; then the status register is
 * read. Data movement (write, sync, read) is the host program's.
 */
public final class KernelInvoker implements AutoCloseable {
    private final KernelDevice device;
    private final KernelAbi abi;
    private final DeviceBuffer[] buffers;
    private final int countArg;
    private final int flagsArg;
    private final int maxCount;
    private final long timeoutMs;
    private final KernelRun[][] runs = new KernelRun[32][];
    private final int[] reg = new int[1];
    private String lastError = "";
    private int lastKernelStatus;
    private boolean closed;

    /**
     * @param device    the device (its ABI names the arguments)
     * @param buffers   buffer per argument index (null for scalars)
     * @param countArg  index of the count scalar (bins, ticks)
     * @param flagsArg  index of the flags scalar
     * @param maxCount  largest count accepted by {@link #invoke}
     * @param timeoutMs wait limit of one invocation
     */
    public KernelInvoker(KernelDevice device, DeviceBuffer[] buffers, int countArg, int flagsArg, int maxCount,
            long timeoutMs) {
        this.device = device;
        this.abi = device.abi();
        this.buffers = buffers.clone();
        this.countArg = countArg;
        this.flagsArg = flagsArg;
        this.maxCount = maxCount;
        this.timeoutMs = timeoutMs;
        if (buffers.length != abi.argCount()) {
            throw new IllegalArgumentException(abi.name() + " has " + abi.argCount() + " arguments, got "
                    + buffers.length + " entries");
        }
        if (timeoutMs < 1) {
            throw new IllegalArgumentException("timeoutMs must be >= 1, got " + timeoutMs);
        }
    }

    /** The device. */
    public KernelDevice device() {
        return device;
    }

    /**
     * Prepares the run of a (flags, count) pair ahead of the hot path.
     *
     * @throws DeviceException when the device refuses the arguments
     */
    public void prepare(int flags, int count) {
        run(flags, count);
    }

    private KernelRun run(int flags, int count) {
        KernelRun[] row = runs[flags];
        if (row == null) {
            row = new KernelRun[maxCount + 1];
            runs[flags] = row;
        }
        KernelRun r = row[count];
        if (r == null) {
            r = device.newRun();
            for (int i = 0; i < buffers.length; i++) {
                if (buffers[i] != null) {
                    r.arg(i, buffers[i]);
                }
            }
            r.arg(countArg, count).arg(flagsArg, flags);
            row[count] = r;
        }
        return r;
    }

    /**
     * Starts the kernel with these flags and count, waits, and reads the status word.
     *
     * @return {@link HostStatus#OK}, the kernel's status (positive), or a negative {@link HostStatus} code
     */
    public int invoke(int flags, int count) {
        if (closed) {
            return fail(HostStatus.CLOSED, "closed");
        }
        if (flags < 0 || flags >= runs.length || count < 0 || count > maxCount) {
            return fail(HostStatus.BAD_ARGUMENT, "flags or count out of range");
        }
        KernelRun r;
        try {
            r = run(flags, count);
        } catch (DeviceException e) {
            return fail(HostStatus.DEVICE_ERROR, "cannot prepare a run: " + e.getMessage());
        }
        if (r.start() != KernelDevice.OK) {
            return fail(HostStatus.DEVICE_ERROR, device.lastError());
        }
        int w = r.await(timeoutMs);
        if (w == KernelDevice.TIMEOUT) {
            return fail(HostStatus.TIMEOUT, device.lastError());
        }
        if (w != KernelDevice.OK) {
            return fail(HostStatus.DEVICE_ERROR, device.lastError());
        }
        if (device.readRegister(abi.statusOffset(), reg) != KernelDevice.OK) {
            return fail(HostStatus.DEVICE_ERROR, device.lastError());
        }
        lastKernelStatus = reg[0];
        return reg[0] == 0 ? HostStatus.OK : fail(reg[0], "kernel status");
    }

    /** Syncs a buffer in a direction; a failure is a {@link HostStatus#DEVICE_ERROR} with the device's reason. */
    public int sync(DeviceBuffer b, int direction, long len) {
        if (len == 0) {
            return HostStatus.OK;
        }
        return b.sync(direction, 0, len) == KernelDevice.OK ? HostStatus.OK
                : fail(HostStatus.DEVICE_ERROR, device.lastError());
    }

    /** Records a failure reason (for {@link #lastError()}) and returns the status. */
    public int fail(int status, String why) {
        lastError = why;
        return status;
    }

    /** The kernel's status word after the last completed invocation. */
    public int lastKernelStatus() {
        return lastKernelStatus;
    }

    /** Why the last call failed (the device's reason or the host's), or {@code ""}. */
    public String lastError() {
        return lastError;
    }

    /** Device cycles of the last run. */
    public long lastCycles() {
        return device.lastRunCycles();
    }

    /** Closes the prepared runs (not the device or the buffers). Never throws. */
    @Override
    public void close() {
        closed = true;
        for (KernelRun[] row : runs) {
            if (row != null) {
                for (KernelRun r : row) {
                    if (r != null) {
                        r.close();
                    }
                }
            }
        }
    }
}
