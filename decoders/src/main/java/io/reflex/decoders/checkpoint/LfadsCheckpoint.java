package io.reflex.decoders.checkpoint;

import static io.reflex.decoders.checkpoint.LittleEndian.getInt;
import static io.reflex.decoders.checkpoint.LittleEndian.getLong;
import static io.reflex.decoders.checkpoint.LittleEndian.getShort;
import static io.reflex.decoders.checkpoint.LittleEndian.putInt;
import static io.reflex.decoders.checkpoint.LittleEndian.putLong;
import static io.reflex.decoders.checkpoint.LittleEndian.putShort;

/**
 * The canonical checkpoint of an LFADS causal stream, layout {@code "LFS1"}: the same bytes from every engine of
 * the fixed family, and the Q12 form of a float32 engine's state. Little-endian:
 * <pre>
 *  0 int32 magic 0x3153464C ("LFS1")   4 int32 version 1   8 int64 bins since the last reset
 * 16 int32 ci_enc_dim C   20 int32 con_dim Cn   24 int32 gen_dim G   28 int32 fac_dim F   32 int32 ci_lag L
 * 36 int32 0 (reserved)
 * 40 int16 Q12 arrays, in this order:
 *    ci[C]     CI-encoder GRU state
 *    con[Cn]   controller state
 *    gen[G]    generator state
 *    fac[F]    factors f_{t−1} of the last step
 *    hist[L][C] CI-encoder outputs of the last L bins, newest first: entry k is the output of bin (bins − 1 − k),
 *              zeros where that bin is before the reset
 * </pre>
 * Size {@code 40 + 2·(C + Cn + G + F + L·C)} bytes. With {@code bins = 0} the arrays hold the initial states
 * ({@code ci_h0, con_h0, g0, Ŵ_fac·g0}, zeros) and the next step starts the stream as after a reset.
 *
 * <p>A float32 engine writes its state rounded to Q12 ({@link #putQ12(byte[], int, float)}: round half away from
 * zero, saturated to int16) and reads it divided by 4096: a float engine that takes over continues from the same
 * latent state to within 2^−13 per value (exactly, when the writer was a fixed-point engine).
 *
 * <p>An instance is the layout for one model's dimensions: byte offsets of every array, header checks. It holds no
 * state and allocates nothing after construction.
 */
public final class LfadsCheckpoint {
    /** {@code "LFS1"} read as a little-endian int32. */
    public static final int MAGIC = 0x3153464C;
    /** Layout version. */
    public static final int VERSION = 1;
    /** Header bytes before the first array. */
    public static final int HEADER_BYTES = 40;
    /** Largest dimension a header may name (bounds what a foreign header can make a reader allocate). */
    public static final int MAX_DIM = 1 << 16;

    private static final float ONE_OVER_Q12 = 1f / 4096f;

    private final int ciEncDim;
    private final int conDim;
    private final int genDim;
    private final int facDim;
    private final int ciLag;
    private final int bytes;

    /**
     * @throws IllegalArgumentException naming the dimension when one is negative or above {@link #MAX_DIM}
     */
    public LfadsCheckpoint(int ciEncDim, int conDim, int genDim, int facDim, int ciLag) {
        dim("ci_enc_dim", ciEncDim);
        dim("con_dim", conDim);
        dim("gen_dim", genDim);
        dim("fac_dim", facDim);
        dim("ci_lag", ciLag);
        this.ciEncDim = ciEncDim;
        this.conDim = conDim;
        this.genDim = genDim;
        this.facDim = facDim;
        this.ciLag = ciLag;
        long b = HEADER_BYTES + 2L * (ciEncDim + conDim + genDim + facDim + (long) ciLag * ciEncDim);
        if (b > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("checkpoint of " + b + " bytes does not fit one array");
        }
        this.bytes = (int) b;
    }

    private static void dim(String name, int v) {
        if (v < 0 || v > MAX_DIM) {
            throw new IllegalArgumentException(name + " must be in [0, " + MAX_DIM + "], was " + v);
        }
    }

    /**
     * The layout a checkpoint's header describes, after checking its magic, version, reserved word and bounds:
     * for tools that inspect a checkpoint without a model.
     *
     * @throws CheckpointException naming what is wrong
     */
    public static LfadsCheckpoint fromHeader(byte[] src) {
        if (src == null || src.length < HEADER_BYTES) {
            throw new CheckpointException(CheckpointStatus.TOO_SHORT, "LFS1 checkpoint: "
                    + (src == null ? "null" : src.length + " bytes") + ", the header alone needs " + HEADER_BYTES);
        }
        CheckpointStatus s = checkHeaderWords(src);
        if (!s.ok()) {
            throw new CheckpointException(s, "LFS1 checkpoint: " + s.description());
        }
        int[] d = {getInt(src, 16), getInt(src, 20), getInt(src, 24), getInt(src, 28), getInt(src, 32)};
        String[] names = {"ci_enc_dim", "con_dim", "gen_dim", "fac_dim", "ci_lag"};
        for (int i = 0; i < d.length; i++) {
            if (d[i] < 0 || d[i] > MAX_DIM) {
                throw new CheckpointException(CheckpointStatus.WRONG_SHAPE, "LFS1 checkpoint: " + names[i] + " "
                        + d[i] + " is outside [0, " + MAX_DIM + "]");
            }
        }
        LfadsCheckpoint layout = new LfadsCheckpoint(d[0], d[1], d[2], d[3], d[4]);
        if (src.length < layout.bytes) {
            throw new CheckpointException(CheckpointStatus.TOO_SHORT, "LFS1 checkpoint: " + src.length
                    + " bytes, its dimensions need " + layout.bytes);
        }
        return layout;
    }

