package io.reflex.fpga.device;

/** A device, library or kernel cannot be set up; the message names what is wrong and, where known, what to do. */
public class DeviceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DeviceException(String message) {
        super(message);
    }

    public DeviceException(String message, Throwable cause) {
        super(message, cause);
    }
}
