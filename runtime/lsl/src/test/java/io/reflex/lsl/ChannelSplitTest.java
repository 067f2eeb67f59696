package io.reflex.lsl;

import static io.reflex.lsl.LslTestSupport.config;
import static io.reflex.lsl.LslTestSupport.info;
import static io.reflex.lsl.LslTestSupport.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.agrona.ErrorHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link StreamInlet#pullSample(float[], int, ChannelSplit, double)}: the Java inlet decodes each channel from its
 * receive ring straight to its place; the interface's default (what the liblsl binding uses) pulls the whole sample
 * and spreads it. Both give the same bits, and nothing outside the main channels' place is touched.
 */
@Timeout(30)
class ChannelSplitTest {
    private static final ErrorHandler QUIET = e -> { };
    private static final float UNTOUCHED = Float.intBitsToFloat(0x7fc0_1234);
    /** Channels 1, 4, 2, 6 to the array (in that order), 5, 0 aside, 3 nowhere. */
    private static final int[] MAIN = {1, 4, 2, 6};
    private static final int[] REST = {5, 0};

    @Test
    void float32ChannelsGoToTheirPlacesBitForBitAsAWholePullSpreadThere() {
        float[][] sent = {
                {0f, -0f, Float.NaN, Float.intBitsToFloat(0x7fa0_0001), 1.5f, -2.25e-3f, Float.MIN_VALUE},
                {Float.POSITIVE_INFINITY, Float.intBitsToFloat(0xffc0_0007), 3.4e-40f, 7f, -1f, 1e30f, -0f},
        };
        sameBitsBothWaysWith(ChannelFormat.FLOAT32, sent.length, (outlet, s) -> outlet.pushSample(sent[s], 10.0 + s));
    }

    @Test
    void int16ChannelsGoToTheirPlacesBitForBitAsAWholePullSpreadThere() {
        short[][] sent = {
                {0, 1, -1, Short.MAX_VALUE, Short.MIN_VALUE, 1234, -4321},
                {7, -7, 32766, -32767, 100, -100, 0},
        };
        sameBitsBothWaysWith(ChannelFormat.INT16, sent.length, (outlet, s) -> outlet.pushSample(sent[s], 10.0 + s));
    }

    /** Pushes {@code samples} samples once two inlets are connected, and pulls each through both kinds of split pull. */
    private static void sameBitsBothWaysWith(ChannelFormat format, int samples,
                                             java.util.function.ObjIntConsumer<JavaOutlet> push) {
        JavaOutlet[] current = new JavaOutlet[1];
        Runnable[] pushes = new Runnable[samples];
        for (int s = 0; s < samples; s++) {
            int k = s;
            pushes[s] = () -> push.accept(current[0], k);
        }
        try (JavaOutlet outlet = new JavaOutlet(info(uniqueName("split"), format, 7, 100), config(), QUIET)) {
            current[0] = outlet;
            runBothWays(outlet, pushes);
        }
    }

    private static void runBothWays(JavaOutlet outlet, Runnable[] pushes) {
        try (JavaInlet direct = LslTestSupport.openInlet(outlet);
             JavaInlet other = LslTestSupport.openInlet(outlet)) {
            StreamInlet spread = new WholeSamplePulls(other);
            LslTestSupport.await(() -> outlet.consumers() == 2);
            ChannelSplit a = new ChannelSplit(7, MAIN, REST);
            ChannelSplit b = new ChannelSplit(7, MAIN, REST);
            for (Runnable p : pushes) {
                p.run();
            }
            for (int s = 0; s < pushes.length; s++) {
                int offset = 2 + 3 * s;
                float[] x = new float[offset + MAIN.length + 3];
                float[] y = new float[x.length];
                Arrays.fill(x, UNTOUCHED);
                Arrays.fill(y, UNTOUCHED);
                assertThat(direct.pullSample(x, offset, a, 5)).isEqualTo(10.0 + s);
                assertThat(spread.pullSample(y, offset, b, 5)).isEqualTo(10.0 + s);
                for (int i = 0; i < x.length; i++) {
                    assertThat(Float.floatToRawIntBits(x[i])).as("sample %d index %d", s, i)
                            .isEqualTo(Float.floatToRawIntBits(y[i]));
                    if (i < offset || i >= offset + MAIN.length) {
                        assertThat(Float.floatToRawIntBits(x[i])).as("index %d outside the main channels", i)
                                .isEqualTo(Float.floatToRawIntBits(UNTOUCHED));
                    }
                }
                for (int k = 0; k < REST.length; k++) {
                    assertThat(Float.floatToRawIntBits(a.restValues()[k])).as("sample %d rest %d", s, k)
                            .isEqualTo(Float.floatToRawIntBits(b.restValues()[k]));
                }
            }
        }
    }

