package io.reflex.lsl;

import static io.reflex.lsl.LslTestSupport.config;
import static io.reflex.lsl.LslTestSupport.info;
import static io.reflex.lsl.LslTestSupport.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.agrona.ErrorHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(30)
class RoundTripTest {

    private static final ErrorHandler QUIET = e -> { };

    private static JavaInlet connect(JavaOutlet outlet) {
        JavaInlet inlet = LslTestSupport.openInlet(outlet);
        LslTestSupport.await(outlet::haveConsumers);
        return inlet;
    }

    @ParameterizedTest
    @EnumSource(value = ChannelFormat.class, names = {"FLOAT32", "DOUBLE64", "INT8", "INT16", "INT32", "INT64"})
    void numericSamplesArriveWithValuesAndTimestamps(ChannelFormat format) {
        int ch = 5;
        try (JavaOutlet outlet = new JavaOutlet(info(uniqueName("rt"), format, ch, 100), config(), QUIET);
             JavaInlet inlet = connect(outlet)) {
            long[] sent = new long[ch];
            for (int s = 0; s < 20; s++) {
                for (int c = 0; c < ch; c++) {
                    sent[c] = (long) (s * 5 + c) * (c % 2 == 0 ? 1 : -1);
                }
                outlet.pushSample(sent, 1000.0 + s * 0.25);
            }
            long[] got = new long[ch];
            double[] gotD = new double[ch];
            for (int s = 0; s < 20; s++) {
                double ts = s % 2 == 0 ? inlet.pullSample(got, 5) : inlet.pullSample(gotD, 5);
                assertThat(ts).isEqualTo(1000.0 + s * 0.25);
                for (int c = 0; c < ch; c++) {
                    long expect = (long) (s * 5 + c) * (c % 2 == 0 ? 1 : -1);
                    long actual = s % 2 == 0 ? got[c] : Math.round(gotD[c]);
                    assertThat(actual).as("sample %d channel %d", s, c).isEqualTo(expect);
                }
            }
        }
    }

    @Test
    void extremeValuesSurviveTheirFormats() {
        try (JavaOutlet o64 = new JavaOutlet(info(uniqueName("i64"), ChannelFormat.INT64, 2, 0), config(), QUIET);
             JavaInlet i64 = connect(o64);
             JavaOutlet od = new JavaOutlet(info(uniqueName("d"), ChannelFormat.DOUBLE64, 3, 0), config(), QUIET);
             JavaInlet id = connect(od)) {
            o64.pushSample(new long[] {Long.MAX_VALUE, Long.MIN_VALUE}, 5.0);
            long[] l = new long[2];
            assertThat(i64.pullSample(l, 5)).isEqualTo(5.0);
            assertThat(l).containsExactly(Long.MAX_VALUE, Long.MIN_VALUE);
            od.pushSample(new double[] {Math.PI, Double.MIN_VALUE, -1e300}, 6.0);
            double[] d = new double[3];
            id.pullSample(d, 5);
            assertThat(d).containsExactly(Math.PI, Double.MIN_VALUE, -1e300);
        }
    }

    @Test
    void stringsOfEveryLengthClassArriveIntact() {
        int[] lengths = {0, 255, 256, 70_000};
        try (JavaOutlet outlet = new JavaOutlet(info(uniqueName("str"), ChannelFormat.STRING, lengths.length, 0),
                config(), QUIET);
             JavaInlet inlet = connect(outlet)) {
            String[] sent = new String[lengths.length];
            for (int i = 0; i < lengths.length; i++) {
                char[] c = new char[lengths[i]];
                for (int k = 0; k < c.length; k++) {
                    c[k] = (char) ('a' + (k * 7 + i) % 26);
                }
                sent[i] = new String(c);
            }
            outlet.pushSample(sent, 42.0);
            outlet.pushStringBytes(new byte[][] {{0, 1, 0}, "x".getBytes(StandardCharsets.UTF_8), {}, {0}}, 43.0);
            String[] got = new String[lengths.length];
            assertThat(inlet.pullSample(got, 5)).isEqualTo(42.0);
            for (int i = 0; i < lengths.length; i++) {
                assertThat(got[i]).as("channel %d", i).hasSize(lengths[i]).isEqualTo(sent[i]);
            }
            assertThat(inlet.pullSample(got, 5)).isEqualTo(43.0);
            assertThat(got[0]).isEqualTo("\0\1\0");
            assertThat(got[1]).isEqualTo("x");
            assertThat(got[2]).isEmpty();
            assertThat(got[3]).isEqualTo("\0");
        }
    }

