package io.reflex.decoders.snn;

import java.util.Arrays;

/**
 * Deterministic random network recipe (a Context: fluent setters, {@link #conclude()}, then {@link #generate()}).
 *
 * <p>The recipe, reproducible from its fields alone with {@link SplitMix64} seeded by {@code seed}:
 * <pre>
 * p_rec = recurrentFanIn / (N − 1)   (0 when N = 1);  p_in = inputFanIn / M   (0 when M = 0)
 * T(p)  = floor(p · 2^53)
 * for i in 0 .. N−1:                                  # post-synaptic row, ascending
 *     for c in 0 .. N−1, c ≠ i:  if next53() &lt; T(p_rec): add (i, c,     nextInt(recWMin, recWMax))
 *     for k in 0 .. M−1:         if next53() &lt; T(p_in):  add (i, N + k, nextInt(inWMin, inWMax))
 * for i in 0 .. N−1:  b_i = nextInt(biasMin, biasMax)
 * </pre>
 * so each row has on average {@code recurrentFanIn} recurrent and {@code inputFanIn} input synapses (binomial),
 * columns ascending within a row, no self synapses. Weights are uniform integers in the given ranges.
 */
public final class NetworkGenerator {
    private int neuronCount = 1024;
    private int inputCount = 96;
    private double recurrentFanIn = 64;
    private double inputFanIn = 8;
    private int recWMin = -2048;
    private int recWMax = 2048;
    private int inWMin = 0;
    private int inWMax = 8192;
    private int biasMin = 0;
    private int biasMax = 0;
    private long seed = 1;
    private boolean concluded;

    /** Neurons N in [1, 65536]. */
    public NetworkGenerator neuronCount(int value) {
        neuronCount = value;
        return this;
    }

    /** Input channels M in [0, 65536]. */
    public NetworkGenerator inputCount(int value) {
        inputCount = value;
        return this;
    }

    /** Mean recurrent synapses per neuron, in [0, N − 1]. */
    public NetworkGenerator recurrentFanIn(double value) {
        recurrentFanIn = value;
        return this;
    }

    /** Mean input synapses per neuron, in [0, M]. */
    public NetworkGenerator inputFanIn(double value) {
        inputFanIn = value;
        return this;
    }

    /** Recurrent weight range (int16, inclusive). */
    public NetworkGenerator recurrentWeights(int min, int max) {
        recWMin = min;
        recWMax = max;
        return this;
    }

    /** Input weight range (int16, inclusive). */
    public NetworkGenerator inputWeights(int min, int max) {
        inWMin = min;
        inWMax = max;
        return this;
    }

    /** Bias range (int32, inclusive). */
    public NetworkGenerator biases(int min, int max) {
        biasMin = min;
        biasMax = max;
        return this;
    }

    /** Seed of the {@link SplitMix64} stream. */
    public NetworkGenerator seed(long value) {
        seed = value;
        return this;
    }

    /** Validates every field; idempotent. */
    public NetworkGenerator conclude() {
        if (concluded) {
            return this;
        }
        if (neuronCount < 1 || neuronCount > 65536) {
            throw new IllegalArgumentException("neuronCount must be in [1, 65536], got " + neuronCount);
        }
        if (inputCount < 0 || inputCount > 65536) {
            throw new IllegalArgumentException("inputCount must be in [0, 65536], got " + inputCount);
        }
        if (!(recurrentFanIn >= 0 && recurrentFanIn <= neuronCount - 1)) {
            throw new IllegalArgumentException("recurrentFanIn must be in [0, " + (neuronCount - 1) + "], got "
                + recurrentFanIn);
        }
        if (!(inputFanIn >= 0 && inputFanIn <= inputCount)) {
            throw new IllegalArgumentException("inputFanIn must be in [0, " + inputCount + "], got " + inputFanIn);
        }
        checkRange("recurrentWeights", recWMin, recWMax, Short.MIN_VALUE, Short.MAX_VALUE);
        checkRange("inputWeights", inWMin, inWMax, Short.MIN_VALUE, Short.MAX_VALUE);
        checkRange("biases", biasMin, biasMax, Integer.MIN_VALUE, Integer.MAX_VALUE);
        concluded = true;
        return this;
    }

    private static void checkRange(String field, long min, long max, long lo, long hi) {
        if (min < lo || max > hi || min > max) {
            throw new IllegalArgumentException(field + " must satisfy " + lo + " <= min <= max <= " + hi
                + ", got [" + min + ", " + max + "]");
        }
    }

    /** The network of this recipe. */
    public Network generate() {
        conclude();
        int n = neuronCount;
        int m = inputCount;
        SplitMix64 rng = new SplitMix64(seed);
        long tRec = n > 1 ? (long) Math.floor(recurrentFanIn / (n - 1) * 9007199254740992.0) : 0;
        long tIn = m > 0 ? (long) Math.floor(inputFanIn / m * 9007199254740992.0) : 0;
        int[] rowPtr = new int[n + 1];
        int cap = (int) Math.min(Integer.MAX_VALUE - 8, (long) Math.ceil(n * (recurrentFanIn + inputFanIn) * 1.2) + 64);
        int[] col = new int[cap];
        short[] w = new short[cap];
        int nnz = 0;
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < n; c++) {
                if (c == i) {
                    continue;
                }
                if (rng.next53() < tRec) {
                    if (nnz == col.length) {
                        col = Arrays.copyOf(col, col.length * 2);
                        w = Arrays.copyOf(w, w.length * 2);
                    }
                    col[nnz] = c;
                    w[nnz++] = (short) rng.nextInt(recWMin, recWMax);
                }
            }
            for (int k = 0; k < m; k++) {
                if (rng.next53() < tIn) {
                    if (nnz == col.length) {
                        col = Arrays.copyOf(col, col.length * 2);
                        w = Arrays.copyOf(w, w.length * 2);
                    }
                    col[nnz] = n + k;
                    w[nnz++] = (short) rng.nextInt(inWMin, inWMax);
                }
            }
            rowPtr[i + 1] = nnz;
        }
        int[] bias = new int[n];
        for (int i = 0; i < n; i++) {
            bias[i] = rng.nextInt(biasMin, biasMax);
        }
        return new Network(new SynapseMatrix(n, m, rowPtr, Arrays.copyOf(col, nnz), Arrays.copyOf(w, nnz)), bias);
    }

    /** A generated network: connectivity and biases. */
    public record Network(SynapseMatrix synapses, int[] bias) {
    }
}