    private static CheckpointStatus checkHeaderWords(byte[] src) {
        if (getInt(src, 0) != MAGIC) {
            return CheckpointStatus.BAD_MAGIC;
        }
        if (getInt(src, 4) != VERSION) {
            return CheckpointStatus.BAD_VERSION;
        }
        if (getLong(src, 8) < 0) {
            return CheckpointStatus.BAD_COUNTER;
        }
        if (getInt(src, 36) != 0) {
            return CheckpointStatus.BAD_RESERVED;
        }
        return CheckpointStatus.OK;
    }

    /** Size of a checkpoint in bytes. */
    public int bytes() {
        return bytes;
    }

    public int ciEncDim() {
        return ciEncDim;
    }

    public int conDim() {
        return conDim;
    }

    public int genDim() {
        return genDim;
    }

    public int facDim() {
        return facDim;
    }

    public int ciLag() {
        return ciLag;
    }

    /** Byte offset of {@code ci[0]}. */
    public int ciOffset() {
        return HEADER_BYTES;
    }

    /** Byte offset of {@code con[0]}. */
    public int conOffset() {
        return ciOffset() + 2 * ciEncDim;
    }

    /** Byte offset of {@code gen[0]}. */
    public int genOffset() {
        return conOffset() + 2 * conDim;
    }

    /** Byte offset of {@code fac[0]}. */
    public int facOffset() {
        return genOffset() + 2 * genDim;
    }

    /** Byte offset of {@code hist[k][0]}, the CI-encoder output of bin {@code bins − 1 − k}, {@code 0 ≤ k < L}. */
    public int histOffset(int k) {
        return facOffset() + 2 * facDim + 2 * k * ciEncDim;
    }

    /** Writes magic, version, bin counter, dimensions and the reserved word into {@code dst[0, 40)}. */
    public void writeHeader(byte[] dst, long bins) {
        putInt(dst, 0, MAGIC);
        putInt(dst, 4, VERSION);
        putLong(dst, 8, bins);
        putInt(dst, 16, ciEncDim);
        putInt(dst, 20, conDim);
        putInt(dst, 24, genDim);
        putInt(dst, 28, facDim);
        putInt(dst, 32, ciLag);
        putInt(dst, 36, 0);
    }

    /**
     * Checks length, magic, version, counter, reserved word and that the dimensions are this layout's (every Q12
     * int16 value is a valid state). Allocates nothing.
     */
    public CheckpointStatus check(byte[] src) {
        if (src == null || src.length < bytes) {
            return CheckpointStatus.TOO_SHORT;
        }
        CheckpointStatus s = checkHeaderWords(src);
        if (!s.ok()) {
            return s;
        }
        if (getInt(src, 16) != ciEncDim || getInt(src, 20) != conDim || getInt(src, 24) != genDim
                || getInt(src, 28) != facDim || getInt(src, 32) != ciLag) {
            return CheckpointStatus.WRONG_SHAPE;
        }
        return CheckpointStatus.OK;
    }

    /** The bin counter of a checkpoint (bins since the last reset). */
    public static long bins(byte[] src) {
        return getLong(src, 8);
    }

    /** Writes {@code n} Q12 values from {@code src[srcOff…]} at byte offset {@code offset}. */
    public static void putQ12(byte[] dst, int offset, short[] src, int srcOff, int n) {
        for (int i = 0; i < n; i++) {
            putShort(dst, offset + 2 * i, src[srcOff + i]);
        }
    }

    /** Reads {@code n} Q12 values at byte offset {@code offset} into {@code dst[dstOff…]}. */
    public static void getQ12(byte[] src, int offset, short[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = getShort(src, offset + 2 * i);
        }
    }

    /** Writes {@code n} zeros (entries of {@code hist} before the reset). */
    public static void putZeros(byte[] dst, int offset, int n) {
        java.util.Arrays.fill(dst, offset, offset + 2 * n, (byte) 0);
    }

    /**
     * Writes one float value rounded to Q12: round half away from zero, saturated to int16.
     *
     * @return false (nothing written) when {@code v} is NaN or infinite
     */
    public static boolean putQ12(byte[] dst, int offset, float v) {
        if (!Float.isFinite(v)) {
            return false;
        }
        putShort(dst, offset, toQ12(v));
        return true;
    }

    /** {@code v} rounded to Q12 half away from zero and saturated to int16 ({@code v} finite). */
    public static short toQ12(float v) {
        double x = (double) v * 4096.0;
        double r = Math.copySign(Math.floor(Math.abs(x) + 0.5), x);
        return (short) (r >= Short.MAX_VALUE ? Short.MAX_VALUE : r <= Short.MIN_VALUE ? Short.MIN_VALUE : (int) r);
    }

    /**
     * Writes {@code n} float values rounded to Q12.
     *
     * @return false when a value is NaN or infinite (the bytes written so far are left as they are)
     */
    public static boolean putQ12(byte[] dst, int offset, float[] src, int srcOff, int n) {
        for (int i = 0; i < n; i++) {
            if (!putQ12(dst, offset + 2 * i, src[srcOff + i])) {
                return false;
            }
        }
        return true;
    }

    /** Reads {@code n} Q12 values as floats (divided by 4096: exact). */
    public static void getQ12(byte[] src, int offset, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = getShort(src, offset + 2 * i) * ONE_OVER_Q12;
        }
    }

    @Override
    public String toString() {
        return "LFS1{C=" + ciEncDim + ", Cn=" + conDim + ", G=" + genDim + ", F=" + facDim + ", L=" + ciLag
                + ", bytes=" + bytes + '}';
    }
}
