package io.reflex.fpga.engine;

import io.reflex.fpga.abi.KernelAbi;
import io.reflex.fpga.device.DeviceBuffer;
import io.reflex.fpga.device.KernelDevice;
import io.reflex.fpga.device.KernelRun;

/** A device whose runs stop completing after a number of good ones (an injected timeout), for engine fault tests. */
final class FaultyDevice implements KernelDevice {
    private final KernelDevice inner;
    private int goodRuns;

    FaultyDevice(KernelDevice inner, int goodRuns) {
        this.inner = inner;
        this.goodRuns = goodRuns;
    }

    /** A provider handing out {@code inner}'s devices wrapped so. */
    static DeviceProvider provider(DeviceProvider inner, int goodRuns) {
        return new DeviceProvider() {
            @Override
            public String name() {
                return inner.name();
            }

            @Override
            public Provided open(String kernel, java.util.Map<String, Integer> params) {
                Provided p = inner.open(kernel, params);
                return new Provided(new FaultyDevice(p.device(), goodRuns), p.params());
            }
        };
    }

    @Override
    public String description() {
        return "faulty " + inner.description();
    }

    @Override
    public KernelAbi abi() {
        return inner.abi();
    }

    @Override
    public DeviceBuffer alloc(int argIndex, long bytes) {
        return inner.alloc(argIndex, bytes);
    }

    @Override
    public KernelRun newRun() {
        KernelRun r = inner.newRun();
        return new KernelRun() {
            @Override
            public KernelRun arg(int argIndex, DeviceBuffer buffer) {
                r.arg(argIndex, buffer);
                return this;
            }

            @Override
            public KernelRun arg(int argIndex, int value) {
                r.arg(argIndex, value);
                return this;
            }

            @Override
            public int start() {
                return r.start();
            }

            @Override
            public int await(long timeoutMs) {
                return goodRuns-- > 0 ? r.await(timeoutMs) : TIMEOUT;
            }

            @Override
            public void close() {
                r.close();
            }
        };
    }

    @Override
    public int readRegister(int offset, int[] value) {
        return inner.readRegister(offset, value);
    }

    @Override
    public long lastRunCycles() {
        return inner.lastRunCycles();
    }

    @Override
    public String lastError() {
        return goodRuns < 0 ? "injected timeout" : inner.lastError();
    }

    @Override
    public void close() {
        inner.close();
    }
}
