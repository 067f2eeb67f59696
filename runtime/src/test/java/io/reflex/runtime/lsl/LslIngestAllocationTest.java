package io.reflex.runtime.lsl;

import static io.reflex.lsl.LslTestSupport.config;
import static io.reflex.lsl.LslTestSupport.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.lsl.ChannelFormat;
import io.reflex.lsl.JavaLsl;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamOutlet;
import io.reflex.lsl.XmlElement;
import io.reflex.runtime.pipeline.SampleBlock;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The ingest thread's poll allocates nothing after warm-up, whether the inlet decodes a whole sample straight into
 * the block or (the block's last sample, whose trailing reference channels do not fit past its end; or reference
 * channels among the neural ones) through the source's channel split.
 */
@Timeout(120)
class LslIngestAllocationTest {

    @Test
    void pollingIntoTheBlockAllocatesNothing() {
        check(new String[] {"e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "px", "py", "vx", "vy"}, 8);
    }

    @Test
    void pollingWithReferenceChannelsAmongTheNeuralOnesAllocatesNothing() {
        check(new String[] {"vx", "e0", "e1", "px", "e2", "vy"}, 3);
    }

    private static void check(String[] labels, int neural) {
        var bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof com.sun.management.ThreadMXBean,
                "skipped: this JVM has no per-thread allocation counters");
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
        LslBackend backend = new JavaLsl(config(), e -> { });
        String name = uniqueName("ingest-alloc");
        StreamInfo.Builder b = StreamInfo.builder(name, "EEG", labels.length, 1000, ChannelFormat.FLOAT32, name);
        XmlElement chans = b.desc().appendChild("channels");
        for (String l : labels) {
            chans.appendChild("channel").appendChildValue("label", l);
        }
        try (StreamOutlet out = backend.createOutlet(b.build());
             LslSampleSource src = LslSampleSource.open(backend, new LslSampleSource.Selector().name(name)
                     .sourceId(name), 5)) {
            int refs = labels.length - neural;
            SampleBlock block = new SampleBlock(neural, 20, refs);
            float[] v = new float[labels.length];
            long before = 0;
            int warm = 30_000;
            for (int i = 0; i < warm + 20_000; i++) {
                if (i == warm) {
                    before = mx.getCurrentThreadAllocatedBytes();
                }
                if (block.isFull()) {
                    block.clear();
                }
                v[0] = i;
                out.pushSample(v, 1.0 + i * 0.001);
                int size = block.size();
                while (block.size() == size) {
                    if (Thread.currentThread().isInterrupted()) {
                        throw new AssertionError("interrupted (test timeout) while waiting for a sample");
                    }
                    src.poll(block);
                }
            }
            long bytes = mx.getCurrentThreadAllocatedBytes() - before;
            assertThat(bytes).as("bytes allocated pushing and polling 20000 samples").isZero();
            assertThat(src.pulled()).isEqualTo(warm + 20_000);
        }
    }
}
