package io.reflex.decoders.lfads;

import io.reflex.decoders.bundle.BundleException;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.fixed.ActivationLuts;
import io.reflex.decoders.fixed.FixedPoint;

/**
 * The clipped GRU cell of decoders/FIXED_POINT.md §5, bit-exact. Input in Q(fx), state in Q12, gates from the
 * LUTs in Q14. The three matvecs accumulate exactly ({@link ExactMatvec}) and requantise to Q10 as the contract
 * says. Owns its scratch buffers; allocates nothing per step.
 */
final class FixedGru {
    final int in;
    final int hidden;
    private final int fx;
    private final ExactMatvec wih;
    private final ExactMatvec whhZr;
    private final ExactMatvec whhN;
    private final long[] bih;
    private final long[] bhhZr;
    private final long[] bhhN;
    private final int shiftIh;
    private final int shiftHh;
    private final int clipQ;
    private final short[] ax;
        private final short[] rh;
    private final int[] z;
    private final short[] wIhAll;
    private final short[] wHhAll;
    private final long[] bIhAll;
    private final long[] bHhAll;

    /**
     * @param fx fractional bits of the input: 0 for counts, 12 for activations (and for a zero-width input)
     */
    FixedGru(ModelBundle b, String prefix, int in, int hidden, int fx, double clip, QuantSource q) {
        this.in = in;
        this.hidden = hidden;
        this.fx = fx;
        QuantSource.Weight wi = q.weight(prefix + "weight_ih", 3 * hidden, in);
        QuantSource.Weight wh = q.weight(prefix + "weight_hh", 3 * hidden, hidden);
        int[] bi = q.bias(prefix + "bias_ih", 3 * hidden, wi.fracBits() + fx);
        int[] bh = q.bias(prefix + "bias_hh", 3 * hidden, wh.fracBits() + FixedPoint.ACT);
        QuantSource.checkAccumulator(b, prefix + "weight_ih", wi.values(), 3 * hidden, in, bi,
                fx == 0 ? Short.MAX_VALUE : 32768);
        QuantSource.checkAccumulator(b, prefix + "weight_hh", wh.values(), 3 * hidden, hidden, bh, 32768);
        this.wih = new ExactMatvec(wi.values(), in, 0, 3 * hidden);
        this.whhZr = new ExactMatvec(wh.values(), hidden, 0, 2 * hidden);
        this.whhN = new ExactMatvec(wh.values(), hidden, 2 * hidden, hidden);
        this.bih = FixedLinear.widen(bi, 0, 3 * hidden);
        this.bhhZr = FixedLinear.widen(bh, 0, 2 * hidden);
        this.bhhN = FixedLinear.widen(bh, 2 * hidden, hidden);
        this.shiftIh = wi.fracBits() + fx - FixedPoint.PRE;
        this.shiftHh = wh.fracBits() + FixedPoint.ACT - FixedPoint.PRE;
        long clipL = (long) FixedPoint.roundHalfAway(clip * (1 << FixedPoint.ACT));
        if (clipL > Short.MAX_VALUE) {
            throw new BundleException(b.source() + ": hyperparameter 'cell_clip' " + clip
                    + " does not fit the Q12 state format (|clip| < 8)");
        }
        this.clipQ = (int) clipL;
        this.wIhAll = wi.values();
        this.wHhAll = wh.values();
        this.bIhAll = FixedLinear.widen(bi, 0, 3 * hidden);
        this.bHhAll = FixedLinear.widen(bh, 0, 3 * hidden);
        this.ax = new short[3 * hidden];
        this.rh = new short[hidden];
        this.z = new int[hidden];
    }

    int fx() {
        return fx;
    }

    /** A copy of this cell's integers for other engines ({@link LfadsFixed#causalExport()}). */
    LfadsFixed.Gru export() {
        return new LfadsFixed.Gru(in, hidden, wIhAll.clone(), wHhAll.clone(), bIhAll.clone(), bHhAll.clone(), shiftIh,
                shiftHh, clipQ);
    }

    /** {@code h ← GRU(x[xOff..xOff+in), h)} in place. */
    void step(short[] x, int xOff, short[] h, int hOff) {
        final int hs = hidden;
        final int n3 = 3 * hs;
        // ax = matvec(W_ih, b_ih, x, F_x → PRE): 3H rows; counts (F_x = 0) are mostly zero
        if (fx == 0) {
            wih.sparse(x, xOff);
        } else {
            wih.dense(x, xOff);
        }
        for (int i = 0; i < n3; i++) {
            ax[i] = FixedPoint.requant16(bih[i] + wih.sum(i), shiftIh);
        }
        // ahz, ahr = matvec(W_hh[z|r], b_hh[z|r], h, 12 → PRE): one pass over the 2H rows of both gates
        whhZr.dense(h, hOff);
        for (int i = 0; i < hs; i++) {
            int ahz = FixedPoint.requant16(bhhZr[i] + whhZr.sum(i), shiftHh);
            int ahr = FixedPoint.requant16(bhhZr[hs + i] + whhZr.sum(hs + i), shiftHh);
            z[i] = ActivationLuts.sigmoidAt(ax[i] + ahz);
            int r = ActivationLuts.sigmoidAt(ax[hs + i] + ahr);
            rh[i] = FixedPoint.requant16((long) r * h[hOff + i], FixedPoint.GATE);
        }
        // ahn = matvec(W_hh[n], b_hh[n], r⊙h, 12 → PRE)
        whhN.dense(rh, 0);
        for (int i = 0; i < hs; i++) {
            int ahn = FixedPoint.requant16(bhhN[i] + whhN.sum(i), shiftHh);
            int n = ActivationLuts.tanhAt(ax[2 * hs + i] + ahn);
            long acc = ((long) z[i] * h[hOff + i]) * 4 + (long) (FixedPoint.GATE_ONE - z[i]) * n;
            long hv = FixedPoint.rshiftRound(acc, 16);
            h[hOff + i] = (short) (hv > clipQ ? clipQ : hv < -clipQ ? -clipQ : hv);
        }
    }
}
