package io.reflex.decoders.fixed;

/**
 * The integer primitives of decoders/FIXED_POINT.md (version 1), sections 1 and 2. Every Reflex fixed-point
 * model and every hardware engine must reproduce these bit for bit.
 */
public final class FixedPoint {

    /** Version of FIXED_POINT.md implemented here. */
    public static final int VERSION = 1;
    /** Fractional bits of states, activations, factors and log-rates (Q12, S3.12). */
    public static final int ACT = 12;
    /** Fractional bits of pre-activations (LUT inputs, Q10, S5.10). */
    public static final int PRE = 10;
    /** Fractional bits of gate outputs (Q14, 1.0 = 16384). */
    public static final int GATE = 14;
    /** Entries per activation table. */
    public static final int LUT_N = 4096;
    /** 1.0 in the gate format. */
    public static final int GATE_ONE = 1 << GATE;
    /** Largest magnitude of the weight matrices this version accepts as int16. */
    public static final int INT16_MAX = Short.MAX_VALUE;
    /** Bound on any accumulator sum: the accumulator is 48 bits signed. */
    public static final long ACC_LIMIT = 1L << 47;

    private FixedPoint() {
    }

    /**
     * {@code rshift_round(acc, s)}: for {@code s > 0}, {@code (acc + 2^(s-1)) >> s} (round half up, arithmetic
     * shift); {@code s == 0}: {@code acc}; {@code s < 0}: {@code acc << -s}.
     */
    public static long rshiftRound(long acc, int s) {
        if (s > 0) {
            return (acc + (1L << (s - 1))) >> s;
        }
        return s == 0 ? acc : acc << -s;
    }

    /** {@code sat_16(x)}: clamps to [-32768, 32767]. */
    public static int sat16(long x) {
        return x > Short.MAX_VALUE ? Short.MAX_VALUE : x < Short.MIN_VALUE ? Short.MIN_VALUE : (int) x;
    }

    /** {@code sat_32(x)}: clamps to the int range. */
    public static int sat32(long x) {
        return x > Integer.MAX_VALUE ? Integer.MAX_VALUE : x < Integer.MIN_VALUE ? Integer.MIN_VALUE : (int) x;
    }

    /** {@code requant16(acc, s) = sat_16(rshift_round(acc, s))}. */
    public static short requant16(long acc, int s) {
        return (short) sat16(rshiftRound(acc, s));
    }

    /** Round to nearest, ties away from zero: {@code sign(x)·floor(|x| + 0.5)} (float64). */
    public static double roundHalfAway(double x) {
        return Math.copySign(Math.floor(Math.abs(x) + 0.5), x);
    }

    /**
     * {@code F_W}: the largest {@code f} in [0, 15] with {@code round_half_away(max|W|·2^f) ≤ 32767}; 15 for an
     * empty or all-zero matrix.
     *
     * @throws IllegalArgumentException when even {@code f = 0} does not fit, or a value is not finite
     */
    public static int weightFracBits(double[] w) {
        double m = 0;
        for (double v : w) {
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException("non-finite weight " + v);
            }
            m = Math.max(m, Math.abs(v));
        }
        for (int f = 15; f >= 0; f--) {
            if (roundHalfAway(m * (1 << f)) <= INT16_MAX) {
                return f;
            }
        }
        throw new IllegalArgumentException("weight magnitude " + m + " does not fit int16 at 0 fractional bits");
    }

    /** {@code W_q = round_half_away(W·2^f)} as int16 (the caller chose {@code f} with {@link #weightFracBits}). */
    public static short[] quantizeWeights(double[] w, int fracBits) {
        short[] q = new short[w.length];
        double scale = Math.scalb(1.0, fracBits);
        for (int k = 0; k < w.length; k++) {
            q[k] = (short) sat16((long) roundHalfAway(w[k] * scale));
        }
        return q;
    }

    /** {@code b_q = sat_32(round_half_away(b·2^fracBits))}, {@code fracBits = F_W + F_v}. */
    public static int[] quantizeBias(double[] b, int fracBits) {
        int[] q = new int[b.length];
        double scale = Math.scalb(1.0, fracBits);
        for (int k = 0; k < b.length; k++) {
            double r = roundHalfAway(b[k] * scale);
            q[k] = r >= Integer.MAX_VALUE ? Integer.MAX_VALUE : r <= Integer.MIN_VALUE ? Integer.MIN_VALUE : (int) r;
        }
        return q;
    }

    /** A state vector in Q12 (initial states): {@code sat_16(round_half_away(v·2^12))}. */
    public static short[] quantizeState(double[] v) {
        short[] q = new short[v.length];
        for (int k = 0; k < v.length; k++) {
            double r = roundHalfAway(v[k] * (1 << ACT));
            q[k] = (short) (r >= Short.MAX_VALUE ? Short.MAX_VALUE : r <= Short.MIN_VALUE ? Short.MIN_VALUE : (int) r);
        }
        return q;
    }

    /**
     * {@code matvec} of FIXED_POINT.md §3 for rows {@code [row0, row0 + rows)} of a row-major {@code W}
     * ({@code cols} columns): {@code y[outOff + i] = requant16(b[row0 + i] + Σ_j W[row0 + i][j]·v[vOff + j], shift)}
     * with {@code shift = F_W + F_v − F_out}. A null bias is zero. Allocates nothing.
     */
    public static void matvec(short[] w, int cols, int row0, int rows, int[] bias, short[] v, int vOff, int shift,
                              short[] y, int outOff) {
        for (int i = 0; i < rows; i++) {
            int r = row0 + i;
            long acc = bias == null ? 0 : bias[r];
            int base = r * cols;
            for (int j = 0; j < cols; j++) {
                acc += w[base + j] * v[vOff + j];
            }
            y[outOff + i] = requant16(acc, shift);
        }
    }

    /**
     * Worst-case accumulator magnitude of a matvec, {@code max_i (|b_i| + Σ_j |W_ij|·vmax)}, to check the 48-bit
     * bound at load time.
     */
    public static long worstCaseAccumulator(short[] w, int rows, int cols, int[] bias, long vMaxAbs) {
        long worst = 0;
        for (int i = 0; i < rows; i++) {
            long s = bias == null ? 0 : Math.abs((long) bias[i]);
            for (int j = 0; j < cols; j++) {
                s += Math.abs((long) w[i * cols + j]) * vMaxAbs;
            }
            worst = Math.max(worst, s);
        }
        return worst;
    }
}
