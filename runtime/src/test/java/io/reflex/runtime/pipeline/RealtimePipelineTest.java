package io.reflex.runtime.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import io.reflex.runtime.agent.Realtime;
import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.source.PacedSource;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code realtimePriority}: the critical threads under SCHED_FIFO, the observers not, and a refusal that says why. */
class RealtimePipelineTest {
    private static final int CH = 4;

    /** capget/capset on the calling thread only (Linux capabilities are per thread). */
    private interface Caps extends Library {
        Caps C = Native.load("c", Caps.class);

        int capget(int[] header, int[] data) throws LastErrorException;

        int capset(int[] header, int[] data) throws LastErrorException;
    }

    private static final int CAP_SYS_NICE = 23;
    private static final int CAPS_V3 = 0x20080522;

    private static boolean threadHasSysNice() {
        int[] data = new int[6];
        Caps.C.capget(new int[] {CAPS_V3, 0}, data);
        return (data[0] & (1 << CAP_SYS_NICE)) != 0;
    }

    /** Drops CAP_SYS_NICE from the calling thread (and the threads it starts from now on). */
    private static void dropSysNice() {
        int[] header = {CAPS_V3, 0};
        int[] data = new int[6];
        Caps.C.capget(header, data);
        data[0] &= ~(1 << CAP_SYS_NICE); // effective
        data[1] &= ~(1 << CAP_SYS_NICE); // permitted
        Caps.C.capset(header, data);
    }

    private static Pipeline.Context context(int priority, String hotIdle, Topology topology, OutputSink sink,
                                            FrameHandler observer) {
        PacedSource src = new PacedSource("rt", CH, 1000, List.of(), (v, r) -> Arrays.fill(v, 1f),
                SystemNanoClock.INSTANCE, 100);
        Pipeline.Context c = new Pipeline.Context().source(src).channels(CH).topology(topology).hotIdle(hotIdle)
                .realtimePriority(priority).decoder(new TestDecoders.Sum(CH));
        if (sink != null) {
            c.sink(sink);
        }
        if (observer != null) {
            c.observer("policy", observer);
        }
        return c;
    }

    @Test
    void aRealTimeThreadThatWouldSpinOrYieldIsRefused() {
        for (String idle : List.of("busy-spin", "yield")) {
            assertThatThrownBy(() -> context(10, idle, Topology.FUSED, null, null).conclude())
                    .isInstanceOf(ConfigException.class).hasMessageContaining("realtimePriority")
                    .hasMessageContaining("'" + idle + "'");
        }
        assertThatThrownBy(() -> context(10, "backoff", Topology.PER_STAGE, null, null).idle("yield").conclude())
                .isInstanceOf(ConfigException.class).hasMessageContaining("'yield'");
        assertThatThrownBy(() -> context(99, "backoff", Topology.FUSED, null, null).conclude())
                .isInstanceOf(ConfigException.class).hasMessageContaining("realtimePriority");
        assertThat(context(10, "park", Topology.FUSED, null, null).conclude()).isNotNull();
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void theCriticalThreadsRunUnderSchedFifoAndTheObserversDoNot() throws Exception {
        Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux"), "skipped: Linux only");
        Assumptions.assumeTrue(threadHasSysNice(), "skipped: needs root or CAP_SYS_NICE to set SCHED_FIFO");
        for (Topology t : Topology.values()) {
            java.util.Set<String> emitPolicy = ConcurrentHashMap.newKeySet();
            java.util.Set<String> observerPolicy = ConcurrentHashMap.newKeySet();
            CountDownLatch frames = new CountDownLatch(3);
            OutputSink sink = new OutputSink() {
                @Override
                public String name() {
                    return "policy";
                }

                @Override
                public void emit(Frame frame) {
                    emitPolicy.add(Realtime.current());
                    frames.countDown();
                }
            };
            try (Pipeline p = new Pipeline(context(7, "backoff", t, sink, f -> observerPolicy.add(Realtime.current())))) {
                p.start();
                assertThat(frames.await(10, TimeUnit.SECONDS)).as(t.key()).isTrue();
            }
            assertThat(emitPolicy).as(t.key()).containsExactly("fifo 7");
            // the single topology runs the observers on its one (critical) thread
            assertThat(observerPolicy).as(t.key()).containsExactly(t == Topology.SINGLE ? "fifo 7" : "other 0");
        }
        assertThat(Realtime.current()).as("the test's own thread").isEqualTo("other 0");
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void withoutThePermissionStartFailsWithTheKernelsReasonAndNothingRuns() throws Exception {
        Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux"), "skipped: Linux only");
        CompletableFuture<Throwable> result = new CompletableFuture<>();
        long[] emitted = {0};
        Thread t = new Thread(() -> {
            try {
                dropSysNice(); // this thread and the pipeline threads it starts
                try (Pipeline p = new Pipeline(context(10, "backoff", Topology.FUSED, new OutputSink() {
                    @Override
                    public String name() {
                        return "count";
                    }

                    @Override
                    public void emit(Frame frame) {
                        emitted[0]++;
                    }
                }, null).errorHandler((source, error) -> { }))) {
                    p.start();
                    result.complete(null);
                }
            } catch (Throwable e) {
                result.complete(e);
            }
        }, "no-sys-nice");
        t.start();
        Throwable e = result.get(20, TimeUnit.SECONDS);
        t.join();
        Assumptions.assumeFalse(e == null, "skipped: SCHED_FIFO is allowed here without CAP_SYS_NICE (RLIMIT_RTPRIO)");
        assertThat(e).isInstanceOf(ConfigException.class)
                .hasMessageContaining("pipeline.realtimePriority: 10 refused")
                .hasMessageContaining("EPERM").hasMessageContaining("CAP_SYS_NICE");
        assertThat(emitted[0]).isZero();
    }
}
