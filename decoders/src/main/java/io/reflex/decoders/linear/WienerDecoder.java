package io.reflex.decoders.linear;

import io.reflex.decoders.CalibrationSet;
import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.TrainableDecoder;

/**
 * Wiener filter decoder: lagged ridge regression (decoders/BASELINES.md §2),
 * <pre>
 *   y_t = b + Σ_{k=0}^{L−1} W_k·z_{t−k}
 * </pre>
 * fitted on the lagged design Φ (one row per bin t ≥ L−1 of the calibration set, holding
 * {@code z_t, z_{t−1}, …, z_{t−L+1}}) as {@code Ŵ = (ΦᵀΦ + λI)⁻¹ΦᵀY} with Φ and Y centred, so the intercept b is
 * not shrunk ({@code b = ȳ − Ŵᵀφ̄}). λ is in the units of ΦᵀΦ (counts² summed over the rows), as in §2 there.
 *
 * <p>The decoder keeps its own lag history in a preallocated ring of L bins. After {@link #reset()} (and after a
 * fit) the ring is filled with the calibration mean of each channel, so the first L−1 outputs are the regression's
 * prediction for "average activity" rather than for silence.
 *
 * <p><b>Safe output</b> is zero. On NaN/Inf input the bin is not entered into the history and
 * {@link DecodeStatus#INVALID_INPUT} is returned with the safe output; on a non-finite result the history is
 * reset and {@link DecodeStatus#NUMERIC_FAULT} is returned with the safe output. Both are counted.
 *
 * <p>{@link #decode} allocates nothing. Not thread-safe.
 */
public final class WienerDecoder implements TrainableDecoder {
    private final int n;
    private final int outputs;
    private final int lags;
    private final double lambda;
    private final int p;

    /**
     * Coefficients, output·(L·n) + lag·n + channel (lag 0 is the newest bin): each output's weights for one lag
     * are contiguous, as is each bin of the history, so the decode is L·outputs unit-stride dot products.
     */
    private final double[] coef;
    private final double[] bias;
    private final double[] featureMean;
    private final double[] history;
    private final double[] y;
    private int head;
    private boolean fitted;
    private long invalidInputCount;
    private long numericFaultCount;

    /**
     * @param channels features per bin, at least 1
     * @param outputs  outputs per bin, at least 1
     * @param lags     L, bins of history including the current one, in [1, 1000]
     * @param lambda   ridge λ ≥ 0 (0 is ordinary least squares)
     */
    public WienerDecoder(int channels, int outputs, int lags, double lambda) {
        if (channels < 1) {
            throw new IllegalArgumentException("channels must be >= 1, was " + channels);
        }
        if (outputs < 1) {
            throw new IllegalArgumentException("outputs must be >= 1, was " + outputs);
        }
        if (lags < 1 || lags > 1000) {
            throw new IllegalArgumentException("lags must be in [1, 1000], was " + lags);
        }
        if (!(lambda >= 0) || !Double.isFinite(lambda)) {
            throw new IllegalArgumentException("lambda must be finite and >= 0, was " + lambda);
        }
        if ((long) channels * lags > 20_000) {
            throw new IllegalArgumentException("channels*lags must be <= 20000 (the normal equations are "
                    + "(channels*lags)^2 doubles), was " + channels + "*" + lags);
        }
        this.n = channels;
        this.outputs = outputs;
        this.lags = lags;
        this.lambda = lambda;
        this.p = channels * lags;
        coef = new double[p * outputs];
        bias = new double[outputs];
        featureMean = new double[n];
        history = new double[p];
        y = new double[outputs];
    }

    @Override
    public String name() {
        return "wiener";
    }

    @Override
    public int inputCount() {
        return n;
    }

    @Override
    public int outputCount() {
        return outputs;
    }

    /** L, the number of bins in the regression (current bin included). */
    public int lags() {
        return lags;
    }

    /** The ridge λ. */
    public double lambda() {
        return lambda;
    }

    @Override
    public boolean fitted() {
        return fitted;
    }

