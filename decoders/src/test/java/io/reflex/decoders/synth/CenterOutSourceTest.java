package io.reflex.decoders.synth;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class CenterOutSourceTest {

    @Test
    void sameSeedGivesIdenticalOutputAndAnotherSeedDoesNot() {
        final CenterOutSource a = new CenterOutSource(new CenterOutSource.Context().channels(16).seed(42));
        final CenterOutSource b = new CenterOutSource(new CenterOutSource.Context().channels(16).seed(42));
        final CenterOutSource c = new CenterOutSource(new CenterOutSource.Context().channels(16).seed(43));
        final float[] sa = new float[16];
        final float[] sb = new float[16];
        final float[] sc = new float[16];
        final double[] ka = new double[4];
        final double[] kb = new double[4];
        final double[] kc = new double[4];
        boolean differs = false;
        for (int t = 0; t < 5000; t++) {
            a.nextSample(sa, ka);
            b.nextSample(sb, kb);
            c.nextSample(sc, kc);
            assertThat(sb).containsExactly(sa);
            assertThat(kb).containsExactly(ka);
            differs |= !java.util.Arrays.equals(sa, sc) || !java.util.Arrays.equals(ka, kc);
        }
        assertThat(differs).isTrue();
        assertThat(a.sampleIndex()).isEqualTo(5000);
    }

    @Test
    void kinematicsDoNotDependOnTheChannelCount() {
        final CenterOutSource a = new CenterOutSource(new CenterOutSource.Context().channels(4).seed(7));
        final CenterOutSource b = new CenterOutSource(new CenterOutSource.Context().channels(96).seed(7));
        final double[] ka = new double[4];
        final double[] kb = new double[4];
        for (int t = 0; t < 3000; t++) {
            a.nextSample(new float[4], ka);
            b.nextSample(new float[96], kb);
            assertThat(kb).containsExactly(ka);
        }
    }

    @Test
    void trialsAreMinimumJerkReachesToTheTargetCircleWithHolds() {
        final CenterOutSource s = new CenterOutSource(new CenterOutSource.Context().channels(1).seed(3));
        final float[] counts = new float[1];
        final double[] k = new double[4];
        double px = 0;
        double py = 0;
        double peakSpeed = 0;
        for (int t = 0; t < 500; t++) {
            s.nextSample(counts, k);
            // Integrate velocity (trapezoid-free Euler on 1 ms samples) and compare with the position below.
            px += k[2] * 1e-3;
            py += k[3] * 1e-3;
            peakSpeed = Math.max(peakSpeed, Math.hypot(k[2], k[3]));
        }
        final int target = s.targetIndex();
        final double angle = 2 * Math.PI * target / 8;
        // Hold at the target: position on the circle, zero velocity.
        s.nextSample(counts, k);
        assertThat(k[0]).isCloseTo(0.1 * Math.cos(angle), within(1e-12));
        assertThat(k[1]).isCloseTo(0.1 * Math.sin(angle), within(1e-12));
        assertThat(k[2]).isZero();
        assertThat(k[3]).isZero();
        assertThat(px).isCloseTo(k[0], within(1e-4));
        assertThat(py).isCloseTo(k[1], within(1e-4));
        // Minimum-jerk peak speed is 1.875 * distance / duration.
        assertThat(peakSpeed).isCloseTo(1.875 * 0.1 / 0.5, within(1e-4));
        for (int t = 0; t < 299 + 500 + 1; t++) {
            s.nextSample(counts, k);
        }
        // Holding at the centre after hold + return.
        assertThat(k).containsExactly(0, 0, 0, 0);
        assertThat(s.sampleIndex()).isEqualTo(1301);
    }

    @Test
    void everyBlockOfEightTrialsVisitsEveryTarget() {
        final CenterOutSource s = new CenterOutSource(new CenterOutSource.Context().channels(1).seed(13));
        final float[] counts = new float[1];
        final double[] k = new double[4];
        final java.util.List<Integer> order = new java.util.ArrayList<>();
        for (int trial = 0; trial < 40; trial++) {
            order.add(s.targetIndex());
            for (int t = 0; t < 1600; t++) {
                s.nextSample(counts, k);
            }
        }
        for (int block = 0; block < 5; block++) {
            assertThat(order.subList(block * 8, block * 8 + 8)).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7);
        }
        assertThat(order.subList(0, 8)).isNotEqualTo(order.subList(8, 16));
    }

    @Test
    void tuningParametersLieInTheirRanges() {
        final CenterOutSource s = new CenterOutSource(new CenterOutSource.Context().channels(200).seed(5)
                .baseRateMinHz(5).baseRateMaxHz(20).modulationMinHzPerMps(5).modulationMaxHzPerMps(15));
        for (int i = 0; i < 200; i++) {
            assertThat(s.baseRateHz(i)).isBetween(5.0, 20.0);
            assertThat(s.modulationHzPerMps(i)).isBetween(5.0, 15.0);
            assertThat(s.preferredDirectionRad(i)).isBetween(0.0, 2 * Math.PI);
        }
    }

    @Test
    void spikeCountsFollowThePoissonMeanOfTheRates() {
        // No modulation: each channel fires at its baseline; over 200 s the mean count per 1 ms sample is b/1000.
        final CenterOutSource s = new CenterOutSource(new CenterOutSource.Context().channels(8).seed(11)
                .modulationMinHzPerMps(0).modulationMaxHzPerMps(0));
        final float[] counts = new float[8];
        final double[] k = new double[4];
        final double[] sum = new double[8];
        final int samples = 200_000;
        for (int t = 0; t < samples; t++) {
            s.nextSample(counts, k);
            for (int i = 0; i < 8; i++) {
                sum[i] += counts[i];
            }
        }
        for (int i = 0; i < 8; i++) {
            final double expected = s.baseRateHz(i) * samples * 1e-3;
            // Poisson: sd = sqrt(mean); 5 sd keeps the test deterministic-in-practice for a fixed seed anyway.
            assertThat(sum[i]).as("channel %d", i).isCloseTo(expected, within(5 * Math.sqrt(expected)));
        }
    }

    @Test
    void binsSumCountsAndAverageKinematics() {
        final CenterOutSource a = new CenterOutSource(new CenterOutSource.Context().channels(3).seed(9));
        final CenterOutSource b = new CenterOutSource(new CenterOutSource.Context().channels(3).seed(9));
        final float[] bin = new float[3];
        final double[] binK = new double[4];
        a.nextBin(20, bin, binK);
        final float[] sum = new float[3];
        final double[] vx = new double[1];
        final float[] s = new float[3];
        final double[] k = new double[4];
        for (int t = 0; t < 20; t++) {
            b.nextSample(s, k);
            for (int i = 0; i < 3; i++) {
                sum[i] += s[i];
            }
            vx[0] += k[2] / 20;
        }
        assertThat(bin).containsExactly(sum);
        assertThat(binK[2]).isCloseTo(vx[0], within(1e-15));
        assertThat(a.sampleIndex()).isEqualTo(20);
    }

    @Test
    void contextRejectsBadValuesNamingTheField() {
        assertThatThrownBy(() -> new CenterOutSource.Context().channels(0).conclude())
                .hasMessage("channels must be in [1, 100000], was 0");
        assertThatThrownBy(() -> new CenterOutSource.Context().baseRateMinHz(10).baseRateMaxHz(5).conclude())
                .hasMessageContaining("baseRateMaxHz must be in [10.0");
        assertThatThrownBy(() -> new CenterOutSource.Context().sampleRateHz(0).conclude())
                .hasMessageContaining("sampleRateHz");
        assertThatThrownBy(() -> new CenterOutSource.Context().targetRadiusM(-1).conclude())
                .hasMessageContaining("targetRadiusM must be in (0, 10]");
        assertThatThrownBy(() -> new CenterOutSource.Context().targetCount(0).conclude())
                .hasMessage("targetCount must be in [1, 360], was 0");
        assertThatThrownBy(() -> new CenterOutSource.Context().modulationMinHzPerMps(Double.NaN).conclude())
                .hasMessageContaining("modulationMinHzPerMps");
    }

    @Test
    void spikesForAGivenVelocityFollowTheCosineTuningWithoutAdvancingTheTask() {
        CenterOutSource src = new CenterOutSource(new CenterOutSource.Context().channels(4).seed(3));
        double theta = src.preferredDirectionRad(0);
        float[] counts = new float[4];
        double along = 0;
        double against = 0;
        int n = 20_000;
        for (int k = 0; k < n; k++) {
            src.spikesFor(0.3 * Math.cos(theta), 0.3 * Math.sin(theta), counts);
            along += counts[0];
            src.spikesFor(-0.3 * Math.cos(theta), -0.3 * Math.sin(theta), counts);
            against += counts[0];
        }
        double expectAlong = src.baseRateHz(0) + 0.3 * src.modulationHzPerMps(0);
        assertThat(along / n * 1000).as("rate along the preferred direction, Hz").isCloseTo(expectAlong,
                within(0.1 * expectAlong));
        assertThat(against / n * 1000).as("rectified at zero against it")
                .isLessThan(Math.max(0, src.baseRateHz(0) - 0.3 * src.modulationHzPerMps(0)) + 2);
        assertThat(src.sampleIndex()).as("the scripted task did not advance").isZero();
    }

    @Test
    void aBinStreamIsTheNextBinsInOrder() {
        CenterOutSource a = new CenterOutSource(new CenterOutSource.Context().channels(9).seed(4));
        CenterOutSource b = new CenterOutSource(new CenterOutSource.Context().channels(9).seed(4));
        float[][] stream = a.binStream(20, 30);
        float[] bin = new float[9];
        double[] kin = new double[4];
        for (float[] expected : stream) {
            b.nextBin(20, bin, kin);
            assertThat(expected).containsExactly(bin);
        }
    }
}
