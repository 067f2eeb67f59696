package io.reflex.decoders.lfads;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.fixed.ActivationLuts;
import io.reflex.decoders.fixed.FixedPoint;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

class FixedGruTest {

    /**
     * {@link FixedGru#step} equals FIXED_POINT.md §5 written out with the long-accumulator {@link FixedPoint#matvec},
     * for the counts input (F_x = 0, CI encoder) and an activation input (F_x = 12, generator), with ordinary random
     * weights and with saturating extremes (every weight ±32767, biases at the int32 limits, full-range states and
     * inputs).
     */
    @Property(tries = 120)
    void stepEqualsTheContractWrittenWithLongAccumulators(@ForAll @IntRange(min = 1, max = 40) int hidden,
                                                          @ForAll @IntRange(min = 0, max = 70) int in,
                                                          @ForAll boolean counts,
                                                          @ForAll boolean extreme,
                                                          @ForAll @LongRange(min = 0, max = 100_000) long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int inputs = counts ? Math.max(1, in) : in;
        // the CI encoder reads counts (D = inputs); the generator reads co (co_dim = inputs), or nothing in a
        // model without controller (zero-width input)
        LfadsDims d = counts ? new LfadsDims(inputs, 4, 4, 0, hidden, 3, 2, 0, 5, 2, 3, 1, 5.0, 0.02, true)
                : inputs > 0 ? new LfadsDims(3, 4, 4, 0, 2, 3, inputs, 0, hidden, 2, 3, 1, 5.0, 0.02, true)
                : new LfadsDims(3, 4, 4, 2, 0, 0, 0, 2, hidden, 2, 3, 1, 5.0, 0.02, false);
        String prefix = counts ? LfadsTensors.CI_FWD : LfadsTensors.GEN;
        LfadsBundleBuilder builder = LfadsBundleBuilder.random(d, seed, true);
        if (extreme) {
            builder.put(prefix + "weight_ih", new int[] {3 * hidden, inputs}, extremes(r, 3 * hidden * inputs, 32767f));
            builder.put(prefix + "weight_hh", new int[] {3 * hidden, hidden}, extremes(r, 3 * hidden * hidden, 32767f));
            builder.put(prefix + "bias_ih", new int[] {3 * hidden}, extremes(r, 3 * hidden, 1e6f));
            builder.put(prefix + "bias_hh", new int[] {3 * hidden}, extremes(r, 3 * hidden, 1e6f));
        }
        ModelBundle b = builder.build("gru", true);
        int fx = counts ? 0 : FixedPoint.ACT;
        FixedGru gru = new FixedGru(b, prefix, inputs, hidden, fx, 5.0, new QuantSource(b, true));

        short[] wi = b.int16(prefix + "weight_ih:q");
        short[] wh = b.int16(prefix + "weight_hh:q");
        int[] bi = b.int32(prefix + "bias_ih:q");
        int[] bh = b.int32(prefix + "bias_hh:q");
        int shiftIh = b.fracBits(prefix + "weight_ih:q") + fx - FixedPoint.PRE;
        int shiftHh = b.fracBits(prefix + "weight_hh:q") + FixedPoint.ACT - FixedPoint.PRE;

        short[] h = new short[hidden + 2];
        for (int i = 0; i < h.length; i++) {
            h[i] = (short) r.nextInt(-32768, 32768);
        }
        short[] expect = h.clone();
        for (int step = 0; step < 4; step++) {
            short[] x = new short[inputs + 1];
            for (int j = 0; j < x.length; j++) {
                x[j] = counts ? (short) (extreme ? r.nextInt(0, 32768) : r.nextInt(0, 3))
                        : (short) (extreme ? (r.nextBoolean() ? 32767 : -32768) : r.nextInt(-32768, 32768));
            }
            reference(wi, bi, shiftIh, wh, bh, shiftHh, inputs, hidden, x, 1, expect, 1);
            gru.step(x, 1, h, 1);
            assertThat(h).as("step %d", step).containsExactly(expect);
        }
    }

    private static float[] extremes(SplittableRandom r, int n, float magnitude) {
        float[] v = new float[n];
        for (int k = 0; k < n; k++) {
            v[k] = r.nextBoolean() ? magnitude : -magnitude;
        }
        return v;
    }

    /** FIXED_POINT.md §5, term by term, with FixedPoint.matvec (long accumulators). */
    private static void reference(short[] wi, int[] bi, int shiftIh, short[] wh, int[] bh, int shiftHh, int in, int hs,
                                  short[] x, int xOff, short[] h, int hOff) {
        short[] ax = new short[3 * hs];
        FixedPoint.matvec(wi, in, 0, 3 * hs, bi, x, xOff, shiftIh, ax, 0);
        short[] ah = new short[2 * hs];
        FixedPoint.matvec(wh, hs, 0, 2 * hs, bh, h, hOff, shiftHh, ah, 0);
        int[] z = new int[hs];
        short[] rh = new short[hs];
        for (int i = 0; i < hs; i++) {
            z[i] = ActivationLuts.sigmoidAt(ax[i] + ah[i]);
            int rg = ActivationLuts.sigmoidAt(ax[hs + i] + ah[hs + i]);
            rh[i] = FixedPoint.requant16((long) rg * h[hOff + i], FixedPoint.GATE);
        }
        short[] an = new short[hs];
        FixedPoint.matvec(wh, hs, 2 * hs, hs, bh, rh, 0, shiftHh, an, 0);
        int clip = 20480;
        for (int i = 0; i < hs; i++) {
            int n = ActivationLuts.tanhAt(ax[2 * hs + i] + an[i]);
            long acc = ((long) z[i] * h[hOff + i]) * 4 + (long) (FixedPoint.GATE_ONE - z[i]) * n;
            long hv = FixedPoint.rshiftRound(acc, 16);
            h[hOff + i] = (short) Math.max(-clip, Math.min(clip, hv));
        }
    }
}
