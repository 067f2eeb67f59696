package io.reflex.lsl;

import static io.reflex.lsl.LslTestSupport.config;
import static io.reflex.lsl.LslTestSupport.info;
import static io.reflex.lsl.LslTestSupport.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.agrona.ErrorHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class DiscoveryTest {
    private static final ErrorHandler QUIET = e -> { };

    @Test
    void twoOutletsOnOneHostAreBothFound() {
        String type = uniqueName("pair");
        StreamInfo a = StreamInfo.builder(uniqueName("a"), type, 4, 100, ChannelFormat.FLOAT32, "sa").build();
        StreamInfo b = StreamInfo.builder(uniqueName("b"), type, 2, 0, ChannelFormat.STRING, "sb").build();
        try (JavaOutlet oa = new JavaOutlet(a, config(), QUIET); JavaOutlet ob = new JavaOutlet(b, config(), QUIET)) {
            assertThat(oa.info().v4dataPort()).isNotEqualTo(ob.info().v4dataPort());
            List<StreamInfo> found = new Resolver(config()).resolve(Resolver.byProperty("type", type), 2, 10);
            assertThat(found).extracting(StreamInfo::name).containsExactlyInAnyOrder(a.name(), b.name());
            StreamInfo fa = found.stream().filter(i -> i.name().equals(a.name())).findFirst().orElseThrow();
            assertThat(fa.v4address()).isEqualTo("127.0.0.1");
            assertThat(fa.uid()).isEqualTo(oa.info().uid());
            assertThat(fa.v4dataPort()).isEqualTo(oa.info().v4dataPort());
            assertThat(fa.channelCount()).isEqualTo(4);
        }
    }

    @Test
    void resolveAllWaitsTheTimeoutAndDeduplicates() {
        String name = uniqueName("dedup");
        try (JavaOutlet o = new JavaOutlet(info(name, ChannelFormat.INT16, 1, 10), config(), QUIET)) {
            List<StreamInfo> found = new Resolver(config()).resolve(Resolver.byProperty("name", name), 0, 1.2);
            assertThat(found).hasSize(1);
            assertThat(found.get(0).uid()).isEqualTo(o.info().uid());
        }
    }

    @Test
    void nonMatchingQueriesFindNothing() {
        String name = uniqueName("none");
        try (JavaOutlet o = new JavaOutlet(info(name, ChannelFormat.INT16, 1, 10), config(), QUIET)) {
            assertThat(new Resolver(config()).resolve(Resolver.byProperty("name", name) + " and channel_count=2", 1,
                    0.6)).isEmpty();
            assertThat(o.info().name()).isEqualTo(name);
        }
    }

    @Test
    void invalidPredicateIsRefusedAtTheEdge() {
        assertThatThrownBy(() -> new Resolver(config()).resolve("name=='", 1, 0.1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("XPath");
    }

    @Test
    void continuousResolverSeesStreamsComeAndGo() {
        String type = uniqueName("cont");
        try (ContinuousResolver r = new ContinuousResolver(config().continuousResolveIntervalS(0.1),
                Resolver.byProperty("type", type), 0.5)) {
            JavaOutlet o = new JavaOutlet(StreamInfo.builder(uniqueName("c"), type, 1, 0, ChannelFormat.FLOAT32, "")
                    .build(), config(), QUIET);
            LslTestSupport.await(() -> r.results().size() == 1);
            assertThat(r.results().get(0).uid()).isEqualTo(o.info().uid());
            o.close();
            LslTestSupport.await(() -> r.results().isEmpty());
        }
    }

    @Test
    void timeCorrectionBetweenIdenticalClocksIsNearZero() {
        try (JavaOutlet o = new JavaOutlet(info(uniqueName("tc"), ChannelFormat.FLOAT32, 1, 0), config(), QUIET)) {
            List<StreamInfo> found = new Resolver(config()).resolve(Resolver.byProperty("name", o.info().name()), 1, 5);
            try (JavaInlet in = new JavaInlet(found.get(0), config(), new InletOptions(), QUIET)) {
                double corr = in.timeCorrection(10);
                double rtt = in.timeCorrector().uncertaintyS();
                // Same clock: the true offset is 0 and the min-RTT estimate is off by at most half its round trip.
                assertThat(rtt).isBetween(0.0, 0.1);
                assertThat(Math.abs(corr)).isLessThanOrEqualTo(rtt / 2 + 1e-4);
                // The estimate needs 6 replies; the outlet counts each probe just after its reply has gone out.
                assertThat(LslTestSupport.eventually(() -> o.timeProbesAnswered() >= 6, 5))
                        .as("probes answered: %d", o.timeProbesAnswered()).isTrue();
            }
        }
    }
}
