package io.reflex.runtime.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.agrona.concurrent.status.AtomicCounter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The outside counters file: what a reader (another mapping of the file) sees, and files it must refuse. */
class CountersFileTest {
    @TempDir
    Path dir;

    @Test
    void aReaderSeesEveryCounterByLabelAsItIsWrittenAndNothingOnceClosed() {
        Path p = dir.resolve("sub/counters.dat");
        try (CountersFile f = CountersFile.create(p, 4)) {
            AtomicCounter a = f.counter("a.frames");
            AtomicCounter b = f.counter("b.misses");
            a.setRelease(41);
            a.incrementRelease();
            CountersFile.Snapshot s = CountersFile.read(p);
            assertThat(s.counters()).containsExactly(java.util.Map.entry("a.frames", 42L),
                    java.util.Map.entry("b.misses", 0L));
            assertThat(s.pid()).isEqualTo(ProcessHandle.current().pid());
            assertThat(s.writerAlive()).isTrue();
            b.setRelease(7);
            assertThat(CountersFile.read(p).counters().get("b.misses")).isEqualTo(7L);
            f.counter("c");
            f.counter("d");
            assertThatThrownBy(() -> f.counter("e")).isInstanceOf(IllegalStateException.class);
        }
        assertThat(p).doesNotExist();
        assertThatThrownBy(() -> CountersFile.read(p)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot be read");
    }

    @Test
    void anExistingFileIsReplacedOnlyWhenItsWriterIsGone() throws Exception {
        Path p = dir.resolve("counters.dat");
        try (CountersFile f = CountersFile.create(p, 2)) {
            f.counter("x").setRelease(5);
            assertThatThrownBy(() -> CountersFile.create(p, 2)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("in use by the running process " + ProcessHandle.current().pid());
            assertThat(CountersFile.read(p).counters()).containsEntry("x", 5L);
            // a file left by a writer that is gone (here: the same bytes with a pid no process has)
            Path stale = Files.copy(p, dir.resolve("stale.dat"));
            patchLong(stale, 16, Long.MAX_VALUE);
            try (CountersFile g = CountersFile.create(stale, 3)) {
                assertThat(CountersFile.read(stale).pid()).isEqualTo(ProcessHandle.current().pid());
                assertThat(CountersFile.read(stale).counters()).isEmpty();
            }
        }
        Path notOurs = Files.writeString(dir.resolve("notes.txt"), "a lab notebook");
        assertThatThrownBy(() -> CountersFile.create(notOurs, 2)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not a Reflex counters file; it is left as it is");
        assertThat(notOurs).hasContent("a lab notebook");
    }

    private static void patchLong(Path p, int offset, long value) throws Exception {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(0, value), offset);
        }
    }

    @Test
    void capacityIsBounded() {
        assertThatThrownBy(() -> CountersFile.create(dir.resolve("x"), 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CountersFile.create(dir.resolve("x"), CountersFile.MAX_COUNTERS + 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 to 1024");
    }

    @Test
    void filesThatAreNotCountersFilesAreRefusedWithTheReason() throws Exception {
        Path small = Files.write(dir.resolve("small"), new byte[10]);
        assertThatThrownBy(() -> CountersFile.read(small)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a Reflex counters file (10 bytes)");
        Path zeros = Files.write(dir.resolve("zeros"), new byte[4096]);
        assertThatThrownBy(() -> CountersFile.read(zeros)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no RFXCNT01 header");
        Path p = dir.resolve("good");
        try (CountersFile f = CountersFile.create(p, 2)) {
            f.counter("x");
            Path copy = Files.copy(p, dir.resolve("copy"));
            patch(copy, 8, 9);
            assertThatThrownBy(() -> CountersFile.read(copy)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("layout 9");
            Path lengths = Files.copy(p, dir.resolve("lengths"));
            patch(lengths, 36, 1 << 30);
            assertThatThrownBy(() -> CountersFile.read(lengths)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("do not fit");
        }
        Path huge = dir.resolve("huge");
        try (FileChannel ch = FileChannel.open(huge, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[1]), 1L << 30);
        }
        assertThatThrownBy(() -> CountersFile.read(huge)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("more than 1024 counters need");
    }

    private static void patch(Path p, int offset, int value) throws Exception {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(0, value), offset);
        }
    }
}
