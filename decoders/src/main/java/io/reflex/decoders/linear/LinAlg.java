package io.reflex.decoders.linear;

/**
 * Small dense linear algebra on row-major {@code double[]} matrices, for the linear decoders.
 *
 * <p>Every routine works in caller-supplied arrays and allocates nothing, so the decoders can use the small ones
 * (d×d with d the state size) on the hot path. The factorisations report failure through their return value
 * instead of throwing, because a singular matrix on the hot path is a {@code NUMERIC_FAULT}, not an exception.
 */
final class LinAlg {
    /**
     * A pivot smaller than this fraction of the largest diagonal (Cholesky) or column entry (LU) counts as zero:
     * below it the solution is dominated by rounding, and a clear "singular" error is more useful than a fit
     * with 1e12-sized coefficients.
     */
    static final double RELATIVE_PIVOT_TOLERANCE = 1e-13;

    private LinAlg() {
    }

    /** {@code c[m×n] = a[m×k] · b[k×n]}; {@code c} must not alias {@code a} or {@code b}. */
    static void multiply(double[] a, double[] b, double[] c, int m, int k, int n) {
        for (int i = 0; i < m; i++) {
            final int ci = i * n;
            for (int j = 0; j < n; j++) {
                c[ci + j] = 0;
            }
            final int ai = i * k;
            for (int p = 0; p < k; p++) {
                final double aip = a[ai + p];
                final int bp = p * n;
                for (int j = 0; j < n; j++) {
                    c[ci + j] += aip * b[bp + j];
                }
            }
        }
    }