    @Test
    void chunkWithOneTimestampIsBackDatedWithDeducedTimestamps() {
        int ch = 3;
        double srate = 200;
        try (JavaOutlet outlet = new JavaOutlet(info(uniqueName("chunk"), ChannelFormat.FLOAT32, ch, srate),
                config(), QUIET);
             JavaInlet inlet = connect(outlet)) {
            float[] data = new float[10 * ch];
            for (int i = 0; i < data.length; i++) {
                data[i] = i * 0.5f;
            }
            outlet.pushChunk(data, 10, 500.0);
            float[] got = new float[10 * ch];
            double[] ts = new double[10];
            int n = 0;
            while (n < 10) {
                float[] part = new float[(10 - n) * ch];
                double[] pts = new double[10 - n];
                int k = inlet.pullChunk(part, pts, 10 - n, 5);
                System.arraycopy(part, 0, got, n * ch, k * ch);
                System.arraycopy(pts, 0, ts, n, k);
                n += k;
            }
            assertThat(got).containsExactly(data);
            for (int s = 0; s < 10; s++) {
                assertThat(ts[s]).isCloseTo(500.0 - (9 - s) / srate, org.assertj.core.data.Offset.offset(1e-9));
            }
        }
    }

    @Test
    void chunkWithExplicitTimestampsKeepsEachOne() {
        try (JavaOutlet outlet = new JavaOutlet(info(uniqueName("chunkx"), ChannelFormat.DOUBLE64, 2, 0), config(),
                QUIET);
             JavaInlet inlet = connect(outlet)) {
            double[] data = {1, 2, 3, 4, 5, 6};
            double[] ts = {10.5, 11.25, 99.0};
            outlet.pushChunk(data, 3, ts);
            double[] got = new double[6];
            double[] gotTs = new double[3];
            int n = 0;
            while (n < 3) {
                double[] one = new double[2];
                gotTs[n] = inlet.pullSample(one, 5);
                System.arraycopy(one, 0, got, 2 * n, 2);
                n++;
            }
            assertThat(got).containsExactly(data);
            assertThat(gotTs).containsExactly(ts);
        }
    }

    @Test
    void timestampZeroMeansNowOnTheLslClock() {
        try (JavaOutlet outlet = new JavaOutlet(info(uniqueName("now"), ChannelFormat.FLOAT32, 1, 0), config(),
                QUIET);
             JavaInlet inlet = connect(outlet)) {
            double before = LslClock.now();
            outlet.pushSample(new float[] {1}, 0.0);
            double after = LslClock.now();
            float[] v = new float[1];
            assertThat(inlet.pullSample(v, 5)).isBetween(before, after);
        }
    }

    @Test
    void pullTimesOutWithZero() {
        try (JavaOutlet outlet = new JavaOutlet(info(uniqueName("empty"), ChannelFormat.FLOAT32, 1, 0), config(),
                QUIET);
             JavaInlet inlet = connect(outlet)) {
            assertThat(inlet.pullSample(new float[1], 0.01)).isZero();
        }
    }

    @Test
    void fullInfoCarriesTheDescTree() {
        StreamInfo.Builder b = StreamInfo.builder(uniqueName("desc"), "EEG", 2, 250, ChannelFormat.FLOAT32, "d1");
        XmlElement chans = b.desc().appendChild("channels");
        chans.appendChild("channel").appendChildValue("label", "C3").appendChildValue("unit", "microvolts");
        chans.appendChild("channel").appendChildValue("label", "C4 & <Cz>");
        b.desc().appendChildValue("manufacturer", "Reflex");
        try (JavaOutlet outlet = new JavaOutlet(b.build(), config(), QUIET);
             JavaInlet inlet = new JavaInlet(outlet.info().toBuilder().v4address("127.0.0.1").build(), config())) {
            StreamInfo full = inlet.fullInfo(5);
            assertThat(full.toFullXml()).isEqualTo(outlet.info().toFullXml());
            assertThat(full.desc().childValue("manufacturer")).isEqualTo("Reflex");
            assertThat(full.desc().child("channels").children()).hasSize(2);
            assertThat(full.desc().child("channels").children().get(1).childValue("label")).isEqualTo("C4 & <Cz>");
        }
    }

    @Test
    void everyConsumerGetsEverySample() {
        try (JavaOutlet outlet = new JavaOutlet(info(uniqueName("fan"), ChannelFormat.INT32, 1, 0), config(), QUIET);
             JavaInlet a = connect(outlet);
             JavaInlet b = connect(outlet)) {
            LslTestSupport.await(() -> outlet.consumerCount() == 2);
            for (int i = 1; i <= 100; i++) {
                outlet.pushSample(new int[] {i}, i);
            }
            int[] va = new int[1];
            int[] vb = new int[1];
            int[] seenA = new int[100];
            int[] seenB = new int[100];
            for (int i = 0; i < 100; i++) {
                a.pullSample(va, 5);
                b.pullSample(vb, 5);
                seenA[i] = va[0];
                seenB[i] = vb[0];
            }
            int[] expect = new int[100];
            Arrays.setAll(expect, i -> i + 1);
            assertThat(seenA).containsExactly(expect);
            assertThat(seenB).containsExactly(expect);
        }
    }
}
