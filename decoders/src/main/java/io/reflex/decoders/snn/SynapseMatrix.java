package io.reflex.decoders.snn;

import java.util.Arrays;

/**
 * Sparse connectivity of a LIF population in CSR over post-synaptic rows (decoders/FIXED_POINT.md §7), plus its
 * transpose for event-driven delivery.
 *
 * <p>Row {@code i} holds the synapses onto neuron {@code i}: entries {@code rowPtr[i] .. rowPtr[i+1]-1} of
 * {@code col} and {@code w}. A column {@code c < neuronCount} is a recurrent synapse from neuron {@code c}; a
 * column {@code neuronCount + k} is an input synapse from input channel {@code k}. Duplicate and self synapses
 * are allowed (they add). Weights are int16.
 *
 * <p>The transpose lists, for every pre-synaptic source {@code p}, the post neurons it reaches and a copy of the
 * weights in that order, so that a spike of {@code p} is delivered by one contiguous scan. Both copies are kept
 * equal by {@link #setWeight}; summation order does not change an exact integer sum, so delivery through either
 * gives the same result.
 */
public final class SynapseMatrix {
    private final int neuronCount;
    private final int inputCount;
    private final int[] rowPtr;
    private final int[] col;
    private final short[] w;

    private final int[] tPtr;
    private final int[] tPost;
    private final int[] tEdge;
    private final short[] tW;
    private final int[] edgeToT;

    /**
     * Builds the matrix and its transpose; the arrays are copied.
     *
     * @throws IllegalArgumentException naming the array and index when the CSR is malformed
     */
    public SynapseMatrix(int neuronCount, int inputCount, int[] rowPtr, int[] col, short[] w) {
        if (neuronCount < 1) {
            throw new IllegalArgumentException("neuronCount must be >= 1, got " + neuronCount);
        }
        if (inputCount < 0) {
            throw new IllegalArgumentException("inputCount must be >= 0, got " + inputCount);
        }
        if (rowPtr.length != neuronCount + 1) {
            throw new IllegalArgumentException("row_ptr length must be neuronCount + 1 = " + (neuronCount + 1)
                + ", got " + rowPtr.length);
        }
        if (rowPtr[0] != 0) {
            throw new IllegalArgumentException("row_ptr[0] must be 0, got " + rowPtr[0]);
        }
        for (int i = 0; i < neuronCount; i++) {
            if (rowPtr[i + 1] < rowPtr[i]) {
                throw new IllegalArgumentException("row_ptr must be non-decreasing, row_ptr[" + (i + 1) + "] = "
                    + rowPtr[i + 1] + " < row_ptr[" + i + "] = " + rowPtr[i]);
            }
        }
        int nnz = rowPtr[neuronCount];
        if (col.length != nnz || w.length != nnz) {
            throw new IllegalArgumentException("col and w must have row_ptr[N] = " + nnz + " entries, got col "
                + col.length + ", w " + w.length);
        }
        int sources = neuronCount + inputCount;
        for (int e = 0; e < nnz; e++) {
            if (col[e] < 0 || col[e] >= sources) {
                throw new IllegalArgumentException("col[" + e + "] must be in [0, " + sources + "), got " + col[e]);
            }
        }
        this.neuronCount = neuronCount;
        this.inputCount = inputCount;
        this.rowPtr = rowPtr.clone();
        this.col = col.clone();
        this.w = w.clone();

        tPtr = new int[sources + 1];
        for (int e = 0; e < nnz; e++) {
            tPtr[col[e] + 1]++;
        }
        for (int p = 0; p < sources; p++) {
            tPtr[p + 1] += tPtr[p];
        }
        tPost = new int[nnz];
        tEdge = new int[nnz];
        tW = new short[nnz];
        edgeToT = new int[nnz];
        int[] fill = Arrays.copyOf(tPtr, sources);
        for (int i = 0; i < neuronCount; i++) {
            for (int e = rowPtr[i]; e < rowPtr[i + 1]; e++) {
                int t = fill[col[e]]++;
                tPost[t] = i;
                tEdge[t] = e;
                tW[t] = w[e];
                edgeToT[e] = t;
            }
        }
    }

    /** Number of neurons N (rows). */
    public int neuronCount() {
        return neuronCount;
    }

    /** Number of input channels M; columns N .. N+M-1. */
    public int inputCount() {
        return inputCount;
    }

    /** Number of synapses. */
    public int synapseCount() {
        return rowPtr[neuronCount];
    }

    /** First synapse of row {@code i}. */
    public int rowStart(int i) {
        return rowPtr[i];
    }

    /** One past the last synapse of row {@code i}. */
    public int rowEnd(int i) {
        return rowPtr[i + 1];
    }

    /** Pre-synaptic column of synapse {@code e}. */
    public int col(int e) {
        return col[e];
    }

    /** Weight of synapse {@code e} (CSR order). */
    public short weight(int e) {
        return w[e];
    }

    /** Sets the weight of synapse {@code e} in both the CSR and the transposed copy. */
    public void setWeight(int e, short value) {
        w[e] = value;
        tW[edgeToT[e]] = value;
    }

    /** A copy of {@code row_ptr}. */
    public int[] rowPtrCopy() {
        return rowPtr.clone();
    }

    /** A copy of {@code col}. */
    public int[] colCopy() {
        return col.clone();
    }

    /** A copy of the weights in CSR order. */
    public short[] weightsCopy() {
        return w.clone();
    }

    /** A deep copy (weights included), e.g. to run STDP on one copy and keep the other. */
    public SynapseMatrix copy() {
        return new SynapseMatrix(neuronCount, inputCount, rowPtr, col, w);
    }

    // Package-private views for the population's hot loops (no copies).
    int[] rowPtr() {
        return rowPtr;
    }

    int[] col() {
        return col;
    }

    short[] w() {
        return w;
    }

    int[] tPtr() {
        return tPtr;
    }

    int[] tPost() {
        return tPost;
    }

    int[] tEdge() {
        return tEdge;
    }

    short[] tW() {
        return tW;
    }
}
