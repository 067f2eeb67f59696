package io.reflex.decoders.lfads;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LorenzStreamTest {

    @Test
    void binnedSamplesAreTheTrialsCountsWithTheirStateAndTrialStarts() {
        int neurons = 7;
        int bins = 5;
        int perBin = 4;
        long seed = 42;
        LorenzStream stream = new LorenzStream(neurons, bins, perBin, seed);
        LorenzData data = new LorenzData(neurons, bins);
        float[] counts = new float[bins * neurons];
        double[] latents = new double[bins * 3];
        float[] sample = new float[neurons];
        double[] ref = new double[4];
        for (int trial = 0; trial < 3; trial++) {
            data.trial(seed, trial, counts, latents, null);
            for (int b = 0; b < bins; b++) {
                float[] binSum = new float[neurons];
                for (int s = 0; s < perBin; s++) {
                    stream.nextSample(sample, ref);
                    for (int n = 0; n < neurons; n++) {
                        binSum[n] += sample[n];
                    }
                    assertThat(ref[0]).isEqualTo(latents[b * 3]);
                    assertThat(ref[1]).isEqualTo(latents[b * 3 + 1]);
                    assertThat(ref[2]).isEqualTo(latents[b * 3 + 2]);
                    assertThat(ref[3]).as("trial_start of trial %d bin %d sample %d", trial, b, s)
                            .isEqualTo(b == 0 && s == 0 ? 1.0 : 0.0);
                }
                for (int n = 0; n < neurons; n++) {
                    assertThat(binSum[n]).isEqualTo(counts[b * neurons + n]);
                }
            }
            assertThat(stream.trial()).isEqualTo(trial);
        }
    }
}