    @Test
    void aSplitNamesEachChannelOfTheStreamAtMostOnce() {
        assertThatThrownBy(() -> new ChannelSplit(4, new int[] {0, 4}, new int[0]))
                .hasMessageContaining("channel 4 is not one of the stream's 4");
        assertThatThrownBy(() -> new ChannelSplit(4, new int[] {1}, new int[] {-1}))
                .hasMessageContaining("channel -1");
        assertThatThrownBy(() -> new ChannelSplit(4, new int[] {1, 2}, new int[] {2}))
                .hasMessageContaining("channel 2 is named twice");
        assertThatThrownBy(() -> new ChannelSplit(0, new int[0], new int[0])).hasMessageContaining("channels");
    }

    @Test
    void aSplitForAnotherStreamOrAnArrayTooShortIsRefusedBeforeAnythingIsPulled() {
        try (JavaOutlet outlet = new JavaOutlet(info(uniqueName("split"), ChannelFormat.FLOAT32, 7, 100), config(),
                QUIET);
             JavaInlet inlet = LslTestSupport.openInlet(outlet)) {
            assertThatThrownBy(() -> inlet.pullSample(new float[8], 0, new ChannelSplit(6, new int[] {0},
                    new int[0]), 0.0)).hasMessageContaining("split made for 6 channels; the stream has 7");
            assertThatThrownBy(() -> inlet.pullSample(new float[5], 2, new ChannelSplit(7, MAIN, REST), 0.0))
                    .hasMessageContaining("do not fit from offset 2");
        }
    }

    /** An inlet that pulls only whole samples: split pulls take the interface's default. */
    private static final class WholeSamplePulls implements StreamInlet {
        private final JavaInlet real;

        WholeSamplePulls(JavaInlet real) {
            this.real = real;
        }

        @Override public StreamInfo info() { return real.info(); }
        @Override public StreamInfo fullInfo(double timeoutS) { return real.fullInfo(timeoutS); }
        @Override public void open(double timeoutS) { real.open(timeoutS); }
        @Override public double pullSample(float[] dst, double timeoutS) { return real.pullSample(dst, timeoutS); }
        @Override public double pullSample(float[] dst, int offset, double timeoutS) {
            return real.pullSample(dst, offset, timeoutS);
        }
        @Override public double pullSample(double[] dst, double timeoutS) { return real.pullSample(dst, timeoutS); }
        @Override public double pullSample(int[] dst, double timeoutS) { return real.pullSample(dst, timeoutS); }
        @Override public double pullSample(short[] dst, double timeoutS) { return real.pullSample(dst, timeoutS); }
        @Override public double pullSample(byte[] dst, double timeoutS) { return real.pullSample(dst, timeoutS); }
        @Override public double pullSample(long[] dst, double timeoutS) { return real.pullSample(dst, timeoutS); }
        @Override public double pullSample(String[] dst, double timeoutS) { return real.pullSample(dst, timeoutS); }
        @Override public int pullChunk(float[] dst, double[] ts, int max, double timeoutS) {
            return real.pullChunk(dst, ts, max, timeoutS);
        }
        @Override public int pullChunk(double[] dst, double[] ts, int max, double timeoutS) {
            return real.pullChunk(dst, ts, max, timeoutS);
        }
        @Override public double timeCorrection(double timeoutS) { return real.timeCorrection(timeoutS); }
        @Override public int samplesAvailable() { return real.samplesAvailable(); }
        @Override public long droppedSamples() { return real.droppedSamples(); }
        @Override public boolean lost() { return real.lost(); }
        @Override public void close() { real.close(); }
    }
}
