package io.reflex.fpga.xclbin;

import java.util.List;

/**
 * A kernel of the EMBEDDED_METADATA XML ({@code project/platform/device/core/kernel}).
 *
 * @param name            kernel name
 * @param controlRangeB   address range of the control (slave) port in bytes, 0 when the XML names none
 * @param args            arguments in index order
 * @param instances       {@code <instance name>} entries (compute unit names)
 */
public record KernelInfo(String name, long controlRangeB, List<KernelArgInfo> args, List<String> instances) {
}
