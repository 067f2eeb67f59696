package io.reflex.fpga.xrt;

import io.reflex.fpga.device.DeviceBuffer;
import io.reflex.fpga.device.DeviceException;
import io.reflex.fpga.device.KernelDevice;
import io.reflex.fpga.device.KernelRun;

/** {@link KernelRun} over an XRT run handle. */
final class XrtRun implements KernelRun {

    private final XrtDevice owner;
    private final DeviceError errors;
    private final XrtRunHandle run;
    /** A start is outstanding: only then may {@code xrtRunWaitFor} be called (see {@link XrtRunHandle#waitFor}). */
    boolean started;

    XrtRun(XrtDevice owner, DeviceError errors, XrtRunHandle run) {
        this.owner = owner;
        this.errors = errors;
        this.run = run;
    }

    @Override
    public KernelRun arg(int argIndex, DeviceBuffer buffer) {
        if (!owner.isBufferArg(argIndex)) {
            throw new DeviceException("argument " + argIndex + " of " + owner.kernelName() + " is not a buffer");
        }
        if (!(buffer instanceof XrtBuffer b) || b.owner() != owner) {
            throw new DeviceException("argument " + argIndex + ": the buffer was not allocated by this device");
        }
        run.setArg(argIndex, b.bo);
        return this;
    }

    @Override
    public KernelRun arg(int argIndex, int value) {
        if (argIndex < 0 || argIndex >= owner.argCount() || owner.isBufferArg(argIndex)) {
            throw new DeviceException("argument " + argIndex + " of " + owner.kernelName() + " is not a scalar");
        }
        run.setArg(argIndex, value);
        return this;
    }

    @Override
    public int start() {
        if (started) {
            return errors.fail("start: the run started before is still in flight (await it first)", 0, 0);
        }
        int rc = run.start();
        if (rc != 0) {
            return errors.fail("xrtRunStart returned %d", rc, 0);
        }
        started = true;
        return KernelDevice.OK;
    }

    @Override
    public int await(long timeoutMs) {
        if (!started) {
            return errors.fail("await: the run was not started", 0, 0);
        }
        if (timeoutMs < 1) {
            return errors.fail("await: timeout %d ms is below 1 ms (XRT reads 0 as no timeout)", timeoutMs, 0);
        }
        return onWaitResult(run.waitFor((int) Math.min(timeoutMs, Integer.MAX_VALUE)), timeoutMs);
    }

    /** What {@link #await} makes of the state {@code xrtRunWaitFor} returned. */
    int onWaitResult(int state, long timeoutMs) {
        int code = codeOf(state);
        boolean deviceGaveUp = state == XrtRunHandle.STATE_TIMEOUT || state == XrtRunHandle.STATE_NORESPONSE;
        if (code == KernelDevice.TIMEOUT && !deviceGaveUp) {
            // Still queued or running: it may complete later, so it stays awaitable and cannot be restarted.
            return errors.timeout("await: the run did not complete within %2$d ms (ERT state %1$d)", state, timeoutMs);
        }
        started = false;
        if (code == KernelDevice.OK) {
            return KernelDevice.OK;
        }
        if (code == KernelDevice.TIMEOUT) {
            return errors.timeout("await: the compute unit stopped answering (ERT state %d, after up to %d ms)", state,
                    timeoutMs);
        }
        return errors.fail("await: the run ended in ERT state %d (5 error, 6 abort; -1: handle closed)", state, 0);
    }

    /**
     * The device return code of an ERT command state after {@code xrtRunWaitFor}: COMPLETED is {@code OK}; a state
     * before completion (NEW, QUEUED, RUNNING, SUBMITTED: the time ran out) and the driver's TIMEOUT and NORESPONSE
     * are {@code TIMEOUT}; ERROR, ABORT and anything else are {@code ERROR}.
     */
    static int codeOf(int state) {
        switch (state) {
            case XrtRunHandle.STATE_COMPLETED:
                return KernelDevice.OK;
            case XrtRunHandle.STATE_NEW:
            case XrtRunHandle.STATE_QUEUED:
            case XrtRunHandle.STATE_RUNNING:
            case XrtRunHandle.STATE_SUBMITTED:
            case XrtRunHandle.STATE_TIMEOUT:
            case XrtRunHandle.STATE_NORESPONSE:
                return KernelDevice.TIMEOUT;
            default:
                return KernelDevice.ERROR;
        }
    }

    @Override
    public void close() {
        run.close();
    }
}
