package io.reflex.lsl;

import java.nio.charset.StandardCharsets;

/**
 * The two test-pattern samples an outlet sends after the 1.10 response headers and an inlet verifies byte for
 * byte (docs/lsl-wire.md A4): offsets 4 then 2, timestamp 123456.789, channel k = ±(k + offset + base), negative
 * for odd k, integer formats reduced modulo their bound first; strings "10", "-11", "12", ... whatever the offset.
 */
public final class TestPattern {
    /** The offsets of the first and second test-pattern sample. */
    public static final int[] OFFSETS = {4, 2};

    private TestPattern() {
    }

    /** The storage form (see {@link Wire}) of the test-pattern sample with this offset. */
    public static byte[] storage(ChannelFormat format, int channels, int offset) {
        if (format == ChannelFormat.STRING) {
            byte[][] values = new byte[channels][];
            for (int k = 0; k < channels; k++) {
                values[k] = Integer.toString((k + 10) * (k % 2 == 0 ? 1 : -1)).getBytes(StandardCharsets.US_ASCII);
            }
            byte[] out = new byte[Wire.stringStorageBytes(values, channels)];
            Wire.storeStrings(values, channels, out, 0);
            return out;
        }
        byte[] out = new byte[format.valueBytes() * channels];
        for (int k = 0; k < channels; k++) {
            boolean negate = k % 2 == 1;
            switch (format) {
                case FLOAT32 -> {
                    float v = (float) k + (float) offset;
                    Wire.FLOAT_LE.set(out, 4 * k, negate ? -v : v);
                }
                case DOUBLE64 -> {
                    double v = (double) k + offset + 16777217;
                    Wire.DOUBLE_LE.set(out, 8 * k, negate ? -v : v);
                }
                case INT32 -> {
                    int v = (int) (((long) k + offset + 65537) % 2147483647L);
                    Wire.INT_LE.set(out, 4 * k, negate ? -v : v);
                }
                case INT16 -> {
                    short v = (short) ((k + offset + 257) % 32767);
                    Wire.SHORT_LE.set(out, 2 * k, (short) (negate ? -v : v));
                }
                case INT8 -> {
                    byte v = (byte) ((k + offset + 1) % 127);
                    out[k] = (byte) (negate ? -v : v);
                }
                case INT64 -> {
                    long v = (long) k + offset + 2147483649L;
                    Wire.LONG_LE.set(out, 8 * k, negate ? -v : v);
                }
                default -> throw new IllegalArgumentException("no test pattern for " + format);
            }
        }
        return out;
    }

    /** The wire bytes of both test-pattern samples, as an outlet sends them after the response headers. */
    public static byte[] wire(ChannelFormat format, int channels, boolean bigEndian) {
        byte[] a = storage(format, channels, OFFSETS[0]);
        byte[] b = storage(format, channels, OFFSETS[1]);
        int la = 9 + Wire.wireValueBytes(format, channels, a, 0, a.length);
        int lb = 9 + Wire.wireValueBytes(format, channels, b, 0, b.length);
        byte[] out = new byte[la + lb];
        int p = Wire.encodeSample(format, channels, true, Wire.TEST_PATTERN_TIMESTAMP, a, 0, bigEndian, false, out, 0);
        Wire.encodeSample(format, channels, true, Wire.TEST_PATTERN_TIMESTAMP, b, 0, bigEndian, false, out, p);
        return out;
    }
}
