package io.reflex.runtime.frontend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class BiquadBankTest {
    private static final double FS = 30_000;

    @Property(tries = 60)
    void chunkedEqualsWholeBitForBit(@ForAll @IntRange(min = 1, max = 17) int channels,
                                     @ForAll @IntRange(min = 1, max = 6) int order,
                                     @ForAll @Size(min = 1, max = 12) List<@IntRange(min = 1, max = 97) Integer> chunks,
                                     @ForAll long seed) {
        int length = 1_000;
        float[] signal = noise(channels, length, seed);
        double[][] sos = Butterworth.bandPass(order, 250, 5000, FS);

        float[] whole = new float[signal.length];
        new BiquadBank(sos, channels).process(signal, 0, whole, 0, length);

        // Chunk sizes cycle through the drawn list until the signal is used up (the last chunk is what is left),
        // so most runs have chunks that do not divide the length.
        BiquadBank chunked = new BiquadBank(sos, channels);
        float[] inPlace = signal.clone();
        int done = 0;
        for (int i = 0; done < length; i++) {
            int n = Math.min(chunks.get(i % chunks.size()), length - done);
            chunked.process(inPlace, done * channels, inPlace, done * channels, n);
            done += n;
        }
        assertThat(inPlace).containsExactly(whole);
    }

    @Test
    void channelsAreIndependentAndEqualToAOneChannelBank() {
        int channels = 5, length = 3_000;
        float[] signal = noise(channels, length, 7);
        double[][] sos = Butterworth.highPass(4, 250, FS);
        float[] out = new float[signal.length];
        new BiquadBank(sos, channels).process(signal, 0, out, 0, length);
        for (int c = 0; c < channels; c++) {
            float[] one = new float[length];
            for (int s = 0; s < length; s++) {
                one[s] = signal[s * channels + c];
            }
            new BiquadBank(sos, 1).processInPlace(one, length);
            for (int s = 0; s < length; s++) {
                assertThat(out[s * channels + c]).isEqualTo(one[s]);
            }
        }
    }

    @Test
    void highPassRemovesAnOffsetAndKeepsASpikeBandSine() {
        int length = 30_000;
        float[] x = new float[length];
        for (int s = 0; s < length; s++) {
            x[s] = (float) (500 + 10 * Math.sin(2 * Math.PI * 1000 * s / FS));
        }
        new BiquadBank(Butterworth.highPass(4, 250, FS), 1).processInPlace(x, length);
        double sumSq = 0, sum = 0;
        for (int s = length / 2; s < length; s++) {
            sum += x[s];
            sumSq += x[s] * (double) x[s];
        }
        int n = length - length / 2;
        assertThat(sum / n).isCloseTo(0, within(0.05));
        // 1 kHz sine of amplitude 10 keeps its power (50) within 1 %: |H(1 kHz)| of this high-pass is ~0.99998.
        assertThat(sumSq / n).isCloseTo(50, within(0.5));
    }

    @Test
    void aNonFiniteInputStaysInItsChannelUntilReset() {
        double[][] sos = Butterworth.highPass(2, 250, FS);
        BiquadBank bank = new BiquadBank(sos, 2);
        float[] x = {Float.NaN, 1f, 0f, 1f, 0f, 1f};
        bank.processInPlace(x, 3);
        assertThat(x[4]).isNaN();
        assertThat(x[5]).isFinite();
        bank.resetChannel(0);
        float[] y = {0f, 0f};
        bank.processInPlace(y, 1);
        assertThat(y[0]).isEqualTo(0f);
    }

    @Test
    void rejectsBadArguments() {
        double[][] sos = Butterworth.lowPass(2, 1000, FS);
        assertThatThrownBy(() -> new BiquadBank(sos, 0)).hasMessageContaining("channels");
        assertThatThrownBy(() -> new BiquadBank(new double[0][], 2)).hasMessageContaining("section");
        assertThatThrownBy(() -> new BiquadBank(new double[][] {{1, 0, 0, 0, 0, 0}}, 2)).hasMessageContaining("a0");
        assertThatThrownBy(() -> new BiquadBank(new double[][] {{1, 0, 0}}, 2)).hasMessageContaining("6");
        BiquadBank bank = new BiquadBank(sos, 4);
        assertThatThrownBy(() -> bank.process(new float[8], 0, new float[8], 0, 3)).hasMessageContaining("fit");
        assertThatThrownBy(() -> bank.process(new float[8], 0, new float[8], 0, -1)).hasMessageContaining("fit");
        assertThatThrownBy(() -> bank.resetChannel(4)).hasMessageContaining("channel");
    }

    static float[] noise(int channels, int length, long seed) {
        Random r = new Random(seed);
        float[] x = new float[channels * length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (20 * r.nextGaussian() + 100);
        }
        return x;
    }
}
