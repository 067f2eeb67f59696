package io.reflex.runtime.journal;

import io.reflex.runtime.agent.LocalCounters;
import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.pipeline.FrameHandler;
import io.reflex.runtime.pipeline.SampleBlock;
import io.reflex.runtime.pipeline.Stage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicReference;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * Records every frame (input samples, features, output, stage stamps) into a Chronicle Queue, as a pipeline
 * observer, off the critical path. Opening checks that the directory can be written, and that its file system has
 * the free-space reserve plus one block usable, and refuses to start otherwise. The appender is created on the
 * observer thread; writes reuse Chronicle's document context and allocate nothing in steady state. Layout:
 * {@link JournalFormat}; read it back with {@link JournalReader}.
 *
 * <p><b>Faults.</b> A write that fails (on a full disk the mapped memory faults with an {@link InternalError}; an
 * I/O failure comes as a runtime exception), or a {@link FreeSpaceGuard} finding the free space below the reserve,
 * faults the journal: the first reason goes to {@link JournalFaults} once, nothing more is written, and every later
 * frame is only counted ({@link #framesNotWritten()}), so the observer keeps pace with the ring and the pipeline
 * drops nothing because of it. Every record written before the fault stays readable.
 */
public final class Journal implements FrameHandler, AutoCloseable {
    static {
        ChronicleSettings.disablePhoneHome();
    }

    /** Bytes of a frame record besides its arrays, with room for Chronicle's document header. */
    private static final long FRAME_FIXED_BYTES = 2 + 8 + 8 + 8 + 8 + 4 + 4 + 4 + 1 + 16 + 64;

    private final Path dir;
    private final ChronicleQueue queue;
    private final String metadataJson;
    private final long blockBytes;
    private final long maxRecordBytes;
    private final JournalFaults faults;
    /** The journal's own counts (read through its accessors), in this process's memory. */
    private final CountersManager counters = LocalCounters.create(7);
    private final AtomicCounter framesWritten = counters.newCounter("journal.frames");
    private final AtomicCounter pairedWritten = counters.newCounter("journal.paired_targets");
    private final AtomicCounter framesNotWritten = counters.newCounter("journal.frames_not_written");
    private final AtomicCounter markersWritten = counters.newCounter("journal.markers");
    private final AtomicCounter markersNotWritten = counters.newCounter("journal.markers_not_written");
    private final AtomicCounter controlWritten = counters.newCounter("journal.control_actions");
    private final AtomicCounter controlNotWritten = counters.newCounter("journal.control_actions_not_written");
    /** Where markers wait for the journal's thread, or null while none are journaled. */
    private volatile Queue<Marker> markerFeed;
    /** Control actions (the control API's), journaled as marker records whose text starts with {@link #CONTROL_PREFIX}. */
    private volatile Queue<Marker> controlFeed;
    /** The text every control-action marker starts with. */
    public static final String CONTROL_PREFIX = "reflex-control\t";
    /** Sequence of the last frame written (journal thread); -1 before the first. */
    private long lastFrameSequence = -1;
    private final AtomicReference<String> fault = new AtomicReference<>();
    private volatile FreeSpaceGuard.Watch watch;
    private ExcerptAppender appender;
    /** File position after the last record written (journal thread). */
    private long endPosition;
    private final BlockSpace space;
    private boolean closed;

    private Journal(Path dir, ChronicleQueue queue, String metadataJson, long blockBytes, long maxRecordBytes,
                    JournalFaults faults) {
        this.dir = dir;
        this.queue = queue;
        this.metadataJson = metadataJson;
        this.blockBytes = blockBytes;
        this.maxRecordBytes = maxRecordBytes;
        this.faults = faults;
        this.space = new BlockSpace(blockBytes, maxRecordBytes);
    }

    /**
     * Opens (creating if needed) a journal in {@code dir} with the smallest block, no free-space guard and faults
     * kept to itself ({@link #fault()}).
     *
     * @param metadataJson run metadata stored as the first record (config, decoder, versions), or null
     * @throws ConfigException naming {@code journal.dir} when the directory cannot be created or written
     */
    public static Journal open(Path dir, String metadataJson) {
        return open(dir, metadataJson, 0, null, null);
    }

    /**
     * The size of a frame record, bytes, for frames of {@code samples} samples of {@code channels} channels with
     * {@code references} reference values per sample and {@code outputs} outputs.
     */
    public static long frameBytes(long channels, long samples, long references, long outputs) {
        return frameBytes(channels, samples, references, outputs, channels);
    }

    /** {@link #frameBytes(long, long, long, long)} for frames of {@code features} features (a broadband front end's). */
    public static long frameBytes(long channels, long samples, long references, long outputs, long features) {
        return FRAME_FIXED_BYTES + 8L * Stage.COUNT + 8 * samples + 4 * samples * channels + 4 * samples * references
                + 4 + 4 * features + 4 * references + 8 * outputs;
    }

    /**
     * Opens (creating if needed) a journal in {@code dir}.
     *
     * @param metadataJson  run metadata stored as the first record (config, decoder, versions), or null
     * @param maxFrameBytes the largest frame record the run writes ({@link #frameBytes}); the Chronicle block is
     *                      {@link ChronicleSettings#blockBytes(long) at least four times} the largest record
     * @param guard         watches the directory's free space (checked now: refused below the reserve plus one
     *                      block), or null
     * @param faults        where the journal's fault is reported, or null to keep it to itself
     * @throws ConfigException naming {@code journal.dir} when the directory cannot be created or written, or its
     *                         file system has too little space free
     */
    public static Journal open(Path dir, String metadataJson, long maxFrameBytes, FreeSpaceGuard guard,
                               JournalFaults faults) {
        Path abs = dir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(abs);
        } catch (IOException | SecurityException e) {
            throw new ConfigException("journal.dir", "cannot create journal directory " + abs + " (" + e
                    + "); choose a writable directory");
        }
        try {
            Path probe = Files.createTempFile(abs, ".reflex-probe", ".tmp");
            Files.delete(probe);
        } catch (IOException | SecurityException e) {
            throw new ConfigException("journal.dir", "cannot write to journal directory " + abs + " (" + e
                    + "); choose a writable directory");
        }
        long metaBytes = metadataJson == null ? 0 : 16 + 3L * metadataJson.length();
        long maxRecord = Math.max(Math.max(maxFrameBytes, metaBytes), JournalFormat.MAX_MARKER_RECORD_BYTES);
        long block = ChronicleSettings.blockBytes(maxRecord);
        if (guard != null) {
            // Refused before anything is mapped: a nearly full disk is an environment error at start, not a fault.
            try {
                FreeSpaceGuard.checkAtStart("journal.dir", abs, FreeSpaceGuard.usableSpaceOf(abs).usableBytes(),
                        guard.reserveBytes(), block);
            } catch (IOException e) {
                throw new ConfigException("journal.dir", "cannot read the free space of journal directory " + abs
                        + " (" + e + ")");
            }
        }
        ChronicleQueue queue;
        try {
            queue = ChronicleQueue.singleBuilder(abs).rollCycle(RollCycles.FAST_DAILY).blockSize(block).build();
        } catch (RuntimeException | InternalError e) {
            throw new ConfigException("journal.dir", "cannot open a journal in " + abs + " (" + e + ")");
        }
        Journal j = new Journal(abs, queue, metadataJson, block, maxRecord,
                faults != null ? faults : new JournalFaults());
        if (guard != null) {
            try {
                j.watch = guard.watch(JournalFaults.DATA, "journal.dir", abs, block, j::fail);
            } catch (RuntimeException e) {
                j.close();
                throw e;
            }
        }
        return j;
    }

    /** The journal's directory (absolute). */
    public Path path() {
        return dir;
    }

    /** The Chronicle block size, bytes. */
    public long blockBytes() {
        return blockBytes;
    }

    /** Frames written so far (journal thread writes, any thread reads). */
    public long framesWritten() {
        return framesWritten.get();
    }

    /** Frames offered after the journal faulted, and so not written (journal thread writes, any thread reads). */
    public long framesNotWritten() {
        return framesNotWritten.get();
    }

    /** Why the journal faulted (first reason), or null. */
    public String fault() {
        return fault.get();
    }

    /**
     * Faults the journal from any thread: nothing more is written, and {@code reason} goes to the
     * {@link JournalFaults} (first reason only).
     */
    public void fail(String reason) {
        if (fault.compareAndSet(null, reason)) {
            faults.report(JournalFaults.DATA, reason);
        }
    }

    @Override
    public void onStart() {
        try {
            appender = queue.createAppender();
            if (metadataJson != null) {
                DocumentContext dc = appender.writingDocument();
                try {
                    Bytes<?> b = dc.wire().bytes();
                    b.writeByte(JournalFormat.TYPE_META);
                    b.writeByte(JournalFormat.VERSION);
                    b.writeUtf8(metadataJson);
                    endPosition = b.writePosition();
                } catch (RuntimeException | Error e) {
                    BlockSpace.rollback(dc);
                    throw e;
                } finally {
                    dc.close();
                }
            }
        } catch (RuntimeException | Error e) {
            fail("journal " + dir + ": writing the run metadata failed: " + e);
        }
    }

    @Override
    public void onFrame(Frame f) {
        if (fault.get() != null) {
            framesNotWritten.increment();
            return;
        }
        // The next record may enter a new block, which Chronicle maps and the file system must back: look first.
        if (!space.mayWrite(watch, endPosition)) {
            framesNotWritten.increment();
            return;
        }
        try {
            write(f);
        } catch (RuntimeException | Error e) {
            // On a full disk: InternalError "a fault occurred in a recent unsafe memory access operation" (SIGBUS).
            fail("journal " + dir + ": write failed after " + framesWritten.get() + " frames: " + e);
            framesNotWritten.increment();
            return;
        }
        lastFrameSequence = f.sequence;
        framesWritten.increment();
        if (markerFeed != null || controlFeed != null) {
            drainMarkers();
        }
    }

    /**
     * A marker of the task's marker stream to be journaled: its text and its timestamp on the local LSL clock.
     * Made by the marker reader's thread (markers are rare), written by the journal's thread.
     */
    public record Marker(double timeS, String text) {
    }

    /**
     * Journals the markers put into {@code feed} ({@link JournalFormat#TYPE_MARKER}): the journal's thread takes them
     * after each frame it writes and when it closes. Markers already in the feed are kept; call once, before the
     * pipeline starts.
     */
    public void journalMarkers(Queue<Marker> feed) {
        markerFeed = feed;
    }

    /**
     * Journals the control actions put into {@code feed} as marker records (text {@link #CONTROL_PREFIX}{@code
     * who<TAB>what<TAB>outcome}), taken like the markers after each frame and at close.
     */
    public void journalControl(Queue<Marker> feed) {
        controlFeed = feed;
    }

    /** Marker records written so far. */
    public long markersWritten() {
        return markersWritten.get();
    }

    /** Markers taken from the feed but not written, because the journal had faulted. */
    public long markersNotWritten() {
        return markersNotWritten.get();
    }

    private synchronized void drainMarkers() {
        if (markerFeed != null) {
            drain(markerFeed, markersWritten, markersNotWritten);
        }
        if (controlFeed != null) {
            drain(controlFeed, controlWritten, controlNotWritten);
        }
    }

    /** Control actions written so far, and those taken but not written (the journal had faulted or closed). */
    public long[] controlActions() {
        return new long[] {controlWritten.get(), controlNotWritten.get()};
    }

    private void drain(Queue<Marker> feed, AtomicCounter written, AtomicCounter notWritten) {
        Marker m;
        while ((m = feed.poll()) != null) {
            if (closed || appender == null || fault.get() != null) {
                notWritten.increment();
                continue;
            }
            if (!space.mayWrite(watch, endPosition)) {
                notWritten.increment();
                continue;
            }
            try {
                writeMarker(m);
            } catch (RuntimeException | Error e) {
                fail("journal " + dir + ": writing a marker failed after " + framesWritten.get() + " frames: " + e);
                notWritten.increment();
                continue;
            }
            written.increment();
        }
    }

    private void writeMarker(Marker m) {
        String text = m.text() == null ? "" : m.text();
        byte[] utf8 = (text.length() > JournalFormat.MAX_MARKER_CHARS ? text.substring(0, JournalFormat.MAX_MARKER_CHARS)
                : text).getBytes(StandardCharsets.UTF_8);
        DocumentContext dc = appender.writingDocument();
        try {
            Bytes<?> b = dc.wire().bytes();
            b.writeByte(JournalFormat.TYPE_MARKER);
            b.writeByte(JournalFormat.VERSION);
            b.writeDouble(m.timeS());
            b.writeLong(lastFrameSequence);
            b.writeInt(text.length());
            b.writeInt(utf8.length);
            b.write(utf8);
            endPosition = b.writePosition();
        } catch (RuntimeException | Error e) {
            BlockSpace.rollback(dc);
            throw e;
        } finally {
            dc.close();
        }
    }

    private void write(Frame f) {
        SampleBlock in = f.input;
        int n = in.size();
        int channels = in.channels();
        int refs = in.referenceCount();
        int outs = f.output.length;
        DocumentContext dc = appender.writingDocument();
        try {
            Bytes<?> b = dc.wire().bytes();
            int features = f.features.length;
            boolean ownCount = features != channels;
            b.writeByte(JournalFormat.TYPE_FRAME);
            b.writeByte(ownCount ? JournalFormat.FRAME_VERSION_FEATURES : JournalFormat.VERSION);
            b.writeLong(f.sequence);
            b.writeLong(f.sourceSequence);
            b.writeDouble(f.acquisitionTimeS);
            b.writeLong(f.deadlineNs);
            b.writeInt(f.flags);
            b.writeInt(f.decodeStatus);
            b.writeInt(f.decoderGeneration);
            b.writeByte((byte) f.stampNs.length);
            for (long s : f.stampNs) {
                b.writeLong(s);
            }
            b.writeInt(n);
            b.writeInt(channels);
            b.writeInt(refs);
            b.writeInt(outs);
            if (ownCount) {
                b.writeInt(features);
            }
            double[] ts = in.timestamps();
            for (int i = 0; i < n; i++) {
                b.writeDouble(ts[i]);
            }
            writeFloats(b, in.samples(), n * channels);
            writeFloats(b, in.reference(), n * refs);
            writeFloats(b, f.features, features);
            writeFloats(b, f.targets, refs);
            writeFloats(b, f.output, outs);
            writeFloats(b, f.safeOutput, outs);
            endPosition = b.writePosition();
        } catch (RuntimeException | Error e) {
            BlockSpace.rollback(dc);
            throw e;
        } finally {
            dc.close();
        }
    }

    /**
     * The handler that journals the targets a kinematics stream paired with each frame ({@link
     * JournalFormat#TYPE_PAIRED_TARGETS}), so that a decoder can be fitted from the journal later. It must run on the
     * journal's own thread (the observers' thread); it writes nothing once the journal is closed.
     *
     * @param count targets per frame (the first {@code count} of {@link Frame#targets})
     */
    public FrameHandler pairedTargets(int count) {
        if (count < 1 || count > JournalFormat.MAX_PAIRED_TARGETS) {
            throw new IllegalArgumentException("paired targets must be 1.." + JournalFormat.MAX_PAIRED_TARGETS
                    + ", was " + count);
        }
        return f -> writePaired(f, count);
    }

    private synchronized void writePaired(Frame f, int count) {
        if (closed || appender == null || fault.get() != null) {
            return;
        }
        // as for a frame: the record may enter a new block, which the file system must back
        if (!space.mayWrite(watch, endPosition)) {
            return;
        }
        try {
            writePairedRecord(f, count);
        } catch (RuntimeException | Error e) {
            fail("journal " + dir + ": writing paired targets failed after " + framesWritten.get() + " frames: " + e);
            return;
        }
        pairedWritten.increment();
    }

    private void writePairedRecord(Frame f, int count) {
        DocumentContext dc = appender.writingDocument();
        try {
            Bytes<?> b = dc.wire().bytes();
            b.writeByte(JournalFormat.TYPE_PAIRED_TARGETS);
            b.writeByte(JournalFormat.VERSION);
            b.writeLong(f.sequence);
            b.writeInt(count);
            writeFloats(b, f.targets, count);
            endPosition = b.writePosition();
        } catch (RuntimeException | Error e) {
            BlockSpace.rollback(dc);
            throw e;
        } finally {
            dc.close();
        }
    }

    /** Paired-targets records written so far. */
    public long pairedWritten() {
        return pairedWritten.get();
    }

    private static void writeFloats(Bytes<?> b, float[] a, int count) {
        for (int i = 0; i < count; i++) {
            b.writeFloat(a[i]);
        }
    }

    @Override
    public void onClose() {
        if (markerFeed != null || controlFeed != null) {
            drainMarkers();
        }
        close();
    }

    /** Closes the queue; the mapped files hold every frame written. Idempotent; never throws. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        FreeSpaceGuard.Watch w = watch;
        if (w != null) {
            w.close();
        }
        try {
            if (appender != null) {
                appender.close();
            }
            queue.close();
        } catch (RuntimeException | Error e) {
            // After a fault the unmapping may fault again; the records written before it are in the file already.
            fail("journal " + dir + ": closing failed: " + e);
        }
    }
}
