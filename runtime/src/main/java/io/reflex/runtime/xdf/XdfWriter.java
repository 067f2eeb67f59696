package io.reflex.runtime.xdf;

import io.reflex.runtime.xdf.XdfFormat.ChannelFormat;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes an XDF file as a stream: samples are buffered per stream and written as a Samples chunk once a chunk's
 * worth has gathered, so a recording of any length never has to fit in memory. The file is written under
 * {@code NAME.part} and renamed to its name only by {@link #finish()}, after the stream footers and an fsync: an
 * export that fails or is interrupted never leaves a file that looks complete. Not thread-safe.
 */
public final class XdfWriter implements AutoCloseable {
    /** A stream's buffered samples are written as one chunk at this size, bytes. */
    static final int CHUNK_TARGET_BYTES = 64 << 10;
    /** A Boundary chunk is written after this many bytes of samples. */
    static final long BOUNDARY_EVERY_BYTES = 8L << 20;

    private final Path file;
    private final Path part;
    private final OutputStream out;
    private final List<Open> streams = new ArrayList<>();
    private final ByteBuffer head = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer countBuf = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    private long bytes;
    private long sinceBoundary;
    private boolean finished;
    private boolean closed;

    private static final class Open {
        final XdfStream info;
        ByteBuffer buf = ByteBuffer.allocate(CHUNK_TARGET_BYTES + 1024).order(ByteOrder.LITTLE_ENDIAN);
        int pending;
        long count;
        double first = Double.NaN;
        double last = Double.NaN;
        final List<double[]> offsets = new ArrayList<>();

        Open(XdfStream info) {
            this.info = info;
        }
    }

    private XdfWriter(Path file) throws IOException {
        this.file = file;
        this.part = file.resolveSibling(file.getFileName() + ".part");
        this.out = new BufferedOutputStream(Files.newOutputStream(part, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE), 1 << 16);
    }

    /** Starts {@code file} (written as {@code file.part} until {@link #finish()}) with the magic and file header. */
    public static XdfWriter create(Path file) throws IOException {
        XdfWriter w = new XdfWriter(file);
        try {
            w.write(XdfFormat.MAGIC, 0, 4);
            byte[] xml = "<?xml version=\"1.0\"?><info><version>1.0</version></info>".getBytes(StandardCharsets.UTF_8);
            w.chunk(XdfFormat.TAG_FILE_HEADER, null, xml, xml.length);
        } catch (IOException | RuntimeException e) {
            w.close();
            throw e;
        }
        return w;
    }

    /** The path being written until {@link #finish()}. */
    public Path partPath() {
        return part;
    }

    /** Bytes written so far. */
    public long bytesWritten() {
        return bytes;
    }

    /** Declares a stream and writes its header; returns its id (1, 2, ...). */
    public int addStream(XdfStream s) throws IOException {
        if (s.channelCount < 1 || s.channelCount > XdfFormat.MAX_CHANNELS) {
            throw new IllegalArgumentException("stream '" + s.name + "': channel count " + s.channelCount
                    + " outside 1.." + XdfFormat.MAX_CHANNELS);
        }
        if (!s.labels.isEmpty() && s.labels.size() != s.channelCount) {
            throw new IllegalArgumentException("stream '" + s.name + "': " + s.labels.size() + " channel labels for "
                    + s.channelCount + " channels");
        }
        streams.add(new Open(s));
        int id = streams.size();
        byte[] xml = s.toXml().getBytes(StandardCharsets.UTF_8);
        chunk(XdfFormat.TAG_STREAM_HEADER, id, xml, xml.length);
        return id;
    }

    /** Appends one float32 sample ({@code channelCount} values from {@code values[offset..]}) at {@code timeS}. */
    public void sample(int id, double timeS, float[] values, int offset) throws IOException {
        Open s = open(id, ChannelFormat.FLOAT32);
        int n = s.info.channelCount;
        ByteBuffer b = room(s, 9 + 4 * n);
        stamp(s, b, timeS);
        for (int i = 0; i < n; i++) {
            b.putFloat(values[offset + i]);
        }
        added(id, s);
    }

    /** Appends one double64 sample. */
    public void sample(int id, double timeS, double[] values, int offset) throws IOException {
        Open s = open(id, ChannelFormat.DOUBLE64);
        int n = s.info.channelCount;
        ByteBuffer b = room(s, 9 + 8 * n);
        stamp(s, b, timeS);
        for (int i = 0; i < n; i++) {
            b.putDouble(values[offset + i]);
        }
        added(id, s);
    }

    /** Appends one sample of a one-channel string stream (a marker). */
    public void marker(int id, double timeS, String text) throws IOException {
        Open s = open(id, ChannelFormat.STRING);
        if (s.info.channelCount != 1) {
            throw new IllegalArgumentException("stream " + id + " has " + s.info.channelCount + " channels");
        }
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = room(s, 9 + 9 + utf8.length);
        stamp(s, b, timeS);
        putVarLen(b, utf8.length);
        b.put(utf8);
        added(id, s);
    }

    /**
     * Records that the stream's clock read {@code offsetS} seconds away from the recording clock at
     * {@code collectionTimeS} (recording clock); readers add it to the stream's timestamps.
     */
    public void clockOffset(int id, double collectionTimeS, double offsetS) throws IOException {
        Open s = stream(id);
        s.offsets.add(new double[] {collectionTimeS, offsetS});
        byte[] content = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(collectionTimeS)
                .putDouble(offsetS).array();
        chunk(XdfFormat.TAG_CLOCK_OFFSET, id, content, 16);
    }

    /** Samples written to stream {@code id} so far (buffered ones included). */
    public long sampleCount(int id) {
        return stream(id).count;
    }

    /**
     * Writes what is buffered, each stream's footer (first and last timestamp, sample count, clock offsets), fsyncs
     * and renames {@code NAME.part} to {@code NAME} (atomically where the file system can).
     */
    public void finish() throws IOException {
        if (finished || closed) {
            throw new IllegalStateException("XDF file " + file + " is already " + (finished ? "finished" : "closed"));
        }
        for (int id = 1; id <= streams.size(); id++) {
            flush(id, streams.get(id - 1));
        }
        for (int id = 1; id <= streams.size(); id++) {
            Open s = streams.get(id - 1);
            StringBuilder x = new StringBuilder(256);
            x.append("<?xml version=\"1.0\"?><info>");
            XdfStream.el(x, "first_timestamp", Double.toString(s.count == 0 ? 0 : s.first));
            XdfStream.el(x, "last_timestamp", Double.toString(s.count == 0 ? 0 : s.last));
            XdfStream.el(x, "sample_count", Long.toString(s.count));
            x.append("<clock_offsets>");
            for (double[] o : s.offsets) {
                x.append("<offset>");
                XdfStream.el(x, "time", Double.toString(o[0]));
                XdfStream.el(x, "value", Double.toString(o[1]));
                x.append("</offset>");
            }
            x.append("</clock_offsets></info>");
            byte[] xml = x.toString().getBytes(StandardCharsets.UTF_8);
            chunk(XdfFormat.TAG_STREAM_FOOTER, id, xml, xml.length);
        }
        out.flush();
        out.close();
        try (FileChannel ch = FileChannel.open(part, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        try {
            Files.move(part, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(part, file, StandardCopyOption.REPLACE_EXISTING);
        }
        finished = true;
        closed = true;
    }

    /** Without {@link #finish()}: abandons the file (deletes {@code NAME.part}). Never throws. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            out.close();
        } catch (IOException e) {
            // abandoning: the partial file is deleted below either way
        }
        try {
            Files.deleteIfExists(part);
        } catch (IOException e) {
            // a .part left behind still never looks like a finished file
        }
    }

    private Open stream(int id) {
        if (id < 1 || id > streams.size()) {
            throw new IllegalArgumentException("no stream " + id);
        }
        return streams.get(id - 1);
    }

    private Open open(int id, ChannelFormat f) {
        Open s = stream(id);
        if (s.info.format != f) {
            throw new IllegalArgumentException("stream " + id + " holds " + s.info.format.xml() + ", not " + f.xml());
        }
        if (closed) {
            throw new IllegalStateException("XDF file " + file + " is closed");
        }
        return s;
    }

    private ByteBuffer room(Open s, int need) {
        if (s.buf.remaining() < need) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(2 * s.buf.capacity(), s.buf.position() + need + 1024))
                    .order(ByteOrder.LITTLE_ENDIAN);
            s.buf.flip();
            bigger.put(s.buf);
            s.buf = bigger;
        }
        return s.buf;
    }

    private static void stamp(Open s, ByteBuffer b, double timeS) {
        b.put((byte) 8).putDouble(timeS);
        if (s.count == 0) {
            s.first = timeS;
        }
        s.last = timeS;
    }

    private void added(int id, Open s) throws IOException {
        s.pending++;
        s.count++;
        if (s.buf.position() >= CHUNK_TARGET_BYTES) {
            flush(id, s);
        }
    }

    private void flush(int id, Open s) throws IOException {
        if (s.pending == 0) {
            return;
        }
        countBuf.clear();
        putVarLen(countBuf, s.pending);
        int countBytes = countBuf.position();
        long length = 2 + 4 + countBytes + (long) s.buf.position();
        lengthAndTag(length, XdfFormat.TAG_SAMPLES);
        writeInt(id);
        write(countBuf.array(), 0, countBytes);
        write(s.buf.array(), 0, s.buf.position());
        sinceBoundary += s.buf.position();
        s.buf.clear();
        s.pending = 0;
        if (sinceBoundary >= BOUNDARY_EVERY_BYTES) {
            sinceBoundary = 0;
            chunk(XdfFormat.TAG_BOUNDARY, null, XdfFormat.BOUNDARY, XdfFormat.BOUNDARY.length);
        }
    }

    private void chunk(int tag, Integer streamId, byte[] content, int len) throws IOException {
        long length = 2L + (streamId == null ? 0 : 4) + len;
        lengthAndTag(length, tag);
        if (streamId != null) {
            writeInt(streamId);
        }
        write(content, 0, len);
    }

    private void lengthAndTag(long length, int tag) throws IOException {
        head.clear();
        putVarLen(head, length);
        head.putShort((short) tag);
        write(head.array(), 0, head.position());
    }

    private void writeInt(int v) throws IOException {
        head.clear();
        head.putInt(v);
        write(head.array(), 0, 4);
    }

    /** An XDF variable-length integer: 1, 4 or 8 bytes, preceded by a byte saying which. */
    static void putVarLen(ByteBuffer b, long v) {
        if (v < 0) {
            throw new IllegalArgumentException("negative length " + v);
        }
        if (v <= 0xFF) {
            b.put((byte) 1).put((byte) v);
        } else if (v <= 0xFFFF_FFFFL) {
            b.put((byte) 4).putInt((int) v);
        } else {
            b.put((byte) 8).putLong(v);
        }
    }

    private void write(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IllegalStateException("XDF file " + file + " is closed");
        }
        try {
            out.write(b, off, len);
        } catch (IOException e) {
            close();
            throw e;
        }
        bytes += len;
    }
}
