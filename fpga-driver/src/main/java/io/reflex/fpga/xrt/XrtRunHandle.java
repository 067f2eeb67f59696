package io.reflex.fpga.xrt;

import com.sun.jna.Pointer;
import io.reflex.fpga.device.DeviceException;

/** A run of a kernel ({@code xrtRunHandle}): arguments set once, then started and waited for many times. */
public final class XrtRunHandle extends XrtHandle {

    /** {@code ERT_CMD_STATE_NEW}. */
    public static final int STATE_NEW = 1;
    /** {@code ERT_CMD_STATE_QUEUED}. */
    public static final int STATE_QUEUED = 2;
    /** {@code ERT_CMD_STATE_RUNNING}. */
    public static final int STATE_RUNNING = 3;
    /** {@code ERT_CMD_STATE_COMPLETED}. */
    public static final int STATE_COMPLETED = 4;
    /** {@code ERT_CMD_STATE_ERROR}. */
    public static final int STATE_ERROR = 5;
    /** {@code ERT_CMD_STATE_ABORT}. */
    public static final int STATE_ABORT = 6;
    /** {@code ERT_CMD_STATE_SUBMITTED}. */
    public static final int STATE_SUBMITTED = 7;
    /** {@code ERT_CMD_STATE_TIMEOUT}: the driver gave up on the compute unit. */
    public static final int STATE_TIMEOUT = 8;
    /** {@code ERT_CMD_STATE_NORESPONSE}: the compute unit stopped answering. */
    public static final int STATE_NORESPONSE = 9;

    private static final String[] STATE_NAMES = {"0", "NEW", "QUEUED", "RUNNING", "COMPLETED", "ERROR", "ABORT",
        "SUBMITTED", "TIMEOUT", "NORESPONSE", "SKERROR", "SKCRASHED"};

    XrtRunHandle(XrtRuntime runtime, XrtKernelHandle kernel, long handle) {
        super(runtime, kernel, handle);
    }

    /** {@code ERT_CMD_STATE_<name>} of a state code. */
    public static String stateName(int state) {
        return state >= 0 && state < STATE_NAMES.length ? STATE_NAMES[state] : Integer.toString(state);
    }

    /**
     * Sets a buffer argument ({@code xrtRunSetArg} with the buffer handle). Set-up time.
     *
     * @throws DeviceException when XRT refuses (e.g. no argument with that index)
     */
    public void setArg(int index, XrtBoHandle bo) {
        long b = bo.requireOpen("xrtRunSetArg");
        check(index, runtime().varargs().xrtRunSetArg(new Pointer(requireOpen("xrtRunSetArg")), index, new Pointer(b)));
    }

    /**
     * Sets a 32-bit scalar argument ({@code xrtRunSetArg} with an {@code int}). Set-up time.
     *
     * @throws DeviceException when XRT refuses
     */
    public void setArg(int index, int value) {
        check(index, runtime().varargs().xrtRunSetArg(new Pointer(requireOpen("xrtRunSetArg")), index, value));
    }

    private static void check(int index, int rc) {
        if (rc != 0) {
            throw new DeviceException("XRT refused argument " + index + " (xrtRunSetArg returned " + rc + ")");
        }
    }

    /** Starts the run ({@code xrtRunStart}): 0, or XRT's error code (-1 when the handle is closed). */
    public int start() {
        long h = handle;
        return h == 0 ? -1 : XrtLibrary.xrtRunStart(h);
    }

    /**
     * Waits up to {@code timeoutMs} for the run ({@code xrtRunWaitFor}) and returns its state: {@link #STATE_COMPLETED}
     * when it finished, an earlier state when the time ran out. Only for a started run: XRT's noop shim spins forever
     * on a run that was never started, whatever the timeout. {@code timeoutMs} must be at least 1 (XRT reads 0 as
     * "no timeout").
     *
     * @return the state, or -1 when the handle is closed or the timeout is below 1 ms
     */
    public int waitFor(int timeoutMs) {
        long h = handle;
        return h == 0 || timeoutMs < 1 ? -1 : XrtLibrary.xrtRunWaitFor(h, timeoutMs);
    }

    /** The run's state ({@code xrtRunState}), or -1 when the handle is closed. */
    public int state() {
        long h = handle;
        return h == 0 ? -1 : XrtLibrary.xrtRunState(h);
    }

    @Override
    int release(long h) {
        return XrtLibrary.xrtRunClose(h);
    }
}
