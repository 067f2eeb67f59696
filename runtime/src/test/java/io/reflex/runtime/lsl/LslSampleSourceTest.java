package io.reflex.runtime.lsl;

import static io.reflex.lsl.LslTestSupport.config;
import static io.reflex.lsl.LslTestSupport.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.lsl.ChannelFormat;
import io.reflex.lsl.InletOptions;
import io.reflex.lsl.JavaInlet;
import io.reflex.lsl.JavaLsl;
import io.reflex.lsl.JavaOutlet;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.LslTestSupport;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamOutlet;
import io.reflex.lsl.XmlElement;
import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.pipeline.SampleBlock;
import java.util.List;
import org.agrona.ErrorHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class LslSampleSourceTest {
    private static final ErrorHandler QUIET = e -> { };

    @Test
    void syntheticStreamArrivesAsNeuralChannelsPlusReferenceKinematics() {
        LslBackend backend = new JavaLsl(config(), QUIET);
        String name = uniqueName("synth");
        try (SyntheticLslPublisher pub = new SyntheticLslPublisher(backend, name, name, 8, 1000, 3);
             LslSampleSource src = LslSampleSource.open(backend, new LslSampleSource.Selector().name(name)
                     .sourceId(name), 5)) {
            assertThat(src.channels()).isEqualTo(8);
            assertThat(src.nominalRateHz()).isEqualTo(1000);
            assertThat(src.referenceNames()).containsExactly("px", "py", "vx", "vy");
            for (int i = 0; i < 50; i++) {
                pub.publishOne(100.0 + i * 0.001);
            }
            SampleBlock block = new SampleBlock(8, 50, 4);
            LslTestSupport.await(() -> {
                src.poll(block);
                return block.isFull();
            });
            // Timestamps are time-corrected (same clock here; the estimate's error on a loaded 2-core machine can
            // reach milliseconds) and keep their spacing.
            assertThat(block.timestamps()[0]).isCloseTo(100.0, org.assertj.core.data.Offset.offset(0.05));
            assertThat(block.timestamps()[49] - block.timestamps()[0]).isCloseTo(0.049,
                    org.assertj.core.data.Offset.offset(0.02));
            for (float v : block.samples()) {
                assertThat(v).isGreaterThanOrEqualTo(0f);
            }
            assertThat(src.pulled()).isEqualTo(50);
        }
    }

    /** Reference channels anywhere among the neural ones: each value lands in its place, neural order kept. */
    @Test
    void referenceChannelsBetweenNeuralOnesAreSeparatedInOrder() {
        LslBackend backend = new JavaLsl(config(), QUIET);
        String name = uniqueName("interleaved");
        String[] labels = {"vx", "e0", "e1", "px", "e2", "vy"};
        io.reflex.lsl.StreamInfo.Builder b = io.reflex.lsl.StreamInfo.builder(name, "EEG", labels.length, 1000,
                io.reflex.lsl.ChannelFormat.FLOAT32, name);
        io.reflex.lsl.XmlElement chans = b.desc().appendChild("channels");
        for (String l : labels) {
            chans.appendChild("channel").appendChildValue("label", l);
        }
        try (io.reflex.lsl.StreamOutlet out = backend.createOutlet(b.build());
             LslSampleSource src = LslSampleSource.open(backend, new LslSampleSource.Selector().name(name)
                     .sourceId(name), 5)) {
            assertThat(src.channels()).isEqualTo(3);
            assertThat(src.referenceNames()).containsExactly("vx", "px", "vy");
            for (int i = 0; i < 10; i++) {
                out.pushSample(new float[] {100 + i, i, 10 + i, 200 + i, 20 + i, 300 + i}, 50.0 + i * 0.001);
            }
            SampleBlock block = new SampleBlock(3, 10, 3);
            LslTestSupport.await(() -> {
                src.poll(block);
                return block.isFull();
            });
            for (int i = 0; i < 10; i++) {
                assertThat(java.util.Arrays.copyOfRange(block.samples(), i * 3, i * 3 + 3))
                        .containsExactly(i, 10 + i, 20 + i);
                assertThat(java.util.Arrays.copyOfRange(block.reference(), i * 3, i * 3 + 3))
                        .containsExactly(100 + i, 200 + i, 300 + i);
            }
        }
    }

    /** A stream whose first {@code neural} channels are neural and whose trailing ones carry {@code refs}. */
    private static StreamInfo neuralThenReference(String name, ChannelFormat format, int neural, String... refs) {
        StreamInfo.Builder b = StreamInfo.builder(name, "EEG", neural + refs.length, 1000, format, name);
        XmlElement chans = b.desc().appendChild("channels");
        for (int i = 0; i < neural; i++) {
            chans.appendChild("channel").appendChildValue("label", "e" + i);
        }
        for (String r : refs) {
            chans.appendChild("channel").appendChildValue("label", r);
        }
        return b.build();
    }

    /**
     * The samples pushed by {@code push} fill {@code block} (capacity 5: four samples are decoded straight into it
     * whole, the last, whose trailing reference channels would not fit past the block's end, through the inlet's
     * channel split) with the values a plain {@code pullSample(float[])} gives, bit for bit.
     */
    private static void sameValuesAsAPlainPull(StreamInfo info, int neural, int refs,
                                               java.util.function.BiConsumer<StreamOutlet, Integer> push) {
        int[] neuralIdx = java.util.stream.IntStream.range(0, neural).toArray();
        int[] refIdx = java.util.stream.IntStream.range(neural, neural + refs).toArray();
        sameValuesAsAPlainPull(info, neuralIdx, refIdx, push);
    }

    /** As above for neural channels at {@code neuralIdx} and reference channels at {@code refIdx} in the stream. */
    private static void sameValuesAsAPlainPull(StreamInfo info, int[] neuralIdx, int[] refIdx,
                                               java.util.function.BiConsumer<StreamOutlet, Integer> push) {
        LslBackend backend = new JavaLsl(config(), QUIET);
        int neural = neuralIdx.length;
        int refs = refIdx.length;
        int total = neural + refs;
        try (JavaOutlet out = (JavaOutlet) backend.createOutlet(info);
             LslSampleSource src = LslSampleSource.open(backend, new LslSampleSource.Selector().name(info.name())
                     .sourceId(info.sourceId()), 5);
             JavaInlet plain = new JavaInlet(out.info().toBuilder().v4address("127.0.0.1").build(), config(),
                     new InletOptions(), QUIET)) {
            plain.open(5);
            LslTestSupport.await(() -> out.consumers() == 2);
            SampleBlock block = new SampleBlock(neural, 5, refs);
            assertThat(src.poll(block)).as("nothing pushed yet").isZero();
            assertThat(block.size()).isZero();
            for (int round = 0; round < 2; round++) {
                block.clear();
                for (int s = 0; s < 5; s++) {
                    push.accept(out, round * 5 + s);
                }
                LslTestSupport.await(() -> {
                    src.poll(block);
                    return block.isFull();
                });
                float[] expected = new float[total];
                for (int s = 0; s < 5; s++) {
                    double ts = plain.pullSample(expected, 5);
                    assertThat(ts).isEqualTo(100.0 + (round * 5 + s) * 0.001);
                    // time-corrected by the source (same clock here): close, not equal
                    assertThat(block.timestamps()[s]).isCloseTo(ts, org.assertj.core.data.Offset.offset(0.05));
                    for (int c = 0; c < neural; c++) {
                        assertThat(Float.floatToRawIntBits(block.samples()[s * neural + c]))
                                .as("round %d sample %d channel %d", round, s, c)
                                .isEqualTo(Float.floatToRawIntBits(expected[neuralIdx[c]]));
                    }
                    for (int k = 0; k < refs; k++) {
                        double widened = expected[refIdx[k]];
                        assertThat(Float.floatToRawIntBits(block.reference()[s * refs + k]))
                                .as("round %d sample %d reference %d", round, s, k)
                                .isEqualTo(Float.floatToRawIntBits((float) widened));
                    }
                }
            }
            assertThat(src.pulled()).isEqualTo(10);
        }
    }

    @Test
    void float32SamplesFillTheBlockBitForBitAsAPlainPullDoes() {
        String name = uniqueName("f32block");
        float[][] values = {
                {0f, -0f, Float.NaN, Float.intBitsToFloat(0x7fa0_0001), 1.5f, -2f, 3f},
                {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, 3.4e-40f, Float.NaN, 0f, -0f},
                {Float.MAX_VALUE, -Float.MAX_VALUE, 1e-3f, -7.25f, 1e30f, -1e-30f, Float.NEGATIVE_INFINITY},
        };
        sameValuesAsAPlainPull(neuralThenReference(name, ChannelFormat.FLOAT32, 4, "px", "vx", "vy"), 4, 3,
                (out, i) -> {
                    float[] v = values[i % values.length].clone();
                    v[0] += i; // tell the samples apart
                    out.pushSample(v, 100.0 + i * 0.001);
                });
    }

    @Test
    void int16SamplesFillTheBlockBitForBitAsAPlainPullDoes() {
        String name = uniqueName("i16block");
        short[][] values = {
                {0, 1, -1, Short.MAX_VALUE, Short.MIN_VALUE},
                {1234, -4321, 32766, -32767, 7},
        };
        sameValuesAsAPlainPull(neuralThenReference(name, ChannelFormat.INT16, 3, "vx", "vy"), 3, 2,
                (out, i) -> {
                    short[] v = values[i % values.length].clone();
                    v[1] = (short) (v[1] + i);
                    out.pushSample(v, 100.0 + i * 0.001);
                });
    }

    @Test
    void interleavedInt16ChannelsFillTheBlockBitForBitAsAPlainPullDoes() {
        // reference channels among the neural ones: every sample goes through the inlet's channel split
        String name = uniqueName("i16split");
        String[] labels = {"vx", "e0", "e1", "px", "e2", "vy", "e3"};
        StreamInfo.Builder b = StreamInfo.builder(name, "EEG", labels.length, 1000, ChannelFormat.INT16, name);
        XmlElement chans = b.desc().appendChild("channels");
        for (String l : labels) {
            chans.appendChild("channel").appendChildValue("label", l);
        }
        sameValuesAsAPlainPull(b.build(), new int[] {1, 2, 4, 6}, new int[] {0, 3, 5}, (out, i) -> {
            short[] v = {(short) (100 + i), Short.MIN_VALUE, (short) (-7 * i), Short.MAX_VALUE, (short) (int) i,
                    (short) (-300 - i), (short) (1234 * (i % 3 - 1))};
            out.pushSample(v, 100.0 + i * 0.001);
        });
    }

    @Test
    void aNeuralOnlyStreamIsDecodedIntoTheWholeBlock() {
        String name = uniqueName("neuralonly");
        sameValuesAsAPlainPull(neuralThenReference(name, ChannelFormat.FLOAT32, 6), 6, 0,
                (out, i) -> {
                    float[] v = new float[6];
                    for (int c = 0; c < 6; c++) {
                        v[c] = i * 10 + c - 0.5f;
                    }
                    v[5] = i % 2 == 0 ? Float.NaN : -0f;
                    out.pushSample(v, 100.0 + i * 0.001);
                });
    }

    @Test
    void theInletBufferBoundComesFromTheConfig() {
        io.reflex.runtime.config.ReflexConfig.LslSourceConfig c = new io.reflex.runtime.config.ReflexConfig.LslSourceConfig();
        c.network = "loopback";
        assertThat(((JavaLsl) io.reflex.runtime.session.Sources.lslBackend(c)).config().inletMaxBufferBytes())
                .isEqualTo(64L << 20);
        c.bufferMiB = 256;
        assertThat(((JavaLsl) io.reflex.runtime.session.Sources.lslBackend(c)).config().inletMaxBufferBytes())
                .isEqualTo(256L << 20);
    }

    @Test
    void selectorNeedsSomethingToSelectBy() {
        assertThatThrownBy(() -> new LslSampleSource.Selector().predicate()).hasMessageContaining("name, type or source_id");
        assertThat(new LslSampleSource.Selector().name("a").type("b").sourceId("c").predicate())
                .isEqualTo("name='a' and type='b' and source_id='c'");
    }

    @Test
    void missingStreamIsAClearError() {
        LslBackend backend = new JavaLsl(config(), QUIET);
        assertThatThrownBy(() -> LslSampleSource.open(backend, new LslSampleSource.Selector().name(uniqueName("nope")),
                0.6)).isInstanceOf(IllegalStateException.class).hasMessageContaining("no LSL stream matches");
    }

    @Test
    void outputSinkCarriesTheInputTimestamp() {
        LslBackend backend = new JavaLsl(config(), QUIET);
        String name = uniqueName("out");
        StreamInfo desc = LslOutputSink.describe(name, name, 2, 20_000, List.of("vx", "vy"));
        assertThat(desc.nominalSrate()).isEqualTo(50.0);
        try (StreamOutlet outlet = backend.createOutlet(desc);
             JavaInlet in = new JavaInlet(outlet.info().toBuilder().v4address("127.0.0.1").build(), config(),
                     new InletOptions(), QUIET)) {
            in.open(5);
            LslOutputSink sink = new LslOutputSink(outlet);
            Frame f = new Frame(4, 20, 0, 2);
            f.acquisitionTimeS = 1234.5;
            f.output[0] = 0.25f;
            f.output[1] = -0.5f;
            sink.emit(f);
            float[] v = new float[2];
            assertThat(in.pullSample(v, 5)).isEqualTo(1234.5);
            assertThat(v).containsExactly(0.25f, -0.5f);
            assertThat(sink.published()).isEqualTo(1);
            assertThat(in.fullInfo(5).desc().child("channels").children().get(1).childValue("label")).isEqualTo("vy");
        }
    }

    @Test
    void configuredLslSourceIsOpenedByTheSourceFactory() {
        LslBackend backend = new JavaLsl(config(), QUIET);
        String name = uniqueName("cfg");
        try (SyntheticLslPublisher pub = new SyntheticLslPublisher(backend, name, name, 6, 500, 1)) {
            io.reflex.runtime.config.ReflexConfig c = io.reflex.runtime.config.ReflexConfig.parse(
                    "{\"source\":{\"type\":\"lsl\",\"channels\":6,\"sampleRateHz\":500,"
                            + "\"lsl\":{\"sourceId\":\"" + name + "\",\"network\":\"loopback\",\"resolveTimeoutS\":5}},"
                            + "\"pipeline\":{\"binWidthUs\":20000}}");
            try (io.reflex.runtime.pipeline.SampleSource s = io.reflex.runtime.session.Sources.create(c.source,
                    org.agrona.concurrent.SystemNanoClock.INSTANCE)) {
                assertThat(s).isInstanceOf(LslSampleSource.class);
                assertThat(s.channels()).isEqualTo(6);
                assertThat(s.referenceNames()).containsExactly("px", "py", "vx", "vy");
            }
            c.source.sampleRateHz = 1000;
            assertThatThrownBy(() -> io.reflex.runtime.session.Sources.create(c.source,
                    org.agrona.concurrent.SystemNanoClock.INSTANCE))
                    .isInstanceOf(io.reflex.runtime.check.ConfigException.class)
                    .hasMessageContaining("source.sampleRateHz").hasMessageContaining("500.0 Hz");
            assertThat(pub.published()).isZero();
        }
    }
}
