package io.reflex.lsl;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The inlet's side of one connection's byte stream (docs/lsl-wire.md A4): a direct receive buffer that the socket
 * is read into (a channel read into direct memory: no copy by the JDK on the way) and that the response lines, the
 * test pattern and then the samples are parsed from.
 *
 * <p>For a numeric stream the receive buffer is the queue's receive ring ({@link SampleQueue#inReceiveRing}): a
 * sample's values stay where the kernel put them, the queue records where they start, and the pull decodes them
 * from there into the caller's array, the only copy in the process. The ring is used as a straight buffer that
 * starts again from its beginning when a sample would not fit before its end: the bytes of the sample then
 * partly read (less than one) are moved there. Before bytes are read or moved over a part of the ring, every
 * waiting sample whose values lie there is dropped (oldest first, counted); the ring is sized so that this happens
 * only when the queue is full anyway. A string stream's samples are copied into the queue's slots, as their sizes
 * vary.
 *
 * <p>Owned by the receiver thread; allocation-free per numeric sample.
 */
final class SampleReader implements FeedHeaders.LineSource {
    /** Called when no bytes came within the wait (then reading goes on), or the handshake's deadline passed. */
    @FunctionalInterface
    interface TimeoutHandler {
        void onReadTimeout() throws IOException;
    }

    private static final Consumer<SelectionKey> READY = key -> { };

    private final ChannelFormat format;
    private final int channels;
    private final double dt;
    private final long maxStringBytes;
    private final SampleQueue queue;
    /** True when samples stay in {@link #rx} (the queue's receive ring). */
    private final boolean ring;
    private final UnsafeBuffer rx;
    /** {@link #rx}'s memory, positioned and limited for each read. */
    private final ByteBuffer window;
    private final int size;
    private int pos;
    private int lim;
    private ReadableByteChannel in;
    private Selector selector;
    private TimeoutHandler onTimeout;
    private long waitMs;
    private long deadlineNs;
    private boolean bigEndian;
    private volatile boolean closed;
    private double lastTimestamp;
    /** Bytes moved to the ring's start, with a sample cut by its end (test and documentation figure). */
    long bytesMoved;
    /** When bytes last arrived (receiver thread only; the watchdog reads it from there). */
    long lastDataNs = System.nanoTime();

    SampleReader(StreamInfo info, int receiveBufferBytes, long maxStringBytes, SampleQueue queue) {
        this.format = info.channelFormat();
        this.channels = info.channelCount();
        this.dt = info.nominalSrate() > 0 ? 1.0 / info.nominalSrate() : 0.0;
        this.maxStringBytes = maxStringBytes;
        this.queue = queue;
        this.ring = queue.hasRing();
        ByteBuffer memory = ring ? queue.ringBytes() : BufferUtil.allocateDirectAligned(
                Math.max(receiveBufferBytes, 16 + Math.max(0, info.sampleValueBytes())), 64);
        this.rx = ring ? queue.ring() : new UnsafeBuffer(memory);
        this.window = memory.duplicate();
        this.size = rx.capacity();
    }

    /**
     * Starts reading a new connection from {@code channel}; bytes of the last connection not yet parsed are
     * discarded (its samples already queued stay). A non-blocking channel waits in {@code selector} (registered
     * for reads) at most {@code waitMs} at a time, and not past {@code deadlineNs} ({@link Long#MAX_VALUE}: none);
     * when a wait brings nothing the handler is called. A blocking channel (tests) needs no selector.
     */
    void reset(ReadableByteChannel channel, Selector sel, TimeoutHandler handler, long waitMillis, long deadline) {
        this.in = channel;
        this.selector = sel;
        lim = pos;
        switchInput(handler, waitMillis, deadline);
    }

    /** Goes on reading the same connection, buffered bytes kept, with another wait, deadline and handler. */
    void switchInput(TimeoutHandler handler, long waitMillis, long deadline) {
        this.onTimeout = handler;
        this.waitMs = Math.max(1, waitMillis);
        this.deadlineNs = deadline;
        lastDataNs = System.nanoTime();
    }

