package io.reflex.lsl;

import static io.reflex.lsl.LslTestSupport.config;
import static io.reflex.lsl.LslTestSupport.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.lsl.nativelsl.NativeLsl;
import io.reflex.lsl.nativelsl.NativeLslException;
import java.util.List;
import org.agrona.ErrorHandler;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Interoperability with liblsl through the JNA binding; runs only where liblsl is installed. */
@Timeout(60)
class NativeLslTest {
    private static final ErrorHandler QUIET = e -> { };

    /**
     * The tests' loopback configuration with liblsl's default TimeUpdateInterval: the 0.5 s the Java tests use is
     * shorter than one liblsl probe round, which liblsl never completes (NativeLsl refuses it).
     */
    private static LslConfig nativeConfig() {
        return config().timeUpdateIntervalS(2.0).conclude();
    }

    @BeforeEach
    void needLiblsl() {
        Assumptions.assumeTrue(NativeLsl.unavailableReason() == null, "skipped: liblsl not installed");
    }

    @Test
    void liblslInletReadsAJavaOutlet() {
        LslBackend nat = LslBackend.select("native", nativeConfig(), QUIET);
        String name = uniqueName("j2n");
        try (JavaOutlet outlet = new JavaOutlet(StreamInfo.builder(name, "T", 3, 100, ChannelFormat.FLOAT32, name)
                .build(), config(), QUIET)) {
            List<StreamInfo> found = nat.resolve(Resolver.byProperty("name", name), 1, 5);
            assertThat(found).hasSize(1);
            try (StreamInlet in = nat.createInlet(found.get(0), new InletOptions())) {
                in.open(5);
                outlet.pushSample(new float[] {1, -2, 3}, 77.0);
                float[] v = new float[3];
                assertThat(in.pullSample(v, 5)).isEqualTo(77.0);
                assertThat(v).containsExactly(1, -2, 3);
            }
        }
    }

    @Test
    void javaInletReadsALiblslOutlet() {
        LslBackend nat = LslBackend.select("native", nativeConfig(), QUIET);
        String name = uniqueName("n2j");
        try (StreamOutlet outlet = nat.createOutlet(StreamInfo.builder(name, "T", 2, 0, ChannelFormat.STRING, name)
                .build())) {
            List<StreamInfo> found = new Resolver(config()).resolve(Resolver.byProperty("name", name), 1, 5);
            assertThat(found).hasSize(1);
            try (JavaInlet in = new JavaInlet(found.get(0), config(), new InletOptions(), QUIET)) {
                in.open(5);
                assertThat(outlet.waitForConsumers(5)).isTrue();
                outlet.pushSample(new String[] {"", "x".repeat(300)}, 5.0);
                String[] v = new String[2];
                assertThat(in.pullSample(v, 5)).isEqualTo(5.0);
                assertThat(v[0]).isEmpty();
                assertThat(v[1]).hasSize(300);
            }
        }
    }

    @Test
    void shortArraysAreRefusedBeforeLiblslCanOverrunThem() {
        LslBackend nat = LslBackend.select("native", nativeConfig(), QUIET);
        String name = uniqueName("nshort");
        try (StreamOutlet outlet = nat.createOutlet(StreamInfo.builder(name, "T", 3, 100, ChannelFormat.FLOAT32, name)
                .build())) {
            List<StreamInfo> found = nat.resolve(Resolver.byProperty("name", name), 1, 5);
            assertThat(found).hasSize(1);
            try (StreamInlet in = nat.createInlet(found.get(0), new InletOptions())) {
                in.open(5);
                assertThatThrownBy(() -> outlet.pushSample(new float[2], 1.0))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3 channels");
                assertThatThrownBy(() -> outlet.pushChunk(new float[5], 2, 1.0))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 5");
                assertThatThrownBy(() -> outlet.pushChunk(new float[6], 2, new double[1]))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timestamps");
                assertThatThrownBy(() -> in.pullSample(new float[2], 0.0))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3 channels");
                outlet.pushSample(new float[] {1, 2, 3}, 8.0);
                float[] chunk = new float[4];
                double[] ts = new double[5];
                assertThat(in.pullChunk(chunk, ts, 5, 5)).as("one sample fits the 4-value destination").isEqualTo(1);
                assertThat(ts[0]).isEqualTo(8.0);
                assertThat(chunk).startsWith(1, 2, 3);
            }
        }
    }

