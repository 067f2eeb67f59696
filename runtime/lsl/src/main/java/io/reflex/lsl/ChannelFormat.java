package io.reflex.lsl;

/**
 * LSL channel formats, with the names used in stream-info XML, the codes of liblsl's C API
 * ({@code lsl_channel_format_t}) and the width of one value on the wire.
 */
public enum ChannelFormat {
    /** Not a valid format for an outlet; only seen in malformed stream info. */
    UNDEFINED("undefined", 0, 0),
    FLOAT32("float32", 1, 4),
    DOUBLE64("double64", 2, 8),
    /** Variable-length byte strings; each value carries its own length on the wire. */
    STRING("string", 3, 0),
    INT32("int32", 4, 4),
    INT16("int16", 5, 2),
    INT8("int8", 6, 1),
    INT64("int64", 7, 8);

    private final String wireName;
    private final int cCode;
    private final int valueBytes;

    ChannelFormat(String wireName, int cCode, int valueBytes) {
        this.wireName = wireName;
        this.cCode = cCode;
        this.valueBytes = valueBytes;
    }

    /** The name in {@code <channel_format>}, e.g. {@code float32}. */
    public String wireName() {
        return wireName;
    }

    /** The value of liblsl's {@code lsl_channel_format_t}. */
    public int cCode() {
        return cCode;
    }

    /** Bytes per value on the wire (the {@code Value-Size} header); 0 for string and undefined. */
    public int valueBytes() {
        return valueBytes;
    }

    /** True for every format with fixed-width numeric values. */
    public boolean isNumeric() {
        return valueBytes > 0;
    }

    /** True for float32 and double64, the formats subject to subnormal suppression. */
    public boolean isFloatingPoint() {
        return this == FLOAT32 || this == DOUBLE64;
    }

    /** Parses a {@code <channel_format>} value; unknown names give {@link #UNDEFINED}. */
    public static ChannelFormat fromWireName(String name) {
        for (ChannelFormat f : values()) {
            if (f.wireName.equals(name)) {
                return f;
            }
        }
        return UNDEFINED;
    }

    /** Looks up a liblsl C code; unknown codes give {@link #UNDEFINED}. */
    public static ChannelFormat fromCCode(int code) {
        for (ChannelFormat f : values()) {
            if (f.cCode == code) {
                return f;
            }
        }
        return UNDEFINED;
    }
}
