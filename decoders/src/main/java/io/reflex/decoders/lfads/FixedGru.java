package io.reflex.decoders.lfads;

import io.reflex.decoders.bundle.BundleException;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.fixed.ActivationLuts;
import io.reflex.decoders.fixed.FixedPoint;

/**
 * The clipped GRU cell of decoders/FIXED_POINT.md §5, bit-exact. Input in Q(fx), state in Q12, gates from the
 * LUTs in Q14. Owns its scratch buffers; allocates nothing per step.
 */
final class FixedGru {
    final int in;
    final int hidden;
    private final int fx;
    private final short[] wih;
    private final short[] whh;
    private final int[] bih;
    private final int[] bhh;
    private final int shiftIh;
    private final int shiftHh;
    private final int clipQ;
    private final short[] ax;
    private final short[] ah;
    private final short[] rh;
    private final int[] z;

    /**
     * @param fx fractional bits of the input: 0 for counts, 12 for activations (and for a zero-width input)
     */
    FixedGru(ModelBundle b, String prefix, int in, int hidden, int fx, double clip, QuantSource q) {
        this.in = in;
        this.hidden = hidden;
        this.fx = fx;
        QuantSource.Weight wi = q.weight(prefix + "weight_ih", 3 * hidden, in);
        QuantSource.Weight wh = q.weight(prefix + "weight_hh", 3 * hidden, hidden);
        this.wih = wi.values();
        this.whh = wh.values();
        this.bih = q.bias(prefix + "bias_ih", 3 * hidden, wi.fracBits() + fx);
        this.bhh = q.bias(prefix + "bias_hh", 3 * hidden, wh.fracBits() + FixedPoint.ACT);
        this.shiftIh = wi.fracBits() + fx - FixedPoint.PRE;
        this.shiftHh = wh.fracBits() + FixedPoint.ACT - FixedPoint.PRE;
        long clipL = (long) FixedPoint.roundHalfAway(clip * (1 << FixedPoint.ACT));
        if (clipL > Short.MAX_VALUE) {
            throw new BundleException(b.source() + ": hyperparameter 'cell_clip' " + clip
                    + " does not fit the Q12 state format (|clip| < 8)");
        }
        this.clipQ = (int) clipL;
        this.ax = new short[3 * hidden];
        this.ah = new short[3 * hidden];
        this.rh = new short[hidden];
        this.z = new int[hidden];
        QuantSource.checkAccumulator(b, prefix + "weight_ih", wih, 3 * hidden, in, bih, fx == 0 ? Short.MAX_VALUE : 32768);
        QuantSource.checkAccumulator(b, prefix + "weight_hh", whh, 3 * hidden, hidden, bhh, 32768);
    }

    int fx() {
        return fx;
    }

    /** {@code h ← GRU(x[xOff..xOff+in), h)} in place. */
    void step(short[] x, int xOff, short[] h, int hOff) {
        final int hs = hidden;
        FixedPoint.matvec(wih, in, 0, 3 * hs, bih, x, xOff, shiftIh, ax, 0);
        FixedPoint.matvec(whh, hs, 0, 2 * hs, bhh, h, hOff, shiftHh, ah, 0);
        for (int i = 0; i < hs; i++) {
            z[i] = ActivationLuts.sigmoidAt(ax[i] + ah[i]);
            int r = ActivationLuts.sigmoidAt(ax[hs + i] + ah[hs + i]);
            rh[i] = FixedPoint.requant16((long) r * h[hOff + i], FixedPoint.GATE);
        }
        FixedPoint.matvec(whh, hs, 2 * hs, hs, bhh, rh, 0, shiftHh, ah, 2 * hs);
        for (int i = 0; i < hs; i++) {
            int n = ActivationLuts.tanhAt(ax[2 * hs + i] + ah[2 * hs + i]);
            long acc = ((long) z[i] * h[hOff + i]) * 4 + (long) (FixedPoint.GATE_ONE - z[i]) * n;
            long hv = FixedPoint.rshiftRound(acc, 16);
            h[hOff + i] = (short) (hv > clipQ ? clipQ : hv < -clipQ ? -clipQ : hv);
        }
    }
}
