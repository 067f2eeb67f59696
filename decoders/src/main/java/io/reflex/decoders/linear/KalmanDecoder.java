package io.reflex.decoders.linear;

import io.reflex.decoders.CalibrationSet;
import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.TrainableDecoder;

import java.util.Arrays;
import java.util.Locale;

/**
 * Velocity Kalman filter decoder (Wu et al. 2006; decoders/BASELINES.md §1).
 *
 * <p><b>Model.</b> The state is the target vector (by default velocity x, y) followed by a constant 1, so
 * {@code x = (vx, vy, 1)}; the observation {@code z} is the feature bin (spike counts per channel):
 * <pre>
 *   x_t = A·x_{t−1} + w,  w ~ N(0, W)
 *   z_t = H·x_t + q,      q ~ N(0, Q)
 * </pre>
 * The constant component makes the fit affine: the last column of A is a velocity offset, the last column of H
 * the channels' baseline counts. Because the constant is known exactly, its row of A is fixed to (0,…,0,1) and
 * its process noise to 0, so the filter carries it analytically: internally the state is just the d dynamic
 * components and the constant enters as offsets {@code a} (dynamics) and {@code c} (observation). With
 * {@code constantState = false} the model is linear (offsets zero), for mean-centred features.
 *
 * <p><b>Fit</b> (least squares, rows of the calibration set as consecutive bins):
 * {@code A = X₂X₁ᵀ(X₁X₁ᵀ)⁻¹}, {@code W = (X₂−AX₁)(X₂−AX₁)ᵀ/(N−1)}, {@code H = ZXᵀ(XXᵀ)⁻¹},
 * {@code Q = (Z−HX)(Z−HX)ᵀ/N}. A relative ridge of {@value #NOISE_RIDGE}·trace/size is added to W and Q so that
 * a silent channel or noiseless kinematics do not make them singular; it is far below any real noise level.
 *
 * <p><b>Inference</b> uses the information form of the update, algebraically identical to
 * {@code K = P⁻Hᵀ(HP⁻Hᵀ+Q)⁻¹} by the matrix inversion lemma but costing O(d²·channels) instead of
 * O(channels³): with {@code G = HᵀQ⁻¹} and {@code S = HᵀQ⁻¹H} precomputed at fit time,
 * <pre>
 *   x⁻ = A·x + a,  P⁻ = A·P·Aᵀ + W,  P = (P⁻⁻¹ + S)⁻¹,  x = x⁻ + P·(G·z − G·c − S·x⁻)
 * </pre>
 * In {@link Gain#STEADY_STATE} mode the Riccati recursion is iterated at fit time until
 * {@code ‖K_k − K_{k−1}‖_F < 1e−9} and each step is then {@code x = F·x + f + K∞·z} with
 * {@code F = (I−K∞H)A}, {@code f = (I−K∞H)a − K∞c}: two matrix-vector products.
 *
 * <p><b>Safe output</b> is zero velocity, the command that moves nothing. On NaN/Inf input the bin is skipped (the
 * filter state is left as it was, as if the bin had not arrived) and the safe output is returned with
 * {@link DecodeStatus#INVALID_INPUT}; on a non-finite result the filter state is reset (x = 0, P = 0) and the
 * safe output is returned with {@link DecodeStatus#NUMERIC_FAULT}. Both are counted.
 *
 * <p>{@link #decode} allocates nothing. Not thread-safe.
 */
public final class KalmanDecoder implements TrainableDecoder {
    /** How the Kalman gain is computed at each step. */
    public enum Gain {
        /** Full covariance recursion every bin (the textbook filter). */
        FULL,
        /** The converged gain K∞ from the Riccati recursion, fixed at fit time. */
        STEADY_STATE;

        /** Parses {@code "full"} or {@code "steady"} (also {@code "steady-state"}, case-insensitive). */
        public static Gain parse(String value) {
            switch (value.toLowerCase(Locale.ROOT)) {
                case "full":
                    return FULL;
                case "steady":
                case "steady-state":
                case "steady_state":
                    return STEADY_STATE;
                default:
                    throw new IllegalArgumentException("gain must be one of full|steady, was '" + value + "'");
            }
        }
    }

