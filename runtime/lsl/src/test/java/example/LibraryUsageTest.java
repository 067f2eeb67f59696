package example;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.lsl.ChannelFormat;
import io.reflex.lsl.InletOptions;
import io.reflex.lsl.JavaLsl;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.LslConfig;
import io.reflex.lsl.LslError;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamInlet;
import io.reflex.lsl.StreamOutlet;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The library as another program uses it (docs/lsl.md, "Using it from another Java program"): from a package of its
 * own, through the public API only, an outlet and an inlet on loopback.
 */
@Timeout(60)
class LibraryUsageTest {

    @Test
    void anOutletAndAnInletFromOutsideThePackage() {
        String name = "example-" + UUID.randomUUID();
        LslBackend lsl = new JavaLsl(LslConfig.loopback(), LslError.logging());
        StreamInfo info = StreamInfo.builder(name, "EEG", 8, 500, ChannelFormat.FLOAT32, name).build();
        try (StreamOutlet outlet = lsl.createOutlet(info)) {
            List<StreamInfo> found = lsl.resolve("name='" + name + "'", 1, 5.0);
            assertThat(found).hasSize(1);
            StreamInlet inlet = lsl.createInlet(found.get(0), new InletOptions());
            try {
                inlet.open(5.0);
                float[] sample = {1, 2, 3, 4, 5, 6, 7, 8};
                double stamp = lsl.localClock();
                outlet.pushSample(sample, stamp);
                float[] got = new float[8];
                double t = inlet.pullSample(got, 5.0);
                assertThat(got).containsExactly(sample);
                assertThat(t).isEqualTo(stamp);
            } finally {
                inlet.close();
            }
        }
    }
}
