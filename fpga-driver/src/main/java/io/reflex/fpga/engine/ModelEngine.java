package io.reflex.fpga.engine;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.engine.Engine;
import io.reflex.decoders.engine.EngineHealth;
import io.reflex.fpga.device.KernelDevice;

/**
 * What the kernel engines share: the device they own, the engine name, the fixed-point family, and fault
 * bookkeeping. A fault (a device error, a timeout, a kernel status) makes the engine unhealthy with the reason until
 * the next load, and every later call answers {@code ENGINE_FAULT} without touching the device: the kernel's state
 * is unknown after a fault.
 */
abstract class ModelEngine implements Engine {
    private static final EngineHealth CLOSED = new EngineHealth(false, "closed", 0);

    protected final String name;
    protected final DeviceProvider.Provided provided;
    protected final KernelDevice device;
    private EngineHealth health = EngineHealth.OK;
    private long faults;
    protected boolean faulted;
    private boolean closed;

    ModelEngine(String name, DeviceProvider.Provided provided) {
        this.name = name;
        this.provided = provided;
        this.device = provided.device();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String arithmetic() {
        return "fixed";
    }

    @Override
    public String device() {
        return device.description();
    }

    /** The parameters of the kernel build this engine runs on. */
    public java.util.Map<String, Integer> buildParams() {
        return provided.params();
    }

    /** Marks the engine failed with a reason; returns {@code ENGINE_FAULT}. */
    protected int fault(String why) {
        faults++;
        faulted = true;
        health = new EngineHealth(false, name + ": " + why, faults);
        return DecodeStatus.ENGINE_FAULT;
    }

    /** After a successful (re)load: healthy again (the fault count stays). */
    protected void healthy() {
        faulted = false;
        health = faults == 0 ? EngineHealth.OK : new EngineHealth(true, "ok", faults);
    }

    protected boolean closed() {
        return closed;
    }

    @Override
    public EngineHealth health() {
        return closed ? CLOSED : health;
    }

    /** Releases the host program's buffers and runs. */
    protected abstract void closeHost();

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            closeHost();
        } finally {
            device.close();
        }
    }

    /** Zeros {@code out} (up to {@code n} values; nothing when it is null) and returns the status. */
    static int zeros(float[] out, int n, int status) {
        if (out != null) {
            java.util.Arrays.fill(out, 0, Math.min(out.length, n), 0f);
        }
        return status;
    }
}
