package io.reflex.runtime.journal;

import io.reflex.runtime.pipeline.Frame;
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
 * One frame record appended to the Chronicle journal, to show with {@code -prof gc} that the journal observer
 * allocates nothing per frame. Frames are small (few channels, one sample) so that the queue file stays small
 * (it is deleted at the end); the cost per byte of a full frame is not what this measures.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class JournalBenchmark {

    @Param({"4"})
    int channels;

    private Path dir;
    private Journal journal;
    private Frame frame;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("reflex-journal-bench");
        journal = Journal.open(dir, "{\"bench\":true}");
        journal.onStart();
        frame = new Frame(channels, 1, 4, 2);
        frame.clear();
        float[] s = new float[channels];
        frame.input.append(s, 0, 1.0, new double[4]);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        journal.onClose();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    public long appendFrame() {
        frame.sequence++;
        journal.onFrame(frame);
        return frame.sequence;
    }
}
