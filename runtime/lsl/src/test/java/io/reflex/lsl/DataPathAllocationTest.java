package io.reflex.lsl;

import static io.reflex.lsl.LslTestSupport.config;
import static io.reflex.lsl.LslTestSupport.uniqueName;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.agrona.ErrorHandler;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * After connect the data path allocates nothing: per-thread allocation counters of the pushing/pulling thread,
 * the outlet's sender and the inlet's receiver stay flat over many samples (after JIT warm-up).
 */
@Timeout(120)
class DataPathAllocationTest {

    @Test
    void pushAndPullAllocateNothingAfterWarmUp() {
        var bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof com.sun.management.ThreadMXBean,
                "skipped: this JVM has no per-thread allocation counters");
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) bean;
        ErrorHandler quiet = e -> { };
        String name = uniqueName("alloc");
        try (JavaOutlet outlet = new JavaOutlet(StreamInfo.builder(name, "T", 64, 1000, ChannelFormat.FLOAT32, "a")
                .build(), config(), quiet);
             JavaInlet inlet = new JavaInlet(outlet.info().toBuilder().v4address("127.0.0.1").build(), config(),
                     new InletOptions(), quiet)) {
            inlet.open(5);
            float[] out = new float[64];
            float[] in = new float[64];
            float[] wide = new float[3 * 64]; // every other sample pulled to an offset, as into a frame's block
            for (int i = 0; i < 100_000; i++) {
                out[0] = i;
                outlet.pushSample(out, 1.0 + i);
                pull(inlet, i, in, wide);
            }
            // The data path: the outlet's sender and the inlet's receiver (the service and acceptor threads answer
            // discovery and time probes from anyone on the port range, which is not the data path).
            List<Thread> lsl = LslTestSupport.lslThreads().stream()
                    .filter(t -> t.getName().contains(name))
                    .filter(t -> t.getName().startsWith("lsl-outlet-conn-") || t.getName().startsWith("lsl-inlet-"))
                    .toList();
            assertThat(lsl).extracting(Thread::getName)
                    .anyMatch(n -> n.startsWith("lsl-outlet-conn-")).anyMatch(n -> n.startsWith("lsl-inlet-"));
            Map<Thread, Long> before = new HashMap<>();
            for (Thread t : lsl) {
                before.put(t, mx.getThreadAllocatedBytes(t.getId()));
            }
            long callerBefore = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 20_000; i++) {
                out[0] = i;
                outlet.pushSample(out, 1.0 + i);
                pull(inlet, i, in, wide);
            }
            long callerBytes = mx.getCurrentThreadAllocatedBytes() - callerBefore;
            for (Thread t : lsl) {
                long bytes = mx.getThreadAllocatedBytes(t.getId()) - before.get(t);
                assertThat(bytes).as("bytes allocated by %s over 20000 samples", t.getName()).isZero();
            }
            assertThat(callerBytes).as("bytes allocated by the pushing/pulling thread").isZero();
            assertThat(in[0]).isEqualTo(19_998f);
            assertThat(wide[64]).isEqualTo(19_999f);
        }
    }

    private static void pull(JavaInlet inlet, int i, float[] in, float[] wide) {
        if (i % 2 == 0) {
            inlet.pullSample(in, 10);
        } else {
            inlet.pullSample(wide, 64, 10);
        }
    }
}
