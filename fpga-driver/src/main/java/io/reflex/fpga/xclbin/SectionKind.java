package io.reflex.fpga.xclbin;

import java.util.Optional;

/**
 * The section kinds of an xclbin ({@code enum axlf_section_kind} of XRT's {@code xclbin.h}, codes 0–31). A file may
 * hold kinds this list does not know (a newer XRT); the reader keeps those as opaque bytes and names them
 * {@code "KIND_<code>"}.
 */
public enum SectionKind {
    BITSTREAM(0),
    CLEARING_BITSTREAM(1),
    EMBEDDED_METADATA(2),
    FIRMWARE(3),
    DEBUG_DATA(4),
    SCHED_FIRMWARE(5),
    MEM_TOPOLOGY(6),
    CONNECTIVITY(7),
    IP_LAYOUT(8),
    DEBUG_IP_LAYOUT(9),
    DESIGN_CHECK_POINT(10),
    CLOCK_FREQ_TOPOLOGY(11),
    MCS(12),
    BMC(13),
    BUILD_METADATA(14),
    KEYVALUE_METADATA(15),
    USER_METADATA(16),
    DNA_CERTIFICATE(17),
    PDI(18),
    BITSTREAM_PARTIAL_PDI(19),
    PARTITION_METADATA(20),
    EMULATION_DATA(21),
    SYSTEM_METADATA(22),
    SOFT_KERNEL(23),
    ASK_FLASH(24),
    AIE_METADATA(25),
    ASK_GROUP_TOPOLOGY(26),
    ASK_GROUP_CONNECTIVITY(27),
    SMARTNIC(28),
    AIE_RESOURCES(29),
    OVERLAY(30),
    VENDER_METADATA(31);

    private static final SectionKind[] BY_CODE = values();

    private final int code;

    SectionKind(int code) {
        this.code = code;
    }

    /** The {@code m_sectionKind} value in the file. */
    public int code() {
        return code;
    }

    /** The kind with this code, or empty for a code this list does not know. */
    public static Optional<SectionKind> of(int code) {
        return code >= 0 && code < BY_CODE.length ? Optional.of(BY_CODE[code]) : Optional.empty();
    }

    /** The kind's name as in {@code xclbin.h}, or {@code "KIND_<code>"} for an unknown code. */
    public static String label(int code) {
        return of(code).map(Enum::name).orElse("KIND_" + Integer.toUnsignedString(code));
    }
}