    @Test
    void liblslToLiblslWithTheDefaultEmptyQueryFullInfoAndTimeCorrection() {
        LslBackend nat = LslBackend.select("native", nativeConfig(), QUIET);
        String name = uniqueName("n2n");
        StreamInfo described = StreamInfo.builder(name, "EEG", 2, 250, ChannelFormat.DOUBLE64, name).build();
        described.desc().appendChild("channels").appendChild("channel").appendChildValue("label", "C3");
        try (StreamOutlet outlet = nat.createOutlet(described)) {
            List<StreamInfo> all = nat.resolve("", 0, 1.5);
            assertThat(all).as("empty query = lsl_resolve_all").extracting(StreamInfo::name).contains(name);
            StreamInfo info = all.stream().filter(i -> i.name().equals(name)).findFirst().orElseThrow();
            try (StreamInlet in = nat.createInlet(info, new InletOptions())) {
                StreamInfo full = in.fullInfo(5);
                assertThat(full.desc().child("channels").child("channel").childValue("label")).isEqualTo("C3");
                in.open(5);
                assertThat(outlet.waitForConsumers(5)).as("liblsl registers the consumer after the handshake").isTrue();
                outlet.pushSample(new double[] {0.5, -7.25}, 123.5);
                double[] v = new double[2];
                assertThat(in.pullSample(v, 5)).isEqualTo(123.5);
                assertThat(v).containsExactly(0.5, -7.25);
                double tc = in.timeCorrection(5);
                assertThat(tc).as("same machine, same clock").isBetween(-0.01, 0.01);
            }
        }
    }

    @Test
    void aStreamFoundByTheJavaResolverIsReResolvedByLiblslNotBuiltFromXml() {
        LslBackend nat = LslBackend.select("native", nativeConfig(), QUIET);
        String name = uniqueName("jres");
        try (JavaOutlet outlet = new JavaOutlet(StreamInfo.builder(name, "T", 1, 0, ChannelFormat.INT32, name)
                .build(), config(), QUIET)) {
            StreamInfo fromJava = new Resolver(config()).resolve(Resolver.byProperty("name", name), 1, 5).get(0);
            try (StreamInlet in = nat.createInlet(fromJava, new InletOptions())) {
                assertThat(in.fullInfo(5).uid()).isEqualTo(fromJava.uid());
                in.open(5);
                outlet.pushSample(new int[] {99}, 3.0);
                int[] v = new int[1];
                assertThat(in.pullSample(v, 5)).isEqualTo(3.0);
                assertThat(v[0]).isEqualTo(99);
            }
        }
    }

    @Test
    void aVanishedOutletTimesOutInsteadOfKillingTheJvm() {
        LslBackend nat = LslBackend.select("native", nativeConfig(), QUIET);
        String name = uniqueName("gone");
        StreamInfo info;
        try (StreamOutlet outlet = nat.createOutlet(StreamInfo.builder(name, "T", 1, 0, ChannelFormat.FLOAT32, name)
                .build())) {
            info = nat.resolve(Resolver.byProperty("name", name), 1, 5).get(0);
        }
        try (StreamInlet in = nat.createInlet(info, new InletOptions().recover(false))) {
            assertThatThrownBy(() -> in.fullInfo(0.5)).isInstanceOf(NativeLslException.class);
            assertThat(in.pullSample(new float[1], 0.2)).isZero();
        }
        StreamInfo unknown = info.toBuilder().uid("00000000-0000-4000-8000-000000000000").build();
        assertThatThrownBy(() -> nat.createInlet(unknown, new InletOptions())).isInstanceOf(NativeLslException.class)
                .hasMessageContaining("did not answer");
    }

    @Test
    void anInvalidPredicateIsAnError() {
        LslBackend nat = LslBackend.select("native", nativeConfig(), QUIET);
        assertThatThrownBy(() -> nat.resolve("name=='", 0, 0.2)).isInstanceOf(NativeLslException.class)
                .hasMessageContaining("invalid argument");
    }

    @Test
    void nativeClockAgreesWithTheJavaClock() {
        LslBackend nat = LslBackend.select("native", nativeConfig(), QUIET);
        double before = LslClock.now();
        double n = nat.localClock();
        double after = LslClock.now();
        assertThat(n).isBetween(before, after);
    }
}