    /** Smallest calibration set {@link #fit} accepts: L + 1 bins (two design rows); λ = 0 needs more, see fit. */
    public int minimumCalibrationBins() {
        return lags + 1;
    }

    @Override
    public void fit(CalibrationSet set) {
        if (set.channels() != n || set.outputs() != outputs) {
            throw new IllegalArgumentException("calibration set is " + set.channels() + " channels x "
                    + set.outputs() + " outputs, the Wiener decoder expects " + n + " x " + outputs);
        }
        final int rows = set.size() - lags + 1;
        if (set.size() < minimumCalibrationBins()) {
            throw new IllegalArgumentException("Wiener fit needs at least " + minimumCalibrationBins()
                    + " calibration bins for " + lags + " lags, got " + set.size());
        }
        final double[] phiSum = new double[p];
        final double[] yMean = new double[outputs];
        for (int r = 0; r < rows; r++) {
            final int t = r + lags - 1;
            for (int k = 0; k < lags; k++) {
                for (int j = 0; j < n; j++) {
                    phiSum[k * n + j] += set.feature(t - k, j);
                }
            }
            for (int o = 0; o < outputs; o++) {
                yMean[o] += set.target(t, o);
            }
        }
        for (int o = 0; o < outputs; o++) {
            yMean[o] /= rows;
        }
        // Normal equations on the raw (uncentred) lagged rows, lower triangle only. Spike counts are mostly 0 in
        // short bins, so each row's products run over its non-zero entries only (about 10x fewer at 20 ms bins);
        // the centring is applied afterwards: ΦcᵀΦc = ΦᵀΦ − S·Sᵀ/rows with S the column sums, and ΦcᵀYc = ΦᵀYc.
        final double[] gram = new double[p * p];
        final double[] rhs = new double[p * outputs];
        final double[] row = new double[p];
        final int[] nonZero = new int[p];
        final double[] yc = new double[outputs];
        for (int r = 0; r < rows; r++) {
            final int t = r + lags - 1;
            int count = 0;
            for (int k = 0; k < lags; k++) {
                for (int j = 0; j < n; j++) {
                    final double v = set.feature(t - k, j);
                    row[k * n + j] = v;
                    if (v != 0) {
                        nonZero[count++] = k * n + j;
                    }
                }
            }
            for (int o = 0; o < outputs; o++) {
                yc[o] = set.target(t, o) - yMean[o];
            }
            for (int a = 0; a < count; a++) {
                final int i = nonZero[a];
                final double vi = row[i];
                final int gi = i * p;
                for (int b = 0; b <= a; b++) {
                    final int j = nonZero[b];
                    gram[gi + j] += vi * row[j];
                }
                for (int o = 0; o < outputs; o++) {
                    rhs[i * outputs + o] += vi * yc[o];
                }
            }
        }
        final double[] phiMean = new double[p];
        for (int i = 0; i < p; i++) {
            phiMean[i] = phiSum[i] / rows;
        }
        for (int i = 0; i < p; i++) {
            final int gi = i * p;
            for (int j = 0; j <= i; j++) {
                gram[gi + j] -= phiSum[i] * phiMean[j];
            }
            gram[gi + i] += lambda;
        }
        for (int i = 0; i < p; i++) {
            for (int j = 0; j < i; j++) {
                gram[j * p + i] = gram[i * p + j];
            }
        }
        if (!LinAlg.cholesky(gram, p)) {
            throw new IllegalArgumentException("Wiener fit is singular: Phi'Phi + lambda*I is not positive definite"
                    + " for " + rows + " design rows and " + p + " coefficients (raise lambda above " + lambda
                    + ", or record a longer calibration block, or drop channels that never fire)");
        }
        LinAlg.choleskySolve(gram, p, rhs, outputs);
        if (!LinAlg.allFinite(rhs, p * outputs)) {
            throw new IllegalArgumentException("Wiener fit produced non-finite coefficients");
        }
        for (int o = 0; o < outputs; o++) {
            double b = yMean[o];
            for (int i = 0; i < p; i++) {
                b -= rhs[i * outputs + o] * phiMean[i];
            }
            bias[o] = b;
        }
        for (int i = 0; i < p; i++) {
            for (int o = 0; o < outputs; o++) {
                coef[o * p + i] = rhs[i * outputs + o];
            }
        }
        for (int j = 0; j < n; j++) {
            double sum = 0;
            for (int t = 0; t < set.size(); t++) {
                sum += set.feature(t, j);
            }
            featureMean[j] = sum / set.size();
        }
        fitted = true;
        reset();
    }

