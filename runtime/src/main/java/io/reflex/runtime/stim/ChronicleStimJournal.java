package io.reflex.runtime.stim;

import io.reflex.runtime.config.ConfigException;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimEvent;
import io.reflex.stim.StimJournal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

    private final Path dir;
    private final ChronicleQueue queue;
    private ExcerptAppender appender;
    private volatile boolean closed;
    private long records;
    private long failures;

    private ChronicleStimJournal(Path dir, ChronicleQueue queue) {
        this.dir = dir;
        this.queue = queue;
    }

    /**
     * Opens (creating) a stimulation journal in {@code dir}.
     *
     * @throws ConfigException naming {@code stim.journal} when the directory cannot be created or opened
     */
    public static ChronicleStimJournal open(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(abs);
        } catch (IOException | SecurityException e) {
            throw new ConfigException("stim.journal", "cannot create the stimulation journal directory " + abs + " ("
                    + e + "); stimulation needs a writable journal");
        }
        try {
            ChronicleQueue queue = ChronicleQueue.singleBuilder(abs).rollCycle(RollCycles.FAST_DAILY).build();
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
            return new ChronicleStimJournal(abs, queue);
        } catch (RuntimeException e) {
            throw new ConfigException("stim.journal", "cannot open a stimulation journal in " + abs + " (" + e + ")");
        }
    }

    public Path path() {
        return dir;
    }

    /** Records written. */
    public long records() {
        return records;
    }

    /** Writes that failed. */
    public long failures() {
        return failures;
    }

    @Override
    public int recordCommand(long sequence, long timeNs, StimCommand c, int verdict) {
        if (closed) {
            failures++;
            return FAILED;
        }
        try {
            if (appender == null) {
                appender = queue.createAppender();
            }
            try (DocumentContext dc = appender.writingDocument()) {
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
            }
            records++;
            return OK;
        } catch (RuntimeException e) {
            failures++;
            return FAILED;
        }
    }

    @Override
    public int recordStopAll(long sequence, long timeNs) {
        if (closed) {
            failures++;
            return FAILED;
        }
        try {
            if (appender == null) {
                appender = queue.createAppender();
            }
            try (DocumentContext dc = appender.writingDocument()) {
                Bytes<?> b = dc.wire().bytes();
                b.writeByte(TYPE_STOP_ALL);
                b.writeByte(VERSION);
                b.writeLong(sequence);
                b.writeLong(timeNs);
            }
            records++;
            return OK;
        } catch (RuntimeException e) {
            failures++;
            return FAILED;
        }
    }

    @Override
    public int recordEvent(long timeNs, int event, int code, String reason) {
        if (closed) {
            failures++;
            return FAILED;
        }
        try {
            if (appender == null) {
                appender = queue.createAppender();
            }
            try (DocumentContext dc = appender.writingDocument()) {
                Bytes<?> b = dc.wire().bytes();
                b.writeByte(TYPE_EVENT);
                b.writeByte(VERSION);
                b.writeLong(timeNs);
                b.writeInt(event);
                b.writeInt(code);
                b.writeUtf8(reason == null ? "" : reason);
            }
            records++;
            return OK;
        } catch (RuntimeException e) {
            failures++;
            return FAILED;
        }
    }

    /** Receives records read back by {@link #read}. */
    public interface Visitor {
        void command(long sequence, long timeNs, int verdict, StimCommand command);

        void event(long timeNs, int event, int code, String reason);

        /** A stop-all frame, journaled before it was sent. */
        default void stopAll(long sequence, long timeNs) {
        }
    }

    /** Reads every record of a stimulation journal in order; returns the count. For tools and tests. */
    public static long read(Path dir, Visitor visitor) {
        long n = 0;
        StimCommand c = new StimCommand();
        try (ChronicleQueue q = ChronicleQueue.singleBuilder(dir).rollCycle(RollCycles.FAST_DAILY).readOnly(true)
                .build(); ExcerptTailer t = q.createTailer()) {
            while (true) {
                try (DocumentContext dc = t.readingDocument()) {
                    if (!dc.isPresent()) {
                        break;
                    }
                    Bytes<?> b = dc.wire().bytes();
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
                }
            }
        }
        return n;
    }

    /** Closes the queue; idempotent. Later writes fail (and so disarm). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (appender != null) {
            appender.close();
        }
        queue.close();
    }
}
