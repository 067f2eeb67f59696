package io.reflex.decoders;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class MetricsTest {

    @Test
    void perfectDecodeScoresOneAndMeanPredictorScoresZero() {
        final double[] truth = {1, 2, 3, 4};
        assertThat(Metrics.r2(truth, truth, 4)).isEqualTo(1.0);
        assertThat(Metrics.r2(truth, new double[] {2.5, 2.5, 2.5, 2.5}, 4)).isCloseTo(0.0, within(1e-15));
    }

    @Test
    void matchesAHandComputedValuePerOutput() {
        // Output 0: truth 0,1,2 pred 0,1,1 -> SS_res 1, SS_tot 2 -> 0.5; output 1: constant truth -> NaN.
        final double[] truth = {0, 5, 1, 5, 2, 5};
        final double[] pred = {0, 5, 1, 5, 1, 5};
        final double[] r2 = Metrics.r2(truth, pred, 3, 2);
        assertThat(r2[0]).isCloseTo(0.5, within(1e-15));
        assertThat(r2[1]).isNaN();
    }

    @Test
    void accumulatorAgreesWithTheBatchFormula() {
        final int rows = 500;
        final double[] truth = new double[rows * 2];
        final double[] pred = new double[rows * 2];
        final Metrics.R2Accumulator acc = new Metrics.R2Accumulator(2);
        for (int r = 0; r < rows; r++) {
            truth[2 * r] = Math.sin(r * 0.1) * 0.3;
            truth[2 * r + 1] = Math.cos(r * 0.07) * 0.2;
            pred[2 * r] = truth[2 * r] + 0.05 * Math.sin(r * 1.7);
            pred[2 * r + 1] = truth[2 * r + 1] * 0.8;
            acc.add(new double[] {truth[2 * r], truth[2 * r + 1]},
                    new float[] {(float) pred[2 * r], (float) pred[2 * r + 1]});
        }
        final double[] batch = Metrics.r2(truth, pred, rows, 2);
        assertThat(acc.count()).isEqualTo(rows);
        assertThat(acc.r2(0)).isCloseTo(batch[0], within(1e-6));
        assertThat(acc.r2(1)).isCloseTo(batch[1], within(1e-6));
        assertThat(acc.meanR2()).isCloseTo(Metrics.meanR2(truth, pred, rows, 2), within(1e-6));
        acc.reset();
        assertThat(acc.count()).isZero();
        assertThat(acc.r2(0)).isNaN();
    }
}
