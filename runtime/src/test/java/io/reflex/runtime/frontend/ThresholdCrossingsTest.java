package io.reflex.runtime.frontend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class ThresholdCrossingsTest {
    private static final int FS = 30_000;

    /** One channel calibrated on alternating +1/-1 (RMS 1), so the threshold is exactly -k. */
    private static ThresholdCrossings oneChannel(double k, int refractorySamples) {
        ThresholdCrossings tc = new ThresholdCrossings(1, k, refractorySamples);
        tc.calibrate(new float[] {1, -1, 1, -1}, 0, 4, null);
        return tc;
    }

    @Test
    void countsNegativeGoingCrossingsWithARefractoryPeriodCarriedAcrossChunks() {
        ThresholdCrossings tc = oneChannel(2, 2);
        assertThat(tc.threshold(0)).isEqualTo(-2f);
        assertThat(tc.rms(0)).isEqualTo(1.0);
        // Index: 0 1 2 3 4 5 6 7 8 9: crossings at 1 (then 2, 3 held off), 4 is below but held, 7 (prev 0).
        float[] x = {0, -3, 0, -3, -3, 0, 0, -3, -5, -1};
        float[] bin = new float[1];
        // The first sample after calibration cannot cross (no predecessor), even when below the threshold.
        float[] first = {-9};
        tc.accumulate(first, 0, 1);
        tc.drainBin(bin);
        assertThat(bin[0]).isZero();
        ThresholdCrossings whole = oneChannel(2, 2);
        whole.accumulate(x, 0, x.length);
        whole.drainBin(bin);
        assertThat(bin[0]).isEqualTo(2f);
        // The same signal in chunks of 1, 2 and the rest: the hold-off after index 1 spans the chunk boundary.
        ThresholdCrossings chunked = oneChannel(2, 2);
        chunked.accumulate(x, 0, 2);
        chunked.accumulate(x, 2, 2);
        chunked.accumulate(x, 4, 6);
        chunked.drainBin(bin);
        assertThat(bin[0]).isEqualTo(2f);
        // Refractory 0: every negative-going crossing counts (1, 3, 7).
        ThresholdCrossings noRefractory = oneChannel(2, 0);
        noRefractory.accumulate(x, 0, x.length);
        noRefractory.drainBin(bin);
        assertThat(bin[0]).isEqualTo(3f);
        // Positive-going excursions never count.
        ThresholdCrossings positive = oneChannel(2, 0);
        positive.accumulate(new float[] {0, 3, 0, 3, 0}, 0, 5);
        positive.drainBin(bin);
        assertThat(bin[0]).isZero();
    }

    @Property(tries = 40)
    void binCountsDoNotDependOnHowBinsAreCutIntoChunks(
            @ForAll @Size(min = 1, max = 8) List<@IntRange(min = 1, max = 45) Integer> chunks,
            @ForAll @IntRange(min = 0, max = 40) int refractorySamples, @ForAll long seed) {
        int channels = 4, binSamples = 30, bins = 100;
        float[] x = BiquadBankTest.noise(channels, binSamples * bins, seed);
        for (int i = 0; i < x.length; i++) {
            x[i] -= 100; // zero mean, RMS 20: a threshold of 1.5 RMS crosses often
        }
        float[] reference = countPerBin(x, channels, binSamples, bins, refractorySamples, List.of(binSamples));
        float[] chunked = countPerBin(x, channels, binSamples, bins, refractorySamples, chunks);
        assertThat(chunked).containsExactly(reference);
    }

    /** Bins of binSamples, each made of whole chunks cut from the cycling list (the last chunk of a bin is cut short). */
    private static float[] countPerBin(float[] x, int channels, int binSamples, int bins, int refractorySamples,
                                       List<Integer> chunks) {
        ThresholdCrossings tc = new ThresholdCrossings(channels, 1.5, refractorySamples);
        tc.calibrate(x, 0, binSamples * bins, null);
        float[] out = new float[channels * bins];
        float[] bin = new float[channels];
        int next = 0;
        for (int b = 0; b < bins; b++) {
            int done = 0;
            while (done < binSamples) {
                int n = Math.min(chunks.get(next++ % chunks.size()), binSamples - done);
                tc.accumulate(x, (b * binSamples + done) * channels, n);
                done += n;
            }
            tc.drainBin(bin);
            System.arraycopy(bin, 0, out, b * channels, channels);
        }
        return out;
    }

    @Test
    void deadChannelsAreExcludedAndNeverCount() {
        // Channel 0 fine, 1 NaN in calibration, 2 flat (RMS 0), 3 marked dead by the health check.
        float[] cal = BiquadBankTest.noise(4, 300, 1);
        for (int s = 0; s < 300; s++) {
            cal[s * 4] -= 100;
            cal[s * 4 + 2] = 0;
        }
        cal[10 * 4 + 1] = Float.NaN;
        ThresholdCrossings tc = new ThresholdCrossings(4, 3, 10);
        assertThat(tc.calibrate(cal, 0, 300, new boolean[] {false, false, false, true})).isEqualTo(3);
        assertThat(tc.isExcluded(0)).isFalse();
        assertThat(tc.isExcluded(1)).isTrue();
        assertThat(tc.isExcluded(2)).isTrue();
        assertThat(tc.isExcluded(3)).isTrue();
        assertThat(tc.excludedCount()).isEqualTo(3);
        assertThat(tc.threshold(1)).isNaN();
        float[] spikes = new float[4 * 4];
        for (int c = 0; c < 4; c++) {
            spikes[4 + c] = -1e6f;
            spikes[12 + c] = -1e6f;
        }
        assertThat(tc.accumulate(spikes, 0, 4)).isEqualTo(1);
        float[] bin = new float[4];
        tc.drainBin(bin);
        assertThat(bin).containsExactly(1f, 0f, 0f, 0f);
    }

    @Test
    void rejectsBadArgumentsAndUseBeforeCalibration() {
        assertThatThrownBy(() -> new ThresholdCrossings(0, 4, 30)).hasMessageContaining("channels");
        assertThatThrownBy(() -> new ThresholdCrossings(2, 0, 30)).hasMessageContaining("thresholdK");
        assertThatThrownBy(() -> new ThresholdCrossings(2, Double.NaN, 30)).hasMessageContaining("thresholdK");
        assertThatThrownBy(() -> new ThresholdCrossings(2, 4, -1)).hasMessageContaining("refractorySamples");
        ThresholdCrossings tc = new ThresholdCrossings(2, 4, 30);
        assertThatThrownBy(() -> tc.accumulate(new float[4], 0, 2)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> tc.calibrate(new float[4], 0, 0, null)).hasMessageContaining("at least one");
        assertThatThrownBy(() -> tc.calibrate(new float[4], 0, 2, new boolean[1])).hasMessageContaining("dead");
        tc.calibrate(new float[] {1, 1, -1, -1}, 0, 2, null);
        assertThatThrownBy(() -> tc.accumulate(new float[4], 1, 2)).hasMessageContaining("fit");
    }

    // ---- Detection against synthetic spikes with known times -------------------------------------------------

    private static final int CHANNELS = 8;
    private static final int DEAD_NAN = 6;
    private static final int DEAD_FLAT = 7;
    private static final int CALIBRATION_S = 5;
    private static final int LIVE_S = 20;
    private static final int BIN = 30; // 1 ms
    private static final int MIN_GAP = 90; // 3 ms between one unit's spikes
    private static final int EARLY = 10; // a crossing may come this many samples before the trough (falling edge)
    private static final int LATE = 30; // or this many after it (filter delay)

    /**
     * 30 kHz broadband on 8 channels: white noise (10 µV RMS), a 5 Hz LFP (100 µV) and 60 Hz hum (50 µV) common to
     * all channels, and on channels 0..5 one unit each firing at 20 Hz (Poisson with a 3 ms dead time) a biphasic
     * waveform with a 70..120 µV trough 0.3 ms after its start. Channel 6 carries NaN, channel 7 is flat at 2,000
     * µV. Front end as #17 lays it out: health check and CAR, band-pass 250..5,000 Hz (order 2 each side),
     * threshold at -4.5 RMS from the first 5 s, refractory 1 ms, 1 ms bins of chunks of 7, 11 and 12 samples.
     * Bounds: a hit is a crossing in a bin that overlaps [trough - 10, trough + 30] samples (the crossing is on
     * the falling edge, before the trough; the filter delays a little); hit rate >= 95
     * % on every live channel, false positives <= 2 per second per channel (Gaussian noise alone at 4.5 RMS and 5
     * kHz bandwidth crosses about 0.1 times a second; CAR leaks 1/6 of each other unit's spike).
     */
    @Test
    void detectsSyntheticSpikesWithKnownTimes() {
        int length = (CALIBRATION_S + LIVE_S) * FS;
        Random random = new Random(1234);
        float[] x = new float[CHANNELS * length];
        List<List<Integer>> truth = new ArrayList<>();
        for (int c = 0; c < CHANNELS; c++) {
            truth.add(new ArrayList<>());
        }
        for (int s = 0; s < length; s++) {
            double t = s / (double) FS;
            double common = 100 * Math.sin(2 * Math.PI * 5 * t) + 50 * Math.sin(2 * Math.PI * 60 * t);
            for (int c = 0; c < CHANNELS; c++) {
                x[s * CHANNELS + c] = (float) (common + 10 * random.nextGaussian());
            }
        }
        float[] waveform = new float[45];
        for (int c = 0; c < 6; c++) {
            int s = 0;
            while (true) {
                s += MIN_GAP + (int) (-Math.log(1 - random.nextDouble()) * FS / 20.0);
                if (s + waveform.length >= length) {
                    break;
                }
                double amplitude = 70 + 50 * random.nextDouble();
                for (int i = 0; i < waveform.length; i++) {
                    double ms = i / 30.0;
                    double v = -amplitude * Math.exp(-sq(ms - 0.3) / (2 * sq(0.1)))
                            + 0.4 * amplitude * Math.exp(-sq(ms - 0.7) / (2 * sq(0.2)));
                    x[(s + i) * CHANNELS + c] += (float) v;
                }
                truth.get(c).add(s + 9); // the trough, 0.3 ms in
            }
        }
        for (int s = 0; s < length; s++) {
            x[s * CHANNELS + DEAD_NAN] = s % 1000 == 500 ? Float.NaN : x[s * CHANNELS + DEAD_NAN];
            x[s * CHANNELS + DEAD_FLAT] = 2_000f;
        }

        ChannelHealth health = new ChannelHealth(CHANNELS, 1.0, 8_000, 0.01);
        int calibration = CALIBRATION_S * FS;
        health.assess(x, 0, calibration);
        assertThat(health.describeDead()).isEqualTo(DEAD_NAN + " (non-finite), " + DEAD_FLAT + " (flat)");
        boolean[] dead = new boolean[CHANNELS];
        health.copyDeadMask(dead);
        CommonAverageReference car = new CommonAverageReference(CHANNELS);
        car.setExcluded(dead);
        BiquadBank filter = new BiquadBank(Butterworth.bandPass(2, 250, 5000, FS), CHANNELS);
        car.apply(x, 0, x, 0, length);
        filter.processInPlace(x, length);
        for (float v : x) {
            assertThat(v).isFinite();
        }

        ThresholdCrossings tc = new ThresholdCrossings(CHANNELS, 4.5, 30);
        assertThat(tc.calibrate(x, 0, calibration, dead)).isEqualTo(2);
        int bins = LIVE_S * FS / BIN;
        int[][] counts = new int[bins][CHANNELS];
        float[] bin = new float[CHANNELS];
        int[] chunks = {7, 11, 12};
        for (int b = 0; b < bins; b++) {
            int start = calibration + b * BIN;
            int done = 0;
            for (int n : chunks) {
                tc.accumulate(x, (start + done) * CHANNELS, n);
                done += n;
            }
            tc.drainBin(bin);
            for (int c = 0; c < CHANNELS; c++) {
                counts[b][c] = (int) bin[c];
            }
        }

        for (int c = 0; c < 6; c++) {
            int hits = 0, spikes = 0;
            for (int trough : truth.get(c)) {
                if (trough < calibration + BIN || trough >= length - 2 * BIN) {
                    continue;
                }
                spikes++;
                int first = (trough - EARLY - calibration) / BIN, last = (trough + LATE - calibration) / BIN;
                for (int b = first; b <= last; b++) {
                    if (counts[b][c] > 0) {
                        counts[b][c]--;
                        hits++;
                        break;
                    }
                }
            }
            int falsePositives = 0;
            for (int[] perBin : counts) {
                falsePositives += perBin[c];
            }
            double hitRate = hits / (double) spikes;
            double falsePerS = falsePositives / (double) LIVE_S;
            System.out.printf("channel %d: %d true spikes, hit rate %.4f, false positives %.2f/s%n", c, spikes,
                    hitRate, falsePerS);
            assertThat(spikes).isGreaterThan(300);
            assertThat(hitRate).as("hit rate, channel %d", c).isGreaterThanOrEqualTo(0.95);
            assertThat(falsePerS).as("false positives per second, channel %d", c).isLessThanOrEqualTo(2.0);
        }
        for (int[] perBin : counts) {
            assertThat(perBin[DEAD_NAN]).isZero();
            assertThat(perBin[DEAD_FLAT]).isZero();
        }
        // Band-passed white noise of 10 µV RMS keeps about sqrt(4750 / 15000) of it; spikes add a little.
        assertThat(tc.rms(0)).isCloseTo(6.5, within(1.5));
    }

    private static double sq(double v) {
        return v * v;
    }
}
