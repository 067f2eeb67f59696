package io.reflex.fpga.xclbin;

/**
 * One memory of the MEM_TOPOLOGY section ({@code struct mem_data}); its index is the memory group id XRT allocates
 * buffers in.
 *
 * @param index       position in MEM_TOPOLOGY (the group id)
 * @param type        {@code m_type} ({@code enum MEM_TYPE})
 * @param used        {@code m_used}: 0 when the bank is not present in this design
 * @param sizeKb      {@code m_size} in KiB (for streaming memories: the route id)
 * @param baseAddress {@code m_base_address} (for streaming memories: the flow id)
 * @param tag         {@code m_tag}, e.g. {@code "HBM[1]"}
 */
public record MemBank(int index, int type, boolean used, long sizeKb, long baseAddress, String tag) {

    /** {@code MEM_HBM}: HBM pseudo-channel. */
    public static final int MEM_HBM = 6;

    private static final String[] TYPES = {"MEM_DDR3", "MEM_DDR4", "MEM_DRAM", "MEM_STREAMING", "MEM_PREALLOCATED_GLOB",
        "MEM_ARE", "MEM_HBM", "MEM_BRAM", "MEM_URAM", "MEM_STREAMING_CONNECTION", "MEM_HOST", "MEM_PS_KERNEL"};

    /** The type's name as in {@code xclbin.h}, or {@code "MEM_TYPE_<n>"}. */
    public String typeName() {
        return type >= 0 && type < TYPES.length ? TYPES[type] : "MEM_TYPE_" + type;
    }
}
