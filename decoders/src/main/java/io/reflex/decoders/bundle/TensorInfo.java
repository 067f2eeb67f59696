package io.reflex.decoders.bundle;

import java.util.Arrays;

/**
 * Manifest entry of one tensor.
 *
 * @param name     tensor name (file {@code tensors/<name>.bin})
 * @param dtype    element type
 * @param shape    dimensions, row-major; an empty shape is a scalar
 * @param sha256   lower-case hex SHA-256 of the tensor file
 * @param fracBits fractional bits of a fixed-point tensor, or {@link #NO_FRAC_BITS}
 */
public record TensorInfo(String name, DType dtype, int[] shape, String sha256, int fracBits) {

    /** {@link #fracBits()} of a tensor that is not fixed point. */
    public static final int NO_FRAC_BITS = Integer.MIN_VALUE;

    public TensorInfo {
        shape = shape.clone();
    }

    /** Copy of the shape. */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i}. */
    public int dim(int i) {
        return shape[i];
    }

    /** Number of elements (product of the shape; 1 for a scalar). */
    public long elementCount() {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /** True when the manifest gives {@code frac_bits}. */
    public boolean hasFracBits() {
        return fracBits != NO_FRAC_BITS;
    }

    /** Shape as text, e.g. {@code [192, 137]}. */
    public String shapeString() {
        return Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && sha256.equals(t.sha256) && fracBits == t.fracBits;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype.jsonName() + shapeString() + (hasFracBits() ? " Q" + fracBits : "");
    }
}
