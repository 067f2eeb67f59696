package io.reflex.decoders.lfads;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.decoders.bundle.ModelBundle;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LorenzDataTest {

    @Test
    void splitmix64MatchesTheReferenceSequence() {
        // SplitMix64 seeded with 0: first outputs of the published reference generator.
        assertThat(LorenzData.splitmix64(0, 0)).isEqualTo(0xE220A8397B1DCDAFL);
        assertThat(LorenzData.splitmix64(0, 1)).isEqualTo(0x6E789E6AA1B965F4L);
    }

    @Test
    void countsEqualThePythonGenerator() {
        // golden.input of the Lorenz golden bundles is lorenz_data.make_dataset(seed=99, n_trials=8) (golden.py)
        ModelBundle b = ModelBundle.fromResource("/golden/lfads-lorenz-small.rbundle");
        short[] golden = b.int16("golden.input");
        int[] s = b.shape("golden.input");
        LorenzData data = new LorenzData(s[2], s[1]);
        float[] counts = new float[s[1] * s[2]];
        long same = 0;
        double sum = 0;
        for (int i = 0; i < s[0]; i++) {
            data.trial(99, i, counts, null, null);
            for (int k = 0; k < counts.length; k++) {
                if (counts[k] == golden[i * counts.length + k]) {
                    same++;
                }
                sum += counts[k];
            }
        }
        assertThat(same).isEqualTo(golden.length);
        double meanPerBin = sum / golden.length;
        // ~0.3 counts per 20 ms bin: 10–25 spikes/s per neuron
        assertThat(meanPerBin / 0.02).isBetween(10.0, 25.0);
    }

    @Test
    void latentR2IsHighForALinearImageAndLowForNoise() {
        SplittableRandom r = new SplittableRandom(1);
        int n = 2000;
        double[] lat = new double[n * 3];
        double[] good = new double[n * 4];
        double[] noise = new double[n * 4];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 3; k++) {
                lat[i * 3 + k] = r.nextGaussian();
            }
            for (int j = 0; j < 4; j++) {
                good[i * 4 + j] = 0.5 * lat[i * 3 + j % 3] - 0.2 * lat[i * 3 + (j + 1) % 3] + 0.01 * r.nextGaussian() + 3;
                noise[i * 4 + j] = r.nextGaussian();
            }
        }
        int h = n / 2 * 3;
        int hx = n / 2 * 4;
        double rGood = LatentR2.score(java.util.Arrays.copyOf(good, hx), java.util.Arrays.copyOf(lat, h),
                java.util.Arrays.copyOfRange(good, hx, good.length), java.util.Arrays.copyOfRange(lat, h, lat.length), 4, 3);
        double rNoise = LatentR2.score(java.util.Arrays.copyOf(noise, hx), java.util.Arrays.copyOf(lat, h),
                java.util.Arrays.copyOfRange(noise, hx, noise.length), java.util.Arrays.copyOfRange(lat, h, lat.length), 4, 3);
        assertThat(rGood).isGreaterThan(0.99);
        assertThat(rNoise).isLessThan(0.05);
    }

    @Test
    void aBinStreamRunsTrialAfterTrialWithoutSeams() {
        LorenzData data = new LorenzData(7, 5);
        float[][] stream = data.binStream(3, 12); // two whole trials and two bins of a third
        float[] trial = new float[5 * 7];
        for (int t = 0; t < 3; t++) {
            data.trial(3, t, trial, null, null);
            for (int bin = 0; bin < 5 && t * 5 + bin < 12; bin++) {
                for (int n = 0; n < 7; n++) {
                    assertThat(stream[t * 5 + bin][n]).isEqualTo(trial[bin * 7 + n]);
                }
            }
        }
    }
}
