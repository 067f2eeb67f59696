package io.reflex.runtime.journal;

import static io.reflex.runtime.TestClocks.clockAt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.Decoder;
import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.pipeline.Pipeline;
import io.reflex.runtime.source.PacedSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.CachedNanoClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalTest {
    private static final int CH = 8;

    /** A copy of what one frame held when the journal wrote it. */
    private record Expected(long seq, long sourceSeq, double acq, int flags, long[] stamps, double[] ts,
                            float[] samples, float[] features, float[] targets, float[] output) {
    }

    @Test
    void everyFrameWrittenIsReadBackIdentical(@TempDir Path dir) throws Exception {
        CachedNanoClock clock = clockAt(5_000_000_000L);
        SplittableRandom rnd = new SplittableRandom(7);
        PacedSource src = new PacedSource("random", CH, 1000, java.util.List.of("px", "py", "vx", "vy"), (v, r) -> {
            for (int c = 0; c < v.length; c++) {
                v[c] = rnd.nextInt(4);
            }
            for (int k = 0; k < r.length; k++) {
                r[k] = rnd.nextDouble();
            }
        }, clock, Long.MAX_VALUE);
        List<Expected> expected = new ArrayList<>();
        int frames = 250;
        Path jdir = dir.resolve("j");
        try (Journal journal = Journal.open(jdir, "{\"run\":\"test\"}");
             Pipeline p = new Pipeline(new Pipeline.Context().source(src).channels(CH).binWidthUs(10_000)
                     .clock(clock).decoder(new Mean(CH))
                     .observer("expect", f -> expected.add(new Expected(f.sequence, f.sourceSequence,
                             f.acquisitionTimeS, f.flags, f.stampNs.clone(),
                             java.util.Arrays.copyOf(f.input.timestamps(), f.input.size()),
                             java.util.Arrays.copyOf(f.input.samples(), f.input.size() * CH), f.features.clone(),
                             f.targets.clone(), f.output.clone())))
                     .observer("journal", journal))) {
            Agent agent = p.startManual();
            for (int ms = 0; ms < frames * 10; ms++) {
                clock.advance(1_000_000);
                agent.doWork();
            }
        }
        assertThat(expected).hasSize(frames);
        int read = 0;
        try (JournalReader reader = new JournalReader(jdir)) {
            JournalRecord r = new JournalRecord();
            while (reader.next(r)) {
                Expected e = expected.get(read++);
                assertThat(r.sequence).isEqualTo(e.seq);
                assertThat(r.sourceSequence).isEqualTo(e.sourceSeq);
                assertThat(r.acquisitionTimeS).isEqualTo(e.acq);
                assertThat(r.flags).isEqualTo(e.flags);
                assertThat(r.decodeStatus).isEqualTo(DecodeStatus.OK);
                assertThat(r.stampNs).containsExactly(e.stamps);
                assertThat(r.sampleCount).isEqualTo(10);
                assertThat(java.util.Arrays.copyOf(r.sampleTimestampsS, r.sampleCount)).containsExactly(e.ts);
                assertThat(r.samplesCopy()).containsExactly(e.samples);
                assertThat(r.featuresCopy()).containsExactly(e.features);
                assertThat(java.util.Arrays.copyOf(r.targets, r.referenceCount)).containsExactly(e.targets);
                assertThat(r.outputCopy()).containsExactly(e.output);
            }
            assertThat(reader.metadataJson()).isEqualTo("{\"run\":\"test\"}");
        }
        assertThat(read).isEqualTo(frames);
    }

    @Test
    void aJournalDirectoryThatCannotBeCreatedStopsStartUp(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        // A path below a regular file can never be a directory, whatever the user's privileges.
        assertThatThrownBy(() -> Journal.open(file.resolve("journal"), null))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("journal.dir: cannot create journal directory")
                .hasMessageContaining("choose a writable directory");
    }

    @Test
    void aReadOnlyJournalDirectoryStopsStartUp(@TempDir Path dir) throws Exception {
        Path ro = Files.createDirectory(dir.resolve("ro"));
        ro.toFile().setWritable(false, false);
        try {
            org.junit.jupiter.api.Assumptions.assumeFalse(Files.isWritable(ro),
                    "skipped: this user (root?) can write to read-only directories");
            assertThatThrownBy(() -> Journal.open(ro, null))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("journal.dir: cannot write to journal directory");
        } finally {
            ro.toFile().setWritable(true, false);
        }
    }

    @Test
    void markersAreJournaledBetweenTheFramesWithTheirTimesAndTexts(@TempDir Path dir) throws Exception {
        CachedNanoClock clock = clockAt(5_000_000_000L);
        PacedSource src = new PacedSource("zeros", CH, 1000, List.of(), (v, r) -> { }, clock, Long.MAX_VALUE);
        ArrayBlockingQueue<Journal.Marker> feed = new ArrayBlockingQueue<>(16);
        // a marker that came before the journal opened waits for it
        feed.add(new Journal.Marker(1.0, "block_start 1"));
        String longText = "x".repeat(2000);
        Path jdir = dir.resolve("j");
        Journal journal = Journal.open(jdir, "{\"run\":\"markers\"}");
        journal.journalMarkers(feed);
        try (journal; Pipeline p = new Pipeline(new Pipeline.Context().source(src).channels(CH).binWidthUs(10_000)
                .clock(clock).decoder(new Mean(CH)).observer("journal", journal))) {
            Agent agent = p.startManual();
            for (int ms = 0; ms < 500; ms++) {
                clock.advance(1_000_000);
                agent.doWork();
                if (ms == 200) {
                    feed.add(new Journal.Marker(2.5, "target_on 3 0.0000 0.1000"));
                    feed.add(new Journal.Marker(2.6, "cursor ✓ ünïcødé"));
                } else if (ms == 400) {
                    feed.add(new Journal.Marker(4.0, longText));
                }
            }
            feed.add(new Journal.Marker(9.0, "taken at close"));
        }
        feed.add(new Journal.Marker(10.0, "after close"));
        assertThat(journal.markersWritten()).isEqualTo(5);
        assertThat(journal.markersNotWritten()).isZero();
        assertThat(feed).as("what came after the journal closed stays unwritten").hasSize(1);

        List<String> texts = new ArrayList<>();
        List<Double> times = new ArrayList<>();
        List<Long> after = new ArrayList<>();
        List<Long> frameBefore = new ArrayList<>();
        long lastFrame = -1;
        int frames = 0;
        try (JournalReader reader = new JournalReader(jdir)) {
            JournalRecord r = new JournalRecord();
            for (byte t = reader.nextRecord(r); t != 0; t = reader.nextRecord(r)) {
                if (t == JournalFormat.TYPE_FRAME) {
                    lastFrame = r.sequence;
                    frames++;
                } else {
                    assertThat(t).isEqualTo(JournalFormat.TYPE_MARKER);
                    texts.add(r.markerText);
                    times.add(r.markerTimeS);
                    after.add(r.markerAfterSequence);
                    frameBefore.add(lastFrame);
                    if (r.markerText.startsWith("xxx")) {
                        assertThat(r.markerLength).as("the full length is kept").isEqualTo(2000);
                    } else {
                        assertThat(r.markerLength).isEqualTo(r.markerText.length());
                    }
                }
            }
            assertThat(reader.tailFault()).isNull();
        }
        assertThat(frames).isEqualTo(50);
        assertThat(texts).containsExactly("block_start 1", "target_on 3 0.0000 0.1000", "cursor ✓ ünïcødé",
                longText.substring(0, JournalFormat.MAX_MARKER_CHARS), "taken at close");
        assertThat(times).containsExactly(1.0, 2.5, 2.6, 4.0, 9.0);
        // each names the frame written just before it: the first after frame 0, the next after the frame that
        // followed their arrival
        assertThat(after).isEqualTo(frameBefore);
        assertThat(after.get(0)).isEqualTo(0L);
        assertThat(after.get(1)).isBetween(19L, 21L);
        assertThat(after.get(3)).isBetween(39L, 41L);
        assertThat(after.get(4)).isEqualTo(49L);
        // a reader of frames only passes over them
        try (JournalReader reader = new JournalReader(jdir)) {
            JournalRecord r = new JournalRecord();
            int n = 0;
            while (reader.next(r)) {
                n++;
            }
            assertThat(n).isEqualTo(50);
        }
    }

    @Test
    void aQueueFileCutAnywhereAfterItsHeaderIsReportedNeverReadAsWhole(@TempDir Path dir) throws Exception {
        CachedNanoClock clock = clockAt(5_000_000_000L);
        PacedSource src = new PacedSource("zeros", CH, 1000, List.of(), (v, r) -> { }, clock, Long.MAX_VALUE);
        Path jdir = dir.resolve("j");
        try (Journal journal = Journal.open(jdir, "{\"run\":\"cut\"}");
             Pipeline p = new Pipeline(new Pipeline.Context().source(src).channels(CH).binWidthUs(10_000)
                     .clock(clock).decoder(new Mean(CH)).observer("journal", journal))) {
            Agent agent = p.startManual();
            for (int ms = 0; ms < 500; ms++) {
                clock.advance(1_000_000);
                agent.doWork();
            }
        }
        Path cq4;
        try (var s = Files.list(jdir)) {
            cq4 = s.filter(f -> f.toString().endsWith(".cq4")).findFirst().orElseThrow();
        }
        byte[] whole = Files.readAllBytes(cq4);
        int end = whole.length;
        while (end > 0 && whole[end - 1] == 0) {
            end--;
        }
        // before the first record (the index space reads as zeros, like an empty queue), among the records, inside
        // the last one
        int[] cuts = {4096, end / 8, end / 4, end * 3 / 8, end / 2, end * 5 / 8, end * 3 / 4, end * 7 / 8, end - 1};
        for (int i = 0; i < cuts.length; i++) {
            Path copy = Files.createDirectories(dir.resolve("cut" + i));
            try (var s = Files.list(jdir)) {
                for (Path f : s.toList()) {
                    Files.copy(f, copy.resolve(f.getFileName()));
                }
            }
            try (var f = new java.io.RandomAccessFile(copy.resolve(cq4.getFileName()).toFile(), "rw")) {
                f.setLength(cuts[i]);
            }
            int frames = 0;
            String fault;
            try (JournalReader reader = new JournalReader(copy)) {
                JournalRecord r = new JournalRecord();
                while (reader.next(r)) {
                    frames++;
                }
                fault = reader.tailFault();
            } catch (IllegalArgumentException | IllegalStateException e) {
                fault = e.getMessage(); // the run metadata itself was cut away
            }
            assertThat(fault).as("cut at %d of %d: %d frames read", cuts[i], end, frames).isNotNull();
            assertThat(frames).isLessThan(50);
        }
    }

    @Test
    void markersOfAFaultedJournalAreCountedNotWritten(@TempDir Path dir) throws Exception {
        CachedNanoClock clock = clockAt(5_000_000_000L);
        PacedSource src = new PacedSource("zeros", CH, 1000, List.of(), (v, r) -> { }, clock, Long.MAX_VALUE);
        ArrayBlockingQueue<Journal.Marker> feed = new ArrayBlockingQueue<>(16);
        Journal journal = Journal.open(dir.resolve("j"), null);
        journal.journalMarkers(feed);
        try (journal; Pipeline p = new Pipeline(new Pipeline.Context().source(src).channels(CH).binWidthUs(10_000)
                .clock(clock).decoder(new Mean(CH)).observer("journal", journal))) {
            Agent agent = p.startManual();
            feed.add(new Journal.Marker(1.0, "written"));
            for (int ms = 0; ms < 100; ms++) {
                clock.advance(1_000_000);
                agent.doWork();
                if (ms == 50) {
                    journal.fail("test: the disk is full");
                    feed.add(new Journal.Marker(2.0, "lost"));
                }
            }
        }
        assertThat(journal.markersWritten()).isEqualTo(1);
        assertThat(journal.markersNotWritten()).isEqualTo(1);
        assertThat(feed).isEmpty();
    }

    @Test
    void aMarkerRecordClaimingMoreBytesThanAllowedIsRefusedBeforeAllocating(@TempDir Path dir) {
        Path jdir = dir.resolve("j");
        try (ChronicleQueue q = ChronicleQueue.singleBuilder(jdir).rollCycle(RollCycles.FAST_DAILY).build();
             ExcerptAppender a = q.createAppender();
             DocumentContext dc = a.writingDocument()) {
            Bytes<?> b = dc.wire().bytes();
            b.writeByte(JournalFormat.TYPE_MARKER);
            b.writeByte(JournalFormat.VERSION);
            b.writeDouble(1.0);
            b.writeLong(-1);
            b.writeInt(5);
            b.writeInt(Integer.MAX_VALUE - 8);
            b.write(new byte[] {'a', 'b', 'c', 'd', 'e'});
        }
        try (JournalReader reader = new JournalReader(jdir)) {
            assertThatThrownBy(() -> reader.nextRecord(new JournalRecord())).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("marker record").hasMessageContaining("malformed");
        }
    }

    @Test
    void aFrameRecordWhoseSizesExceedItsLengthIsRefusedBeforeAllocating(@TempDir Path dir) {
        // {samples, channels, references, outputs} claimed by each bad frame; the record itself holds 64 bytes
        int[][] claims = {{1 << 20, 1 << 10, 0, 2}, {-1, 8, 0, 2}, {10, 8, 0, Integer.MAX_VALUE}, {0, 0, 1 << 30, 0}};
        for (int i = 0; i < claims.length; i++) {
            Path jdir = dir.resolve("j" + i);
            try (ChronicleQueue q = ChronicleQueue.singleBuilder(jdir).rollCycle(RollCycles.FAST_DAILY).build();
                 ExcerptAppender a = q.createAppender();
                 DocumentContext dc = a.writingDocument()) {
                Bytes<?> b = dc.wire().bytes();
                b.writeByte(JournalFormat.TYPE_FRAME);
                b.writeByte(JournalFormat.VERSION);
                b.writeLong(7); // sequence
                b.writeLong(7);
                b.writeDouble(1.0);
                b.writeLong(0);
                b.writeInt(0);
                b.writeInt(0);
                b.writeInt(1);
                b.writeByte((byte) 0); // no stage stamps
                for (int c : claims[i]) {
                    b.writeInt(c);
                }
                b.write(new byte[64]);
            }
            try (JournalReader reader = new JournalReader(jdir)) {
                assertThatThrownBy(() -> reader.next(new JournalRecord())).as("claim %d", i)
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("frame record 7 is malformed");
            }
        }
    }

    @Test
    void aMetadataRecordClaimingMoreTextThanItHoldsIsRefused(@TempDir Path dir) {
        Path jdir = dir.resolve("j");
        try (ChronicleQueue q = ChronicleQueue.singleBuilder(jdir).rollCycle(RollCycles.FAST_DAILY).build();
             ExcerptAppender a = q.createAppender();
             DocumentContext dc = a.writingDocument()) {
            Bytes<?> b = dc.wire().bytes();
            b.writeByte(JournalFormat.TYPE_META);
            b.writeByte(JournalFormat.VERSION);
            b.writeStopBit(1L << 40);
            b.write(new byte[] {'{', '}'});
        }
        try (JournalReader reader = new JournalReader(jdir)) {
            assertThatThrownBy(() -> reader.next(new JournalRecord())).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("run metadata record is malformed");
        }
    }

    /** out = (mean of features, 0). */
    private static final class Mean implements Decoder {
        private final int n;

        Mean(int n) {
            this.n = n;
        }

        @Override
        public String name() {
            return "mean";
        }

        @Override
        public int inputCount() {
            return n;
        }

        @Override
        public int outputCount() {
            return 2;
        }

        @Override
        public int decode(float[] features, float[] out) {
            float s = 0;
            for (int i = 0; i < n; i++) {
                s += features[i];
            }
            out[0] = s / n;
            out[1] = 0;
            return DecodeStatus.OK;
        }

        @Override
        public void safeOutput(float[] out) {
            out[0] = 0;
            out[1] = 0;
        }

        @Override
        public void reset() {
        }
    }
}
