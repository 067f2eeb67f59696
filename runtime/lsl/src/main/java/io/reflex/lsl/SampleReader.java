package io.reflex.lsl;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The inlet's side of one connection's byte stream (docs/lsl-wire.md A4): a receive buffer that the response
 * lines, the test pattern and then the samples are read from, each sample decoded straight into a claimed slot of
 * the inlet's queue (the one copy between the receive buffer and the consumer's pull). Owned by the receiver
 * thread; allocation-free per numeric sample.
 */
final class SampleReader implements FeedHeaders.LineSource {
    /** Called when a read times out (the socket's timeout, then the next read is tried). */
    @FunctionalInterface
    interface TimeoutHandler {
        void onReadTimeout() throws IOException;
    }

    private final ChannelFormat format;
    private final int channels;
    private final double dt;
    private final long maxStringBytes;
    private final SampleQueue queue;
    private final byte[] rx;
    private int pos;
    private int lim;
    private InputStream in;
    private TimeoutHandler onTimeout;
    private boolean bigEndian;
    private volatile boolean closed;
    private double lastTimestamp;
    /** When bytes last arrived (receiver thread only; the watchdog reads it from there). */
    long lastDataNs = System.nanoTime();

    SampleReader(StreamInfo info, int receiveBufferBytes, long maxStringBytes, SampleQueue queue) {
        this.format = info.channelFormat();
        this.channels = info.channelCount();
        this.dt = info.nominalSrate() > 0 ? 1.0 / info.nominalSrate() : 0.0;
        this.maxStringBytes = maxStringBytes;
        this.queue = queue;
        this.rx = new byte[Math.max(receiveBufferBytes, 16 + Math.max(0, info.sampleValueBytes()))];
    }

    /** Starts reading a new connection's bytes from {@code input}; whatever was buffered is discarded. */
    void reset(InputStream input, TimeoutHandler handler) {
        this.in = input;
        this.onTimeout = handler;
        pos = 0;
        lim = 0;
    }

    /**
     * Goes on reading the same connection, buffered bytes kept, from another stream (the raw socket after the
     * handshake's deadline-bounded one) with another timeout handler.
     */
    void switchInput(InputStream input, TimeoutHandler handler) {
        this.in = input;
        this.onTimeout = handler;
        lastDataNs = System.nanoTime();
    }

    @Override
    public String readLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos == lim && !fillSome()) {
                return sb.length() == 0 ? null : sb.toString();
            }
            byte b = rx[pos++];
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
        if (!Arrays.equals(rx, pos, pos + expected.length, expected, 0, expected.length)) {
            throw new IOException("test pattern mismatch: the outlet's samples would decode wrongly");
        }
        pos += expected.length;
        bigEndian = samplesBigEndian;
        lastTimestamp = 0.0;
    }

    /** Reads more bytes; false at EOF. A read timeout goes to the handler, then reading goes on. */
    private boolean fillSome() throws IOException {
        if (pos == lim) {
            pos = 0;
            lim = 0;
        } else if (lim == rx.length) {
            System.arraycopy(rx, pos, rx, 0, lim - pos);
            lim -= pos;
            pos = 0;
        }
        while (true) {
            int n;
            try {
                n = in.read(rx, lim, rx.length - lim);
            } catch (SocketTimeoutException e) {
                onTimeout.onReadTimeout();
                continue;
            }
            if (n < 0) {
                return false;
            }
            lim += n;
            lastDataNs = System.nanoTime();
            return true;
        }
    }

    /** Ensures {@code n} bytes are buffered ({@code n} ≤ buffer size). */
    private void need(int n) throws IOException {
        if (n > rx.length) {
            throw new IOException("sample larger than the receive buffer");
        }
        while (lim - pos < n) {
            if (rx.length - pos < n) {
                System.arraycopy(rx, pos, rx, 0, lim - pos);
                lim -= pos;
                pos = 0;
            }
            if (!fillSome()) {
                throw new EOFException("connection closed inside a sample");
            }
        }
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
        int tag = rx[pos++];
        double ts;
        if (tag == Wire.TAG_EXPLICIT) {
            need(8);
            ts = Wire.readDouble(rx, pos, bigEndian);
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
            slot = queue.claim();
            byte[] dst = queue.slotBuffer(slot, length);
            if (bigEndian && w > 1) {
                Wire.swapInto(rx, pos, dst, 0, w, channels);
            } else {
                System.arraycopy(rx, pos, dst, 0, length);
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
            int width = rx[pos++] & 0xFF;
            if (width != 1 && width != 2 && width != 4 && width != 8) {
                throw new IOException("bad string length width " + width);
            }
            need(width);
            long len = Wire.readLength(rx, pos, width, bigEndian);
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
                System.arraycopy(rx, pos, dst, p, chunk);
                pos += chunk;
                p += chunk;
                left -= chunk;
            }
        }
        return p;
    }
}
