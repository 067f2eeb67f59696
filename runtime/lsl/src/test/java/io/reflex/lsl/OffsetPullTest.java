package io.reflex.lsl;

import static io.reflex.lsl.LslTestSupport.config;
import static io.reflex.lsl.LslTestSupport.info;
import static io.reflex.lsl.LslTestSupport.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.agrona.ErrorHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link StreamInlet#pullSample(float[], int, double)}: the sample is decoded from the queue slot to the offset, with
 * the same values, bit for bit, as {@link StreamInlet#pullSample(float[], double)} gives, and nothing else in the
 * array is touched.
 */
@Timeout(30)
class OffsetPullTest {
    private static final ErrorHandler QUIET = e -> { };
    /** What the array holds outside the pulled sample: a NaN no decode produces. */
    private static final float UNTOUCHED = Float.intBitsToFloat(0x7fc0_1234);

    @Test
    void float32SampleLandsAtTheOffsetBitForBitAndNothingElseIsTouched() {
        int ch = 7;
        float[][] sent = {
                {0f, -0f, 1.5f, -2.25e-3f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NaN},
                {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0x7fa0_0001),
                        Float.intBitsToFloat(0xffc0_0007), 3.4e-40f, 123456.79f, -1f},
        };
        try (JavaOutlet outlet = new JavaOutlet(info(uniqueName("off"), ChannelFormat.FLOAT32, ch, 100), config(),
                QUIET);
             JavaInlet atOffset = LslTestSupport.openInlet(outlet);
             JavaInlet plain = LslTestSupport.openInlet(outlet)) {
            LslTestSupport.await(() -> outlet.consumers() == 2);
            for (int s = 0; s < sent.length; s++) {
                outlet.pushSample(sent[s], 10.0 + s);
            }
            for (int s = 0; s < sent.length; s++) {
                int offset = 3 + s * 5;
                float[] dst = new float[offset + ch + 4];
                java.util.Arrays.fill(dst, UNTOUCHED);
                float[] expected = new float[ch];
                assertThat(atOffset.pullSample(dst, offset, 5)).isEqualTo(10.0 + s);
                assertThat(plain.pullSample(expected, 5)).isEqualTo(10.0 + s);
                for (int i = 0; i < dst.length; i++) {
                    int bits = Float.floatToRawIntBits(dst[i]);
                    if (i >= offset && i < offset + ch) {
                        assertThat(bits).as("channel %d of sample %d", i - offset, s)
                                .isEqualTo(Float.floatToRawIntBits(expected[i - offset]));
                    } else {
                        assertThat(bits).as("index %d outside the sample", i)
                                .isEqualTo(Float.floatToRawIntBits(UNTOUCHED));
                    }
                }
            }
            // nothing arrived: 0.0 and the array as it was
            float[] dst = new float[ch + 2];
            java.util.Arrays.fill(dst, UNTOUCHED);
            assertThat(atOffset.pullSample(dst, 2, 0.0)).isZero();
            for (float v : dst) {
                assertThat(Float.floatToRawIntBits(v)).isEqualTo(Float.floatToRawIntBits(UNTOUCHED));
            }
        }
    }

    @Test
    void int16SamplesConvertAsThePlainPullConvertsThem() {
        int ch = 5;
        short[][] sent = {{0, 1, -1, Short.MAX_VALUE, Short.MIN_VALUE}, {1234, -4321, 7, -32767, 32766}};
        try (JavaOutlet outlet = new JavaOutlet(info(uniqueName("off16"), ChannelFormat.INT16, ch, 100), config(),
                QUIET);
             JavaInlet atOffset = LslTestSupport.openInlet(outlet);
             JavaInlet plain = LslTestSupport.openInlet(outlet)) {
            LslTestSupport.await(() -> outlet.consumers() == 2);
            for (int s = 0; s < sent.length; s++) {
                outlet.pushSample(sent[s], 20.0 + s);
            }
            float[] dst = new float[2 * ch + 1];
            java.util.Arrays.fill(dst, UNTOUCHED);
            float[] expected = new float[ch];
            for (int s = 0; s < sent.length; s++) {
                assertThat(atOffset.pullSample(dst, 1 + s * ch, 5)).isEqualTo(20.0 + s);
                assertThat(plain.pullSample(expected, 5)).isEqualTo(20.0 + s);
                for (int c = 0; c < ch; c++) {
                    assertThat(Float.floatToRawIntBits(dst[1 + s * ch + c]))
                            .isEqualTo(Float.floatToRawIntBits(expected[c]));
                    assertThat(dst[1 + s * ch + c]).isEqualTo((float) sent[s][c]);
                }
            }
            assertThat(Float.floatToRawIntBits(dst[0])).isEqualTo(Float.floatToRawIntBits(UNTOUCHED));
        }
    }

    @Test
    void anOffsetThatLeavesNoRoomForTheChannelsIsRefused() {
        try (JavaOutlet outlet = new JavaOutlet(info(uniqueName("offbad"), ChannelFormat.FLOAT32, 4, 100), config(),
                QUIET);
             JavaInlet inlet = new JavaInlet(outlet.info().toBuilder().v4address("127.0.0.1").build(), config(),
                     new InletOptions(), QUIET)) {
            assertThatThrownBy(() -> inlet.pullSample(new float[7], 4, 0.0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("from offset 4");
            assertThatThrownBy(() -> inlet.pullSample(new float[7], -1, 0.0))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> inlet.pullSample(new float[3], 0, 0.0))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
