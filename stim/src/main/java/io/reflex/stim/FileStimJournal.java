package io.reflex.stim;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32;

/**
 * A simple append-only file {@link StimJournal}. Each record is
 * {@code u32 length | u8 kind | body | u32 crc32(kind..body)}, little-endian, where {@code length} counts the bytes
 * after itself. Kind 1 (command): {@code i64 sequence, i64 timeNs, i32 verdict, i64 inputTimeNs,} a
 * {@link StimCodec} command ({@code inputTimeNs} is {@link StimCommand#NO_INPUT_TIME} when unknown). Kind 2
 * (event): {@code i64 timeNs, i32 event, i32 code, u16 n, n bytes of UTF-8 reason}. Kind 3 (stop-all):
 * {@code i64 sequence, i64 timeNs}.
 *
 * <p>A record is handed to the operating system (process-crash safe) before {@link #recordCommand} returns; with
 * {@code syncEachRecord} it is also forced to the device (power-loss safe, much slower). Command records are
 * written without allocating. Owned by one thread.
 */
public final class FileStimJournal implements StimJournal, AutoCloseable {
    /** Record kind of a command. */
    public static final int KIND_COMMAND = 1;
    /** Record kind of an event. */
    public static final int KIND_EVENT = 2;
    /** Record kind of a stop-all frame. */
    public static final int KIND_STOP_ALL = 3;
    private static final int MAX_REASON_BYTES = 1024;

    private final Path path;
    private final FileChannel channel;
    private final boolean syncEachRecord;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(4 + 1 + 8 + 8 + 4 + 8 + StimCodec.MAX_BYTES + 4
            + MAX_REASON_BYTES + 16).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32 crc = new CRC32();
    private long failures;
    private boolean closed;

    /**
     * Opens (creating or appending to) {@code path}.
     *
     * @throws IOException with the path in the message when the file cannot be opened
     */
    public FileStimJournal(Path path, boolean syncEachRecord) throws IOException {
        this.path = path;
        this.syncEachRecord = syncEachRecord;
        try {
            this.channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new IOException("stim journal: cannot open " + path + ": " + e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    /** Number of writes that failed. */
    public long failures() {
        return failures;
    }

    @Override
    public int recordCommand(long sequence, long timeNs, StimCommand command, int verdict) {
        if (closed) {
            failures++;
            return FAILED;
        }
        buf.clear();
        buf.putInt(0);
        buf.put((byte) KIND_COMMAND);
        buf.putLong(sequence);
        buf.putLong(timeNs);
        buf.putInt(verdict);
        buf.putLong(command.inputTimeNs());
        StimCodec.encode(command, buf);
        return finishAndWrite();
    }

    @Override
    public int recordStopAll(long sequence, long timeNs) {
        if (closed) {
            failures++;
            return FAILED;
        }
        buf.clear();
        buf.putInt(0);
        buf.put((byte) KIND_STOP_ALL);
        buf.putLong(sequence);
        buf.putLong(timeNs);
        return finishAndWrite();
    }

    @Override
    public int recordEvent(long timeNs, int event, int code, String reason) {
        if (closed) {
            failures++;
            return FAILED;
        }
        byte[] text = reason == null ? new byte[0] : reason.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(text.length, MAX_REASON_BYTES);
        buf.clear();
        buf.putInt(0);
        buf.put((byte) KIND_EVENT);
        buf.putLong(timeNs);
        buf.putInt(event);
        buf.putInt(code);
        buf.putShort((short) n);
        buf.put(text, 0, n);
        return finishAndWrite();
    }

    private int finishAndWrite() {
        int bodyEnd = buf.position();
        ByteBuffer view = buf.duplicate();
        crc.reset();
        view.position(4).limit(bodyEnd);
        crc.update(view);
        buf.putInt((int) crc.getValue());
        buf.putInt(0, buf.position() - 4);
        buf.flip();
        try {
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
            if (syncEachRecord) {
                channel.force(false);
            }
            return OK;
        } catch (IOException | RuntimeException e) {
            failures++;
            return FAILED;
        }
    }

    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            channel.close();
        }
    }

    /** Receives the records of a journal file in order. */
    public interface Visitor {
        /** A command record. */
        void command(long sequence, long timeNs, int verdict, StimCommand command);

        /** An event record. */
        void event(long timeNs, int event, int code, String reason);

        /** A stop-all record (default: ignored). */
        default void stopAll(long sequence, long timeNs) {
        }
    }

    /**
     * Reads every record of a journal file in order (allocating; for tools and tests).
     *
     * @return the number of records read
     * @throws IOException when the file cannot be read or a record is corrupt (naming its offset)
     */
    public static long read(Path path, Visitor visitor) throws IOException {
        ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        StimCommand cmd = new StimCommand();
        CRC32 check = new CRC32();
        long count = 0;
        while (all.hasRemaining()) {
            int at = all.position();
            if (all.remaining() < 4) {
                throw new IOException(path + ": truncated record at offset " + at);
            }
            int len = all.getInt();
            if (len < 5 || len > all.remaining()) {
                throw new IOException(path + ": bad record length " + len + " at offset " + at);
            }
            ByteBuffer rec = all.slice(all.position(), len).order(ByteOrder.LITTLE_ENDIAN);
            all.position(all.position() + len);
            check.reset();
            check.update(rec.duplicate().limit(len - 4));
            if ((int) check.getValue() != rec.getInt(len - 4)) {
                throw new IOException(path + ": checksum mismatch in record at offset " + at);
            }
            rec.limit(len - 4);
            int kind = rec.get();
            if (kind == KIND_COMMAND) {
                long seq = rec.getLong();
                long t = rec.getLong();
                int verdict = rec.getInt();
                long input = rec.getLong();
                if (StimCodec.decode(rec, cmd) != StimCodec.OK) {
                    throw new IOException(path + ": malformed command in record at offset " + at);
                }
                cmd.inputTimeNs(input);
                visitor.command(seq, t, verdict, cmd);
            } else if (kind == KIND_STOP_ALL) {
                visitor.stopAll(rec.getLong(), rec.getLong());
            } else if (kind == KIND_EVENT) {
                long t = rec.getLong();
                int event = rec.getInt();
                int code = rec.getInt();
                int n = rec.getShort() & 0xFFFF;
                byte[] text = new byte[n];
                rec.get(text);
                visitor.event(t, event, code, new String(text, StandardCharsets.UTF_8));
            } else {
                throw new IOException(path + ": unknown record kind " + kind + " at offset " + at);
            }
            count++;
        }
        return count;
    }
}
