package io.reflex.runtime.lsl;

import io.reflex.lsl.ChannelFormat;
import io.reflex.lsl.JavaLsl;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.LslClock;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamOutlet;

import static io.reflex.lsl.LslTestSupport.config;
import static io.reflex.lsl.LslTestSupport.eventually;
import static io.reflex.lsl.LslTestSupport.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.runtime.config.ReflexConfig;
import java.util.concurrent.TimeUnit;
import org.agrona.ErrorHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The daemon's reader of a task's marker stream ({@code source.lsl.markers}), and the keys that configure it. */
class MarkerInletTest {
    private static final ErrorHandler QUIET = e -> { };

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void markersAreReceivedTimeCorrectedAndCountedFromAStreamThatAppearsLater() {
        LslBackend backend = new JavaLsl(config(), QUIET);
        String name = uniqueName("markers");
        // the reader starts first: the task program may start after the daemon
        try (MarkerInlet in = new MarkerInlet(backend, new LslSampleSource.Selector().name(name))) {
            assertThat(in.received()).isZero();
            assertThat(in.stream()).isEmpty();
            try (StreamOutlet out = backend.createOutlet(StreamInfo.builder(name, "Markers", 1, 0, ChannelFormat.STRING,
                    name).build())) {
                assertThat(out.waitForConsumers(30)).as("the reader resolved the stream and connected").isTrue();
                double t = LslClock.now();
                out.pushSample(new String[] {"trial_start 1"}, t);
                out.pushSample(new String[] {"target_on 3 0.0000 0.1000"}, t + 0.01);
                out.pushSample(new String[] {"target_reached 3 420"}, t + 0.5);
                assertThat(eventually(() -> in.received() == 3, 20)).as("received %d", in.received()).isTrue();
                assertThat(in.stream()).isEqualTo(name);
                assertThat(in.last()).isEqualTo("target_reached 3 420");
                // one machine: the corrected timestamp is the pushed one within the time correction's error
                assertThat(in.lastTimeS()).isCloseTo(t + 0.5, org.assertj.core.api.Assertions.within(0.005));
            }
        }
    }

    @Test
    void theMarkerAndOutletWaitKeysAreChecked() {
        assertThatThrownBy(() -> ReflexConfig.parse("{\"source\":{\"type\":\"lsl\",\"lsl\":{\"name\":\"a\","
                + "\"markers\":{}}}}")).hasMessageContaining("source.lsl.markers")
                .hasMessageContaining("name, type or sourceId");
        assertThatThrownBy(() -> ReflexConfig.parse("{\"source\":{\"lsl\":{\"markers\":{\"name\":\"m\"}}}}"))
                .hasMessageContaining("source.lsl.markers").hasMessageContaining("set source.type to lsl");
        assertThatThrownBy(() -> ReflexConfig.parse("{\"source\":{\"type\":\"lsl\",\"lsl\":{\"name\":\"a\"}},"
                + "\"decodedOutlet\":{\"waitForConsumerS\":-1}}")).hasMessageContaining("decodedOutlet.waitForConsumerS");
        ReflexConfig c = ReflexConfig.parse("{\"source\":{\"type\":\"lsl\",\"lsl\":{\"name\":\"a\","
                + "\"markers\":{\"type\":\"Markers\"}}},\"decodedOutlet\":{\"waitForConsumerS\":30}}");
        assertThat(c.source.lsl.markers.type).isEqualTo("Markers");
        assertThat(c.decodedOutlet.waitForConsumerS).isEqualTo(30);
        assertThat(new ReflexConfig().decodedOutlet.waitForConsumerS).as("no wait by default").isZero();
    }
}