    @Override
    public String readLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos == lim && !fillSome()) {
                return sb.length() == 0 ? null : sb.toString();
            }
            byte b = rx.getByte(pos++);
            if (b == '\n') {
                int n = sb.length();
                return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
            }
            if (sb.length() >= Net.MAX_LINE_BYTES) {
                throw new IOException("response line longer than " + Net.MAX_LINE_BYTES + " bytes");
            }
            sb.append((char) (b & 0xFF));
        }
    }

    /**
     * Checks the two test-pattern samples byte for byte and sets the byte order the samples that follow come in.
     */
    void expectTestPattern(boolean samplesBigEndian) throws IOException {
        byte[] expected = TestPattern.wire(format, channels, samplesBigEndian);
        need(expected.length);
        for (int i = 0; i < expected.length; i++) {
            if (rx.getByte(pos + i) != expected[i]) {
                throw new IOException("test pattern mismatch: the outlet's samples would decode wrongly");
            }
        }
        pos += expected.length;
        bigEndian = samplesBigEndian;
        lastTimestamp = 0.0;
    }

    /** Reads more bytes (at least one); false at EOF. A wait that brings nothing goes to the handler. */
    private boolean fillSome() throws IOException {
        while (true) {
            int room = room();
            window.limit(lim + room).position(lim);
            int n = in.read(window);
            if (n < 0) {
                return false;
            }
            if (n > 0) {
                lim += n;
                lastDataNs = System.nanoTime();
                return true;
            }
            awaitBytes();
        }
    }

    /** Waits in the selector for bytes, at most the wait and not past the deadline; tells the handler if none. */
    private void awaitBytes() throws IOException {
        long wait = waitMs;
        if (deadlineNs != Long.MAX_VALUE) {
            long left = deadlineNs - System.nanoTime();
            if (left <= 0) {
                onTimeout.onReadTimeout();
                return;
            }
            wait = Math.min(wait, Math.max(1, left / 1_000_000));
        }
        if (selector == null) {
            throw new IOException("a blocking channel read nothing");
        }
        if (selector.select(READY, wait) == 0 && deadlineNs == Long.MAX_VALUE) {
            onTimeout.onReadTimeout();
        }
    }

    /**
     * Bytes that may be read at {@link #lim}, at least one: the ring starts again from its beginning when full to
     * its end, and a waiting sample whose values lie just ahead (left from the last pass) is dropped when it is in
     * the way.
     */
    private int room() throws IOException {
        if (lim == size) {
            restartAtBeginning();
        }
        while (ring) {
            long h = queue.headSequence();
            if (h >= queue.tailSequence()) {
                break;
            }
            int oldest = queue.offsetOf(h);
            if (oldest < pos) {
                break; // waiting samples all lie behind: the room runs to the end
            }
            if (oldest > lim) {
                return oldest - lim;
            }
            if (oldest < lim) {
                // bytes already read over the values of a sample still waiting: a fault of this class, not the peer's
                throw new IllegalStateException("receive ring: a waiting sample at " + oldest
                        + " lies in bytes read after it [" + pos + ", " + lim + ")");
            }
            queue.dropThrough(h); // the oldest lies just ahead: it goes, as the queue's capacity would have it go
        }
        return size - lim;
    }

    /** Ensures {@code n} bytes are buffered back to back at {@link #pos}. */
    private void need(int n) throws IOException {
        if (n > size / 2) {
            throw new IOException("sample of " + n + " bytes larger than half the receive buffer");
        }
        while (lim - pos < n) {
            if (size - pos < n) {
                restartAtBeginning();
            }
            if (!fillSome()) {
                throw new EOFException("connection closed inside a sample");
            }
        }
    }

    /**
     * Moves the bytes not yet parsed (less than one sample) to the buffer's start and goes on from there, after
     * dropping every waiting sample with values where they go or in the byte after them.
     */
    private void restartAtBeginning() throws IOException {
        int n = lim - pos;
        if (n >= pos) {
            throw new IOException("receive buffer of " + size + " bytes too small for a sample");
        }
        if (ring) {
            // the newest waiting sample whose values start where the bytes go (or just after): it and all older go
            for (long k = queue.tailSequence() - 1; k >= queue.headSequence(); k--) {
                if (queue.offsetOf(k) <= n) {
                    queue.dropThrough(k);
                    break;
                }
            }
        }
        if (n > 0) {
            rx.putBytes(0, rx, pos, n);
            bytesMoved += n;
        }
        pos = 0;
        lim = n;
    }

    /** Stops {@link #readSamples} after the sample it is reading (the caller closes the socket). */
    void close() {
        closed = true;
    }

    /**
     * The data phase: samples into the queue, counted, until closed or the connection fails. The loop lives here,
     * not in {@link InletReceiver}: there its on-stack-replacement compilation (after about 100 000 samples)
     * allocated about 800 bytes on the receiver thread, which {@code DataPathAllocationTest} caught.
     */
    void readSamples(AtomicLong received) throws IOException {
        while (!closed) {
            readSample();
            received.incrementAndGet();
        }
    }

    /** Reads one sample into the queue and publishes it; returns its timestamp (deduced ones filled in). */
    double readSample() throws IOException {
        need(1);
        int tag = rx.getByte(pos++);
        double ts;
        if (tag == Wire.TAG_EXPLICIT) {
            need(8);
            ts = rx.getDouble(pos, bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
            pos += 8;
        } else if (tag == Wire.TAG_DEDUCED) {
            ts = lastTimestamp + dt;
        } else {
            throw new IOException("bad sample tag " + (tag & 0xFF) + " (stream out of sync)");
        }
        int slot;
        int length;
        if (format.isNumeric()) {
            int w = format.valueBytes();
            length = w * channels;
            // Claim only once the whole sample is here: a claim on a full queue (always, in latest mode) drops the
            // oldest sample, which must not be lost for one that the connection then cuts short.
            need(length);
            if (bigEndian && w > 1) {
                Wire.swapInPlace(rx, pos, w, channels);
            }
            slot = queue.claim();
            if (ring) {
                queue.slotOffset(slot, pos);
            } else {
                rx.getBytes(pos, queue.slotBuffer(slot, length), 0, length);
            }
            pos += length;
        } else {
            slot = queue.claim();
            length = readStrings(slot);
        }
        queue.slotMeta(slot, ts, true, length);
        queue.publish();
        lastTimestamp = ts;
        return ts;
    }

    private int readStrings(int slot) throws IOException {
        int p = 0;
        for (int ch = 0; ch < channels; ch++) {
            need(1);
            int width = rx.getByte(pos++) & 0xFF;
            if (width != 1 && width != 2 && width != 4 && width != 8) {
                throw new IOException("bad string length width " + width);
            }
            need(width);
            long len = readLength(width);
            pos += width;
            if (len < 0 || len > maxStringBytes) {
                throw new IOException("string length " + (len < 0 ? "> 2^63" : Long.toString(len))
                        + " exceeds maxStringBytes " + maxStringBytes);
            }
            int n = (int) len;
            byte[] dst = queue.slotBuffer(slot, p + 4 + n);
            Wire.INT_LE.set(dst, p, n);
            p += 4;
            int left = n;
            while (left > 0) {
                if (pos == lim && !fillSome()) {
                    throw new EOFException("connection closed inside a string");
                }
                int chunk = Math.min(left, lim - pos);
                rx.getBytes(pos, dst, p, chunk);
                pos += chunk;
                p += chunk;
                left -= chunk;
            }
        }
        return p;
    }

    /** An unsigned length field of width 1, 2, 4 or 8 at {@link #pos}; -1 if it does not fit in a long. */
    private long readLength(int width) {
        ByteOrder order = bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        return switch (width) {
            case 1 -> rx.getByte(pos) & 0xFF;
            case 2 -> rx.getShort(pos, order) & 0xFFFF;
            case 4 -> rx.getInt(pos, order) & 0xFFFFFFFFL;
            case 8 -> {
                long v = rx.getLong(pos, order);
                yield v < 0 ? -1 : v;
            }
            default -> -1;
        };
    }
}