    /** {@code c[m×n] = a[m×k] · b[n×k]ᵀ}; {@code c} must not alias {@code a} or {@code b}. */
    static void multiplyTransposeB(double[] a, double[] b, double[] c, int m, int k, int n) {
        for (int i = 0; i < m; i++) {
            final int ai = i * k;
            for (int j = 0; j < n; j++) {
                final int bj = j * k;
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += a[ai + p] * b[bj + p];
                }
                c[i * n + j] = s;
            }
        }
    }

    /** {@code y[m] = a[m×n] · x[n]}; {@code y} must not alias {@code x}. */
    static void multiplyVector(double[] a, double[] x, double[] y, int m, int n) {
        for (int i = 0; i < m; i++) {
            final int ai = i * n;
            double s = 0;
            for (int j = 0; j < n; j++) {
                s += a[ai + j] * x[j];
            }
            y[i] = s;
        }
    }

    /**
     * In-place Cholesky factorisation {@code a = L·Lᵀ} of a symmetric positive-definite n×n matrix; only the lower
     * triangle is read, and on success the lower triangle holds L (the strict upper triangle is zeroed).
     *
     * @return false when a pivot is not positive or falls below {@link #RELATIVE_PIVOT_TOLERANCE} times the
     *         largest diagonal entry (the matrix is singular or not positive definite); {@code a} is then garbage
     */
    static boolean cholesky(double[] a, int n) {
        double maxDiag = 0;
        for (int i = 0; i < n; i++) {
            maxDiag = Math.max(maxDiag, Math.abs(a[i * n + i]));
        }
        final double tolerance = RELATIVE_PIVOT_TOLERANCE * maxDiag;
        if (!(maxDiag > 0) || !Double.isFinite(maxDiag)) {
            return false;
        }
        for (int j = 0; j < n; j++) {
            final int rj = j * n;
            double d = a[rj + j];
            for (int p = 0; p < j; p++) {
                d -= a[rj + p] * a[rj + p];
            }
            if (!(d > tolerance)) {
                return false;
            }
            final double ljj = Math.sqrt(d);
            a[rj + j] = ljj;
            final double inv = 1.0 / ljj;
            for (int i = j + 1; i < n; i++) {
                final int ri = i * n;
                double s = a[ri + j];
                for (int p = 0; p < j; p++) {
                    s -= a[ri + p] * a[rj + p];
                }
                a[ri + j] = s * inv;
            }
            for (int i = 0; i < j; i++) {
                a[i * n + j] = 0;
            }
        }
        return true;
    }

    /**
     * Solves {@code L·Lᵀ·X = B} in place for the n×r right-hand sides {@code b} (row-major, r columns), given the
     * factor from {@link #cholesky}.
     */
    static void choleskySolve(double[] l, int n, double[] b, int r) {
        for (int i = 0; i < n; i++) {
            final int li = i * n;
            for (int c = 0; c < r; c++) {
                double s = b[i * r + c];
                for (int p = 0; p < i; p++) {
                    s -= l[li + p] * b[p * r + c];
                }
                b[i * r + c] = s / l[li + i];
            }
        }
        for (int i = n - 1; i >= 0; i--) {
            for (int c = 0; c < r; c++) {
                double s = b[i * r + c];
                for (int p = i + 1; p < n; p++) {
                    s -= l[p * n + i] * b[p * r + c];
                }
                b[i * r + c] = s / l[i * n + i];
            }
        }
    }

    /**
     * In-place LU factorisation with partial (row) pivoting, {@code P·a = L·U}; L has a unit diagonal and is stored
     * below it, U on and above it; {@code pivots[i]} is the original row now at row i.
     *
     * @return false when a column has no pivot above {@link #RELATIVE_PIVOT_TOLERANCE} times the largest absolute
     *         entry of the matrix (singular to working precision)
     */
    static boolean lu(double[] a, int n, int[] pivots) {
        double maxAbs = 0;
        for (int i = 0; i < n * n; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(a[i]));
        }
        if (!(maxAbs > 0) || !Double.isFinite(maxAbs)) {
            return false;
        }
        final double tolerance = RELATIVE_PIVOT_TOLERANCE * maxAbs;
        for (int i = 0; i < n; i++) {
            pivots[i] = i;
        }
        for (int k = 0; k < n; k++) {
            int best = k;
            double bestAbs = Math.abs(a[k * n + k]);
            for (int i = k + 1; i < n; i++) {
                final double v = Math.abs(a[i * n + k]);
                if (v > bestAbs) {
                    bestAbs = v;
                    best = i;
                }
            }
            if (!(bestAbs > tolerance)) {
                return false;
            }
            if (best != k) {
                for (int j = 0; j < n; j++) {
                    final double t = a[k * n + j];
                    a[k * n + j] = a[best * n + j];
                    a[best * n + j] = t;
                }
                final int t = pivots[k];
                pivots[k] = pivots[best];
                pivots[best] = t;
            }
            final double inv = 1.0 / a[k * n + k];
            for (int i = k + 1; i < n; i++) {
                final double f = a[i * n + k] * inv;
                a[i * n + k] = f;
                if (f != 0) {
                    for (int j = k + 1; j < n; j++) {
                        a[i * n + j] -= f * a[k * n + j];
                    }
                }
            }
        }
        return true;
    }

    /**
     * Solves {@code a·X = B} for the n×r right-hand sides given the factors of {@link #lu}; the solution goes to
     * {@code x} (n×r), which must not alias {@code b}.
     */
    static void luSolve(double[] lu, int n, int[] pivots, double[] b, double[] x, int r) {
        for (int i = 0; i < n; i++) {
            final int src = pivots[i] * r;
            for (int c = 0; c < r; c++) {
                double s = b[src + c];
                for (int p = 0; p < i; p++) {
                    s -= lu[i * n + p] * x[p * r + c];
                }
                x[i * r + c] = s;
            }
        }
        for (int i = n - 1; i >= 0; i--) {
            for (int c = 0; c < r; c++) {
                double s = x[i * r + c];
                for (int p = i + 1; p < n; p++) {
                    s -= lu[i * n + p] * x[p * r + c];
                }
                x[i * r + c] = s / lu[i * n + i];
            }
        }
    }

    /**
     * Inverts the n×n matrix {@code a} into {@code inverse} by LU with partial pivoting; {@code work} (n×n) and
     * {@code pivots} (n) are scratch; {@code a} is left intact.
     *
     * @return false when {@code a} is singular to working precision
     */
    static boolean invert(double[] a, double[] inverse, double[] work, int[] pivots, int n) {
        System.arraycopy(a, 0, work, 0, n * n);
        if (!lu(work, n, pivots)) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < n; c++) {
                inverse[i * n + c] = 0;
            }
        }
        // Solve column by column against the identity, written straight into inverse.
        for (int i = 0; i < n; i++) {
            final int row = i;
            for (int c = 0; c < n; c++) {
                double s = pivots[row] == c ? 1.0 : 0.0;
                for (int p = 0; p < row; p++) {
                    s -= work[row * n + p] * inverse[p * n + c];
                }
                inverse[row * n + c] = s;
            }
        }
        for (int i = n - 1; i >= 0; i--) {
            for (int c = 0; c < n; c++) {
                double s = inverse[i * n + c];
                for (int p = i + 1; p < n; p++) {
                    s -= work[i * n + p] * inverse[p * n + c];
                }
                inverse[i * n + c] = s / work[i * n + i];
            }
        }
        return true;
    }

    /** Replaces the n×n matrix {@code a} by {@code (a + aᵀ)/2}, removing the asymmetry rounding adds to covariances. */
    static void symmetrize(double[] a, int n) {
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                final double v = 0.5 * (a[i * n + j] + a[j * n + i]);
                a[i * n + j] = v;
                a[j * n + i] = v;
            }
        }
    }

    /** True when the first {@code n} values are all finite. */
    static boolean allFinite(double[] a, int n) {
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(a[i])) {
                return false;
            }
        }
        return true;
    }
}
