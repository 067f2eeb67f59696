package io.reflex.decoders.lfads;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.checkpoint.CheckpointStatus;
import io.reflex.decoders.checkpoint.LfadsCheckpoint;
import io.reflex.decoders.checkpoint.LittleEndian;
import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/**
 * Stream checkpoints of LFADS ({@code "LFS1"} causal, {@code "LFW1"} sliding): run k bins, checkpoint, restore into
 * a fresh kernel, continue; the continuation equals the uninterrupted run bit for bit (fixed point, and float32
 * sliding windows, which store the inputs exactly) or within a stated tolerance (float32 causal state, rounded to
 * Q12 on save).
 */
class LfadsCheckpointTest {

    /**
     * Largest |Δ| of a factor or log-rate after a float32 causal restore (state rounded to Q12), over the rest of a
     * 24-bin stream, against the uninterrupted float32 run. Measured over 1,000 random models: 3.3e−4.
     */
    static final double FLOAT_RESTORE_TOLERANCE = 2e-3;
    /**
     * Largest |Δ| of a float32 kernel that takes over from a fixed-point checkpoint, against the uninterrupted
     * fixed-point run. Measured over 1,000 random models: 5.2e−3 (the two arithmetics alone differ by up to 6.1e−3).
     */
    static final double TAKEOVER_TOLERANCE = 2e-2;

    static LfadsDims randomCausal(long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        int c = 1 + r.nextInt(6);
        return new LfadsDims(1 + r.nextInt(8), 12, 12, 0, c, 1 + r.nextInt(6), 1 + r.nextInt(4), 0, 1 + r.nextInt(10),
                1 + r.nextInt(4), 1 + r.nextInt(6), r.nextInt(4), 5.0, 0.02, true);
    }

    /** Runs {@code bins} causal steps; returns factors and log-rates per step, concatenated. */
    static float[] run(LfadsKernel k, float[] x, int from, int to) {
        LfadsDims d = k.dims();
        int w = d.facDim() + d.readoutDim();
        float[] out = new float[(to - from) * w];
        float[] fac = new float[d.facDim()];
        float[] lr = new float[d.readoutDim()];
        for (int t = from; t < to; t++) {
            assertThat(k.step(x, t * d.dataDim(), fac, lr)).isEqualTo(DecodeStatus.OK);
            System.arraycopy(fac, 0, out, (t - from) * w, fac.length);
            System.arraycopy(lr, 0, out, (t - from) * w + fac.length, lr.length);
        }
        return out;
    }

    @Property(tries = 40)
    void fixedCausalContinuesBitForBitAfterARestore(@ForAll @LongRange(min = 0, max = 1_000_000) long seed,
                                                    @ForAll @IntRange(min = 0, max = 24) int k) {
        LfadsDims d = randomCausal(seed);
        ModelBundle b = LfadsBundleBuilder.random(d, seed, true).build("c", true);
        int total = 24;
        float[] x = LfadsKernelTest.poisson(seed + 1, total, d.dataDim(), 1.0);
        float[] whole = run(new LfadsFixed(b), x, 0, total);

        LfadsFixed a = new LfadsFixed(b);
        run(a, x, 0, k);
        byte[] ck = new byte[a.streamLayout().bytes()];
        assertThat(a.saveStream(ck)).isEqualTo(CheckpointStatus.OK);
        assertThat(LfadsCheckpoint.bins(ck)).isEqualTo(k);

        LfadsFixed fresh = new LfadsFixed(b);
        run(fresh, x, 0, 3);   // a stream elsewhere: the restore must replace all of it
        assertThat(fresh.restoreStream(ck)).isEqualTo(CheckpointStatus.OK);
        assertThat(fresh.streamBins()).isEqualTo(k);
        byte[] again = new byte[ck.length];
        assertThat(fresh.saveStream(again)).isEqualTo(CheckpointStatus.OK);
        assertThat(again).as("save after restore gives the same bytes").isEqualTo(ck);
        float[] rest = run(fresh, x, k, total);
        int w = d.facDim() + d.readoutDim();
        assertThat(rest).containsExactly(Arrays.copyOfRange(whole, k * w, total * w));
    }

