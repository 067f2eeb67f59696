package io.reflex.decoders;

/**
 * Decoding quality metrics.
 *
 * <p>R² here is the coefficient of determination {@code 1 − SS_res/SS_tot} per output (not the squared
 * correlation): it is 1 for a perfect decode, 0 for a decoder that always outputs the mean, and negative for one
 * that is worse than that.
 */
public final class Metrics {
    private Metrics() {
    }

    /**
     * R² of one series.
     *
     * @param truth     observed values
     * @param predicted decoded values
     * @param count     number of leading elements of both arrays to score, at least 2
     * @return the coefficient of determination; NaN when the truth does not vary
     */
    public static double r2(double[] truth, double[] predicted, int count) {
        return r2(truth, predicted, count, 1)[0];
    }

    /**
     * R² per output of interleaved (row-major) series: element {@code row * outputs + k} is output {@code k} of
     * row {@code row}.
     *
     * @return {@code outputs} values, NaN for an output whose truth does not vary
     */
    public static double[] r2(double[] truth, double[] predicted, int rows, int outputs) {
        if (rows < 2 || outputs < 1) {
            throw new IllegalArgumentException("need rows >= 2 and outputs >= 1, got rows=" + rows
                    + " outputs=" + outputs);
        }
        if (truth.length < rows * outputs || predicted.length < rows * outputs) {
            throw new IllegalArgumentException("arrays shorter than rows*outputs=" + rows * outputs);
        }
        final double[] result = new double[outputs];
        for (int k = 0; k < outputs; k++) {
            double mean = 0;
            for (int r = 0; r < rows; r++) {
                mean += truth[r * outputs + k];
            }
            mean /= rows;
            double ssRes = 0;
            double ssTot = 0;
            for (int r = 0; r < rows; r++) {
                final double y = truth[r * outputs + k];
                final double e = y - predicted[r * outputs + k];
                ssRes += e * e;
                ssTot += (y - mean) * (y - mean);
            }
            result[k] = ssTot > 0 ? 1.0 - ssRes / ssTot : Double.NaN;
        }
        return result;
    }

    /** Mean of {@link #r2(double[], double[], int, int)} over the outputs. */
    public static double meanR2(double[] truth, double[] predicted, int rows, int outputs) {
        final double[] r2 = r2(truth, predicted, rows, outputs);
        double sum = 0;
        for (double v : r2) {
            sum += v;
        }
        return sum / outputs;
    }

    /**
     * Streaming R² for a live decode: accumulates sums per output without storing the series and without
     * allocating after construction. Sums are kept in double; the one-pass form
     * {@code SS_tot = Σy² − (Σy)²/n} is adequate for kinematic magnitudes over runs of up to millions of bins.
     */
    public static final class R2Accumulator {
        private final int outputs;
        private final double[] sumY;
        private final double[] sumY2;
        private final double[] sumErr2;
        private long count;

        /** @param outputs number of outputs per row, at least 1 */
        public R2Accumulator(int outputs) {
            if (outputs < 1) {
                throw new IllegalArgumentException("outputs must be >= 1, was " + outputs);
            }
            this.outputs = outputs;
            this.sumY = new double[outputs];
            this.sumY2 = new double[outputs];
            this.sumErr2 = new double[outputs];
        }

        /** Adds one row: the first {@code outputs} elements of each array. */
        public void add(double[] truth, float[] predicted) {
            for (int k = 0; k < outputs; k++) {
                final double y = truth[k];
                final double e = y - predicted[k];
                sumY[k] += y;
                sumY2[k] += y * y;
                sumErr2[k] += e * e;
            }
            count++;
        }

        /** Adds one row: the first {@code outputs} elements of each array. */
        public void add(double[] truth, double[] predicted) {
            for (int k = 0; k < outputs; k++) {
                final double y = truth[k];
                final double e = y - predicted[k];
                sumY[k] += y;
                sumY2[k] += y * y;
                sumErr2[k] += e * e;
            }
            count++;
        }

        /** Rows added so far. */
        public long count() {
            return count;
        }

        /** R² of output {@code k}; NaN with fewer than 2 rows or a constant truth. */
        public double r2(int k) {
            if (count < 2) {
                return Double.NaN;
            }
            final double ssTot = sumY2[k] - sumY[k] * sumY[k] / count;
            return ssTot > 0 ? 1.0 - sumErr2[k] / ssTot : Double.NaN;
        }

        /** Mean R² over the outputs. */
        public double meanR2() {
            double sum = 0;
            for (int k = 0; k < outputs; k++) {
                sum += r2(k);
            }
            return sum / outputs;
        }

        /** Forgets all rows. */
        public void reset() {
            java.util.Arrays.fill(sumY, 0);
            java.util.Arrays.fill(sumY2, 0);
            java.util.Arrays.fill(sumErr2, 0);
            count = 0;
        }
    }
}
