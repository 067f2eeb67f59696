package io.reflex.fpga.xclbin;

/**
 * One section of an xclbin: its header ({@code struct axlf_section_header}) and its bytes.
 *
 * @param kind   {@code m_sectionKind} (see {@link SectionKind}; unknown codes are kept)
 * @param name   {@code m_sectionName} up to its first NUL (at most 16 bytes)
 * @param offset file offset of the data ({@code m_sectionOffset})
 * @param data   the section's bytes (a copy; {@code m_sectionSize} of them)
 */
public record XclbinSection(int kind, String name, long offset, byte[] data) {

    /** The kind's name ({@link SectionKind#label}). */
    public String kindName() {
        return SectionKind.label(kind);
    }

    /** {@code m_sectionSize}. */
    public long size() {
        return data.length;
    }
}