    /**
     * The fitted model in the decoder file's order ({@code file.DecoderFile}): coefficients, intercepts, feature
     * means. Copies.
     */
    public double[][] stateArrays() {
        return new double[][] {coef.clone(), bias.clone(), featureMean.clone()};
    }

    /** Lengths of the arrays of {@link #stateArrays()} for this decoder's dimensions. */
    public int[] stateLengths() {
        return new int[] {p * outputs, outputs, n};
    }

    /**
     * Installs a model saved by {@link #stateArrays()} exactly as it was, then resets the lag history.
     *
     * @throws IllegalArgumentException naming the array on a wrong length or a non-finite value
     */
    public void restoreState(double[][] arrays, String[] names) {
        final int[] lengths = stateLengths();
        if (arrays.length != lengths.length) {
            throw new IllegalArgumentException("a Wiener decoder has " + lengths.length + " arrays, got " + arrays.length);
        }
        for (int i = 0; i < lengths.length; i++) {
            if (arrays[i] == null || arrays[i].length != lengths[i]) {
                throw new IllegalArgumentException(names[i] + " must have " + lengths[i] + " elements, had "
                        + (arrays[i] == null ? "null" : arrays[i].length));
            }
            if (!LinAlg.allFinite(arrays[i], lengths[i])) {
                throw new IllegalArgumentException(names[i] + " holds a NaN or infinite value");
            }
        }
        System.arraycopy(arrays[0], 0, coef, 0, lengths[0]);
        System.arraycopy(arrays[1], 0, bias, 0, lengths[1]);
        System.arraycopy(arrays[2], 0, featureMean, 0, lengths[2]);
        fitted = true;
        reset();
    }

    /** Coefficient of channel {@code channel} at lag {@code lag} (0 = current bin) for output {@code output}. */
    public double coefficient(int lag, int channel, int output) {
        return coef[output * p + lag * n + channel];
    }

    /** Intercept b of output {@code output}. */
    public double bias(int output) {
        return bias[output];
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
        head = head == 0 ? lags - 1 : head - 1;
        final int base = head * n;
        for (int j = 0; j < n; j++) {
            history[base + j] = features[j];
        }
        // Ring slot (head + k) mod L holds z_{t−k}.
        for (int o = 0; o < outputs; o++) {
            double s = bias[o];
            int slot = head;
            for (int k = 0; k < lags; k++) {
                final int hb = slot * n;
                s += LinAlg.dot(coef, o * p + k * n, history, hb, n);
                slot = slot + 1 == lags ? 0 : slot + 1;
            }
            y[o] = s;
        }
        for (int o = 0; o < outputs; o++) {
            final float v = (float) y[o];
            if (!Float.isFinite(v)) {
                numericFaultCount++;
                reset();
                safeOutput(out);
                return DecodeStatus.NUMERIC_FAULT;
            }
        }
        for (int o = 0; o < outputs; o++) {
            out[o] = (float) y[o];
        }
        return DecodeStatus.OK;
    }

    /** Zero: the command that moves nothing. */
    @Override
    public void safeOutput(float[] out) {
        for (int o = 0; o < outputs; o++) {
            out[o] = 0f;
        }
    }

    /** Refills the lag history with the calibration mean of each channel. */
    @Override
    public void reset() {
        for (int k = 0; k < lags; k++) {
            System.arraycopy(featureMean, 0, history, k * n, n);
        }
        head = 0;
    }

    /** Bins refused for NaN/Inf input since construction. */
    public long invalidInputCount() {
        return invalidInputCount;
    }

    /** Non-finite results (followed by a history reset) since construction. */
    public long numericFaultCount() {
        return numericFaultCount;
    }
}
