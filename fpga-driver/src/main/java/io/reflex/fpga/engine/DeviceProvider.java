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

    /**
     * A kernel build fixed before any device is opened (an xclbin's), so that a model that does not fit it is refused
     * without touching the device.
     *
     * @param params the build's Verilog parameters
     * @param source where they come from, for messages (e.g. {@code "lfads_kernel of /opt/reflex.xclbin"})
     */
    record FixedBuild(Map<String, Integer> params, String source) {
    }

    /** What this provider runs on, e.g. {@code "rtl-sim"}. */
    String name();

    /**
     * Opens a device of {@code kernel} built with {@code params} (or the nearest thing the provider has).
     *
     * @throws DeviceException naming why no such device can be had
     */
    Provided open(String kernel, Map<String, Integer> params);

    /**
     * The build this provider will hand out for {@code kernel} whatever is asked for, when it is known before opening
     * a device; null (the default) when the provider builds what it is asked for or knows only after opening.
     *
     * @throws DeviceException when the provider has no such kernel at all
     */
    default FixedBuild fixedBuild(String kernel) {
        return null;
    }
}
