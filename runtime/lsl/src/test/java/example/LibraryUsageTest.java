package example;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.lsl.ChannelFormat;
import io.reflex.lsl.ChannelSplit;
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
                // the split pull of the guide: channels 0, 1, 2, 3, 5 to an array at an offset, 4, 6, 7 aside
                ChannelSplit split = new ChannelSplit(8, new int[] {0, 1, 2, 3, 5}, new int[] {4, 6, 7});
                outlet.pushSample(new float[] {10, 11, 12, 13, 14, 15, 16, 17}, stamp + 1);
                float[] dst = new float[7];
                assertThat(inlet.pullSample(dst, 2, split, 5.0)).isEqualTo(stamp + 1);
                assertThat(dst).containsExactly(0, 0, 10, 11, 12, 13, 15);
                assertThat(split.restValues()).containsExactly(14, 16, 17);
            } finally {
                inlet.close();
            }
        }
    }
}
