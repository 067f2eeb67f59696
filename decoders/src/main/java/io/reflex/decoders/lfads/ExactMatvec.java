package io.reflex.decoders.lfads;

import java.util.Arrays;

/**
 * The exact integer sums {@code s_i = Σ_j W_ij·v_j} of an int16 matrix and an int16 vector (the accumulator of
 * decoders/FIXED_POINT.md §3 without its bias), computed in {@code int} arithmetic that C2 vectorises.
 *
 * <p>Why it is exact: a single int16·int16 product can reach 2^30, so an int accumulator could overflow after a few
 * terms. Each call therefore cuts the columns into chunks whose worst case fits in int, using the actual input:
 * with {@code m_j = max_i |W_ij|} (computed at load), column {@code j} adds at most {@code m_j·|v_j| ≤ 2^30} to any
 * row, so a chunk is extended while {@code Σ m_j·|v_j| ≤ 2^31 − 1}. Inside a chunk every partial sum, in any order,
 * is then an exact int. Between chunks the int sums are moved ("flushed") into two int accumulators that hold
 * their low 16 bits and their arithmetic high part separately ({@code p = 65536·(p >> 16) + (p & 0xFFFF)}), which
 * cannot overflow for fewer than 32768 flushes (at most one per column; matrices are limited to 32767 columns).
 * The row sum is {@code 65536·hi + lo + acc} in long. The result equals the long accumulator of
 * {@code FixedPoint.matvec} bit for bit for every input (checked by {@code ExactMatvecTest}, {@code FixedLinearTest}
 * and {@code FixedGruTest} with extreme values, where every chunk is a single column). With the random-initialised
 * benchmark models ({@code LfadsBenchmark}) the causal step never flushes (0 flushes in 5000 MC_Maze-sized steps)
 * and an MC_Maze-sized trial flushes once in its ≈ 830 matvecs; inputs and weights near full scale need more.
 *
 * <p>Layout: one int array per column ({@code acc += W[:, j]·v_j}), each starting at index 0, the form C2 on
 * JDK 17 vectorises (it vectorises neither a flat array with a column offset nor the short→int widening of a
 * {@code short[]} load). Int weights are half the bytes of the exact-double form used before, and an int
 * multiply-add handles twice the lanes of a double one. Owns its scratch buffers; allocates nothing per call.
 */
final class ExactMatvec {

    /** The largest worst-case sum a chunk may have. */
    private static final long CHUNK_LIMIT = Integer.MAX_VALUE;

    /** Column limit that keeps the flush accumulators exact (one flush per column at most). */
    static final int MAX_COLS = Short.MAX_VALUE;

    final int rows;
    final int cols;
    private final int[][] columns;
    private final int[] colMax;
    private final int[] acc;
    private final int[] flushHi;
    private final int[] flushLo;
    private final int[] nonZero;
    private boolean flushed;

    /**
     * @param w    row-major int16 {@code [·][cols]}
     * @param cols columns, at most {@link #MAX_COLS}
     * @param row0 first row used
     * @param rows rows used ({@code [row0, row0 + rows)})
     */
    ExactMatvec(short[] w, int cols, int row0, int rows) {
        if (cols > MAX_COLS) {
            throw new IllegalArgumentException("matrix has " + cols + " columns, at most " + MAX_COLS + " allowed");
        }
        this.rows = rows;
        this.cols = cols;
        this.columns = new int[cols][rows];
        this.colMax = new int[cols];
        for (int j = 0; j < cols; j++) {
            int[] c = columns[j];
            int m = 0;
            for (int i = 0; i < rows; i++) {
                c[i] = w[(row0 + i) * cols + j];
                m = Math.max(m, Math.abs(c[i]));
            }
            colMax[j] = m;
        }
        this.acc = new int[rows];
        this.flushHi = new int[rows];
        this.flushLo = new int[rows];
        this.nonZero = new int[cols];
    }

