package io.reflex.fpga.xclbin;

/**
 * One IP of the IP_LAYOUT section ({@code struct ip_data}); for a kernel the name is {@code kernel:instance}.
 *
 * @param index       position in IP_LAYOUT (what CONNECTIVITY refers to)
 * @param type        {@code m_type} ({@code enum IP_TYPE}; 1 = IP_KERNEL)
 * @param properties  {@code properties}: for kernels bit 0 interrupt enable, bits 1–7 interrupt id, bits 8–15 the
 *                    control protocol ({@code enum IP_CONTROL})
 * @param baseAddress {@code m_base_address} of the control port
 * @param name        {@code m_name}
 */
public record IpInstance(int index, int type, int properties, long baseAddress, String name) {

    /** {@code IP_KERNEL}. */
    public static final int IP_KERNEL = 1;
    /** {@code AP_CTRL_HS}: the handshake the Reflex kernels implement. */
    public static final int AP_CTRL_HS = 0;

    private static final String[] TYPES = {"IP_MB", "IP_KERNEL", "IP_DNASC", "IP_DDR4_CONTROLLER", "IP_MEM_DDR4",
        "IP_MEM_HBM", "IP_MEM_HBM_ECC", "IP_PS_KERNEL"};
    private static final String[] CONTROLS = {"AP_CTRL_HS", "AP_CTRL_CHAIN", "AP_CTRL_NONE", "AP_CTRL_ME",
        "ACCEL_ADAPTER", "FAST_ADAPTER"};

    /** The type's name as in {@code xclbin.h}, or {@code "IP_TYPE_<n>"}. */
    public String typeName() {
        return type >= 0 && type < TYPES.length ? TYPES[type] : "IP_TYPE_" + Integer.toUnsignedString(type);
    }

    /** The control protocol's name (kernels only), e.g. {@code "AP_CTRL_HS"}. */
    public String controlName() {
        int c = (properties >>> 8) & 0xFF;
        return c < CONTROLS.length ? CONTROLS[c] : "IP_CONTROL_" + c;
    }

    /** Whether this is a kernel compute unit ({@code IP_KERNEL}). */
    public boolean isKernel() {
        return type == IP_KERNEL;
    }

    /** The kernel part of {@code kernel:instance} (the whole name when there is no colon). */
    public String kernelName() {
        int c = name.indexOf(':');
        return c < 0 ? name : name.substring(0, c);
    }

    /** The instance part of {@code kernel:instance} (empty when there is no colon). */
    public String instanceName() {
        int c = name.indexOf(':');
        return c < 0 ? "" : name.substring(c + 1);
    }
}