    /** Relative ridge added to the diagonals of W and Q (see class Javadoc). */
    public static final double NOISE_RIDGE = 1e-9;
    /** Convergence threshold of the steady-state Riccati iteration on the Frobenius norm of ΔK. */
    public static final double RICCATI_TOLERANCE = 1e-9;
    /** Iterations after which a non-converging Riccati recursion fails the fit. */
    public static final int RICCATI_MAX_ITERATIONS = 100_000;

    private final int n;
    private final int d;
    private final int m;
    private final boolean constantState;
    private final Gain gain;

    // Model (d dynamic states, n channels); row-major.
    private final double[] dynA;
    private final double[] dynOffset;
    private final double[] procW;
    private final double[] obsH;
    private final double[] obsOffset;
    private final double[] obsQ;
    // Derived at fit time.
    private final double[] infoG;
    private final double[] infoS;
    private final double[] infoGc;
    private final double[] steadyK;
    private final double[] steadyF;
    private final double[] steadyOffset;
    private int riccatiIterations;
    private boolean fitted;

    // Filter state and hot-path scratch.
    private final double[] x;
    private final double[] p;
    private final double[] xPrior;
    private final double[] pPrior;
    private final double[] gz;
    private final double[] tmpDD;
    private final double[] tmpDD2;
    private final double[] luWork;
    private final int[] pivots;
    private long invalidInputCount;
    private long numericFaultCount;

    /**
     * @param channels      features per bin, at least 1
     * @param outputs       dynamic state components = outputs (2 for velocity x, y), at least 1
     * @param gain          full or steady-state gain
     * @param constantState true to append the constant 1 to the state (affine model; the default of the factory)
     */
    public KalmanDecoder(int channels, int outputs, Gain gain, boolean constantState) {
        if (channels < 1) {
            throw new IllegalArgumentException("channels must be >= 1, was " + channels);
        }
        if (outputs < 1 || outputs > 16) {
            throw new IllegalArgumentException("outputs must be in [1, 16], was " + outputs);
        }
        if (gain == null) {
            throw new IllegalArgumentException("gain must be full or steady, was null");
        }
        this.n = channels;
        this.d = outputs;
        this.m = outputs + (constantState ? 1 : 0);
        this.constantState = constantState;
        this.gain = gain;
        dynA = new double[d * d];
        dynOffset = new double[d];
        procW = new double[d * d];
        obsH = new double[n * d];
        obsOffset = new double[n];
        obsQ = new double[n * n];
        infoG = new double[d * n];
        infoS = new double[d * d];
        infoGc = new double[d];
        steadyK = new double[d * n];
        steadyF = new double[d * d];
        steadyOffset = new double[d];
        x = new double[d];
        p = new double[d * d];
        xPrior = new double[d];
        pPrior = new double[d * d];
        gz = new double[d];
        tmpDD = new double[d * d];
        tmpDD2 = new double[d * d];
        luWork = new double[d * d];
        pivots = new int[d];
    }

    @Override
    public String name() {
        return "kalman";
    }

    @Override
    public int inputCount() {
        return n;
    }

    @Override
    public int outputCount() {
        return d;
    }

    /** The gain mode chosen at construction. */
    public Gain gain() {
        return gain;
    }

    /** True when the state carries the constant 1 (affine model). */
    public boolean constantState() {
        return constantState;
    }

    /** Calibration rows per block of the observation-noise accumulation in {@link #fit}. */
    private static final int Q_BLOCK_ROWS = 32;

    /** Smallest calibration set {@link #fit} accepts: channels + state size + 1 bins, so that Q can be full rank. */
    public int minimumCalibrationBins() {
        return n + m + 1;
    }

    @Override
    public boolean fitted() {
        return fitted;
    }

