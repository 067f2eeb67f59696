package io.reflex.decoders.lfads;

import io.reflex.decoders.bundle.BundleException;
import io.reflex.decoders.bundle.DType;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.fixed.FixedPoint;

/**
 * Fixed-point tensors of an LFADS bundle: the exporter's {@code <name>:q} copies when the bundle has them
 * (checked for dtype, shape and {@code frac_bits}), otherwise quantised here from the float32 tensor by the same
 * rules (decoders/FIXED_POINT.md §2). Public so that the kernel images of fpga-driver pack exactly the integers
 * the golden model {@link LfadsFixed} computes with.
 */
public final class QuantSource {

    /** A quantised weight matrix, row-major, with its fraction bits. */
    public record Weight(short[] values, int fracBits) {
    }

    private final ModelBundle b;
    private final boolean useBundle;

    /**
     * @param useBundle true to read the {@code :q} tensors (required to exist), false to quantise the float tensors
     */
    public QuantSource(ModelBundle b, boolean useBundle) {
        if (useBundle) {
            verifyQuantisedCopies(b);
        }
        this.b = b;
        this.useBundle = useBundle;
    }

    /**
     * Refuses a bundle whose fixed-point copies are not the quantisation of its float tensors, so that a float32
     * and a fixed-point engine cannot silently run two different models. For every {@code <name>:q} tensor (int16
     * or int32 with {@code frac_bits} f) whose float tensor {@code <name>} is in the bundle, each value q must be the
     * float value w rounded at f (FIXED_POINT.md §2: round half away from zero, saturated to the integer type),
     * allowing for the float tensor being itself a float32 rounding of the exporter's value:
     * {@code |q - w·2^f| <= 1/2 + ulp(w)·2^f}, or q the saturated bound when w·2^f lies beyond it. Checksums do
     * not catch this: each tensor can be intact and still disagree with its twin.
     *
     * @throws BundleException naming the {@code :q} tensor, the element and both values
     */
    public static void verifyQuantisedCopies(ModelBundle b) {
        for (String q : b.tensorNames()) {
            if (!q.endsWith(LfadsTensors.Q)) {
                continue;
            }
            String name = q.substring(0, q.length() - LfadsTensors.Q.length());
            if (!b.hasTensor(name)) {
                continue;
            }
            DType dt = b.info(q).dtype();
            if (dt != DType.INT16 && dt != DType.INT32) {
                throw BundleException.forTensor(q, "dtype " + dt.jsonName() + ", expected int16 or int32");
            }
            int f = b.fracBits(q);
            if (f < 0 || f > 62) {
                throw BundleException.forTensor(q, "frac_bits " + f + " outside [0, 62]");
            }
            if (b.info(q).elementCount() != b.info(name).elementCount()) {
                throw BundleException.forTensor(q, b.info(q).elementCount() + " values, but its float tensor '"
                        + name + "' has " + b.info(name).elementCount());
            }
            boolean f32 = b.info(name).dtype() == DType.FLOAT32;
            double[] w = b.floatAsDouble(name);
            long[] v = new long[w.length];
            double lo = dt == DType.INT16 ? Short.MIN_VALUE : Integer.MIN_VALUE;
            double hi = dt == DType.INT16 ? Short.MAX_VALUE : Integer.MAX_VALUE;
            if (dt == DType.INT16) {
                short[] x = b.int16(q);
                for (int k = 0; k < x.length; k++) {
                    v[k] = x[k];
                }
            } else {
                int[] x = b.int32(q);
                for (int k = 0; k < x.length; k++) {
                    v[k] = x[k];
                }
            }
            double scale = Math.scalb(1.0, f);
            for (int k = 0; k < w.length; k++) {
                double exact = w[k] * scale;
                double tol = 0.5 + (f32 ? Math.ulp((float) w[k]) : Math.ulp(w[k])) * scale;
                double min = Math.max(lo, Math.min(hi, exact - tol));
                double max = Math.min(hi, Math.max(lo, exact + tol));
                if (!(v[k] >= Math.ceil(min - 1e-9) && v[k] <= Math.floor(max + 1e-9))) {
                    throw BundleException.forTensor(q, "element " + k + " is " + v[k] + " (" + v[k] / scale
                            + " at frac_bits " + f + ") but its float tensor '" + name + "' holds " + w[k]
                            + ", which quantises to " + (long) Math.max(lo, Math.min(hi,
                            FixedPoint.roundHalfAway(exact))) + ": the fixed-point and float copies of the model"
                            + " disagree");
                }
            }
        }
    }

