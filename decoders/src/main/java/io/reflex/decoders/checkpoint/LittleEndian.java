package io.reflex.decoders.checkpoint;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Little-endian reads and writes of primitive values at byte offsets of a {@code byte[]}, without allocation (byte
 * array view handles, bounds-checked). The checkpoint layouts use them; so can host programs that convert a
 * kernel-native state to a canonical checkpoint.
 */
public final class LittleEndian {
    private static final VarHandle I16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private LittleEndian() {
    }

    public static short getShort(byte[] b, int offset) {
        return (short) I16.get(b, offset);
    }

    public static void putShort(byte[] b, int offset, short v) {
        I16.set(b, offset, v);
    }

    public static int getInt(byte[] b, int offset) {
        return (int) I32.get(b, offset);
    }

    public static void putInt(byte[] b, int offset, int v) {
        I32.set(b, offset, v);
    }

    public static long getLong(byte[] b, int offset) {
        return (long) I64.get(b, offset);
    }

    public static void putLong(byte[] b, int offset, long v) {
        I64.set(b, offset, v);
    }

    /** The float32 whose bits are stored at {@code offset} (NaN payloads are kept). */
    public static float getFloat(byte[] b, int offset) {
        return Float.intBitsToFloat(getInt(b, offset));
    }

    /** Stores the raw bits of {@code v}. */
    public static void putFloat(byte[] b, int offset, float v) {
        putInt(b, offset, Float.floatToRawIntBits(v));
    }
}
