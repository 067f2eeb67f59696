package io.reflex.decoders;

import io.reflex.decoders.catalog.Decoders;
import io.reflex.decoders.synth.CenterOutSource;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Offline end-to-end check: 96 synthetic channels, 20 ms bins (20 samples at 1 kHz), a calibration block then a
 * test block decoded bin by bin, scored with velocity R².
 */
class CenterOutDecodingTest {
    static final int CHANNELS = 96;
    static final int SAMPLES_PER_BIN = 20;
    static final int BINS_PER_SECOND = 50;

    /** Decodes {@code testSeconds} after fitting on {@code calibrationSeconds}; returns mean velocity R². */
    static double velocityR2(String decoder, Map<String, String> options, long seed, double calibrationSeconds,
                             double testSeconds) {
        final CenterOutSource source = new CenterOutSource(new CenterOutSource.Context()
                .channels(CHANNELS).seed(seed));
        final int calBins = (int) Math.round(calibrationSeconds * BINS_PER_SECOND);
        final int testBins = (int) Math.round(testSeconds * BINS_PER_SECOND);
        final CalibrationSet set = new CalibrationSet(calBins, CHANNELS, 2);
        source.fillVelocityCalibration(set, SAMPLES_PER_BIN);
        assertThat(set.size()).isEqualTo(calBins);
        final float[] counts = new float[CHANNELS];
        final double[] kin = new double[4];
        final TrainableDecoder dec = Decoders.create(decoder, CHANNELS, options);
        dec.fit(set);
        final Metrics.R2Accumulator r2 = new Metrics.R2Accumulator(2);
        final float[] out = new float[2];
        final double[] truth = new double[2];
        for (int b = 0; b < testBins; b++) {
            source.nextBin(SAMPLES_PER_BIN, counts, kin);
            assertThat(dec.decode(counts, out)).isEqualTo(DecodeStatus.OK);
            truth[0] = kin[2];
            truth[1] = kin[3];
            r2.add(truth, out);
        }
        return r2.meanR2();
    }

    /** Decodes the test block and returns the outputs, row-major. */
    static float[] decodeTrace(String decoder, Map<String, String> options, long seed) {
        final CenterOutSource source = new CenterOutSource(new CenterOutSource.Context()
                .channels(CHANNELS).seed(seed));
        final CalibrationSet set = new CalibrationSet(300, CHANNELS, 2);
        source.fillVelocityCalibration(set, SAMPLES_PER_BIN);
        final TrainableDecoder dec = Decoders.create(decoder, CHANNELS, options);
        dec.fit(set);
        final float[] counts = new float[CHANNELS];
        final double[] kin = new double[4];
        final float[] trace = new float[2 * 200];
        final float[] out = new float[2];
        for (int b = 0; b < 200; b++) {
            source.nextBin(SAMPLES_PER_BIN, counts, kin);
            dec.decode(counts, out);
            trace[2 * b] = out[0];
            trace[2 * b + 1] = out[1];
        }
        return trace;
    }

    @Test
    void aCalibrationSetOfOtherChannelsOrOutputsIsRefused() {
        final CenterOutSource source = new CenterOutSource(new CenterOutSource.Context().channels(CHANNELS).seed(3));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> source.fillVelocityCalibration(
                new CalibrationSet(10, CHANNELS + 1, 2), SAMPLES_PER_BIN)).hasMessageContaining("channels");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> source.fillVelocityCalibration(
                new CalibrationSet(10, CHANNELS, 3), SAMPLES_PER_BIN)).hasMessageContaining("2 velocity outputs");
    }

    @Test
    void sameSeedDecodesIdentically() {
        for (String decoder : new String[] {"kalman", "wiener"}) {
            final float[] first = decodeTrace(decoder, Map.of(), 21);
            final float[] second = decodeTrace(decoder, Map.of(), 21);
            final float[] other = decodeTrace(decoder, Map.of(), 22);
            assertThat(second).as(decoder).containsExactly(first);
            assertThat(other).as(decoder).isNotEqualTo(first);
        }
        final float[] full = decodeTrace("kalman", Map.of("gain", "full"), 21);
        assertThat(decodeTrace("kalman", Map.of("gain", "full"), 21)).containsExactly(full);
    }

    @Test
    void kalmanSteadyStateReachesR2OfPointEightOn96Channels() {
        final double r2 = velocityR2("kalman", Map.of("gain", "steady"), 1, 10, 8);
        System.out.println("kalman steady R2 = " + r2);
        assertThat(r2).isGreaterThanOrEqualTo(0.8);
    }

    @Test
    void kalmanFullGainReachesR2OfPointEightOn96Channels() {
        final double r2 = velocityR2("kalman", Map.of("gain", "full"), 1, 10, 8);
        System.out.println("kalman full R2 = " + r2);
        assertThat(r2).isGreaterThanOrEqualTo(0.8);
    }

    @Test
    void wienerDecodesVelocity() {
        final double r2 = velocityR2("wiener", Map.of(), 1, 10, 8);
        System.out.println("wiener R2 = " + r2);
        assertThat(r2).isGreaterThanOrEqualTo(0.6);
    }
}
