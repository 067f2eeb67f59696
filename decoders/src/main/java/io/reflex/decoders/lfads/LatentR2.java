package io.reflex.decoders.lfads;

/**
 * How well inferred factors explain a known latent state: fit {@code latent ≈ A·factors + c} by least squares on
 * training samples, then score held-out samples with R² per latent dimension (1 − SS_res/SS_tot about the test
 * mean), averaged over dimensions (as tools/python/lorenz_data.py {@code latent_r2}).
 */
public final class LatentR2 {

    private LatentR2() {
    }

    /**
     * @param trainX   {@code [nTrain][facDim]} row-major factors
     * @param trainY   {@code [nTrain][latDim]} row-major latents
     * @param testX    {@code [nTest][facDim]}
     * @param testY    {@code [nTest][latDim]}
     * @param facDim   columns of X
     * @param latDim   columns of Y
     * @return mean R² over the latent dimensions
     */
    public static double score(double[] trainX, double[] trainY, double[] testX, double[] testY, int facDim, int latDim) {
        double[] coef = fit(trainX, trainY, facDim, latDim);
        int p = facDim + 1;
        int n = testX.length / facDim;
        double total = 0;
        for (int k = 0; k < latDim; k++) {
            double mean = 0;
            for (int i = 0; i < n; i++) {
                mean += testY[i * latDim + k];
            }
            mean /= n;
            double ssRes = 0;
            double ssTot = 0;
            for (int i = 0; i < n; i++) {
                double pred = coef[facDim * latDim + k];
                for (int j = 0; j < facDim; j++) {
                    pred += testX[i * facDim + j] * coef[j * latDim + k];
                }
                double y = testY[i * latDim + k];
                ssRes += (y - pred) * (y - pred);
                ssTot += (y - mean) * (y - mean);
            }
            total += 1.0 - ssRes / ssTot;
        }
        return total / latDim;
    }

    /** Least-squares coefficients {@code [(facDim + 1)][latDim]} (last row: intercept), normal equations. */
    static double[] fit(double[] x, double[] y, int facDim, int latDim) {
        int p = facDim + 1;
        int n = x.length / facDim;
        double[] a = new double[p * p];
        double[] rhs = new double[p * latDim];
        double[] row = new double[p];
        for (int i = 0; i < n; i++) {
            System.arraycopy(x, i * facDim, row, 0, facDim);
            row[facDim] = 1.0;
            for (int r = 0; r < p; r++) {
                for (int c = 0; c < p; c++) {
                    a[r * p + c] += row[r] * row[c];
                }
                for (int k = 0; k < latDim; k++) {
                    rhs[r * latDim + k] += row[r] * y[i * latDim + k];
                }
            }
        }
        // A tiny ridge keeps a rank-deficient factor set (e.g. a dead factor) solvable.
        double trace = 0;
        for (int r = 0; r < p; r++) {
            trace += a[r * p + r];
        }
        for (int r = 0; r < p; r++) {
            a[r * p + r] += 1e-10 * trace / p;
        }
        // Gaussian elimination with partial pivoting on [a | rhs].
        for (int col = 0; col < p; col++) {
            int piv = col;
            for (int r = col + 1; r < p; r++) {
                if (Math.abs(a[r * p + col]) > Math.abs(a[piv * p + col])) {
                    piv = r;
                }
            }
            if (piv != col) {
                for (int c = 0; c < p; c++) {
                    double t = a[col * p + c];
                    a[col * p + c] = a[piv * p + c];
                    a[piv * p + c] = t;
                }
                for (int k = 0; k < latDim; k++) {
                    double t = rhs[col * latDim + k];
                    rhs[col * latDim + k] = rhs[piv * latDim + k];
                    rhs[piv * latDim + k] = t;
                }
            }
            double d = a[col * p + col];
            for (int r = col + 1; r < p; r++) {
                double m = a[r * p + col] / d;
                if (m == 0) {
                    continue;
                }
                for (int c = col; c < p; c++) {
                    a[r * p + c] -= m * a[col * p + c];
                }
                for (int k = 0; k < latDim; k++) {
                    rhs[r * latDim + k] -= m * rhs[col * latDim + k];
                }
            }
        }
        double[] coef = new double[p * latDim];
        for (int r = p - 1; r >= 0; r--) {
            for (int k = 0; k < latDim; k++) {
                double s = rhs[r * latDim + k];
                for (int c = r + 1; c < p; c++) {
                    s -= a[r * p + c] * coef[c * latDim + k];
                }
                coef[r * latDim + k] = s / a[r * p + r];
            }
        }
        return coef;
    }
}
