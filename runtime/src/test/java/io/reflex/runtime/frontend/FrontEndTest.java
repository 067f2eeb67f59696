package io.reflex.runtime.frontend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.source.BroadbandGenerator;
import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrontEndTest {
    private static final double FS = 30_000;

    private static FrontEnd.Context ctx(int channels, int samplesPerBin) {
        return new FrontEnd.Context().channels(channels).sampleRateHz(FS).samplesPerBin(samplesPerBin);
    }

    /** {@code bins} bins of {@code n} samples from the generator, one after another, into {@code out[bin]}. */
    private static void fill(BroadbandGenerator gen, float[] bin, int channels, int n) {
        float[] sample = new float[channels];
        double[] kin = new double[4];
        for (int s = 0; s < n; s++) {
            gen.nextSample(sample, kin);
            System.arraycopy(sample, 0, bin, s * channels, channels);
        }
    }

    @Test
    void detectsTheGeneratorsSpikesNamesDeadChannelsAndLeavesThemAtZero() {
        int ch = 12;
        int n = 30; // 1 ms bins
        BroadbandGenerator gen = new BroadbandGenerator(new BroadbandGenerator.Context().channels(ch).seed(7)
                .deadChannels(3, 5, 9));
        FrontEnd fe = new FrontEnd(ctx(ch, n).rmsSeconds(1.0).outputs(List.of("crossings", "power")));
        assertThat(fe.featureCount()).isEqualTo(2 * ch);
        float[] bin = new float[ch * n];
        float[] features = new float[2 * ch];
        long[] detected = new long[ch];
        long[] truth = new long[ch];
        double[] power = new double[ch];
        int calibratingBins = 0;
        int bins = 8_000; // 8 s
        BroadbandGenerator.Truth t = gen.truth();
        for (int b = 0; b < bins; b++) {
            fill(gen, bin, ch, n);
            int status = fe.process(bin, n, features);
            long end = (long) (b + 1) * n;
            for (long e = t.pollBefore(end); e >= 0; e = t.pollBefore(end)) {
                if (status == FrontEnd.LIVE) {
                    truth[BroadbandGenerator.Truth.channel(e)]++;
                }
            }
            if (status == FrontEnd.CALIBRATING) {
                calibratingBins++;
                for (int c = 0; c < ch; c++) {
                    assertThat(features[c]).isZero();
                }
                continue;
            }
            for (int c = 0; c < ch; c++) {
                detected[c] += (long) features[c];
                power[c] += features[ch + c];
            }
        }
        // 50 ms to settle and 1 s of RMS, in 1 ms bins: the 1,051st bin completes the calibration
        assertThat(calibratingBins).isEqualTo(1_050);
        assertThat(fe.isCalibrated()).isTrue();
        assertThat(fe.describeDead()).isEqualTo("3 (non-finite), 5 (flat), 9 (clipped)");
        assertThat(fe.deadChannels()).containsExactly(3, 5, 9);
        for (int c = 0; c < ch; c++) {
            if (c == 3 || c == 5 || c == 9) {
                assertThat(detected[c]).as("dead channel %d", c).isZero();
                assertThat(power[c]).as("dead channel %d", c).isZero();
                assertThat(fe.threshold(c)).isNaN();
                continue;
            }
            // count-level agreement over 6.95 s: every spike found, few extra
            double ratio = (double) detected[c] / truth[c];
            System.out.printf("channel %d: %d true, %d crossings, rms %.2f uV, mean power %.1f uV^2%n", c, truth[c],
                    detected[c], fe.rms(c), power[c] / (bins - calibratingBins));
            assertThat(truth[c]).as("channel %d true spikes", c).isGreaterThan(20);
            assertThat(ratio).as("channel %d crossings / true spikes", c).isBetween(0.95, 1.05);
            // white noise 10 uV RMS over 15 kHz, band-limited to 250-5000 Hz and re-referenced: about 5.5 uV
            assertThat(fe.rms(c)).isBetween(3.0, 12.0);
            assertThat(power[c] / (bins - calibratingBins)).isBetween(10.0, 400.0);
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"all", "groups", "none"})
    void zeroAllocationPerBinInSteadyState(String car) {
        int ch = 64;
        int n = 30;
        BroadbandGenerator gen = new BroadbandGenerator(new BroadbandGenerator.Context().channels(ch).seed(3)
                .deadChannels(1, -1, -1));
        FrontEnd fe = new FrontEnd(ctx(ch, n).rmsSeconds(0.1).car(car).carGroupSize(16)
                .outputs(List.of("crossings", "power")));
        float[][] bins = new float[50][ch * n];
        for (float[] b : bins) {
            fill(gen, b, ch, n);
        }
        float[] features = new float[fe.featureCount()];
        for (int i = 0; i < 20_000; i++) {
            fe.process(bins[i % bins.length], n, features);
        }
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        // steady state: one of up to five windows of 20,000 bins allocates nothing (the JIT may still be
        // compiling during the first; a per-bin allocation would show in every window)
        long[] allocated = new long[5];
        for (int w = 0; w < allocated.length; w++) {
            long before = mx.getThreadAllocatedBytes(id);
            for (int i = 0; i < 20_000; i++) {
                fe.process(bins[i % bins.length], n, features);
            }
            allocated[w] = mx.getThreadAllocatedBytes(id) - before;
            if (allocated[w] == 0) {
                break;
            }
        }
        assertThat(fe.isCalibrated()).isTrue();
        assertThat(fe.deadChannels()).containsExactly(1);
        assertThat(allocated).as("bytes allocated by windows of 20,000 bins").contains(0L);
    }

    @Test
    void aChannelThatDiesAfterCalibrationIsExcludedFromThenOn() {
        int ch = 4;
        int n = 30;
        FrontEnd fe = new FrontEnd(ctx(ch, n).rmsSeconds(0.01).car("none").filterOrder(0));
        float[] bin = new float[ch * n];
        float[] features = new float[ch];
        java.util.Random r = new java.util.Random(1);
        for (int b = 0; b < 100; b++) {
            for (int i = 0; i < bin.length; i++) {
                bin[i] = (float) (10 * r.nextGaussian());
            }
            fe.process(bin, n, features);
        }
        assertThat(fe.isCalibrated()).isTrue();
        assertThat(fe.deadCount()).isZero();
        for (int s = 0; s < n; s++) {
            bin[s * ch + 2] = s == 10 ? Float.NaN : -1_000f * (s % 2); // a NaN and big spikes on channel 2
        }
        fe.process(bin, n, features);
        assertThat(fe.describeDead()).isEqualTo("2 (non-finite)");
        assertThat(features[2]).isZero();
        assertThat(fe.threshold(2)).isNaN();
        assertThat(fe.nonFiniteValues()).isZero(); // excluded before its samples were used
    }

    @Test
    void configErrorsNameTheKeyAndTheAllowedRange() {
        assertThatThrownBy(() -> new FrontEnd(ctx(8, 30).lowPassHz(15_000)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("frontend.filter.lowPassHz")
                .hasMessageContaining("Nyquist frequency 15000.0 Hz");
        assertThatThrownBy(() -> new FrontEnd(ctx(8, 30).highPassHz(-1)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("frontend.filter.highPassHz");
        assertThatThrownBy(() -> new FrontEnd(ctx(8, 30).highPassHz(6_000).lowPassHz(5_000)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("frontend.filter.lowPassHz")
                .hasMessageContaining("above frontend.filter.highPassHz");
        assertThatThrownBy(() -> new FrontEnd(ctx(8, 30).filterOrder(17)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("frontend.filter.order");
        assertThatThrownBy(() -> new FrontEnd(ctx(8, 30).car("median")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("frontend.car");
        assertThatThrownBy(() -> new FrontEnd(ctx(8, 30).car("groups").carGroupSize(9)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("frontend.carGroupSize");
        assertThatThrownBy(() -> new FrontEnd(ctx(8, 30).thresholdK(0)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("frontend.threshold.k");
        assertThatThrownBy(() -> new FrontEnd(ctx(8, 30).refractoryMs(-1)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("frontend.threshold.refractoryMs");
        assertThatThrownBy(() -> ctx(8, 30).outputs(List.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("frontend.outputs");
        assertThatThrownBy(() -> ctx(8, 30).outputs(List.of("power", "power")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("frontend.outputs[1]");
        assertThatThrownBy(() -> ctx(8, 30).outputs(List.of("lfp")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("frontend.outputs[0]");
        assertThatThrownBy(() -> new FrontEnd(ctx(8, 30).clippedFraction(0)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("frontend.health.clippedFraction");
        assertThat(new FrontEnd(ctx(8, 30).lowPassHz(0)).context().describeFilter())
                .isEqualTo("high-pass 250 Hz, order 2");
        assertThat(new FrontEnd(ctx(8, 30)).context().describeFilter())
                .isEqualTo("band-pass 250-5000 Hz, order 2 each side");
    }
}
