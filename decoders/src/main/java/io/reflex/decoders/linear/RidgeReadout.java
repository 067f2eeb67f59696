package io.reflex.decoders.linear;

/**
 * Ridge regression {@code y = W·x + b} from per-bin features (an SNN reservoir's traces, LFADS factors) to outputs,
 * in double precision (fit time only). Shared by {@link io.reflex.decoders.snn.SnnDecoder} and
 * {@link io.reflex.decoders.engine.EngineDecoder}.
 *
 * <p>Features and targets are centred, so the intercept is not penalised; features whose standard deviation is below
 * {@link #MIN_STD} (neurons that almost never fire) get weight 0. Features are not divided by their standard
 * deviation: measured on the center-out demo, standardising lifts rare, noisy neurons to the weight of busy ones and
 * cost about 0.3 of R². The penalty is relative: {@code λ_abs = λ · trace(XᵀX) / p} (p features, X centred), which
 * makes one λ grid fit any reservoir size and firing rate. With
 * {@code λ} not given, it is chosen from {@link #LAMBDA_GRID} by the squared error summed over {@link #FOLDS} contiguous
 * blocks of rows, each predicted by a fit on the others (blocked cross-validation: rows are consecutive bins, and a
 * short block can hold a single reach direction, so a single hold-out is unreliable), then refitted on all rows.
 */
public final class RidgeReadout {
    /** Relative penalties tried when none is given. */
    private static final double[] LAMBDA_GRID = {1e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0};
    /** Contiguous cross-validation folds used to choose the penalty. */
    public static final int FOLDS = 5;
    /**
     * Above this many features the penalty is not cross-validated (41 Cholesky factorisations of a 4096² system take
     * minutes on the 2-core machines): {@link #DEFAULT_LAMBDA} is used unless a penalty is given.
     */
    public static final int CV_MAX_FEATURES = 1024;
    /** The penalty cross-validation chose on the center-out demo data for 256–1024 neurons (1 or 3). */
    public static final double DEFAULT_LAMBDA = 1.0;

    /** Features whose standard deviation (in spikes of filtered trace) is below this get weight 0: too rare to fit. */
    public static final double MIN_STD = 1e-3;

    /**
     * A fitted readout: {@code out[o] = intercepts[o] + Σ_j weights[o·p + j]·x[j]}.
     *
     * @param weights    {@code [q][p]} row-major
     * @param intercepts {@code [q]}, in output units
     * @param lambda     the relative penalty used (chosen by cross-validation when none was given)
     */
    public record Fit(float[] weights, float[] intercepts, double lambda) {
    }

    /** The relative penalties tried when none is given (a copy). */
    public static double[] lambdaGrid() {
        return LAMBDA_GRID.clone();
    }

    private RidgeReadout() {
    }

    /**
     * Fits the readout.
     *
     * @param x       rows × p features, row-major
     * @param y       rows × q targets, row-major
     * @param lambda  relative penalty ≥ 0, or NaN to choose it by blocked cross-validation (or {@link #DEFAULT_LAMBDA}
     *                above {@link #CV_MAX_FEATURES} features)
     * @throws IllegalArgumentException when the rows are too few to cross-validate, the system is singular, or its
     *                                  normal equations do not fit the JVM's heap limit ({@link #systemBytes})
     */
    public static Fit fit(double[] x, double[] y, int rows, int p, int q, double lambda) {
        if (rows < 1 || p < 1 || q < 1 || x.length < (long) rows * p || y.length < (long) rows * q) {
            throw new IllegalArgumentException("ridge fit needs rows, p, q >= 1 and arrays of rows·p and rows·q values;"
                + " got rows " + rows + ", p " + p + ", q " + q + ", x " + x.length + ", y " + y.length);
        }
        String tooBig = heapMisfit(p, Runtime.getRuntime().maxMemory());
        if (tooBig != null) {
            throw new IllegalArgumentException(tooBig);
        }
        if (!(Double.isNaN(lambda) || lambda >= 0 && Double.isFinite(lambda))) {
            throw new IllegalArgumentException("ridge lambda must be >= 0 or NaN (cross-validated), got " + lambda);
        }
        if (Double.isNaN(lambda) && p > CV_MAX_FEATURES) {
            lambda = DEFAULT_LAMBDA;
        }
        if (Double.isNaN(lambda)) {
            if (rows < 5 * FOLDS) {
                throw new IllegalArgumentException("calibration needs at least " + 5 * FOLDS
                    + " bins to choose the ridge penalty, got " + rows);
            }
            double best = Double.POSITIVE_INFINITY;
            double bestLambda = LAMBDA_GRID[0];
            double[] sse = new double[LAMBDA_GRID.length];
            for (int fold = 0; fold < FOLDS; fold++) {
                int from = rows * fold / FOLDS;
                int to = rows * (fold + 1) / FOLDS;
                Normal ne = normal(x, y, rows, from, to, p, q);
                for (int g = 0; g < LAMBDA_GRID.length; g++) {
                    Fit f = solve(ne, LAMBDA_GRID[g]);
                    sse[g] += sse(f, x, y, from, to, p, q);
                }
            }
            for (int g = 0; g < LAMBDA_GRID.length; g++) {
                if (sse[g] < best) {
                    best = sse[g];
                    bestLambda = LAMBDA_GRID[g];
                }
            }
            lambda = bestLambda;
        }
        return solve(normal(x, y, rows, 0, 0, p, q), lambda);
    }