    @Override
    public void fit(CalibrationSet set) {
        if (set.channels() != n || set.outputs() != d) {
            throw new IllegalArgumentException("calibration set is " + set.channels() + " channels x "
                    + set.outputs() + " outputs, the Kalman decoder expects " + n + " x " + d);
        }
        final int rows = set.size();
        if (rows < minimumCalibrationBins()) {
            throw new IllegalArgumentException("Kalman fit needs at least " + minimumCalibrationBins()
                    + " calibration bins for " + n + " channels and a state of " + m + ", got " + rows);
        }
        final double[] xs = new double[rows * m];
        for (int t = 0; t < rows; t++) {
            for (int i = 0; i < d; i++) {
                xs[t * m + i] = set.target(t, i);
            }
            if (constantState) {
                xs[t * m + d] = 1.0;
            }
        }
        // A: X1X1ᵀ·Aᵀ = X1X2ᵀ over the rows-1 transitions.
        final double[] c11 = new double[m * m];
        final double[] c12 = new double[m * m];
        for (int t = 0; t + 1 < rows; t++) {
            for (int i = 0; i < m; i++) {
                final double xi = xs[t * m + i];
                for (int j = 0; j < m; j++) {
                    c11[i * m + j] += xi * xs[t * m + j];
                    c12[i * m + j] += xi * xs[(t + 1) * m + j];
                }
            }
        }
        if (!LinAlg.cholesky(c11, m)) {
            throw new IllegalArgumentException("Kalman fit is singular: the calibration targets X1*X1' have no "
                    + "full rank (do the targets vary during the calibration block?)");
        }
        LinAlg.choleskySolve(c11, m, c12, m);
        final double[] transition = new double[m * m];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                transition[i * m + j] = c12[j * m + i];
            }
        }
        if (constantState) {
            for (int j = 0; j < m; j++) {
                transition[d * m + j] = j == d ? 1.0 : 0.0;
            }
        }
        final double[] w = new double[d * d];
        final double[] r = new double[d];
        for (int t = 0; t + 1 < rows; t++) {
            for (int i = 0; i < d; i++) {
                double s = xs[(t + 1) * m + i];
                for (int j = 0; j < m; j++) {
                    s -= transition[i * m + j] * xs[t * m + j];
                }
                r[i] = s;
            }
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    w[i * d + j] += r[i] * r[j];
                }
            }
        }
        for (int i = 0; i < d * d; i++) {
            w[i] /= rows - 1;
        }
        // H: XXᵀ·Hᵀ = XZᵀ over all rows.
        final double[] cxx = new double[m * m];
        final double[] cxz = new double[m * n];
        for (int t = 0; t < rows; t++) {
            for (int i = 0; i < m; i++) {
                final double xi = xs[t * m + i];
                for (int j = 0; j < m; j++) {
                    cxx[i * m + j] += xi * xs[t * m + j];
                }
                for (int j = 0; j < n; j++) {
                    cxz[i * n + j] += xi * set.feature(t, j);
                }
            }
        }
        if (!LinAlg.cholesky(cxx, m)) {
            throw new IllegalArgumentException("Kalman fit is singular: the calibration targets X*X' have no full "
                    + "rank (do the targets vary during the calibration block?)");
        }
        LinAlg.choleskySolve(cxx, m, cxz, n);
        final double[] observation = new double[n * m];
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                observation[j * m + i] = cxz[i * n + j];
            }
        }
        // Q: the residuals' covariance, lower triangle. Accumulated a block of rows at a time, so that each row of
        // Q is read once per block (in cache while the block's rows go into it) instead of once per calibration
        // row: at 1,024 channels Q is 8 MiB and the row-by-row sweep was bound by memory. Each element still sums
        // its products in row order, so the result is the same, bit for bit.
        final double[] q = new double[n * n];
        final int block = Q_BLOCK_ROWS;
        final double[] e = new double[block * n];
        for (int t0 = 0; t0 < rows; t0 += block) {
            final int b = Math.min(block, rows - t0);
            for (int k = 0; k < b; k++) {
                final int t = t0 + k;
                for (int j = 0; j < n; j++) {
                    double s = set.feature(t, j);
                    for (int i = 0; i < m; i++) {
                        s -= observation[j * m + i] * xs[t * m + i];
                    }
                    e[k * n + j] = s;
                }
            }
            for (int i = 0; i < n; i++) {
                final int row = i * n;
                for (int k = 0; k < b; k++) {
                    final int base = k * n;
                    final double ei = e[base + i];
                    if (ei != 0) {
                        for (int j = 0; j <= i; j++) {
                            q[row + j] += ei * e[base + j];
                        }
                    }
                }
            }
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                final double v = q[i * n + j] / rows;
                q[i * n + j] = v;
                q[j * n + i] = v;
            }
        }
        setParameters(transition, w, observation, q);
    }

    /**
     * Loads explicit model parameters instead of fitting them (for bundles and tests), then resets the state.
     *
     * @param transition       A, m×m row-major with m = outputs (+1 with the constant state; its last row must be
     *                         (0,…,0,1))
     * @param processNoise     W, outputs×outputs, symmetric positive semi-definite
     * @param observation      H, channels×m
     * @param observationNoise Q, channels×channels, symmetric positive semi-definite
     * @throws IllegalArgumentException on a wrong size, a non-finite value, a bad constant row, or a singular
     *                                  model (Q not positive definite, Riccati not converging)
     */
    public void setParameters(double[] transition, double[] processNoise, double[] observation,
                              double[] observationNoise) {
        requireShape("transition", transition, m * m);
        requireShape("processNoise", processNoise, d * d);
        requireShape("observation", observation, n * m);
        requireShape("observationNoise", observationNoise, n * n);
        if (constantState) {
            for (int j = 0; j < m; j++) {
                if (transition[d * m + j] != (j == d ? 1.0 : 0.0)) {
                    throw new IllegalArgumentException("transition: the constant state's row must be (0,...,0,1)");
                }
            }
        }
        final double[] newA = new double[d * d];
        final double[] newA0 = new double[d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                newA[i * d + j] = transition[i * m + j];
            }
            newA0[i] = constantState ? transition[i * m + d] : 0.0;
        }
        final double[] newW = processNoise.clone();
        LinAlg.symmetrize(newW, d);
        addRidge(newW, d);
        final double[] newH = new double[n * d];
        final double[] newC = new double[n];
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < d; i++) {
                newH[j * d + i] = observation[j * m + i];
            }
            newC[j] = constantState ? observation[j * m + d] : 0.0;
        }
        final double[] newQ = observationNoise.clone();
        LinAlg.symmetrize(newQ, n);
        addRidge(newQ, n);

        final double[] wFactor = newW.clone();
        if (!LinAlg.cholesky(wFactor, d)) {
            throw new IllegalArgumentException("processNoise W is not positive semi-definite");
        }
        final double[] qFactor = newQ.clone();
        if (!LinAlg.cholesky(qFactor, n)) {
            throw new IllegalArgumentException("observationNoise Q is singular or not positive definite"
                    + " (too few calibration bins for the channel count?)");
        }
        // G = HᵀQ⁻¹ = (Q⁻¹H)ᵀ.
        final double[] qInvH = newH.clone();
        LinAlg.choleskySolve(qFactor, n, qInvH, d);
        final double[] newG = new double[d * n];
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < d; i++) {
                newG[i * n + j] = qInvH[j * d + i];
            }
        }
        final double[] newS = new double[d * d];
        LinAlg.multiply(newG, newH, newS, d, n, d);
        LinAlg.symmetrize(newS, d);
        final double[] newGc = new double[d];
        LinAlg.multiplyVector(newG, newC, newGc, d, n);

        final double[] k = new double[d * n];
        final double[] pInf = new double[d * d];
        final int iterations = riccati(newA, newW, newG, newS, pInf, k);

        // F = (I − P∞S)A, f = (I − P∞S)a − P∞Gc (K∞H = P∞S, K∞c = P∞Gc).
        final double[] ikh = new double[d * d];
        LinAlg.multiply(pInf, newS, ikh, d, d, d);
        for (int i = 0; i < d * d; i++) {
            ikh[i] = -ikh[i];
        }
        for (int i = 0; i < d; i++) {
            ikh[i * d + i] += 1.0;
        }
        final double[] newF = new double[d * d];
        LinAlg.multiply(ikh, newA, newF, d, d, d);
        final double[] newF0 = new double[d];
        final double[] pGc = new double[d];
        LinAlg.multiplyVector(ikh, newA0, newF0, d, d);
        LinAlg.multiplyVector(pInf, newGc, pGc, d, d);
        for (int i = 0; i < d; i++) {
            newF0[i] -= pGc[i];
        }

        System.arraycopy(newA, 0, dynA, 0, d * d);
        System.arraycopy(newA0, 0, dynOffset, 0, d);
        System.arraycopy(newW, 0, procW, 0, d * d);
        System.arraycopy(newH, 0, obsH, 0, n * d);
        System.arraycopy(newC, 0, obsOffset, 0, n);
        System.arraycopy(newQ, 0, obsQ, 0, n * n);
        System.arraycopy(newG, 0, infoG, 0, d * n);
        System.arraycopy(newS, 0, infoS, 0, d * d);
        System.arraycopy(newGc, 0, infoGc, 0, d);
        System.arraycopy(k, 0, steadyK, 0, d * n);
        System.arraycopy(newF, 0, steadyF, 0, d * d);
        System.arraycopy(newF0, 0, steadyOffset, 0, d);
        riccatiIterations = iterations;
        fitted = true;
        reset();
    }

    /**
     * The fitted model and everything derived from it, in the decoder file's order ({@code file.DecoderFile}): A, a,
     * W, H, c, Q, G, S, Gc, K∞, F, f. Copies, so that writing a file cannot change the decoder.
     */
    public double[][] stateArrays() {
        return new double[][] {dynA.clone(), dynOffset.clone(), procW.clone(), obsH.clone(), obsOffset.clone(),
                obsQ.clone(), infoG.clone(), infoS.clone(), infoGc.clone(), steadyK.clone(), steadyF.clone(),
                steadyOffset.clone()};
    }

    /** Lengths of the arrays of {@link #stateArrays()} for this decoder's dimensions. */
    public int[] stateLengths() {
        return new int[] {d * d, d, d * d, n * d, n, n * n, d * n, d * d, d, d * n, d * d, d};
    }

    /**
     * Installs a model saved by {@link #stateArrays()} exactly as it was (no ridge, no refit), so that the decoder
     * decodes bit for bit as the one that was saved, then resets the state.
     *
     * @throws IllegalArgumentException naming the array on a wrong length or a non-finite value
     */
    public void restoreState(double[][] arrays, String[] names, int iterations) {
        final int[] lengths = stateLengths();
        if (arrays.length != lengths.length) {
            throw new IllegalArgumentException("a Kalman decoder has " + lengths.length + " arrays, got " + arrays.length);
        }
        for (int i = 0; i < lengths.length; i++) {
            requireShape(names[i], arrays[i], lengths[i]);
        }
        final double[][] into = {dynA, dynOffset, procW, obsH, obsOffset, obsQ, infoG, infoS, infoGc, steadyK, steadyF,
                steadyOffset};
        for (int i = 0; i < into.length; i++) {
            System.arraycopy(arrays[i], 0, into[i], 0, lengths[i]);
        }
        riccatiIterations = iterations;
        fitted = true;
        reset();
    }

    private static void requireShape(String field, double[] value, int length) {
        if (value == null || value.length != length) {
            throw new IllegalArgumentException(field + " must have " + length + " elements, had "
                    + (value == null ? "null" : value.length));
        }
        if (!LinAlg.allFinite(value, length)) {
            throw new IllegalArgumentException(field + " holds a NaN or infinite value");
        }
    }

    private static void addRidge(double[] cov, int size) {
        double trace = 0;
        for (int i = 0; i < size; i++) {
            trace += cov[i * size + i];
        }
        final double ridge = trace > 0 ? NOISE_RIDGE * trace / size : NOISE_RIDGE;
        for (int i = 0; i < size; i++) {
            cov[i * size + i] += ridge;
        }
    }

    /** Iterates the Riccati recursion from P = 0 until K converges; returns the iteration count. */
    private int riccati(double[] dyn, double[] w, double[] g, double[] s, double[] pOut, double[] kOut) {
        final double[] pCur = new double[d * d];
        final double[] prior = new double[d * d];
        final double[] tmp = new double[d * d];
        final double[] inv = new double[d * d];
        final double[] work = new double[d * d];
        final int[] piv = new int[d];
        final double[] kNew = new double[d * n];
        for (int it = 1; it <= RICCATI_MAX_ITERATIONS; it++) {
            LinAlg.multiply(dyn, pCur, tmp, d, d, d);
            LinAlg.multiplyTransposeB(tmp, dyn, prior, d, d, d);
            for (int i = 0; i < d * d; i++) {
                prior[i] += w[i];
            }
            if (!posteriorCovariance(prior, s, pCur, inv, work, piv, tmp)) {
                throw new IllegalArgumentException("Kalman model is singular: the Riccati recursion hit a "
                        + "singular covariance at iteration " + it);
            }
            LinAlg.multiply(pCur, g, kNew, d, d, n);
            double diff = 0;
            for (int i = 0; i < d * n; i++) {
                final double delta = kNew[i] - kOut[i];
                diff += delta * delta;
            }
            System.arraycopy(kNew, 0, kOut, 0, d * n);
            if (!Double.isFinite(diff)) {
                throw new IllegalArgumentException("Kalman model is numerically unstable: the Riccati recursion"
                        + " produced a non-finite gain at iteration " + it);
            }
            if (Math.sqrt(diff) < RICCATI_TOLERANCE) {
                System.arraycopy(pCur, 0, pOut, 0, d * d);
                return it;
            }
        }
        throw new IllegalArgumentException("Kalman model: the Riccati recursion did not converge to ||dK|| < "
                + RICCATI_TOLERANCE + " in " + RICCATI_MAX_ITERATIONS + " iterations");
    }

    /** P = (prior⁻¹ + S)⁻¹, symmetrised; all arrays d×d scratch except prior, s (read) and post (written). */
    private boolean posteriorCovariance(double[] prior, double[] s, double[] post, double[] inv, double[] work,
                                        int[] piv, double[] tmp) {
        LinAlg.symmetrize(prior, d);
        if (!LinAlg.invert(prior, inv, work, piv, d)) {
            return false;
        }
        for (int i = 0; i < d * d; i++) {
            tmp[i] = inv[i] + s[i];
        }
        if (!LinAlg.invert(tmp, post, work, piv, d)) {
            return false;
        }
        LinAlg.symmetrize(post, d);
        return true;
    }

    @Override
    public int decode(float[] features, float[] out) {
        if (!fitted) {
            safeOutput(out);
            return DecodeStatus.NOT_READY;
        }
        for (int j = 0; j < n; j++) {
            if (!Float.isFinite(features[j])) {
                invalidInputCount++;
                safeOutput(out);
                return DecodeStatus.INVALID_INPUT;
            }
        }
        final boolean ok = gain == Gain.STEADY_STATE ? stepSteady(features) : stepFull(features);
        if (ok) {
            for (int i = 0; i < d; i++) {
                if (!Float.isFinite((float) x[i])) {
                    return fault(out);
                }
            }
            for (int i = 0; i < d; i++) {
                out[i] = (float) x[i];
            }
            return DecodeStatus.OK;
        }
        return fault(out);
    }

    private int fault(float[] out) {
        numericFaultCount++;
        reset();
        safeOutput(out);
        return DecodeStatus.NUMERIC_FAULT;
    }

    private boolean stepSteady(float[] z) {
        final double[] k = steadyK;
        final double[] f = steadyF;
        for (int i = 0; i < d; i++) {
            double s = steadyOffset[i] + LinAlg.dot(k, i * n, z, n);
            final int fi = i * d;
            for (int j = 0; j < d; j++) {
                s += f[fi + j] * x[j];
            }
            xPrior[i] = s;
        }
        System.arraycopy(xPrior, 0, x, 0, d);
        return true;
    }

    private boolean stepFull(float[] z) {
        // Prediction.
        for (int i = 0; i < d; i++) {
            double s = dynOffset[i];
            for (int j = 0; j < d; j++) {
                s += dynA[i * d + j] * x[j];
            }
            xPrior[i] = s;
        }
        LinAlg.multiply(dynA, p, tmpDD, d, d, d);
        LinAlg.multiplyTransposeB(tmpDD, dynA, pPrior, d, d, d);
        for (int i = 0; i < d * d; i++) {
            pPrior[i] += procW[i];
        }
        if (!posteriorCovariance(pPrior, infoS, p, tmpDD, luWork, pivots, tmpDD2)) {
            return false;
        }
        // Update: x = x⁻ + P·(G·z − G·c − S·x⁻).
        final double[] g = infoG;
        for (int i = 0; i < d; i++) {
            double s = LinAlg.dot(g, i * n, z, n) - infoGc[i];
            for (int j = 0; j < d; j++) {
                s -= infoS[i * d + j] * xPrior[j];
            }
            gz[i] = s;
        }
        for (int i = 0; i < d; i++) {
            double s = xPrior[i];
            for (int j = 0; j < d; j++) {
                s += p[i * d + j] * gz[j];
            }
            x[i] = s;
        }
        return LinAlg.allFinite(p, d * d);
    }

    /** Zero velocity: the command that moves nothing. */
    @Override
    public void safeOutput(float[] out) {
        for (int i = 0; i < d; i++) {
            out[i] = 0f;
        }
    }

    /** Resets the filter to rest: x = 0 with certainty (P = 0). */
    @Override
    public void reset() {
        Arrays.fill(x, 0);
        Arrays.fill(p, 0);
    }

    /** Bins refused for NaN/Inf input since construction. */
    public long invalidInputCount() {
        return invalidInputCount;
    }

    /** Non-finite results (followed by a state reset) since construction. */
    public long numericFaultCount() {
        return numericFaultCount;
    }

    /** Iterations the steady-state Riccati recursion needed at the last fit (0 before a fit). */
    public int riccatiIterations() {
        return riccatiIterations;
    }

    /** Fitted A over the full state (m×m, including the constant row and offset column). */
    public double transition(int row, int col) {
        if (row < d && col < d) {
            return dynA[row * d + col];
        }
        if (row < d && col == d && constantState) {
            return dynOffset[row];
        }
        if (row == d && constantState && col <= d) {
            return col == d ? 1.0 : 0.0;
        }
        throw new IndexOutOfBoundsException("transition(" + row + ", " + col + ") outside " + m + "x" + m);
    }

    /** Fitted H over the full state (channels×m, the last column the baseline with the constant state). */
    public double observation(int row, int col) {
        if (row < 0 || row >= n || col < 0 || col >= m) {
            throw new IndexOutOfBoundsException("observation(" + row + ", " + col + ") outside " + n + "x" + m);
        }
        return col < d ? obsH[row * d + col] : obsOffset[row];
    }

    /** Fitted process noise W of the dynamic states (outputs×outputs, ridge included). */
    public double processNoise(int row, int col) {
        return procW[row * d + col];
    }

    /** Fitted observation noise Q (channels×channels, ridge included). */
    public double observationNoise(int row, int col) {
        return obsQ[row * n + col];
    }

    /** Steady-state gain K∞ (outputs×channels), computed at every fit whatever the mode. */
    public double steadyStateGain(int row, int col) {
        return steadyK[row * n + col];
    }

    /**
     * Writes the gain the filter applies at its current step into {@code dst} (outputs×channels row-major):
     * K∞ in steady-state mode, {@code P·HᵀQ⁻¹} of the last update in full mode. For tests and diagnostics.
     */
    public void currentGain(double[] dst) {
        if (gain == Gain.STEADY_STATE) {
            System.arraycopy(steadyK, 0, dst, 0, d * n);
        } else {
            LinAlg.multiply(p, infoG, dst, d, d, n);
        }
    }

    /** Current state estimate component {@code i} (a dynamic state, 0 ≤ i < outputs). */
    public double state(int i) {
        return x[i];
    }
}
