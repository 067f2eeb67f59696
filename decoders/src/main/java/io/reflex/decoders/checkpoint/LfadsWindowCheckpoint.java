package io.reflex.decoders.checkpoint;

import static io.reflex.decoders.checkpoint.LittleEndian.getFloat;
import static io.reflex.decoders.checkpoint.LittleEndian.getInt;
import static io.reflex.decoders.checkpoint.LittleEndian.getLong;
import static io.reflex.decoders.checkpoint.LittleEndian.putFloat;
import static io.reflex.decoders.checkpoint.LittleEndian.putInt;
import static io.reflex.decoders.checkpoint.LittleEndian.putLong;

/**
 * The checkpoint of an LFADS sliding-mode stream, layout {@code "LFW1"}: the ring of recent input bins that the
 * next step reruns the model over. The inputs are stored as the float32 values the stream was given, so engines of
 * both arithmetic families restore the same window (a fixed-point engine rounds them to Q0 as it does every input).
 * Little-endian:
 * <pre>
 *  0 int32 magic 0x3157464C ("LFW1")   4 int32 version 1   8 int64 bins since the last reset
 * 16 int32 encod_data_dim D   20 int32 encod_seq_len T
 * 24 float32 window[T][D], newest first: entry k is the input of bin (bins − 1 − k), zeros where that bin is
 *    before the reset
 * </pre>
 * Size {@code 24 + 4·T·D} bytes. Every stored value must be finite.
 */
public final class LfadsWindowCheckpoint {
    /** {@code "LFW1"} read as a little-endian int32. */
    public static final int MAGIC = 0x3157464C;
    /** Layout version. */
    public static final int VERSION = 1;
    /** Header bytes before the window. */
    public static final int HEADER_BYTES = 24;
    /** Largest {@code T·D} a layout accepts (16 M values, 64 MiB). */
    public static final int MAX_VALUES = 1 << 24;

    private final int dataDim;
    private final int seqLen;
    private final int bytes;

    /**
     * @throws IllegalArgumentException when a dimension is below 1 or {@code T·D} exceeds {@link #MAX_VALUES}
     */
    public LfadsWindowCheckpoint(int dataDim, int seqLen) {
        if (dataDim < 1 || seqLen < 1 || (long) dataDim * seqLen > MAX_VALUES) {
            throw new IllegalArgumentException("LFW1 needs encod_data_dim >= 1, encod_seq_len >= 1 and at most "
                    + MAX_VALUES + " values; found D = " + dataDim + ", T = " + seqLen);
        }
        this.dataDim = dataDim;
        this.seqLen = seqLen;
        this.bytes = HEADER_BYTES + 4 * dataDim * seqLen;
    }

    /** Size of a checkpoint in bytes. */
    public int bytes() {
        return bytes;
    }

    public int dataDim() {
        return dataDim;
    }

    public int seqLen() {
        return seqLen;
    }

    /** Byte offset of {@code window[k][0]}, the input of bin {@code bins − 1 − k}. */
    public int binOffset(int k) {
        return HEADER_BYTES + 4 * k * dataDim;
    }

    /** Writes the header. */
    public void writeHeader(byte[] dst, long bins) {
        putInt(dst, 0, MAGIC);
        putInt(dst, 4, VERSION);
        putLong(dst, 8, bins);
        putInt(dst, 16, dataDim);
        putInt(dst, 20, seqLen);
    }

    /** Checks length, magic, version, counter, dimensions and that every value is finite. Allocates nothing. */
    public CheckpointStatus check(byte[] src) {
        if (src == null || src.length < bytes) {
            return CheckpointStatus.TOO_SHORT;
        }
        if (getInt(src, 0) != MAGIC) {
            return CheckpointStatus.BAD_MAGIC;
        }
        if (getInt(src, 4) != VERSION) {
            return CheckpointStatus.BAD_VERSION;
        }
        if (getLong(src, 8) < 0) {
            return CheckpointStatus.BAD_COUNTER;
        }
        if (getInt(src, 16) != dataDim || getInt(src, 20) != seqLen) {
            return CheckpointStatus.WRONG_SHAPE;
        }
        for (int off = HEADER_BYTES; off < bytes; off += 4) {
            if (!Float.isFinite(getFloat(src, off))) {
                return CheckpointStatus.BAD_VALUE;
            }
        }
        return CheckpointStatus.OK;
    }

    /** The bin counter of a checkpoint. */
    public static long bins(byte[] src) {
        return getLong(src, 8);
    }

    /** Writes {@code n} floats at byte offset {@code offset}. */
    public static void putFloats(byte[] dst, int offset, float[] src, int srcOff, int n) {
        for (int i = 0; i < n; i++) {
            putFloat(dst, offset + 4 * i, src[srcOff + i]);
        }
    }

    /** Reads {@code n} floats at byte offset {@code offset}. */
    public static void getFloats(byte[] src, int offset, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = getFloat(src, offset + 4 * i);
        }
    }

    @Override
    public String toString() {
        return "LFW1{D=" + dataDim + ", T=" + seqLen + ", bytes=" + bytes + '}';
    }
}
