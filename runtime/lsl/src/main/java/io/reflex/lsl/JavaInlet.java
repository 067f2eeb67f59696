package io.reflex.lsl;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * Pure-Java LSL inlet speaking protocol 1.10 (docs/lsl-wire.md A3–A7).
 *
 * <p>A receiver thread connects, negotiates ({@code LSL:streamfeed/110}, native byte order, Value-Size), checks
 * both test-pattern samples byte for byte and then decodes samples straight into preallocated queue slots; pulls
 * copy from a slot into the caller's array. Nothing allocates on that path after connect (string samples
 * excepted). On any error it waits {@link LslConfig#reconnectDelayS()} and reconnects; if the outlet is gone
 * (refused, 404) it re-resolves by source_id, name, type, channel count and format, and follows a single new match
 * (a restarted outlet), resetting the time correction. A watchdog re-resolves when no data came for
 * {@link LslConfig#watchdogTimeThresholdS()}.
 */
public final class JavaInlet implements StreamInlet {
    private static final int STATE_IDLE = 0;
    private static final int STATE_CONNECTED = 1;
    private static final int STATE_FAILED = 2;

    private final LslConfig config;
    private final InletOptions options;
    private final LslErrorHandler errors;
    private final ChannelFormat format;
    private final int channels;
    private final double dt;
    private final SampleQueue queue;
    private final Histogram staleness;
    private final Object stateLock = new Object();
    private volatile StreamInfo current;
    private volatile Thread receiver;
    private volatile Socket socket;
    private volatile TimeCorrector corrector;
    private volatile boolean closed;
    private volatile boolean lost;
    private int state = STATE_IDLE;
    private String lastFailure = "";
    private boolean gone;

    private final AtomicLong connects = new AtomicLong();
    private final AtomicLong recoveries = new AtomicLong();
    private final AtomicLong errorCount = new AtomicLong();
    private final AtomicLong samplesReceived = new AtomicLong();
    private volatile long lastDataNs = System.nanoTime();

    // receive buffer (receiver thread only)
    private byte[] rx;
    private int pos;
    private int lim;
    private InputStream in;

    /** An inlet for a resolved stream; nothing connects until {@link #open} or the first pull. */
    public JavaInlet(StreamInfo info, LslConfig config, InletOptions options, LslErrorHandler errors) {
        this.config = config.conclude();
        this.options = options.conclude();
        this.errors = errors;
        this.current = info;
        this.format = info.channelFormat();
        this.channels = info.channelCount();
        this.dt = info.nominalSrate() > 0 ? 1.0 / info.nominalSrate() : 0.0;
        if (channels < 1 || channels > StreamInfo.MAX_CHANNELS) {
            throw new IllegalArgumentException("stream '" + info.name() + "' declares " + channels
                    + " channels; at most " + StreamInfo.MAX_CHANNELS + " are accepted");
        }
        int wanted = options.mode() == InletOptions.Mode.LATEST ? options.latestDepth()
                : (int) Math.max(1, Math.min(config.outletMaxQueueSamples(),
                        Math.ceil(config.inletBufferS() * Math.max(info.nominalSrate(), 100))));
        int slotBytes = format.isNumeric() ? format.valueBytes() * channels : 64;
        // sized from the peer's channel count and rate: bounded by bytes before anything is allocated
        int capacity = SampleQueue.capacityWithin(wanted, slotBytes, this.config.inletMaxBufferBytes());
        if (capacity < 0) {
            throw new IllegalArgumentException("stream '" + info.name() + "': one sample of " + slotBytes
                    + " bytes exceeds inletMaxBufferBytes " + this.config.inletMaxBufferBytes());
        }
        this.queue = new SampleQueue(capacity, slotBytes);
        this.staleness = new Histogram(options.stalenessMaxNs(), 3);
        this.rx = new byte[Math.max(config.receiveBufferBytes(), 16 + Math.max(0, info.sampleValueBytes()))];
    }

    /** An inlet with default options and the logging error handler. */
    public JavaInlet(StreamInfo info, LslConfig config) {
        this(info, config, new InletOptions(), LslErrorHandler.logging());
    }

    @Override
    public StreamInfo info() {
        return current;
    }

    @Override
    public StreamInfo fullInfo(double timeoutS) {
        return fetchInfo(current, "LSL:fullinfo\r\n", timeoutS);
    }

    /** Asks an outlet for its info over TCP ({@code LSL:fullinfo} or {@code LSL:shortinfo\r\n<query>}). */
    static StreamInfo fetchInfo(StreamInfo target, String request, double timeoutS) {
        try (Socket s = new Socket()) {
            int ms = (int) Math.max(1, timeoutS * 1000);
            s.connect(new InetSocketAddress(InetAddress.getByName(address(target)), target.v4dataPort()), ms);
            long deadlineNs = System.nanoTime() + (long) (Math.max(0.001, timeoutS) * 1e9);
            s.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            // the whole reply within the timeout: an outlet dribbling bytes cannot hold the caller longer
            String xml = Net.readAll(Net.deadlineInput(s, deadlineNs), StreamInfo.MAX_XML_BYTES);
            if (xml.isEmpty()) {
                throw new IllegalStateException("outlet " + target.name() + " sent no info (no match)");
            }
            return StreamInfo.parse(xml).toBuilder().v4address(address(target)).build();
        } catch (IOException e) {
            throw new IllegalStateException("cannot fetch info of '" + target.name() + "': " + e.getMessage(), e);
        }
    }

    private static String address(StreamInfo info) {
        return info.v4address().isEmpty() ? "127.0.0.1" : info.v4address();
    }

    // ------------------------------------------------------------------ lifecycle

    @Override
    public void open(double timeoutS) {
        startIfNeeded();
        long deadline = System.nanoTime() + (long) (timeoutS * 1e9);
        synchronized (stateLock) {
            while (state != STATE_CONNECTED && !closed) {
                if (state == STATE_FAILED && lost) {
                    break;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    stateLock.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            if (state != STATE_CONNECTED) {
                throw new IllegalStateException("cannot open inlet for '" + current.name() + "' at "
                        + address(current) + ":" + current.v4dataPort() + (lastFailure.isEmpty() ? ": timed out"
                        : ": " + lastFailure));
            }
        }
    }

    private void startIfNeeded() {
        if (receiver != null || closed) {
            return;
        }
        synchronized (stateLock) {
            if (receiver != null) {
                return;
            }
            Thread t = new Thread(this::receiveLoop, "lsl-inlet-" + current.name());
            t.setDaemon(true);
            receiver = t;
            if (options.timeCorrection()) {
                corrector = newCorrector();
            }
            t.start();
        }
    }

    private TimeCorrector newCorrector() {
        try {
            InetSocketAddress svc = new InetSocketAddress(InetAddress.getByName(address(current)),
                    current.v4servicePort());
            return new TimeCorrector(svc, config, errors, current.name());
        } catch (IOException e) {
            throw new IllegalStateException("bad outlet address: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Socket s = socket;
        if (s != null) {
            JavaOutlet.closeQuietly(s);
        }
        Thread t = receiver;
        if (t != null) {
            t.interrupt();
            LockSupport.unpark(t);
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        TimeCorrector c = corrector;
        if (c != null) {
            c.close();
        }
        queue.wakeConsumer();
        synchronized (stateLock) {
            stateLock.notifyAll();
        }
    }

    // ------------------------------------------------------------------ receiver

    /** Thrown when the outlet said it is not (or no longer) the stream we want. */
    private static final class GoneException extends IOException {
        private static final long serialVersionUID = 1L;

        GoneException(String message) {
            super(message);
        }
    }

    private void receiveLoop() {
        while (!closed) {
            try {
                gone = false;
                connectAndStream();
            } catch (IOException | RuntimeException e) {
                if (closed) {
                    break;
                }
                boolean isGone = e instanceof GoneException || e instanceof ConnectException;
                fail(describe(e), e instanceof IOException ? null : e);
                gone = isGone;
            } finally {
                Socket s = socket;
                socket = null;
                if (s != null) {
                    JavaOutlet.closeQuietly(s);
                }
            }
            if (closed) {
                break;
            }
            if (!options.recover()) {
                markLost("recovery is off");
                break;
            }
            pause(config.reconnectDelayS());
            if (gone && !closed) {
                if (current.sourceId().isEmpty()) {
                    markLost("outlet gone and the stream has no source_id to recover by");
                    break;
                }
                reResolve();
            }
        }
    }

    private static String describe(Throwable e) {
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    private void fail(String message, Throwable cause) {
        errorCount.incrementAndGet();
        synchronized (stateLock) {
            state = STATE_FAILED;
            lastFailure = message;
            stateLock.notifyAll();
        }
        errors.onError("inlet '" + current.name() + "'", message, cause);
    }

    private void markLost(String why) {
        lost = true;
        String previous;
        synchronized (stateLock) {
            previous = lastFailure;
        }
        fail("stream lost (" + why + ")" + (previous.isEmpty() ? "" : " after: " + previous), null);
        queue.wakeConsumer();
    }

    private void pause(double seconds) {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (!closed) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                return;
            }
            LockSupport.parkNanos(this, left);
        }
    }

    /** The predicate that finds a restarted outlet: same identity, any uid, any session. */
    String recoveryPredicate() {
        StreamInfo i = current;
        return "channel_count=" + i.channelCount() + " and " + Resolver.byProperty("name", i.name()) + " and "
                + Resolver.byProperty("type", i.type()) + " and " + Resolver.byProperty("source_id", i.sourceId())
                + " and " + Resolver.byProperty("channel_format", i.channelFormat().wireName());
    }

    /** Re-resolves by source_id; switches to a single new match. Returns true if it switched. */
    private boolean reResolve() {
        List<StreamInfo> found;
        try {
            found = new Resolver(config).resolve(recoveryPredicate(), 1, Math.max(config.oneshotResolveIntervalS(),
                    Math.min(2.0, config.resolveWaveListenS())));
        } catch (RuntimeException e) {
            fail("re-resolve failed: " + describe(e), e);
            return false;
        }
        StreamInfo old = current;
        for (StreamInfo f : found) {
            if (f.uid().equals(old.uid())) {
                return false;
            }
        }
        if (found.size() == 1) {
            StreamInfo next = found.get(0);
            current = next;
            recoveries.incrementAndGet();
            TimeCorrector c = corrector;
            if (c != null) {
                try {
                    c.retarget(new InetSocketAddress(InetAddress.getByName(address(next)), next.v4servicePort()));
                } catch (IOException e) {
                    fail("bad recovered address: " + e.getMessage(), e);
                }
            }
            return true;
        }
        if (found.size() > 1) {
            fail("recovery found " + found.size() + " streams with source_id '" + old.sourceId() + "'; retrying",
                    null);
        }
        return false;
    }

    private void connectAndStream() throws IOException {
        StreamInfo target = current;
        Socket s = new Socket();
        socket = s;
        if (closed) {
            throw new IOException("closed");
        }
        int handshakeMs = (int) Math.max(1, config.handshakeTimeoutS() * 1000);
        s.connect(new InetSocketAddress(InetAddress.getByName(address(target)), target.v4dataPort()), handshakeMs);
        s.setTcpNoDelay(true);
        // the response and the test pattern within one total deadline (an outlet answering at one byte per second
        // cannot hold the receiver thread); the data phase reads the socket directly
        in = Net.deadlineInput(s, System.nanoTime() + (long) (config.handshakeTimeoutS() * 1e9));
        pos = 0;
        lim = 0;
        OutputStream out = s.getOutputStream();
        out.write(request(target).getBytes(StandardCharsets.US_ASCII));
        out.flush();
        boolean bigEndian = readResponse(target);
        byte[] expected = TestPattern.wire(format, channels, bigEndian);
        need(expected.length);
        if (!Arrays.equals(rx, pos, pos + expected.length, expected, 0, expected.length)) {
            throw new IOException("test pattern mismatch: the outlet's samples would decode wrongly");
        }
        pos += expected.length;
        connects.incrementAndGet();
        synchronized (stateLock) {
            state = STATE_CONNECTED;
            lastFailure = "";
            stateLock.notifyAll();
        }
        in = s.getInputStream();
        s.setSoTimeout((int) Math.max(1, config.watchdogCheckIntervalS() * 1000));
        lastDataNs = System.nanoTime();
        double last = 0.0;
        while (!closed) {
            last = readSample(bigEndian, last);
        }
    }

    String request(StreamInfo target) {
        int maxBuffer = (int) Math.min(Integer.MAX_VALUE, Math.max(1, Math.ceil(config.inletBufferS()
                * (target.nominalSrate() > 0 ? target.nominalSrate() : 100))));
        StringBuilder sb = new StringBuilder(256);
        sb.append("LSL:streamfeed/110 ").append(target.uid()).append("\r\n");
        sb.append("Native-Byte-Order: 1234\r\n");
        sb.append("Endian-Performance: ").append((long) JavaOutlet.ENDIAN_PERFORMANCE).append("\r\n");
        sb.append("Has-IEEE754-Floats: 1\r\n");
        sb.append("Supports-Subnormals: 1\r\n");
        if (format.isNumeric()) {
            sb.append("Value-Size: ").append(format.valueBytes()).append("\r\n");
        }
        sb.append("Data-Protocol-Version: 110\r\n");
        sb.append("Max-Buffer-Length: ").append(maxBuffer).append("\r\n");
        sb.append("Max-Chunk-Length: 0\r\n");
        sb.append("Hostname: ").append(target.hostname()).append("\r\n");
        sb.append("Source-Id: ").append(target.sourceId()).append("\r\n");
        sb.append("Session-Id: ").append(target.sessionId()).append("\r\n");
        sb.append("\r\n");
        return sb.toString();
    }

    /** Parses the status line and headers; returns true if the data comes big-endian. */
    private boolean readResponse(StreamInfo target) throws IOException {
        String status = readLine();
        if (status == null) {
            throw new GoneException("outlet closed the connection without a response");
        }
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("LSL/")) {
            throw new IOException("not an LSL response: '" + abbreviate(status) + "'");
        }
        int code;
        try {
            code = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IOException("bad status line: '" + abbreviate(status) + "'");
        }
        if (code == 404 || (code >= 300 && code < 400)) {
            throw new GoneException("outlet answered '" + abbreviate(status) + "'");
        }
        if (code >= 400) {
            throw new IOException("outlet refused the feed: '" + abbreviate(status) + "'");
        }
        boolean bigEndian = false;
        int version = -1;
        while (true) {
            String line = readLine();
            if (line == null) {
                throw new EOFException("response headers cut short");
            }
            if (line.isEmpty()) {
                break;
            }
            int semi = line.indexOf(';');
            if (semi >= 0) {
                line = line.substring(0, semi);
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String key = line.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            switch (key) {
                case "uid" -> {
                    if (!value.equals(target.uid())) {
                        throw new GoneException("outlet has uid " + value + ", expected " + target.uid());
                    }
                }
                case "byte-order" -> {
                    if ("4321".equals(value)) {
                        bigEndian = true;
                    } else if (!"1234".equals(value) && !"0".equals(value)) {
                        throw new IOException("unsupported Byte-Order " + value);
                    }
                }
                case "data-protocol-version" -> {
                    try {
                        version = Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        throw new IOException("bad Data-Protocol-Version '" + value + "'");
                    }
                }
                default -> {
                    // Suppress-Subnormals: Java handles subnormals; other headers carry nothing we need.
                }
            }
        }
        if (version != StreamInfo.PROTOCOL_VERSION) {
            throw new IOException("outlet offered Data-Protocol-Version " + version + "; only 110 is supported");
        }
        return bigEndian;
    }

    private static String abbreviate(String s) {
        return s.length() > 120 ? s.substring(0, 120) + "..." : s;
    }

    private String readLine() throws IOException {
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

    /** Reads more bytes; false at EOF. Handles the watchdog on read timeouts. */
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
                if (state != STATE_CONNECTED) {
                    throw new IOException("outlet did not answer within " + config.handshakeTimeoutS() + " s");
                }
                watchdog();
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

    private void watchdog() throws IOException {
        if (closed) {
            throw new IOException("closed");
        }
        if (System.nanoTime() - lastDataNs < (long) (config.watchdogTimeThresholdS() * 1e9)) {
            return;
        }
        lastDataNs = System.nanoTime();
        if (!options.recover() || current.sourceId().isEmpty()) {
            return;
        }
        if (reResolve()) {
            throw new IOException("watchdog: no data for " + config.watchdogTimeThresholdS()
                    + " s and a restarted outlet was found; switching");
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

    private double readSample(boolean bigEndian, double lastTimestamp) throws IOException {
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
            length = readStrings(slot, bigEndian);
        }
        queue.slotMeta(slot, ts, true, length);
        queue.publish();
        samplesReceived.incrementAndGet();
        return ts;
    }

    private int readStrings(int slot, boolean bigEndian) throws IOException {
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
            if (len < 0 || len > config.maxStringBytes()) {
                throw new IOException("string length " + (len < 0 ? "> 2^63" : Long.toString(len))
                        + " exceeds maxStringBytes " + config.maxStringBytes());
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

    // ------------------------------------------------------------------ pull

    private static final int INTO_FLOAT = 0;
    private static final int INTO_DOUBLE = 1;
    private static final int INTO_INT = 2;
    private static final int INTO_SHORT = 3;
    private static final int INTO_BYTE = 4;
    private static final int INTO_LONG = 5;
    private static final int INTO_STRING = 6;

    private volatile boolean stalenessResetRequested;

    private double pull(Object dst, int kind, int dstOff, double timeoutS) {
        startIfNeeded();
        while (true) {
            int slot = queue.readSlot();
            if (slot < 0) {
                if (closed || lost) {
                    return 0.0;
                }
                long deadline = timeoutS >= 1e6 ? Long.MAX_VALUE : System.nanoTime() + (long) (timeoutS * 1e9);
                if (!queue.await(deadline, options.spinIterations())) {
                    return 0.0;
                }
                continue;
            }
            double ts = queue.timestamp(slot);
            byte[] b = queue.buffer(slot);
            copyOut(b, dst, kind, dstOff);
            if (queue.commitRead()) {
                return finish(ts);
            }
        }
    }

    private void copyOut(byte[] b, Object dst, int kind, int off) {
        switch (kind) {
            case INTO_FLOAT -> {
                float[] d = (float[]) dst;
                if (format == ChannelFormat.FLOAT32) {
                    for (int i = 0; i < channels; i++) {
                        d[off + i] = (float) Wire.FLOAT_LE.get(b, 4 * i);
                    }
                } else {
                    for (int i = 0; i < channels; i++) {
                        d[off + i] = Wire.loadFloat(format, b, 0, i);
                    }
                }
            }
            case INTO_DOUBLE -> {
                double[] d = (double[]) dst;
                for (int i = 0; i < channels; i++) {
                    d[off + i] = Wire.loadDouble(format, b, 0, i);
                }
            }
            case INTO_INT -> {
                int[] d = (int[]) dst;
                for (int i = 0; i < channels; i++) {
                    d[off + i] = (int) Wire.loadLong(format, b, 0, i);
                }
            }
            case INTO_SHORT -> {
                short[] d = (short[]) dst;
                for (int i = 0; i < channels; i++) {
                    d[off + i] = (short) Wire.loadLong(format, b, 0, i);
                }
            }
            case INTO_BYTE -> {
                byte[] d = (byte[]) dst;
                for (int i = 0; i < channels; i++) {
                    d[off + i] = (byte) Wire.loadLong(format, b, 0, i);
                }
            }
            case INTO_LONG -> {
                long[] d = (long[]) dst;
                for (int i = 0; i < channels; i++) {
                    d[off + i] = Wire.loadLong(format, b, 0, i);
                }
            }
            default -> Wire.loadStrings(b, 0, channels, (String[]) dst, off);
        }
    }

    private double finish(double ts) {
        if (stalenessResetRequested) {
            stalenessResetRequested = false;
            staleness.reset();
        }
        TimeCorrector c = corrector;
        double corr = c == null ? Double.NaN : c.correctionS();
        double corrected = Double.isNaN(corr) ? ts : ts + corr;
        long ageNs = (long) ((LslClock.now() - corrected) * 1e9);
        staleness.recordValue(Math.max(0, Math.min(ageNs, staleness.getHighestTrackableValue())));
        return options.postprocessClockSync() ? corrected : ts;
    }

    private void checkLength(int length) {
        if (length < channels) {
            throw new IllegalArgumentException("destination holds " + length + " values; the stream has "
                    + channels + " channels");
        }
    }

    private void checkNumeric() {
        if (!format.isNumeric()) {
            throw new IllegalArgumentException("stream '" + current.name() + "' carries strings; pull String[]");
        }
    }

    @Override
    public double pullSample(float[] dst, double timeoutS) {
        checkNumeric();
        checkLength(dst.length);
        return pull(dst, INTO_FLOAT, 0, timeoutS);
    }

    @Override
    public double pullSample(double[] dst, double timeoutS) {
        checkNumeric();
        checkLength(dst.length);
        return pull(dst, INTO_DOUBLE, 0, timeoutS);
    }

    @Override
    public double pullSample(int[] dst, double timeoutS) {
        checkNumeric();
        checkLength(dst.length);
        return pull(dst, INTO_INT, 0, timeoutS);
    }

    @Override
    public double pullSample(short[] dst, double timeoutS) {
        checkNumeric();
        checkLength(dst.length);
        return pull(dst, INTO_SHORT, 0, timeoutS);
    }

    @Override
    public double pullSample(byte[] dst, double timeoutS) {
        checkNumeric();
        checkLength(dst.length);
        return pull(dst, INTO_BYTE, 0, timeoutS);
    }

    @Override
    public double pullSample(long[] dst, double timeoutS) {
        checkNumeric();
        checkLength(dst.length);
        return pull(dst, INTO_LONG, 0, timeoutS);
    }

    @Override
    public double pullSample(String[] dst, double timeoutS) {
        if (format != ChannelFormat.STRING) {
            throw new IllegalArgumentException("stream '" + current.name() + "' is numeric; pull a numeric array");
        }
        checkLength(dst.length);
        return pull(dst, INTO_STRING, 0, timeoutS);
    }

    @Override
    public int pullChunk(float[] dst, double[] timestamps, int maxSamples, double timeoutS) {
        return pullChunk(dst, INTO_FLOAT, dst.length, timestamps, maxSamples, timeoutS);
    }

    @Override
    public int pullChunk(double[] dst, double[] timestamps, int maxSamples, double timeoutS) {
        return pullChunk(dst, INTO_DOUBLE, dst.length, timestamps, maxSamples, timeoutS);
    }

    private int pullChunk(Object dst, int kind, int length, double[] timestamps, int maxSamples, double timeoutS) {
        checkNumeric();
        int max = Math.min(Math.min(maxSamples, timestamps.length), length / channels);
        int n = 0;
        while (n < max) {
            double ts = pull(dst, kind, n * channels, n == 0 ? timeoutS : 0.0);
            if (ts == 0.0) {
                break;
            }
            timestamps[n++] = ts;
        }
        return n;
    }

    @Override
    public double timeCorrection(double timeoutS) {
        TimeCorrector c = corrector;
        if (c == null) {
            synchronized (stateLock) {
                if (corrector == null && !closed) {
                    corrector = newCorrector();
                }
                c = corrector;
            }
            if (c == null) {
                return Double.NaN;
            }
        }
        return c.await(timeoutS);
    }

    /** The time-correction estimator, or null if none has started. */
    public TimeCorrector timeCorrector() {
        return corrector;
    }

    @Override
    public int samplesAvailable() {
        return queue.size();
    }

    @Override
    public long droppedSamples() {
        return queue.dropped();
    }

    @Override
    public boolean lost() {
        return lost;
    }

    /**
     * Staleness of pulled samples (now minus time-corrected timestamp), ns. Owned by the pulling thread: read it
     * from that thread or after pulls stop.
     */
    public Histogram staleness() {
        return staleness;
    }

    /** Asks the pulling thread to clear the staleness histogram at its next pull (e.g. when a live phase starts). */
    public void requestStalenessReset() {
        stalenessResetRequested = true;
    }

    /** Samples the receive buffer holds before it drops the oldest (bounded by {@code inletMaxBufferBytes}). */
    public int bufferCapacity() { return queue.capacity(); }
    public long connects() { return connects.get(); }
    public long recoveries() { return recoveries.get(); }
    public long errors() { return errorCount.get(); }
    public long samplesReceived() { return samplesReceived.get(); }
}