    @Property(tries = 40)
    void float32CausalContinuesWithinToleranceAndFromFixedCheckpoints(
            @ForAll @LongRange(min = 0, max = 1_000_000) long seed, @ForAll @IntRange(min = 0, max = 24) int k) {
        LfadsDims d = randomCausal(seed);
        ModelBundle b = LfadsBundleBuilder.random(d, seed, true).build("c", true);
        int total = 24;
        float[] x = LfadsKernelTest.poisson(seed + 1, total, d.dataDim(), 1.0);
        float[] whole = run(new LfadsFloat32(b), x, 0, total);
        int w = d.facDim() + d.readoutDim();

        LfadsFloat32 a = new LfadsFloat32(b);
        run(a, x, 0, k);
        byte[] ck = new byte[a.streamLayout().bytes()];
        assertThat(a.saveStream(ck)).isEqualTo(CheckpointStatus.OK);
        LfadsFloat32 fresh = new LfadsFloat32(b);
        assertThat(fresh.restoreStream(ck)).isEqualTo(CheckpointStatus.OK);
        float[] rest = run(fresh, x, k, total);
        for (int i = 0; i < rest.length; i++) {
            assertThat((double) rest[i]).isCloseTo(whole[k * w + i],
                    org.assertj.core.api.Assertions.within(FLOAT_RESTORE_TOLERANCE));
        }
        if (k == 0) {
            assertThat(rest).as("a checkpoint at bin 0 is a reset").containsExactly(whole);
        }

        // a float32 kernel taking over from a fixed-point one follows the fixed-point run as closely as float32 does
        float[] fixedWhole = run(new LfadsFixed(b), x, 0, total);
        LfadsFixed f = new LfadsFixed(b);
        run(f, x, 0, k);
        assertThat(f.saveStream(ck)).isEqualTo(CheckpointStatus.OK);
        LfadsFloat32 takeover = new LfadsFloat32(b);
        assertThat(takeover.restoreStream(ck)).isEqualTo(CheckpointStatus.OK);
        float[] cont = run(takeover, x, k, total);
        for (int i = 0; i < cont.length; i++) {
            assertThat((double) cont[i]).isCloseTo(fixedWhole[k * w + i],
                    org.assertj.core.api.Assertions.within(TAKEOVER_TOLERANCE));
        }
    }

    @Property(tries = 30)
    void slidingWindowsContinueBitForBitInBothArithmetics(@ForAll @LongRange(min = 0, max = 1_000_000) long seed,
                                                          @ForAll @IntRange(min = 0, max = 20) int k,
                                                          @ForAll boolean fixed) {
        LfadsDims d = LfadsKernelTest.withController((int) (seed % 3));
        ModelBundle b = LfadsBundleBuilder.random(d, seed, true).build("s", true);
        LfadsArithmetic a = fixed ? LfadsArithmetic.FIXED : LfadsArithmetic.FLOAT32;
        int total = 20;
        float[] x = LfadsKernelTest.poisson(seed + 2, total, d.dataDim(), 1.0);
        float[] fac = new float[d.facDim()];
        float[] lr = new float[d.readoutDim()];
        LfadsStream whole = new LfadsStream(a.load(b), LfadsMode.SLIDING);
        float[] expect = new float[total * d.readoutDim()];
        for (int t = 0; t < total; t++) {
            whole.push(x, t * d.dataDim(), fac, lr);
            System.arraycopy(lr, 0, expect, t * d.readoutDim(), lr.length);
        }
        LfadsStream first = new LfadsStream(a.load(b), LfadsMode.SLIDING);
        for (int t = 0; t < k; t++) {
            first.push(x, t * d.dataDim(), fac, lr);
        }
        byte[] ck = new byte[first.checkpointBytes()];
        assertThat(first.save(ck)).isEqualTo(CheckpointStatus.OK);
        // restore into the other arithmetic's stream too: the window holds the inputs, not arithmetic state
        LfadsStream second = new LfadsStream((fixed ? LfadsArithmetic.FLOAT32 : LfadsArithmetic.FIXED).load(b),
                LfadsMode.SLIDING);
        assertThat(second.restore(ck)).isEqualTo(CheckpointStatus.OK);
        LfadsStream same = new LfadsStream(a.load(b), LfadsMode.SLIDING);
        assertThat(same.restore(ck)).isEqualTo(CheckpointStatus.OK);
        assertThat(same.binsPushed()).isEqualTo(k);
        for (int t = k; t < total; t++) {
            assertThat(same.push(x, t * d.dataDim(), fac, lr)).isEqualTo(DecodeStatus.OK);
            for (int i = 0; i < lr.length; i++) {
                assertThat(lr[i]).isEqualTo(expect[t * d.readoutDim() + i]);
            }
            assertThat(second.push(x, t * d.dataDim(), fac, lr)).isEqualTo(DecodeStatus.OK);
        }
    }

