package io.reflex.decoders.fixed;

import io.reflex.decoders.bundle.BundleException;
import io.reflex.decoders.bundle.ModelBundle;

/**
 * The two activation tables of decoders/FIXED_POINT.md §4: 4096 int16 entries in Q14 over the Q10
 * pre-activation domain [-8, 8) with step 2^-8, sampled at bin centres and computed in float64.
 */
public final class ActivationLuts {

    private static final short[] SIGMOID = build(true);
    private static final short[] TANH = build(false);

    private ActivationLuts() {
    }

    private static short[] build(boolean sigmoid) {
        short[] t = new short[FixedPoint.LUT_N];
        for (int i = 0; i < t.length; i++) {
            double p = -8.0 + (i + 0.5) * 0x1p-8;
            double y = sigmoid ? 1.0 / (1.0 + Math.exp(-p)) : Math.tanh(p);
            t[i] = (short) FixedPoint.roundHalfAway(y * FixedPoint.GATE_ONE);
        }
        return t;
    }

    /** A fresh copy of {@code lut_sigmoid} per the definition. */
    public static short[] sigmoid() {
        return SIGMOID.clone();
    }

    /** A fresh copy of {@code lut_tanh} per the definition. */
    public static short[] tanh() {
        return TANH.clone();
    }

    /**
     * {@code index(p) = clamp((p + 8·2^PRE) >> (PRE − 8), 0, LUT_N − 1)} for a Q10 pre-activation sum {@code p}.
     */
    public static int index(int p) {
        int i = (p + (8 << FixedPoint.PRE)) >> (FixedPoint.PRE - 8);
        return i < 0 ? 0 : i >= FixedPoint.LUT_N ? FixedPoint.LUT_N - 1 : i;
    }

    /** Table value {@code lut_sigmoid[index(p)]} (Q14). */
    public static int sigmoidAt(int p) {
        return SIGMOID[index(p)];
    }

    /** Table value {@code lut_tanh[index(p)]} (Q14). */
    public static int tanhAt(int p) {
        return TANH[index(p)];
    }

    /**
     * Checks the bundle's {@code arithmetic} section (version 1 constants) and that its {@code lut_sigmoid} and
     * {@code lut_tanh} tensors equal the definition entry for entry.
     *
     * @throws BundleException naming the key or the tensor and the first differing index
     */
    public static void verify(ModelBundle bundle) {
        if (!bundle.hasSection("arithmetic")) {
            throw new BundleException(bundle.source() + ": no 'arithmetic' section; the bundle carries no fixed-point "
                    + "model");
        }
        expect(bundle, "fixed_point_version", FixedPoint.VERSION);
        expect(bundle, "act_frac", FixedPoint.ACT);
        expect(bundle, "pre_frac", FixedPoint.PRE);
        expect(bundle, "gate_frac", FixedPoint.GATE);
        expect(bundle, "lut_n", FixedPoint.LUT_N);
        check(bundle, "lut_sigmoid", SIGMOID);
        check(bundle, "lut_tanh", TANH);
    }

    private static void expect(ModelBundle bundle, String key, int value) {
        int v = bundle.sectionInt("arithmetic", key);
        if (v != value) {
            throw new BundleException(bundle.source() + ": arithmetic." + key + " is " + v + "; fixed-point version "
                    + FixedPoint.VERSION + " needs " + value);
        }
    }

    private static void check(ModelBundle bundle, String tensor, short[] expected) {
        bundle.requireShape(tensor, FixedPoint.LUT_N);
        short[] t = bundle.int16(tensor);
        for (int i = 0; i < t.length; i++) {
            if (t[i] != expected[i]) {
                throw BundleException.forTensor(tensor, "entry " + i + " is " + t[i] + " but FIXED_POINT.md §4 defines "
                        + expected[i]);
            }
        }
    }
}
