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
        this.b = b;
        this.useBundle = useBundle;
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
