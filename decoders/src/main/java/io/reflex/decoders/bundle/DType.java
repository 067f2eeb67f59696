package io.reflex.decoders.bundle;

/** Element types a bundle tensor may have (BUNDLE.md); values are little-endian, row-major. */
public enum DType {
    FLOAT32("float32", 4, true),
    FLOAT64("float64", 8, true),
    INT8("int8", 1, false),
    INT16("int16", 2, false),
    INT32("int32", 4, false),
    INT64("int64", 8, false),
    UINT8("uint8", 1, false);

    private final String jsonName;
    private final int sizeBytes;
    private final boolean floating;

    DType(String jsonName, int sizeBytes, boolean floating) {
        this.jsonName = jsonName;
        this.sizeBytes = sizeBytes;
        this.floating = floating;
    }

    /** The name used in manifest.json, e.g. {@code "float32"}. */
    public String jsonName() {
        return jsonName;
    }

    /** Bytes per element. */
    public int sizeBytes() {
        return sizeBytes;
    }

    /** True for float32 and float64, whose values the loader checks for NaN and infinity. */
    public boolean isFloating() {
        return floating;
    }

    /** The dtype with this manifest name, or null when there is none. */
    public static DType fromJsonName(String name) {
        for (DType t : values()) {
            if (t.jsonName.equals(name)) {
                return t;
            }
        }
        return null;
    }
}