    /** The bundle the tensors come from. */
    public ModelBundle bundle() {
        return b;
    }

    /** A {@code rows × cols} weight matrix. */
    public Weight weight(String name, int rows, int cols) {
        if (useBundle) {
            String q = name + LfadsTensors.Q;
            b.requireShape(q, rows, cols);
            requireDtype(q, DType.INT16);
            int f = b.fracBits(q);
            if (f < 0 || f > 15) {
                throw BundleException.forTensor(q, "frac_bits " + f + " outside [0, 15]");
            }
            return new Weight(b.int16(q), f);
        }
        b.requireShape(name, rows, cols);
        return quantiseWeight(b.floatAsDouble(name));
    }

    /** The kernel-normalised factor matrix: the bundle's {@code fac_norm:q}, or quantised from float64 Ŵ_fac. */
    public Weight facNorm(int fac, int gen) {
        if (useBundle) {
            return weight(LfadsTensors.FAC_NORM, fac, gen);
        }
        b.requireShape(LfadsTensors.FAC_LINEAR, fac, gen);
        return quantiseWeight(LfadsTensors.facNorm(b.floatAsDouble(LfadsTensors.FAC_LINEAR), fac, gen));
    }

    static Weight quantiseWeight(double[] w) {
        int f = FixedPoint.weightFracBits(w);
        return new Weight(FixedPoint.quantizeWeights(w, f), f);
    }

    /** An int32 bias at the accumulator scale {@code fracBits}. */
    public int[] bias(String name, int rows, int fracBits) {
        if (useBundle) {
            String q = name + LfadsTensors.Q;
            b.requireShape(q, rows);
            requireDtype(q, DType.INT32);
            if (b.fracBits(q) != fracBits) {
                throw BundleException.forTensor(q, "frac_bits " + b.fracBits(q) + " but the accumulator scale F_W + F_v is "
                        + fracBits);
            }
            return b.int32(q);
        }
        b.requireShape(name, rows);
        return FixedPoint.quantizeBias(b.floatAsDouble(name), fracBits);
    }

    /** An initial state in Q12: the bundle's {@code :q} copy or quantised here. */
    public short[] state(String name, long count) {
        if (useBundle && b.hasTensor(name + LfadsTensors.Q)) {
            String q = name + LfadsTensors.Q;
            b.requireElementCount(q, count);
            requireDtype(q, DType.INT16);
            if (b.fracBits(q) != FixedPoint.ACT) {
                throw BundleException.forTensor(q, "frac_bits " + b.fracBits(q) + ", states are Q" + FixedPoint.ACT);
            }
            return b.int16(q);
        }
        b.requireElementCount(name, count);
        double[] v = b.floatAsDouble(name);
        float[] asFloat = new float[v.length];
        double[] back = new double[v.length];
        for (int k = 0; k < v.length; k++) {
            asFloat[k] = (float) v[k];
            back[k] = asFloat[k];
        }
        return FixedPoint.quantizeState(back);
    }

    private void requireDtype(String name, DType dtype) {
        if (b.info(name).dtype() != dtype) {
            throw BundleException.forTensor(name, "dtype " + b.info(name).dtype().jsonName() + ", expected "
                    + dtype.jsonName());
        }
    }

    /** Refuses a matrix whose worst-case accumulator could exceed the 48-bit bound (FIXED_POINT.md §1). */
    static void checkAccumulator(ModelBundle b, String name, short[] w, int rows, int cols, int[] bias, long vMaxAbs) {
        long worst = FixedPoint.worstCaseAccumulator(w, rows, cols, bias, vMaxAbs);
        if (worst >= FixedPoint.ACC_LIMIT) {
            throw BundleException.forTensor(name, "worst-case accumulator " + worst + " exceeds 2^47");
        }
    }
}
