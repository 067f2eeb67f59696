package io.reflex.fpga.lfads;

import io.reflex.decoders.checkpoint.CheckpointStatus;
import io.reflex.decoders.checkpoint.LfadsCheckpoint;

/**
 * The causal state in the layout {@code lfads_kernel} ({@code CAUSAL=1}) writes with SAVE and reads with RESTORE
 * (hdl/README.md, "LFADS causal-step buffers"; 512-bit beats, little-endian; {@code HB = ceil(H/32)},
 * {@code FB = ceil(F/32)}):
 * <pre>
 * beat 0          words [0] magic 0x3154534C ("LST1"), [1] H, [2] F, [3] LAG_MAX of the build, [4] ci_lag, [5] 0,
 *                 [6..7] int64 bins stepped since the last RESET, rest 0
 * HB beats        CI-encoder state          HB beats  controller state      HB beats  generator state
 * FB beats        f_{t-1}, the factors of the last step (W_fac·g0 after a RESET)
 * ci_lag × HB     CI history, entry j = the CI-encoder output of bin (bins − 1 − j), zero before the RESET
 * </pre>
 * int16 Q12, element e of a vector in beat e/32 at bytes 2·(e % 32); padding is zero. This is the canonical
 * {@code "LFS1"} checkpoint ({@link LfadsCheckpoint}) of a model whose CI encoder, controller and generator have the
 * build's size H, padded to beats: {@link #toCanonical} and {@link #fromCanonical} convert, allocating nothing.
 */
public final class LfadsStepState {
    /** Magic word "LST1". */
    public static final int MAGIC = 0x3154534C;
    /** Bytes per beat. */
    public static final int BEAT = 64;

    private final LfadsStepImage.Build build;
    private final int ciLag;
    private final int hb;
    private final int fb;
    private final int beats;

    /**
     * The layout of a model with this {@code ci_lag} on this build.
     *
     * @throws IllegalArgumentException when ci_lag is outside [0, LAG_MAX]
     */
    public LfadsStepState(LfadsStepImage.Build build, int ciLag) {
        if (ciLag < 0 || ciLag > build.lagMax()) {
            throw new IllegalArgumentException("ci_lag " + ciLag + " outside [0, LAG_MAX " + build.lagMax() + "]");
        }
        this.build = build;
        this.ciLag = ciLag;
        this.hb = (build.h() + 31) / 32;
        this.fb = (build.f() + 31) / 32;
        this.beats = 1 + (3 + ciLag) * hb + fb;
    }

    /** Bytes of the largest state of a build (ci_lag = LAG_MAX): the state buffer's size. */
    public static int maxBytes(LfadsStepImage.Build build) {
        return new LfadsStepState(build, build.lagMax()).bytes();
    }

    /** Beats the kernel reads and writes for this model. */
    public int beats() {
        return beats;
    }

    /** Bytes the kernel reads and writes for this model. */
    public int bytes() {
        return BEAT * beats;
    }

    /** The model's ci_lag. */
    public int ciLag() {
        return ciLag;
    }

    /** The canonical layout of the same state (ci_enc_dim = con_dim = gen_dim = H). */
    public LfadsCheckpoint canonical() {
        return new LfadsCheckpoint(build.h(), build.h(), build.h(), build.f(), ciLag);
    }

    private int ciBeat() {
        return 1;
    }

    private int conBeat() {
        return 1 + hb;
    }

    private int genBeat() {
        return 1 + 2 * hb;
    }

    private int facBeat() {
        return 1 + 3 * hb;
    }

    private int histBeat(int j) {
        return 1 + 3 * hb + fb + j * hb;
    }

    /** The bin counter of a kernel state. */
    public static long bins(byte[] nat) {
        return (getInt(nat, 24) & 0xFFFFFFFFL) | (long) getInt(nat, 28) << 32;
    }

