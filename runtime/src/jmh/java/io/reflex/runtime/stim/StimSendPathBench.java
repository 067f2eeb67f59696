package io.reflex.runtime.stim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One stimulation command end to end on the host: envelope check, controller, Chronicle write-ahead record, TCP
 * frame to the simulated stimulator on loopback, and the wait for its ACK (the stimulator's own decode and oracle
 * run on its thread, or a minimal ACK-only stimulator's). Run with {@code -prof gc} to show the send path allocates nothing per command; the time per
 * operation includes a loopback round trip and the stimulator thread's wake-up, so it is a latency, not the
 * host's CPU cost alone.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class StimSendPathBench {
    /**
     * {@code ack-only}: a minimal loopback stimulator that allocates nothing, so {@code gc.alloc.rate.norm} is the
     * host's; {@code simulated}: the simulated stimulator, whose envelope oracle allocates on its own thread.
     */
    @Param({"ack-only", "simulated"})
    String stimulator;

    private AckOnlyStimulator ackOnly;
    private Path dir;
    private StimSendPathAllocationTest.StimSendPath path;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("reflex-stim-bench");
        if (stimulator.equals("ack-only")) {
            ackOnly = new AckOnlyStimulator();
        }
        path = new StimSendPathAllocationTest.StimSendPath(dir, ackOnly != null ? ackOnly.port() : 0);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        path.close();
        if (ackOnly != null) {
            ackOnly.close();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Submit one command and poll until the stimulator acknowledged it. */
    @Benchmark
    public int commandRoundTrip() {
        return path.once();
    }
}