    @Test
    void theLorenzDemoCheckpointIs560BytesAndBadCheckpointsAreRefusedByName() {
        ModelBundle b = ModelBundle.fromResource("/models/lfads-lorenz-causal.rbundle");
        LfadsFixed k = new LfadsFixed(b);
        LfadsCheckpoint layout = k.streamLayout();
        assertThat(layout.bytes()).isEqualTo(560);
        float[] x = LfadsKernelTest.poisson(5, 10, k.dims().dataDim(), 0.3);
        run(k, x, 0, 10);
        byte[] good = new byte[layout.bytes()];
        assertThat(k.saveStream(good)).isEqualTo(CheckpointStatus.OK);
        assertThat(LfadsCheckpoint.fromHeader(good).bytes()).isEqualTo(560);
        byte[] before = good.clone();
        assertThat(k.saveStream(before)).isEqualTo(CheckpointStatus.OK);

        assertThat(k.restoreStream(Arrays.copyOf(good, 559))).isEqualTo(CheckpointStatus.TOO_SHORT);
        assertThat(k.restoreStream(null)).isEqualTo(CheckpointStatus.TOO_SHORT);
        assertThat(k.restoreStream(with(good, 0, 0x3157464C))).isEqualTo(CheckpointStatus.BAD_MAGIC);
        assertThat(k.restoreStream(with(good, 4, 2))).isEqualTo(CheckpointStatus.BAD_VERSION);
        assertThat(k.restoreStream(withLong(good, 8, -1))).isEqualTo(CheckpointStatus.BAD_COUNTER);
        assertThat(k.restoreStream(with(good, 24, 63))).isEqualTo(CheckpointStatus.WRONG_SHAPE);
        assertThat(k.restoreStream(with(good, 36, 1))).isEqualTo(CheckpointStatus.BAD_RESERVED);
        byte[] after = new byte[good.length];
        assertThat(k.saveStream(after)).isEqualTo(CheckpointStatus.OK);
        assertThat(after).as("refused checkpoints leave the stream as it was").isEqualTo(before);
        assertThat(new LfadsFixed(LfadsBundleBuilder.random(LfadsKernelTest.withController(1), 1, true)
                .build("x", true)).saveStream(good)).isEqualTo(CheckpointStatus.UNSUPPORTED);
    }

    static byte[] with(byte[] src, int offset, int value) {
        byte[] b = src.clone();
        LittleEndian.putInt(b, offset, value);
        return b;
    }

    static byte[] withLong(byte[] src, int offset, long value) {
        byte[] b = src.clone();
        LittleEndian.putLong(b, offset, value);
        return b;
    }
}
