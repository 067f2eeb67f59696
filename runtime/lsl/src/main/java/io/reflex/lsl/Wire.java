package io.reflex.lsl;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Byte-level codec of LSL 1.10 samples (docs/lsl-wire.md A4) and of the samples' in-memory form.
 *
 * <p>In memory ("storage"), a numeric sample is its values in little-endian order, back to back; a string sample
 * is, per channel, a little-endian int32 length followed by the bytes. On the wire a sample is
 * {@code tag:u8 [f64 timestamp if tag==2] values} in the negotiated byte order, strings as
 * {@code width:u8 length:width bytes}. Nothing here allocates.
 */
public final class Wire {
    /** Tag of a sample whose timestamp is the previous one + 1/srate. */
    public static final int TAG_DEDUCED = 1;
    /** Tag of a sample followed by its 8-byte timestamp. */
    public static final int TAG_EXPLICIT = 2;
    /** Timestamp of both test-pattern samples. */
    public static final double TEST_PATTERN_TIMESTAMP = 123456.789;

    static final VarHandle SHORT_LE = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle FLOAT_LE = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle DOUBLE_LE = MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle SHORT_BE = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    static final VarHandle INT_BE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    static final VarHandle DOUBLE_BE = MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.BIG_ENDIAN);

    private Wire() {
    }

    // ---- storage <- caller arrays (conversion like liblsl's push with a different type) ----

    /** Writes {@code n} values from {@code src[srcOff..]} as one numeric sample of {@code format} into dst. */
    public static void storeFloats(ChannelFormat format, float[] src, int srcOff, int n, byte[] dst, int dstOff) {
        switch (format) {
            case FLOAT32 -> {
                for (int i = 0; i < n; i++) {
                    FLOAT_LE.set(dst, dstOff + 4 * i, src[srcOff + i]);
                }
            }
            case DOUBLE64 -> {
                for (int i = 0; i < n; i++) {
                    DOUBLE_LE.set(dst, dstOff + 8 * i, (double) src[srcOff + i]);
                }
            }
            default -> {
                for (int i = 0; i < n; i++) {
                    storeLong(format, dst, dstOff, i, Math.round(src[srcOff + i]));
                }
            }
        }
    }

    /** As {@link #storeFloats} for doubles. */
    public static void storeDoubles(ChannelFormat format, double[] src, int srcOff, int n, byte[] dst, int dstOff) {
        switch (format) {
            case FLOAT32 -> {
                for (int i = 0; i < n; i++) {
                    FLOAT_LE.set(dst, dstOff + 4 * i, (float) src[srcOff + i]);
                }
            }
            case DOUBLE64 -> {
                for (int i = 0; i < n; i++) {
                    DOUBLE_LE.set(dst, dstOff + 8 * i, src[srcOff + i]);
                }
            }
            default -> {
                for (int i = 0; i < n; i++) {
                    storeLong(format, dst, dstOff, i, Math.round(src[srcOff + i]));
                }
            }
        }
    }

    /** As {@link #storeFloats} for longs (int8/16/32 narrow like a C cast). */
    public static void storeLongs(ChannelFormat format, long[] src, int srcOff, int n, byte[] dst, int dstOff) {
        for (int i = 0; i < n; i++) {
            storeLong(format, dst, dstOff, i, src[srcOff + i]);
        }
    }

    /** As {@link #storeFloats} for ints. */
    public static void storeInts(ChannelFormat format, int[] src, int srcOff, int n, byte[] dst, int dstOff) {
        for (int i = 0; i < n; i++) {
            storeLong(format, dst, dstOff, i, src[srcOff + i]);
        }
    }

    /** As {@link #storeFloats} for shorts. */
    public static void storeShorts(ChannelFormat format, short[] src, int srcOff, int n, byte[] dst, int dstOff) {
        for (int i = 0; i < n; i++) {
            storeLong(format, dst, dstOff, i, src[srcOff + i]);
        }
    }

    /** As {@link #storeFloats} for bytes. */
    public static void storeBytes(ChannelFormat format, byte[] src, int srcOff, int n, byte[] dst, int dstOff) {
        for (int i = 0; i < n; i++) {
            storeLong(format, dst, dstOff, i, src[srcOff + i]);
        }
    }

    static void storeLong(ChannelFormat format, byte[] dst, int off, int i, long v) {
        switch (format) {
            case FLOAT32 -> FLOAT_LE.set(dst, off + 4 * i, (float) v);
            case DOUBLE64 -> DOUBLE_LE.set(dst, off + 8 * i, (double) v);
            case INT8 -> dst[off + i] = (byte) v;
            case INT16 -> SHORT_LE.set(dst, off + 2 * i, (short) v);
            case INT32 -> INT_LE.set(dst, off + 4 * i, (int) v);
            case INT64 -> LONG_LE.set(dst, off + 8 * i, v);
            default -> throw new IllegalArgumentException("not a numeric format: " + format);
        }
    }

    // ---- storage -> caller arrays ----

    /** Reads value {@code i} of a numeric sample as a double. */
    public static double loadDouble(ChannelFormat format, byte[] src, int off, int i) {
        return switch (format) {
            case FLOAT32 -> (float) FLOAT_LE.get(src, off + 4 * i);
            case DOUBLE64 -> (double) DOUBLE_LE.get(src, off + 8 * i);
            case INT8 -> src[off + i];
            case INT16 -> (short) SHORT_LE.get(src, off + 2 * i);
            case INT32 -> (int) INT_LE.get(src, off + 4 * i);
            case INT64 -> (double) (long) LONG_LE.get(src, off + 8 * i);
            default -> throw new IllegalArgumentException("not a numeric format: " + format);
        };
    }

    /** Reads value {@code i} of a numeric sample as a long (floating values are rounded). */
    public static long loadLong(ChannelFormat format, byte[] src, int off, int i) {
        return switch (format) {
            case FLOAT32 -> Math.round((float) FLOAT_LE.get(src, off + 4 * i));
            case DOUBLE64 -> Math.round((double) DOUBLE_LE.get(src, off + 8 * i));
            case INT8 -> src[off + i];
            case INT16 -> (short) SHORT_LE.get(src, off + 2 * i);
            case INT32 -> (int) INT_LE.get(src, off + 4 * i);
            case INT64 -> (long) LONG_LE.get(src, off + 8 * i);
            default -> throw new IllegalArgumentException("not a numeric format: " + format);
        };
    }

    /** Reads value {@code i} of a numeric sample as a float. */
    public static float loadFloat(ChannelFormat format, byte[] src, int off, int i) {
        if (format == ChannelFormat.FLOAT32) {
            return (float) FLOAT_LE.get(src, off + 4 * i);
        }
        return (float) loadDouble(format, src, off, i);
    }

    // ---- a receive ring -> caller arrays (values little-endian, as the reader leaves them) ----

    /** Reads value {@code i} of a numeric sample at {@code off} in a receive ring as a double. */
    public static double loadDouble(ChannelFormat format, DirectBuffer src, int off, int i) {
        return switch (format) {
            case FLOAT32 -> src.getFloat(off + 4 * i, ByteOrder.LITTLE_ENDIAN);
            case DOUBLE64 -> src.getDouble(off + 8 * i, ByteOrder.LITTLE_ENDIAN);
            case INT8 -> src.getByte(off + i);
            case INT16 -> src.getShort(off + 2 * i, ByteOrder.LITTLE_ENDIAN);
            case INT32 -> src.getInt(off + 4 * i, ByteOrder.LITTLE_ENDIAN);
            case INT64 -> (double) src.getLong(off + 8 * i, ByteOrder.LITTLE_ENDIAN);
            default -> throw new IllegalArgumentException("not a numeric format: " + format);
        };
    }

    /** Reads value {@code i} of a numeric sample in a receive ring as a long (floating values are rounded). */
    public static long loadLong(ChannelFormat format, DirectBuffer src, int off, int i) {
        return switch (format) {
            case FLOAT32 -> Math.round(src.getFloat(off + 4 * i, ByteOrder.LITTLE_ENDIAN));
            case DOUBLE64 -> Math.round(src.getDouble(off + 8 * i, ByteOrder.LITTLE_ENDIAN));
            case INT8 -> src.getByte(off + i);
            case INT16 -> src.getShort(off + 2 * i, ByteOrder.LITTLE_ENDIAN);
            case INT32 -> src.getInt(off + 4 * i, ByteOrder.LITTLE_ENDIAN);
            case INT64 -> src.getLong(off + 8 * i, ByteOrder.LITTLE_ENDIAN);
            default -> throw new IllegalArgumentException("not a numeric format: " + format);
        };
    }

    /** Reads value {@code i} of a numeric sample in a receive ring as a float. */
    public static float loadFloat(ChannelFormat format, DirectBuffer src, int off, int i) {
        if (format == ChannelFormat.FLOAT32) {
            return src.getFloat(off + 4 * i, ByteOrder.LITTLE_ENDIAN);
        }
        return (float) loadDouble(format, src, off, i);
    }

    /** Reverses, in place, the byte order of {@code count} values of width {@code w} (a big-endian peer's sample). */
    static void swapInPlace(MutableDirectBuffer b, int off, int w, int count) {
        switch (w) {
            case 2 -> {
                for (int i = 0; i < count; i++) {
                    int at = off + 2 * i;
                    b.putShort(at, Short.reverseBytes(b.getShort(at)));
                }
            }
            case 4 -> {
                for (int i = 0; i < count; i++) {
                    int at = off + 4 * i;
                    b.putInt(at, Integer.reverseBytes(b.getInt(at)));
                }
            }
            case 8 -> {
                for (int i = 0; i < count; i++) {
                    int at = off + 8 * i;
                    b.putLong(at, Long.reverseBytes(b.getLong(at)));
                }
            }
            default -> {
                // one-byte values have no order
            }
        }
    }

    // ---- string storage ----

    /** Bytes of the storage form of a string sample. */
    public static int stringStorageBytes(byte[][] values, int n) {
        int total = 0;
        for (int i = 0; i < n; i++) {
            total += 4 + values[i].length;
        }
        return total;
    }

    /** Writes a string sample in storage form; returns the bytes written. */
    public static int storeStrings(byte[][] values, int n, byte[] dst, int off) {
        int p = off;
        for (int i = 0; i < n; i++) {
            byte[] v = values[i];
            INT_LE.set(dst, p, v.length);
            System.arraycopy(v, 0, dst, p + 4, v.length);
            p += 4 + v.length;
        }
        return p - off;
    }

    /** Decodes the storage form of a string sample (allocates the Strings). */
    public static void loadStrings(byte[] src, int off, int n, String[] dst, int dstOff) {
        int p = off;
        for (int i = 0; i < n; i++) {
            int len = (int) INT_LE.get(src, p);
            dst[dstOff + i] = new String(src, p + 4, len, StandardCharsets.UTF_8);
            p += 4 + len;
        }
    }

    // ---- storage -> wire ----

    /**
     * Bytes on the wire for the values of a sample in storage form (without tag and timestamp).
     *
     * @param storageLen for strings, the storage length of the sample; ignored for numeric formats
     */
    public static int wireValueBytes(ChannelFormat format, int channels, byte[] storage, int off, int storageLen) {
        if (format.isNumeric()) {
            return format.valueBytes() * channels;
        }
        int p = off;
        int total = 0;
        for (int i = 0; i < channels; i++) {
            int len = (int) INT_LE.get(storage, p);
            total += (len <= 255 ? 2 : 5) + len;
            p += 4 + len;
        }
        return total;
    }

    /**
     * Turns the deduced-timestamp sample encoded at {@code [start, end)} of {@code out} into one with an explicit
     * timestamp, in place ({@code out} has room for 8 more bytes); returns the new end.
     */
    static int retagExplicit(byte[] out, int start, int end, double timestamp, boolean bigEndian) {
        System.arraycopy(out, start + 1, out, start + 9, end - start - 1);
        out[start] = TAG_EXPLICIT;
        (bigEndian ? DOUBLE_BE : DOUBLE_LE).set(out, start + 1, timestamp);
        return end + 8;
    }

    /**
     * Encodes one sample onto the wire.
     *
     * @param bigEndian         the negotiated byte order is 4321
     * @param flushSubnormals   write subnormal floats as zero (the peer asked for it)
     * @return the position after the sample in {@code out}
     */
    public static int encodeSample(ChannelFormat format, int channels, boolean explicit, double timestamp,
                                   byte[] storage, int off, boolean bigEndian, boolean flushSubnormals,
                                   byte[] out, int pos) {
        int p = pos;
        if (explicit) {
            out[p++] = TAG_EXPLICIT;
            (bigEndian ? DOUBLE_BE : DOUBLE_LE).set(out, p, timestamp);
            p += 8;
        } else {
            out[p++] = TAG_DEDUCED;
        }
        return encodeValues(format, channels, storage, off, bigEndian, flushSubnormals, out, p);
    }

    /** Encodes the values of a sample (see {@link #encodeSample}); returns the position after them. */
    public static int encodeValues(ChannelFormat format, int channels, byte[] storage, int off, boolean bigEndian,
                                   boolean flushSubnormals, byte[] out, int pos) {
        int p = pos;
        if (format == ChannelFormat.STRING) {
            int s = off;
            for (int i = 0; i < channels; i++) {
                int len = (int) INT_LE.get(storage, s);
                if (len <= 255) {
                    out[p++] = 1;
                    out[p++] = (byte) len;
                } else {
                    out[p++] = 4;
                    (bigEndian ? INT_BE : INT_LE).set(out, p, len);
                    p += 4;
                }
                System.arraycopy(storage, s + 4, out, p, len);
                p += len;
                s += 4 + len;
            }
            return p;
        }
        int w = format.valueBytes();
        int n = w * channels;
        if (flushSubnormals && format.isFloatingPoint()) {
            for (int i = 0; i < channels; i++) {
                if (format == ChannelFormat.FLOAT32) {
                    float f = (float) FLOAT_LE.get(storage, off + 4 * i);
                    if (f != 0 && Math.abs(f) < Float.MIN_NORMAL) {
                        f = 0;
                    }
                    (bigEndian ? INT_BE : INT_LE).set(out, p + 4 * i, Float.floatToRawIntBits(f));
                } else {
                    double d = (double) DOUBLE_LE.get(storage, off + 8 * i);
                    if (d != 0 && Math.abs(d) < Double.MIN_NORMAL) {
                        d = 0;
                    }
                    (bigEndian ? DOUBLE_BE : DOUBLE_LE).set(out, p + 8 * i, d);
                }
            }
            return p + n;
        }
        if (!bigEndian || w == 1) {
            System.arraycopy(storage, off, out, p, n);
        } else {
            swapInto(storage, off, out, p, w, channels);
        }
        return p + n;
    }

    /** Copies {@code count} values of width {@code w} reversing the byte order of each. */
    static void swapInto(byte[] src, int srcOff, byte[] dst, int dstOff, int w, int count) {
        switch (w) {
            case 2 -> {
                for (int i = 0; i < count; i++) {
                    SHORT_BE.set(dst, dstOff + 2 * i, (short) SHORT_LE.get(src, srcOff + 2 * i));
                }
            }
            case 4 -> {
                for (int i = 0; i < count; i++) {
                    INT_BE.set(dst, dstOff + 4 * i, (int) INT_LE.get(src, srcOff + 4 * i));
                }
            }
            case 8 -> {
                for (int i = 0; i < count; i++) {
                    LONG_BE.set(dst, dstOff + 8 * i, (long) LONG_LE.get(src, srcOff + 8 * i));
                }
            }
            default -> System.arraycopy(src, srcOff, dst, dstOff, w * count);
        }
    }
}
