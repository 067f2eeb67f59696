package io.reflex.lsl;

import static io.reflex.lsl.LslTestSupport.config;
import static io.reflex.lsl.LslTestSupport.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;

import org.agrona.ErrorHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class RecoveryTest {
    private static final ErrorHandler QUIET = e -> { };

    @Test
    void inletFollowsAnOutletRestartedWithTheSameSourceId() {
        String name = uniqueName("rec");
        StreamInfo desc = StreamInfo.builder(name, "EEG", 2, 100, ChannelFormat.FLOAT32, name + "-amp").build();
        JavaOutlet first = new JavaOutlet(desc, config(), QUIET);
        StreamInfo resolved = new Resolver(config()).resolve(Resolver.byProperty("name", name), 1, 5).get(0);
        try (JavaInlet inlet = new JavaInlet(resolved, config(), new InletOptions(), QUIET)) {
            inlet.open(5);
            LslTestSupport.await(first::haveConsumers);
            first.pushSample(new float[] {1, 1}, 1.0);
            float[] v = new float[2];
            assertThat(inlet.pullSample(v, 5)).isEqualTo(1.0);
            String oldUid = first.info().uid();
            first.close();

            try (JavaOutlet second = new JavaOutlet(desc, config(), QUIET)) {
                assertThat(second.info().uid()).isNotEqualTo(oldUid);
                LslTestSupport.await(second::haveConsumers);
                second.pushSample(new float[] {2, 2}, 2.0);
                assertThat(inlet.pullSample(v, 10)).isEqualTo(2.0);
                assertThat(v).containsExactly(2, 2);
                assertThat(inlet.info().uid()).isEqualTo(second.info().uid());
                assertThat(inlet.recoveries()).isEqualTo(1);
                assertThat(inlet.lost()).isFalse();
            }
        }
    }

    @Test
    void streamWithoutSourceIdIsLostWhenItsOutletGoes() {
        String name = uniqueName("lost");
        StreamInfo desc = StreamInfo.builder(name, "EEG", 1, 0, ChannelFormat.FLOAT32, "").build();
        JavaOutlet outlet = new JavaOutlet(desc, config(), QUIET);
        try (JavaInlet inlet = new JavaInlet(outlet.info().toBuilder().v4address("127.0.0.1").build(), config(),
                new InletOptions(), QUIET)) {
            inlet.open(5);
            outlet.close();
            LslTestSupport.await(inlet::lost);
            assertThat(inlet.pullSample(new float[1], 0.1)).isZero();
        }
    }
}
