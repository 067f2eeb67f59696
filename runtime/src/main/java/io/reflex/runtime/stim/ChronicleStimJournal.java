package io.reflex.runtime.stim;

import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.journal.ChronicleSettings;
import io.reflex.runtime.journal.BlockSpace;
import io.reflex.runtime.journal.FreeSpaceGuard;
import io.reflex.runtime.journal.JournalFaults;
import io.reflex.runtime.journal.QueueFiles;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimEvent;
import io.reflex.stim.StimJournal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * The runtime's write-ahead {@link StimJournal}: a Chronicle Queue of its own (normally {@code <run journal>/stim}),
 * written synchronously by the stimulation thread before a command is sent. A record is in the memory-mapped queue
 * file (so it survives a crash of the process) when the call returns; any Chronicle failure is returned as
 * {@link #FAILED}, which disarms the controller. Command records allocate nothing.
 *
 * <p>Layout (Chronicle document, binary): {@code u8 type, u8 version}, then for {@link #TYPE_COMMAND}
 * {@code i64 sequence, i64 timeNs, i32 verdict, i64 inputTimeNs} (version 2 and later: the acquisition time of the
 * input the command was decided on, {@code Long.MIN_VALUE} when unknown){@code , i64 triggerTimeNs, i32 phase1AmplitudeNa, i32 phase1WidthNs,
 * i32 interphaseGapNs, i32 phase2AmplitudeNa, i32 phase2WidthNs, i64 frequencyMilliHz, i32 pulseCount, u8 polarity,
 * u8 channelCount, u16 channel x n}; for {@link #TYPE_EVENT} {@code i64 timeNs, i32 event, i32 code, utf8 reason};
 * for {@link #TYPE_STOP_ALL} {@code i64 sequence, i64 timeNs} (written before the stop-all frame is sent, with the
 * sequence number it carries on the wire).
 * Both verdict and event codes are those of io.reflex.stim ({@code StimVerdict}, {@code StimEvent}).
 *
 * <p><b>Faults.</b> On a full disk the mapped write faults ({@link InternalError} from SIGBUS): that, any other
 * failure, a {@link FreeSpaceGuard} finding the free space below the reserve, or {@link #fail(String)} faults the
 * journal. The first reason goes to {@link JournalFaults} ({@link JournalFaults#STIM}) once; from then on every
 * write returns {@link #FAILED}, so the controller latches a journal fault and sends a stop-all (stopping never waits
 * on the journal), and nothing is issued again. Records written before the fault stay readable ({@link #read}).
 */
public final class ChronicleStimJournal implements StimJournal, AutoCloseable {
    /** Record type of a command with its verdict. */
    public static final byte TYPE_COMMAND = 1;
    /** Record type of a controller event (the first one is {@code StimEvent.JOURNAL_OPENED}). */
    public static final byte TYPE_EVENT = 2;
    /** Record type of a stop-all frame with its sequence number. */
    public static final byte TYPE_STOP_ALL = 3;
    /** Layout version (2: command records carry the input time). */
    public static final byte VERSION = 2;

    /** Room a record may take, bytes: the longest event reason is bounded by the controller's messages. */
    static final long MAX_RECORD_BYTES = 64 << 10;
    /** The Chronicle block size of every stimulation journal, bytes (the smallest Reflex block). */
    public static final long BLOCK_BYTES = ChronicleSettings.blockBytes(MAX_RECORD_BYTES);

    private final Path dir;
    private final ChronicleQueue queue;
    private final JournalFaults faults;
    private final AtomicReference<String> fault = new AtomicReference<>();
    private volatile FreeSpaceGuard.Watch watch;
    private ExcerptAppender appender;
    private volatile boolean closed;
    private long records;
    private long failures;
    /** File position after the last record (stimulation thread). */
    private long endPosition;
    private final BlockSpace space;

    private ChronicleStimJournal(Path dir, ChronicleQueue queue, long blockBytes, JournalFaults faults) {
        this.dir = dir;
        this.queue = queue;
        this.faults = faults;
        this.space = new BlockSpace(blockBytes, MAX_RECORD_BYTES);
    }

    /**
     * Opens (creating) a stimulation journal in {@code dir}.
     *
     * @throws ConfigException naming {@code stim.journal} when the directory cannot be created or opened
     */
    public static ChronicleStimJournal open(Path dir) {
        return open(dir, null, null);
    }

    /**
     * Opens (creating) a stimulation journal in {@code dir}, its free space watched by {@code guard} (refused now
     * below the reserve plus one block) and its fault reported to {@code faults}.
     *
     * @param guard  the free-space guard, or null
     * @param faults where the fault goes, or null to keep it to itself ({@link #fault()})
     * @throws ConfigException naming {@code stim.journal} when the directory cannot be created or opened, or has too
     *                         little space free
     */
    public static ChronicleStimJournal open(Path dir, FreeSpaceGuard guard, JournalFaults faults) {
        Path abs = dir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(abs);
        } catch (IOException | SecurityException e) {
            throw new ConfigException("stim.journal", "cannot create the stimulation journal directory " + abs + " ("
                    + e + "); stimulation needs a writable journal");
        }
        long block = BLOCK_BYTES;
        if (guard != null) {
            try {
                FreeSpaceGuard.checkAtStart("stim.journal", abs, FreeSpaceGuard.usableSpaceOf(abs).usableBytes(),
                        guard.reserveBytes(), block);
            } catch (IOException e) {
                throw new ConfigException("stim.journal", "cannot read the free space of the stimulation journal"
                        + " directory " + abs + " (" + e + ")");
            }
        }
        ChronicleStimJournal j;
        try {
            ChronicleQueue queue = ChronicleQueue.singleBuilder(abs).rollCycle(RollCycles.FAST_DAILY)
                    .blockSize(block).build();
            // Pay Chronicle's first-write costs (file creation, mapping, class loading) here, at start-up, not
            // in the first write-ahead record on the stimulation thread, where they could outlast the watchdog.
            try (ExcerptAppender warm = queue.createAppender(); DocumentContext dc = warm.writingDocument()) {
                Bytes<?> b = dc.wire().bytes();
                b.writeByte(TYPE_EVENT);
                b.writeByte(VERSION);
                b.writeLong(System.nanoTime());
                b.writeInt(StimEvent.JOURNAL_OPENED);
                b.writeInt(0);
                b.writeUtf8("stimulation journal opened");
            }
            j = new ChronicleStimJournal(abs, queue, block, faults != null ? faults : new JournalFaults());
        } catch (RuntimeException | InternalError e) {
            throw new ConfigException("stim.journal", "cannot open a stimulation journal in " + abs + " (" + e + ")");
        }
        if (guard != null) {
            try {
                j.watch = guard.watch(JournalFaults.STIM, "stim.journal", abs, block, j::fail);
            } catch (RuntimeException e) {
                j.close();
                throw e;
            }
        }
        return j;
    }

    public Path path() {
        return dir;
    }

    /** Records written. */
    public long records() {
        return records;
    }

    /** Writes that failed (refused after a fault included). */
    public long failures() {
        return failures;
    }

    /** Why the journal faulted (first reason), or null. */
    public String fault() {
        return fault.get();
    }

    /**
     * Faults the journal from any thread: every later write returns {@link #FAILED}; {@code reason} goes to the
     * {@link JournalFaults} (first reason only).
     */
    public void fail(String reason) {
        if (fault.compareAndSet(null, reason)) {
            faults.report(JournalFaults.STIM, reason);
        }
    }

    /** Before a write: false when the journal is closed or faulted, or the next record may enter a block the disk
     * cannot back. */
    private boolean writable() {
        if (closed || fault.get() != null) {
            return false;
        }
        if (!space.mayWrite(watch, endPosition)) {
            return false;
        }
        if (appender == null) {
            appender = queue.createAppender();
        }
        return true;
    }

    /** A write failed (on a full disk: InternalError from SIGBUS): the journal faults, first reason kept. */
    private int failed(Throwable e, String what) {
        failures++;
        fail("stimulation journal " + dir + ": writing " + what + " failed after " + records + " records: " + e);
        return FAILED;
    }

    private int written(Bytes<?> b) {
        endPosition = b.writePosition();
        records++;
        return OK;
    }

    @Override
    public int recordCommand(long sequence, long timeNs, StimCommand c, int verdict) {
        try {
            if (!writable()) {
                failures++;
                return FAILED;
            }
            DocumentContext dc = appender.writingDocument();
            try {
                Bytes<?> b = dc.wire().bytes();
                b.writeByte(TYPE_COMMAND);
                b.writeByte(VERSION);
                b.writeLong(sequence);
                b.writeLong(timeNs);
                b.writeInt(verdict);
                b.writeLong(c.inputTimeNs());
                b.writeLong(c.triggerTimeNs());
                b.writeInt(c.phase1AmplitudeNa());
                b.writeInt(c.phase1WidthNs());
                b.writeInt(c.interphaseGapNs());
                b.writeInt(c.phase2AmplitudeNa());
                b.writeInt(c.phase2WidthNs());
                b.writeLong(c.frequencyMilliHz());
                b.writeInt(c.pulseCount());
                b.writeByte((byte) c.polarity());
                int n = c.channelCount();
                b.writeByte((byte) n);
                for (int i = 0; i < n; i++) {
                    b.writeShort((short) c.channel(i));
                }
                return written(b);
            } catch (RuntimeException | Error e) {
                BlockSpace.rollback(dc);
                throw e;
            } finally {
                dc.close();
            }
        } catch (RuntimeException | Error e) {
            return failed(e, "command " + sequence);
        }
    }

    @Override
    public int recordStopAll(long sequence, long timeNs) {
        try {
            if (!writable()) {
                failures++;
                return FAILED;
            }
            DocumentContext dc = appender.writingDocument();
            try {
                Bytes<?> b = dc.wire().bytes();
                b.writeByte(TYPE_STOP_ALL);
                b.writeByte(VERSION);
                b.writeLong(sequence);
                b.writeLong(timeNs);
                return written(b);
            } catch (RuntimeException | Error e) {
                BlockSpace.rollback(dc);
                throw e;
            } finally {
                dc.close();
            }
        } catch (RuntimeException | Error e) {
            return failed(e, "stop-all " + sequence);
        }
    }

    @Override
    public int recordEvent(long timeNs, int event, int code, String reason) {
        try {
            if (!writable()) {
                failures++;
                return FAILED;
            }
            DocumentContext dc = appender.writingDocument();
            try {
                Bytes<?> b = dc.wire().bytes();
                b.writeByte(TYPE_EVENT);
                b.writeByte(VERSION);
                b.writeLong(timeNs);
                b.writeInt(event);
                b.writeInt(code);
                b.writeUtf8(reason == null ? "" : reason);
                return written(b);
            } catch (RuntimeException | Error e) {
                BlockSpace.rollback(dc);
                throw e;
            } finally {
                dc.close();
            }
        } catch (RuntimeException | Error e) {
            return failed(e, "an event");
        }
    }

    /** Receives records read back by {@link #read}. */
    public interface Visitor {
        void command(long sequence, long timeNs, int verdict, StimCommand command);

        void event(long timeNs, int event, int code, String reason);

        /** A stop-all frame, journaled before it was sent. */
        default void stopAll(long sequence, long timeNs) {
        }

        /**
         * Reading stopped before the journal's end: a tail the file system never backed, or a queue file cut short
         * (its index counts more records than could be read). Every record before it was visited.
         */
        default void damaged(String reason) {
        }
    }

    /**
     * Reads every record of a stimulation journal in order; returns the count. For tools and tests. A journal that
     * faulted on a full disk may end in a record never completed or a block the file system could not back: reading
     * stops there, after every record before it.
     */
    public static long read(Path dir, Visitor visitor) {
        long n = 0;
        StimCommand c = new StimCommand();
        QueueFiles.RecordEnds ends = new QueueFiles.RecordEnds(dir);
        try (ChronicleQueue q = ChronicleQueue.singleBuilder(dir).rollCycle(RollCycles.FAST_DAILY).readOnly(true)
                .build(); ExcerptTailer t = q.createTailer()) {
            while (true) {
                try (DocumentContext dc = t.readingDocument()) {
                    if (!dc.isPresent()) {
                        break;
                    }
                    Bytes<?> b = dc.wire().bytes();
                    String cut = ends.check(t.cycle(), b.readLimit(), n + 1);
                    if (cut != null) {
                        visitor.damaged(cut + "; " + n + " records were read before it");
                        return n;
                    }
                    byte type = b.readByte();
                    byte version = b.readByte();
                    if (type == TYPE_COMMAND) {
                        long seq = b.readLong();
                        long time = b.readLong();
                        int verdict = b.readInt();
                        c.clear();
                        if (version >= 2) {
                            c.inputTimeNs(b.readLong());
                        }
                        c.triggerTimeNs(b.readLong()).phase1AmplitudeNa(b.readInt()).phase1WidthNs(b.readInt())
                                .interphaseGapNs(b.readInt()).phase2AmplitudeNa(b.readInt())
                                .phase2WidthNs(b.readInt()).frequencyMilliHz(b.readLong()).pulseCount(b.readInt())
                                .polarity(b.readByte() & 0xFF);
                        int k = b.readByte() & 0xFF;
                        for (int i = 0; i < k; i++) {
                            c.addChannel(b.readShort() & 0xFFFF);
                        }
                        visitor.command(seq, time, verdict, c);
                    } else if (type == TYPE_EVENT) {
                        long time = b.readLong();
                        int event = b.readInt();
                        int code = b.readInt();
                        visitor.event(time, event, code, b.readUtf8());
                    } else if (type == TYPE_STOP_ALL) {
                        long seq = b.readLong();
                        visitor.stopAll(seq, b.readLong());
                    }
                    n++;
                } catch (InternalError tail) {
                    // A page of the tail the file system never backed (SIGBUS): the records before it are all read.
                    visitor.damaged("the tail could not be read after " + n + " records: " + tail);
                    return n;
                }
            }
            // A queue file cut short (copied in part, truncated) ends in zeros that read like the queue's end; its
            // header still says how far records were written, and its index counts them.
            String cut = QueueFiles.cutShort((net.openhft.chronicle.queue.impl.single.SingleChronicleQueue) q);
            if (cut != null) {
                visitor.damaged(cut + "; " + n + " records could be read");
                return n;
            }
            long indexed;
            try {
                indexed = ((net.openhft.chronicle.queue.impl.single.SingleChronicleQueue) q).entryCount();
            } catch (RuntimeException | InternalError e) {
                indexed = -1; // the index itself is unreadable: what was read stands
            }
            if (indexed > n) {
                visitor.damaged("the queue file is cut short or damaged: its index counts " + indexed
                        + " records, " + n + " could be read");
            }
        }
        return n;
    }

    /** Closes the queue; idempotent; never throws. Later writes fail (and so disarm). */
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
            fail("stimulation journal " + dir + ": closing failed: " + e);
        }
    }
}
