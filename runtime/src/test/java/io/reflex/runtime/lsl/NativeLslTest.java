package io.reflex.runtime.lsl;

import static io.reflex.runtime.lsl.LslTestSupport.config;
import static io.reflex.runtime.lsl.LslTestSupport.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.runtime.lsl.nativelsl.NativeLsl;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Interoperability with liblsl through the JNA binding; runs only where liblsl is installed. */
@Timeout(60)
class NativeLslTest {
    private static final LslErrorHandler QUIET = (w, m, c) -> { };

    @BeforeEach
    void needLiblsl() {
        Assumptions.assumeTrue(NativeLsl.unavailableReason() == null, "skipped: liblsl not installed");
    }

    @Test
    void liblslInletReadsAJavaOutlet() {
        LslBackend nat = LslBackend.select("native", config(), QUIET);
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
        LslBackend nat = LslBackend.select("native", config(), QUIET);
        String name = uniqueName("n2j");
        try (StreamOutlet outlet = nat.createOutlet(StreamInfo.builder(name, "T", 2, 0, ChannelFormat.STRING, name)
                .build())) {
            List<StreamInfo> found = new Resolver(config()).resolve(Resolver.byProperty("name", name), 1, 5);
            assertThat(found).hasSize(1);
            try (JavaInlet in = new JavaInlet(found.get(0), config(), new InletOptions(), QUIET)) {
                in.open(5);
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
        LslBackend nat = LslBackend.select("native", config(), QUIET);
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
    void nativeClockAgreesWithTheJavaClock() {
        LslBackend nat = LslBackend.select("native", config(), QUIET);
        double before = LslClock.now();
        double n = nat.localClock();
        double after = LslClock.now();
        assertThat(n).isBetween(before, after);
    }
}
