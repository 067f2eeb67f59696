package io.reflex.runtime.frontend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class SpikeBandPowerTest {

    @Test
    void meanSquarePerChannelPerBinOverChunksThatDoNotDivideTheBin() {
        // Channel c is a 1 kHz sine of amplitude 10 (c + 1): mean square 50 (c + 1)^2 over whole periods.
        int channels = 3, bin = 300;
        float[] x = new float[channels * bin * 2];
        for (int s = 0; s < bin * 2; s++) {
            for (int c = 0; c < channels; c++) {
                x[s * channels + c] = (float) (10 * (c + 1) * Math.sin(2 * Math.PI * 1000 * s / 30_000.0));
            }
        }
        SpikeBandPower chunked = new SpikeBandPower(channels);
        float[] first = new float[channels];
        float[] again = new float[channels];
        float[] whole = new float[channels];
        int done = 0;
        for (int n : new int[] {7, 13, 1, 200, 79}) {
            chunked.accumulate(x, done * channels, n);
            done += n;
        }
        chunked.drainBin(first);
        chunked.accumulate(x, 0, bin);
        chunked.drainBin(again);
        SpikeBandPower oneCall = new SpikeBandPower(channels);
        oneCall.accumulate(x, 0, bin);
        oneCall.drainBin(whole);
        for (int c = 0; c < channels; c++) {
            assertThat((double) first[c]).isCloseTo(50.0 * (c + 1) * (c + 1), within(1e-3));
            assertThat(first[c]).isEqualTo(whole[c]);
            assertThat(again[c]).as("drainBin starts a new bin").isEqualTo(whole[c]);
        }
    }

    @Test
    void nonFiniteSamplesAreLeftOutAndDeadChannelsReadZero() {
        SpikeBandPower power = new SpikeBandPower(3);
        float[] x = {Float.NaN, 2, 9, 3, Float.POSITIVE_INFINITY, 9};
        assertThat(power.accumulate(x, 0, 2)).isEqualTo(2);
        power.setExcluded(new boolean[] {false, false, true});
        float[] out = new float[3];
        power.drainBin(out);
        assertThat(out).containsExactly(9f, 4f, 0f);
        assertThat(power.nonFiniteCount()).isEqualTo(2);
        // A new bin starts empty; a channel without any finite sample reads 0.
        power.accumulate(new float[] {Float.NaN, 1, 1}, 0, 1);
        power.drainBin(out);
        assertThat(out).containsExactly(0f, 1f, 0f);
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> new SpikeBandPower(0)).hasMessageContaining("channels");
        SpikeBandPower power = new SpikeBandPower(2);
        assertThatThrownBy(() -> power.accumulate(new float[3], 0, 2)).hasMessageContaining("fit");
        assertThatThrownBy(() -> power.drainBin(new float[1])).hasMessageContaining("dst");
    }
}
