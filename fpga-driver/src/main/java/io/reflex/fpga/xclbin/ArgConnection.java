package io.reflex.fpga.xclbin;

/**
 * One entry of the CONNECTIVITY section ({@code struct connection}): kernel argument {@code argIndex} of the compute
 * unit at IP_LAYOUT index {@code ipLayoutIndex} is wired to the memory at MEM_TOPOLOGY index {@code memDataIndex}.
 */
public record ArgConnection(int argIndex, int ipLayoutIndex, int memDataIndex) {
}
