package io.reflex.fpga.engine;

import io.reflex.fpga.device.DeviceException;
import io.reflex.fpga.device.KernelDevice;
import java.util.Map;

/**
 * Where a {@link DeviceEngine} gets its kernel: the RTL simulation builds or locates a verilated library
 * ({@code RtlSimProvider}), a card would open a compute unit of an xclbin. The engine asks for the kernel built with
 * the parameters a model needs; a provider that cannot choose (a prebuilt library, a fixed xclbin) returns what it
 * has with its real parameters, and the engine checks that the model fits them.
 */
public interface DeviceProvider {

    /** A device and the Verilog parameters its kernel was built with. */
    record Provided(KernelDevice device, Map<String, Integer> params) {
    }

    /** What this provider runs on, e.g. {@code "rtl-sim"}. */
    String name();

    /**
     * Opens a device of {@code kernel} built with {@code params} (or the nearest thing the provider has).
     *
     * @throws DeviceException naming why no such device can be had
     */
    Provided open(String kernel, Map<String, Integer> params);
}
