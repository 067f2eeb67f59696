package io.reflex.fpga.xrt;

import io.reflex.fpga.device.KernelDevice;

/**
 * The reason of a device's last failed call, recorded without allocating: a constant format and two numbers,
 * formatted only when {@link #message()} is asked for.
 */
final class DeviceError {

    private String format;
    private long a;
    private long b;

    /** Records a failure; returns {@link KernelDevice#ERROR}. */
    int fail(String fmt, long first, long second) {
        format = fmt;
        a = first;
        b = second;
        return KernelDevice.ERROR;
    }

    /** Records a timeout; returns {@link KernelDevice#TIMEOUT}. */
    int timeout(String fmt, long first, long second) {
        fail(fmt, first, second);
        return KernelDevice.TIMEOUT;
    }

    /** The last reason, or {@code ""}. */
    String message() {
        return format == null ? "" : String.format(format, a, b);
    }
}