    /**
     * Bytes of the two p × p double matrices a fit holds at once (the normal equations and the copy that is
     * factorised): 16·p², 4 GiB for a 16,384-neuron reservoir.
     */
    public static long systemBytes(int p) {
        return 16L * p * p;
    }

    /** Null when a fit over {@code p} features fits a heap limit of {@code maxHeapBytes}, else why not. */
    static String heapMisfit(int p, long maxHeapBytes) {
        if ((long) p * p > Integer.MAX_VALUE - 8) {
            return "a ridge fit over " + p + " features is too large (at most 46,340 features)";
        }
        long need = systemBytes(p);
        if (need > maxHeapBytes) {
            return "a ridge fit over " + p + " features needs " + (need >> 20) + " MiB for its normal equations; the"
                + " JVM's heap limit is " + (maxHeapBytes >> 20) + " MiB (raise -Xmx or fit fewer features, e.g. a"
                + " smaller reservoir)";
        }
        return null;
    }

    /** Squared error summed over outputs and rows {@code [from, to)}. */
    private static double sse(Fit f, double[] x, double[] y, int from, int to, int p, int q) {
        double sum = 0;
        for (int o = 0; o < q; o++) {
            for (int r = from; r < to; r++) {
                double pred = f.intercepts[o];
                for (int j = 0; j < p; j++) {
                    pred += f.weights[o * p + j] * x[r * p + j];
                }
                double d = y[r * q + o] - pred;
                sum += d * d;
            }
        }
        return sum;
    }

    /** Centred normal equations of the rows outside {@code [skipFrom, skipTo)}, built once per fold. */
    private record Normal(double[] a, double[] rhs, double[] mx, double[] my, double[] keep, int p, int q) {
    }

    private static Normal normal(double[] x, double[] y, int allRows, int skipFrom, int skipTo, int p, int q) {
        int rows = allRows - (skipTo - skipFrom);
        double[] mx = new double[p];
        double[] my = new double[q];
        for (int r = 0; r < allRows; r++) {
            if (r >= skipFrom && r < skipTo) {
                continue;
            }
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
        double[] keep = new double[p];
        for (int r = 0; r < allRows; r++) {
            if (r >= skipFrom && r < skipTo) {
                continue;
            }
            for (int j = 0; j < p; j++) {
                double d = x[r * p + j] - mx[j];
                keep[j] += d * d;
            }
        }
        for (int j = 0; j < p; j++) {
            double sd = Math.sqrt(keep[j] / rows);
            keep[j] = sd > MIN_STD ? 1.0 : 0.0;
        }
        for (int o = 0; o < q; o++) {
            my[o] /= rows;
        }
        double[] a = new double[p * p];
        double[] rhs = new double[p * q];
        double[] xc = new double[p];
        for (int r = 0; r < allRows; r++) {
            if (r >= skipFrom && r < skipTo) {
                continue;
            }
            for (int j = 0; j < p; j++) {
                xc[j] = (x[r * p + j] - mx[j]) * keep[j];
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
        return new Normal(a, rhs, mx, my, keep, p, q);
    }

    private static Fit solve(Normal ne, double lambda) {
        int p = ne.p;
        int q = ne.q;
        double[] a = ne.a.clone();
        double[] rhs = ne.rhs;
        double[] keep = ne.keep;
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
            double intercept = ne.my[o];
            for (int j = 0; j < p; j++) {
                double wj = col[j] * keep[j];
                w[o * p + j] = (float) wj;
                intercept -= wj * ne.mx[j];
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
