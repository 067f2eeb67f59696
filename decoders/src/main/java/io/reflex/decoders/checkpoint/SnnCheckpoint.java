package io.reflex.decoders.checkpoint;

import static io.reflex.decoders.checkpoint.LittleEndian.getInt;
import static io.reflex.decoders.checkpoint.LittleEndian.getLong;
import static io.reflex.decoders.checkpoint.LittleEndian.putInt;
import static io.reflex.decoders.checkpoint.LittleEndian.putLong;

/**
 * The canonical checkpoint of an SNN reservoir stream, layout {@code "SNS1"}: the same bytes from every engine
 * (the LIF arithmetic is integer only). Little-endian:
 * <pre>
 *  0 int32 magic 0x31534E53 ("SNS1")   4 int32 version 1   8 int64 ticks since the last reset
 * 16 int32 N   20 int32 0 (reserved)
 * 24 int32 V[N]; int32 I[N]; int32 ref[N];
 *    uint32 spikes[ceil(N/32)]  bit i%32 of word i/32 = neuron i spiked in the last tick (the recurrent input of
 *                               the next tick)
 *    int32 trace[N]             the readout's Q16 spike-train filter (decoders/SNN.md)
 * </pre>
 * Size {@code 24 + 4·(4N + ceil(N/32))} bytes. Values are checked on restore: {@code ref} in [0, 65535], trace ≥ 0,
 * no spike bit at or above N.
 */
public final class SnnCheckpoint {
    /** {@code "SNS1"} read as a little-endian int32. */
    public static final int MAGIC = 0x31534E53;
    /** Layout version. */
    public static final int VERSION = 1;
    /** Header bytes before the first array. */
    public static final int HEADER_BYTES = 24;
    /** Largest N a layout accepts (the SynapseMatrix limit). */
    public static final int MAX_NEURONS = 1 << 16;

    private final int n;
    private final int words;
    private final int bytes;

    /** @throws IllegalArgumentException when N is outside [1, {@link #MAX_NEURONS}] */
    public SnnCheckpoint(int neurons) {
        if (neurons < 1 || neurons > MAX_NEURONS) {
            throw new IllegalArgumentException("SNS1 neuron count must be in [1, " + MAX_NEURONS + "], was " + neurons);
        }
        this.n = neurons;
        this.words = (neurons + 31) >>> 5;
        this.bytes = HEADER_BYTES + 4 * (4 * neurons + words);
    }

    /** Size of a checkpoint in bytes. */
    public int bytes() {
        return bytes;
    }

    /** N. */
    public int neurons() {
        return n;
    }

    /** Words of the spike bit set, {@code ceil(N/32)}. */
    public int spikeWords() {
        return words;
    }

    /** Byte offset of {@code V[0]}. */
    public int vOffset() {
        return HEADER_BYTES;
    }

    /** Byte offset of {@code I[0]}. */
    public int iOffset() {
        return HEADER_BYTES + 4 * n;
    }

    /** Byte offset of {@code ref[0]}. */
    public int refOffset() {
        return HEADER_BYTES + 8 * n;
    }

    /** Byte offset of the first spike word. */
    public int spikesOffset() {
        return HEADER_BYTES + 12 * n;
    }

    /** Byte offset of {@code trace[0]}. */
    public int traceOffset() {
        return spikesOffset() + 4 * words;
    }

    /** Writes the header. */
    public void writeHeader(byte[] dst, long ticks) {
        putInt(dst, 0, MAGIC);
        putInt(dst, 4, VERSION);
        putLong(dst, 8, ticks);
        putInt(dst, 16, n);
        putInt(dst, 20, 0);
    }

    /** Checks length, header, N and the value ranges stated in the class comment. Allocates nothing. */
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
        if (getInt(src, 16) != n) {
            return CheckpointStatus.WRONG_SHAPE;
        }
        if (getInt(src, 20) != 0) {
            return CheckpointStatus.BAD_RESERVED;
        }
        for (int i = 0; i < n; i++) {
            int r = getInt(src, refOffset() + 4 * i);
            if (r < 0 || r > 0xFFFF || getInt(src, traceOffset() + 4 * i) < 0) {
                return CheckpointStatus.BAD_VALUE;
            }
        }
        int tail = n & 31;
        if (tail != 0 && (getInt(src, spikesOffset() + 4 * (words - 1)) >>> tail) != 0) {
            return CheckpointStatus.BAD_VALUE;
        }
        return CheckpointStatus.OK;
    }

    /** The tick counter of a checkpoint. */
    public static long ticks(byte[] src) {
        return getLong(src, 8);
    }

    /** Writes {@code count} int32 values at byte offset {@code offset}. */
    public static void putInts(byte[] dst, int offset, int[] src, int srcOff, int count) {
        for (int i = 0; i < count; i++) {
            putInt(dst, offset + 4 * i, src[srcOff + i]);
        }
    }

    /** Reads {@code count} int32 values at byte offset {@code offset}. */
    public static void getInts(byte[] src, int offset, int[] dst, int dstOff, int count) {
        for (int i = 0; i < count; i++) {
            dst[dstOff + i] = getInt(src, offset + 4 * i);
        }
    }

    /** Whether neuron {@code i}'s spike bit is set. */
    public boolean spiked(byte[] src, int i) {
        return (getInt(src, spikesOffset() + 4 * (i >>> 5)) >>> (i & 31) & 1) != 0;
    }

    @Override
    public String toString() {
        return "SNS1{N=" + n + ", bytes=" + bytes + '}';
    }
}