    /** Exact {@code Σ_j W_ij·v[vOff + j]} of row {@code i} of the last {@link #dense} or {@link #sparse} call. */
    long sum(int i) {
        return flushed ? ((long) flushHi[i] << 16) + flushLo[i] + acc[i] : acc[i];
    }

    /** Computes the sums for a dense input (activations): four columns per pass. */
    void dense(short[] v, int vOff) {
        run(v, vOff, false);
    }

    /** Computes the sums for an input that is mostly zero (spike counts): zero columns are skipped. */
    void sparse(short[] v, int vOff) {
        run(v, vOff, true);
    }

    private void run(short[] v, int vOff, boolean skipZeros) {
        Arrays.fill(acc, 0);
        flushed = false;
        int j = 0;
        while (j < cols) {
            // Extend the chunk while its worst case fits in int; one column alone always does (≤ 2^30).
            int end = j;
            long bound = 0;
            while (end < cols) {
                bound += (long) colMax[end] * Math.abs(v[vOff + end]);
                if (bound > CHUNK_LIMIT) {
                    break;
                }
                end++;
            }
            if (skipZeros) {
                sparseChunk(v, vOff, j, end);
            } else {
                denseChunk(v, vOff, j, end);
            }
            j = end;
            if (j < cols) {
                flush();
            }
        }
    }

    private void sparseChunk(short[] v, int vOff, int j0, int j1) {
        // Gather the non-zero columns, then add them four per pass as in denseChunk.
        final int[] idx = nonZero;
        int k = 0;
        for (int j = j0; j < j1; j++) {
            if (v[vOff + j] != 0) {
                idx[k++] = j;
            }
        }
        final int n = rows;
        final int[] a = acc;
        int q = 0;
        for (; q + 3 < k; q += 4) {
            int v0 = v[vOff + idx[q]];
            int v1 = v[vOff + idx[q + 1]];
            int v2 = v[vOff + idx[q + 2]];
            int v3 = v[vOff + idx[q + 3]];
            int[] c0 = columns[idx[q]];
            int[] c1 = columns[idx[q + 1]];
            int[] c2 = columns[idx[q + 2]];
            int[] c3 = columns[idx[q + 3]];
            for (int i = 0; i < n; i++) {
                a[i] += (c0[i] * v0 + c1[i] * v1) + (c2[i] * v2 + c3[i] * v3);
            }
        }
        for (; q < k; q++) {
            int vj = v[vOff + idx[q]];
            int[] c = columns[idx[q]];
            for (int i = 0; i < n; i++) {
                a[i] += c[i] * vj;
            }
        }
    }

    private void denseChunk(short[] v, int vOff, int j0, int j1) {
        final int n = rows;
        final int[] a = acc;
        int j = j0;
        for (; j + 3 < j1; j += 4) {
            int v0 = v[vOff + j];
            int v1 = v[vOff + j + 1];
            int v2 = v[vOff + j + 2];
            int v3 = v[vOff + j + 3];
            int[] c0 = columns[j];
            int[] c1 = columns[j + 1];
            int[] c2 = columns[j + 2];
            int[] c3 = columns[j + 3];
            for (int i = 0; i < n; i++) {
                a[i] += (c0[i] * v0 + c1[i] * v1) + (c2[i] * v2 + c3[i] * v3);
            }
        }
        for (; j < j1; j++) {
            int vj = v[vOff + j];
            int[] c = columns[j];
            for (int i = 0; i < n; i++) {
                a[i] += c[i] * vj;
            }
        }
    }

    /** Moves the chunk's int sums into the 16-bit-split accumulators (exact, vectorised) and clears them. */
    private void flush() {
        final int n = rows;
        final int[] a = acc;
        final int[] hi = flushHi;
        final int[] lo = flushLo;
        if (!flushed) {
            Arrays.fill(hi, 0);
            Arrays.fill(lo, 0);
            flushed = true;
        }
        for (int i = 0; i < n; i++) {
            int p = a[i];
            hi[i] += p >> 16;
            lo[i] += p & 0xFFFF;
            a[i] = 0;
        }
    }
}
