package io.reflex.runtime.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.pipeline.Pipeline;
import io.reflex.runtime.session.ClosedLoopSession;
import io.reflex.runtime.session.SessionReport;
import io.reflex.runtime.source.PacedSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data journal on a real full disk: a small tmpfs mounted for the test and filled up. A nearly full disk is
 * refused at start; the guard faults the journal while the reserve is still free; a write that faults anyway
 * (SIGBUS in mapped memory) faults the journal without killing its thread; a session ends failed. In every case
 * each frame written before the fault reads back.
 */
class JournalDiskFullTest {
    private static final long MIB = 1L << 20;
    /** 256 channels x 10 samples per 5 ms bin: 10 KB per frame, 2 MB/s. */
    private static final int CH = 256;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aNearlyFullDiskIsRefusedAtStartNamingDirFreeBytesAndReserve(@TempDir Path tmp) throws Exception {
        try (Tmpfs fs = Tmpfs.mount(tmp.resolve("disk"), 24)) {
            fs.fillLeaving(10 * MIB, "filler");
            Path dir = fs.dir().resolve("run");
            try (FreeSpaceGuard guard = new FreeSpaceGuard(8 * MIB, SystemNanoClock.INSTANCE)) {
                assertThatThrownBy(() -> Journal.open(dir, "{}", 0, guard, new JournalFaults()))
                        .isInstanceOf(ConfigException.class)
                        .satisfies(e -> assertThat(((ConfigException) e).field()).isEqualTo("journal.dir"))
                        .hasMessageContaining(dir.toString())
                        .hasMessageContaining("bytes")
                        .hasMessageContaining("journal.reserveMiB = 8 MiB");
                assertThat(guard.watched()).isZero();
            }
            try (Stream<Path> files = Files.list(dir)) {
                assertThat(files).as("nothing mapped").isEmpty();
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theGuardFaultsTheJournalWhileTheReserveIsFreeAndEveryFrameBeforeItReadsBack(@TempDir Path tmp)
            throws Exception {
        try (Tmpfs fs = Tmpfs.mount(tmp.resolve("disk"), 40)) {
            fs.fillLeaving(15 * MIB, "filler");
            Path dir = fs.dir().resolve("run");
            List<String> told = Collections.synchronizedList(new ArrayList<>());
            JournalFaults faults = new JournalFaults().listener((journal, reason) -> told.add(journal + ": " + reason));
            long written;
            long usableAtFault;
            try (FreeSpaceGuard guard = new FreeSpaceGuard(8 * MIB, SystemNanoClock.INSTANCE);
                 Journal journal = Journal.open(dir, "{\"run\":\"disk-full\"}", 0, guard, faults);
                 Pipeline p = pipeline(journal, new ArrayList<>())) {
                p.start();
                await(() -> journal.fault() != null, 90, "the guard faults the journal");
                usableAtFault = fs.usableBytes();
                // The observer thread lives on and keeps pace with the ring, counting what it cannot write.
                await(() -> journal.framesNotWritten() >= 20, 30, "frames go on after the fault");
                written = journal.framesWritten();
                assertThat(p.counters().dropped.get()).isZero();
            }
            assertThat(told).singleElement().asString().startsWith("journal: disk full: journal directory " + dir)
                    .contains("below the reserve journal.reserveMiB = 8 MiB");
            assertThat(faults.dataFault()).isNotNull();
            assertThat(usableAtFault).as("stopped before the disk was full").isGreaterThan(4 * MIB);
            assertThat(written).isPositive();
            try (JournalReader reader = new JournalReader(dir)) {
                assertThat(readSequences(reader, CH)).isEqualTo(written);
                assertThat(reader.tailFault()).isNull();
                assertThat(reader.metadataJson()).isEqualTo("{\"run\":\"disk-full\"}");
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aWriteThatFaultsOnAFullDiskFaultsTheJournalWithoutKillingItsThread(@TempDir Path tmp) throws Exception {
        try (Tmpfs fs = Tmpfs.mount(tmp.resolve("disk"), 24)) {
            Path dir = fs.dir().resolve("run");
            List<String> errors = Collections.synchronizedList(new ArrayList<>());
            long written;
            String fault;
            // No guard: the disk fills under the journal's feet, as when another process fills it in between checks.
            try (Journal journal = Journal.open(dir, null);
                 Pipeline p = pipeline(journal, errors)) {
                fs.fillLeaving(3 * MIB, "filler");
                p.start();
                await(() -> journal.fault() != null, 90, "the write fault is caught");
                await(() -> journal.framesNotWritten() >= 20, 30, "frames go on after the fault");
                written = journal.framesWritten();
                fault = journal.fault();
                assertThat(p.counters().dropped.get()).as("errors %s", errors).isZero();
            }
            assertThat(fault).contains("write failed", "java.lang.InternalError");
            assertThat(fs.usableBytes()).isLessThan(MIB);
            try (JournalReader reader = new JournalReader(dir)) {
                long read = readSequences(reader, CH);
                // The faulting store may be reported after the record that held it was closed (the JVM raises a
                // fault in compiled code at its next safepoint): at most that one record is lost.
                assertThat(read).as("tail: %s", reader.tailFault()).isBetween(written - 1, written);
                assertThat(read).isPositive();
            }
        }
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aSessionWhoseDiskFillsUpEndsFailedWithTheJournalFaultNamed(@TempDir Path tmp) throws Exception {
        try (Tmpfs fs = Tmpfs.mount(tmp.resolve("disk"), 32)) {
            fs.fillLeaving(16 * MIB, "filler");
            ReflexConfig c = new ReflexConfig();
            c.source.channels = 128;
            c.decoder.compare = new ArrayList<>();
            c.calibration.seconds = 5;
            c.run.seconds = 0; // until stopped: the fault has to end it
            c.pipeline.deadlineUs = 60_000_000;
            c.journal.dir = fs.dir().toString();
            c.journal.reserveMiB = 8;
            // Synthetic time 40 times faster than the wall clock: about 20 MB/s into the journal.
            SessionReport r = new ClosedLoopSession(new ClosedLoopSession.Context().config(c)
                    .clock(() -> 40 * System.nanoTime()).tickMs(20)).run();
            assertThat(r.ending).isEqualTo("failed");
            assertThat(r.failure).startsWith("journal fault: disk full: journal directory " + r.journal);
            assertThat(r.journalFault).contains("below the reserve journal.reserveMiB = 8 MiB");
            assertThat(r.stimJournalFault).isNull();
            assertThat(r.journalFrames).isPositive();
            try (JournalReader reader = new JournalReader(r.journal)) {
                assertThat(readSequences(reader, 128)).isEqualTo(r.journalFrames);
                assertThat(reader.tailFault()).isNull();
            }
        }
    }

    private static Pipeline pipeline(Journal journal, List<String> errors) {
        SplittableRandom rnd = new SplittableRandom(11);
        PacedSource src = new PacedSource("random", CH, 2000, List.of("vx", "vy"), (v, r) -> {
            for (int k = 0; k < v.length; k++) {
                v[k] = rnd.nextInt(4);
            }
            for (int k = 0; k < r.length; k++) {
                r[k] = rnd.nextDouble();
            }
        }, SystemNanoClock.INSTANCE, Long.MAX_VALUE);
        return new Pipeline(new Pipeline.Context().source(src).channels(CH).binWidthUs(5_000)
                .deadlineUs(60_000_000).observer("journal", journal)
                .errorHandler((source, e) -> errors.add(source + ": " + e)));
    }

    /** Reads every frame, checking they come in order from sequence 0; returns the count. */
    private static long readSequences(JournalReader reader, int channels) {
        JournalRecord r = new JournalRecord();
        long n = 0;
        while (reader.next(r)) {
            assertThat(r.sequence).isEqualTo(n);
            assertThat(r.channels).isEqualTo(channels);
            n++;
        }
        return n;
    }

    private static void await(BooleanSupplier condition, int seconds, String what) {
        long until = System.nanoTime() + seconds * 1_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what + " within " + seconds + " s").isLessThan(until);
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
        }
    }
}