    /**
     * Converts a state the kernel wrote into the canonical checkpoint ({@code layout} must be {@link #canonical()}'s
     * shape).
     *
     * @return OK; BAD_MAGIC or WRONG_SHAPE when the header is not this build's and model's; TOO_SHORT
     */
    public CheckpointStatus toCanonical(byte[] nat, LfadsCheckpoint layout, byte[] dst) {
        if (nat.length < bytes() || dst.length < layout.bytes()) {
            return CheckpointStatus.TOO_SHORT;
        }
        if (getInt(nat, 0) != MAGIC) {
            return CheckpointStatus.BAD_MAGIC;
        }
        int h = build.h();
        int f = build.f();
        if (getInt(nat, 4) != h || getInt(nat, 8) != f || getInt(nat, 12) != build.lagMax() || getInt(nat, 16) != ciLag
                || layout.ciEncDim() != h || layout.conDim() != h || layout.genDim() != h || layout.facDim() != f
                || layout.ciLag() != ciLag) {
            return CheckpointStatus.WRONG_SHAPE;
        }
        long bins = bins(nat);
        if (bins < 0) {
            return CheckpointStatus.BAD_COUNTER;
        }
        layout.writeHeader(dst, bins);
        copyOut(nat, ciBeat(), dst, layout.ciOffset(), h);
        copyOut(nat, conBeat(), dst, layout.conOffset(), h);
        copyOut(nat, genBeat(), dst, layout.genOffset(), h);
        copyOut(nat, facBeat(), dst, layout.facOffset(), f);
        for (int j = 0; j < ciLag; j++) {
            copyOut(nat, histBeat(j), dst, layout.histOffset(j), h);
        }
        return CheckpointStatus.OK;
    }

    /**
     * Writes the kernel state of a canonical checkpoint ({@code src} checked against {@code layout} by the caller)
     * into {@code nat[0, bytes())}. History entries of bins before the reset are written as zeros whatever the
     * checkpoint holds there, as the kernel keeps them.
     */
    public void fromCanonical(byte[] src, LfadsCheckpoint layout, byte[] nat) {
        java.util.Arrays.fill(nat, 0, bytes(), (byte) 0);
        long bins = LfadsCheckpoint.bins(src);
        putInt(nat, 0, MAGIC);
        putInt(nat, 4, build.h());
        putInt(nat, 8, build.f());
        putInt(nat, 12, build.lagMax());
        putInt(nat, 16, ciLag);
        putInt(nat, 24, (int) bins);
        putInt(nat, 28, (int) (bins >>> 32));
        int h = build.h();
        copyIn(src, layout.ciOffset(), nat, ciBeat(), h);
        copyIn(src, layout.conOffset(), nat, conBeat(), h);
        copyIn(src, layout.genOffset(), nat, genBeat(), h);
        copyIn(src, layout.facOffset(), nat, facBeat(), build.f());
        for (int j = 0; j < ciLag && j < bins; j++) {
            copyIn(src, layout.histOffset(j), nat, histBeat(j), h);
        }
    }

    /** n int16 of a padded vector starting at {@code beat} into a packed array at byte {@code off}. */
    private static void copyOut(byte[] nat, int beat, byte[] dst, int off, int n) {
        for (int e = 0; e < n; e++) {
            int s = BEAT * (beat + e / 32) + 2 * (e % 32);
            dst[off + 2 * e] = nat[s];
            dst[off + 2 * e + 1] = nat[s + 1];
        }
    }

    private static void copyIn(byte[] src, int off, byte[] nat, int beat, int n) {
        for (int e = 0; e < n; e++) {
            int d = BEAT * (beat + e / 32) + 2 * (e % 32);
            nat[d] = src[off + 2 * e];
            nat[d + 1] = src[off + 2 * e + 1];
        }
    }

    private static int getInt(byte[] b, int o) {
        return (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8 | (b[o + 2] & 0xFF) << 16 | b[o + 3] << 24;
    }

    private static void putInt(byte[] b, int o, int v) {
        b[o] = (byte) v;
        b[o + 1] = (byte) (v >> 8);
        b[o + 2] = (byte) (v >> 16);
        b[o + 3] = (byte) (v >> 24);
    }

    @Override
    public String toString() {
        return "LST1{H=" + build.h() + ", F=" + build.f() + ", LAG_MAX=" + build.lagMax() + ", ci_lag=" + ciLag
                + ", beats=" + beats + '}';
    }
}
