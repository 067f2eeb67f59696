package io.reflex.decoders.snn;

/**
 * Ridge regression {@code y = W·r + b} from reservoir features to outputs, in double precision (fit time only).
 *
 * <p>Features and targets are centred, so the intercept is not penalised. The penalty is relative:
 * {@code λ_abs = λ · trace(RᵀR) / p} (p features), which makes one λ grid fit any reservoir size and rate. With
 * {@code λ} not given, it is chosen from {@link #LAMBDA_GRID} by the mean R² on the last 20 % of the rows after a
 * fit on the first 80 % (rows are consecutive bins, so this is a forward hold-out), then refitted on all rows.
 */
final class RidgeReadout {
    /** Relative penalties tried when none is given. */
    static final double[] LAMBDA_GRID = {1e-5, 1e-4, 1e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0};

    /** Fitted readout. */
    record Fit(float[] weights, float[] intercepts, double lambda) {
    }

    private RidgeReadout() {
    }

    /**
     * @param x       rows × p features, row-major
     * @param y       rows × q targets, row-major
     * @param lambda  relative penalty, or NaN to choose it by hold-out
     */
    static Fit fit(double[] x, double[] y, int rows, int p, int q, double lambda) {
        if (Double.isNaN(lambda)) {
            int train = (int) Math.floor(rows * 0.8);
            if (train < 2 || rows - train < 2) {
                throw new IllegalArgumentException("calibration needs at least 10 bins to choose the ridge penalty, got "
                    + rows);
            }
            double best = Double.NEGATIVE_INFINITY;
            double bestLambda = LAMBDA_GRID[0];
            for (double l : LAMBDA_GRID) {
                Fit f = solve(x, y, 0, train, p, q, l);
                double score = meanR2(f, x, y, train, rows, p, q);
                if (score > best) {
                    best = score;
                    bestLambda = l;
                }
            }
            lambda = bestLambda;
        }
        return solve(x, y, 0, rows, p, q, lambda);
    }

    private static double meanR2(Fit f, double[] x, double[] y, int from, int to, int p, int q) {
        double sum = 0;
        for (int o = 0; o < q; o++) {
            double mean = 0;
            for (int r = from; r < to; r++) {
                mean += y[r * q + o];
            }
            mean /= (to - from);
            double ssRes = 0;
            double ssTot = 0;
            for (int r = from; r < to; r++) {
                double pred = f.intercepts[o];
                for (int j = 0; j < p; j++) {
                    pred += f.weights[o * p + j] * x[r * p + j];
                }
                double t = y[r * q + o];
                ssRes += (t - pred) * (t - pred);
                ssTot += (t - mean) * (t - mean);
            }
            sum += ssTot > 0 ? 1 - ssRes / ssTot : 0;
        }
        return sum / q;
    }

    private static Fit solve(double[] x, double[] y, int from, int to, int p, int q, double lambda) {
        int rows = to - from;
        double[] mx = new double[p];
        double[] my = new double[q];
        for (int r = from; r < to; r++) {
            for (int j = 0; j < p; j++) {
                mx[j] += x[r * p + j];
            }
            for (int o = 0; o < q; o++) {
                my[o] += y[r * q + o];
            }
        }
        for (int j = 0; j < p; j++) {
            mx[j] /= rows;
        }
        for (int o = 0; o < q; o++) {
            my[o] /= rows;
        }
        double[] a = new double[p * p];
        double[] rhs = new double[p * q];
        double[] xc = new double[p];
        for (int r = from; r < to; r++) {
            for (int j = 0; j < p; j++) {
                xc[j] = x[r * p + j] - mx[j];
            }
            for (int j = 0; j < p; j++) {
                double v = xc[j];
                if (v == 0) {
                    continue;
                }
                int base = j * p;
                for (int k = 0; k <= j; k++) {
                    a[base + k] += v * xc[k];
                }
                for (int o = 0; o < q; o++) {
                    rhs[j * q + o] += v * (y[r * q + o] - my[o]);
                }
            }
        }
        double trace = 0;
        for (int j = 0; j < p; j++) {
            trace += a[j * p + j];
        }
        double ridge = lambda * (trace > 0 ? trace / p : 1.0) + 1e-12;
        for (int j = 0; j < p; j++) {
            a[j * p + j] += ridge;
        }
        choleskyInPlace(a, p);
        float[] w = new float[q * p];
        float[] b = new float[q];
        double[] col = new double[p];
        for (int o = 0; o < q; o++) {
            for (int j = 0; j < p; j++) {
                col[j] = rhs[j * q + o];
            }
            choleskySolve(a, p, col);
            double intercept = my[o];
            for (int j = 0; j < p; j++) {
                w[o * p + j] = (float) col[j];
                intercept -= col[j] * mx[j];
            }
            b[o] = (float) intercept;
        }
        return new Fit(w, b, lambda);
    }

    /** Lower-triangular Cholesky factor in place (the lower triangle of {@code a} holds the matrix). */
    private static void choleskyInPlace(double[] a, int n) {
        for (int j = 0; j < n; j++) {
            double d = a[j * n + j];
            for (int k = 0; k < j; k++) {
                d -= a[j * n + k] * a[j * n + k];
            }
            if (!(d > 0)) {
                throw new IllegalArgumentException("ridge system is not positive definite at feature " + j
                    + " (calibration data degenerate)");
            }
            double l = Math.sqrt(d);
            a[j * n + j] = l;
            for (int i = j + 1; i < n; i++) {
                double s = a[i * n + j];
                int ri = i * n;
                int rj = j * n;
                for (int k = 0; k < j; k++) {
                    s -= a[ri + k] * a[rj + k];
                }
                a[ri + j] = s / l;
            }
        }
    }

    private static void choleskySolve(double[] l, int n, double[] b) {
        for (int i = 0; i < n; i++) {
            double s = b[i];
            for (int k = 0; k < i; k++) {
                s -= l[i * n + k] * b[k];
            }
            b[i] = s / l[i * n + i];
        }
        for (int i = n - 1; i >= 0; i--) {
            double s = b[i];
            for (int k = i + 1; k < n; k++) {
                s -= l[k * n + i] * b[k];
            }
            b[i] = s / l[i * n + i];
        }
    }
}
