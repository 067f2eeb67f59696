package io.reflex.fpga.host;

import io.reflex.fpga.abi.KernelAbi;

/**
 * Status codes of the kernel host programs ({@code LfadsStepHost}, {@code LfadsTrialHost}, {@code SnnHost}): 0 ok,
 * positive codes are the kernel's own status word (named in the kernel's ABI, e.g. 1 bad magic), negative codes are
 * failures of the host side or the device. Hot-path calls return these instead of throwing.
 */
public final class HostStatus {
    /** The invocation completed and the kernel reported status 0. */
    public static final int OK = 0;
    /** A device call failed (the device's {@code lastError()} says why). */
    public static final int DEVICE_ERROR = -1;
    /** The invocation did not complete in time. */
    public static final int TIMEOUT = -2;
    /** The call's arguments are outside what the host program or the build allows (nothing was run). */
    public static final int BAD_ARGUMENT = -3;
    /** No model or network has been loaded through this host program. */
    public static final int NOT_LOADED = -4;
    /** The host program is closed. */
    public static final int CLOSED = -5;

    private HostStatus() {
    }

    /** True for the codes that mean the device or kernel misbehaved (not a refused argument). */
    public static boolean isFault(int status) {
        return status != OK && status != BAD_ARGUMENT && status != NOT_LOADED;
    }

    /** A short description of a status code; kernel codes are named from the ABI. */
    public static String describe(int status, KernelAbi abi) {
        return switch (status) {
            case OK -> "ok";
            case DEVICE_ERROR -> "device error";
            case TIMEOUT -> "timeout";
            case BAD_ARGUMENT -> "bad argument";
            case NOT_LOADED -> "not loaded";
            case CLOSED -> "closed";
            default -> status > 0 ? "kernel status " + status + " (" + abi.statusName(status) + ")" : "status " + status;
        };
    }
}
