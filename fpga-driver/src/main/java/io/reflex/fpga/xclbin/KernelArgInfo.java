package io.reflex.fpga.xclbin;

/**
 * One {@code <arg>} of a kernel in the EMBEDDED_METADATA XML, as XRT reads it.
 *
 * @param name             argument name
 * @param id               argument index ({@code id})
 * @param addressQualifier 0 scalar, 1 global memory (buffer), others as Vitis defines them
 * @param offset           register offset in the control port
 * @param size             register bytes
 * @param hostSize         bytes the host passes
 * @param type             C type, e.g. {@code "int*"}
 * @param port             port the argument travels on, e.g. {@code "m_axi_gmem"} or {@code "s_axi_control"}
 */
public record KernelArgInfo(String name, int id, int addressQualifier, long offset, long size, long hostSize,
        String type, String port) {

    /** Whether the argument is a buffer in global memory. */
    public boolean isBuffer() {
        return addressQualifier == 1;
    }
}
