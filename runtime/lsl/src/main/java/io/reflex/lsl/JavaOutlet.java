package io.reflex.lsl;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.agrona.ErrorHandler;

/**
 * Pure-Java LSL outlet speaking protocol 1.10 (docs/lsl-wire.md A3–A6).
 *
 * <p>Threads: one TCP acceptor, one UDP service thread (time probes, shortinfo), one sender per connected inlet;
 * plus the process-wide discovery responder. The handshake is {@link FeedHeaders}'s. A push encodes the sample once
 * into a staging buffer and copies it into every connection's bounded queue (oldest dropped and counted when full);
 * each sender encodes what its queue holds (numeric samples straight from their slots) into its send buffer and
 * drains it in one socket write, so a burst goes out in one segment and a lone sample goes out at once
 * (TCP_NODELAY).
 */
public final class JavaOutlet implements StreamOutlet {
    /** Conversions per second we claim when a big-endian client offers to convert (liblsl measures its own). */
    static final double ENDIAN_PERFORMANCE = 1.0e8;
    private static final int SENDER_SPIN_ITERATIONS = 200;

    private final LslConfig config;
    private final ErrorHandler errors;
    private final StreamInfo info;
    private final ChannelFormat format;
    private final int channels;
    private final double srate;
    private final ServerSocket server;
    private final DatagramChannel service;
    private final Thread acceptorThread;
    private final Thread serviceThread;
    private final DiscoveryResponder responder;
    private final DiscoveryResponder.Registration registration;
    private final Object connectionsLock = new Object();
    private volatile Connection[] connections = new Connection[0];
    private final List<Thread> handshakeThreads = new ArrayList<>();
    private final List<Socket> openSockets = new ArrayList<>();
    private byte[] staging;
    private volatile boolean closed;

    /**
     * Classes that only a connection uses, loaded with this class: a process out of file descriptors cannot load a
     * class from a directory on the class path, and a failed resolution is final (JVMS 5.4.3), so an outlet that
     * first met a peer while out of descriptors would never serve a consumer again. {@link LslError} is among them:
     * the acceptor reports "accept failed" with one exactly when descriptors have run out.
     */
    private static final Class<?>[] CONNECTION_CLASSES = {Connection.class, SampleQueue.class,
        Net.DeadlineInput.class, SocketTimeoutException.class, TestPattern.class, FeedHeaders.class,
        FeedHeaders.Feed.class, FeedHeaders.Refusal.class, FeedHeaders.StreamLines.class, LslError.class};
    /** The test pattern (A5) for little- and big-endian consumers, made once (its classes loaded with it). */
    private final byte[] testPatternLittle;
    private final byte[] testPatternBig;
    private final byte[] fullInfo;

    private final AtomicLong samplesPushed = new AtomicLong();
    private final AtomicLong connectionsAccepted = new AtomicLong();
    private final AtomicLong requestsRefused = new AtomicLong();
    private final AtomicLong timeProbesAnswered = new AtomicLong();
    private final AtomicLong errorCount = new AtomicLong();
    private final AtomicLong droppedClosed = new AtomicLong();
    private final AtomicLong acceptFailures = new AtomicLong();
    private final AtomicLong connectionsShed = new AtomicLong();
    private final AtomicLong handshakeTimeouts = new AtomicLong();
    /** Connections between accept and the end of their handshake (info requests included). */
    private final AtomicInteger handshaking = new AtomicInteger();
    /** Open feeds (consumers), including the ones that asked for no samples. */
    private final AtomicInteger feeds = new AtomicInteger();

    /**
     * Creates the outlet and starts serving at once.
     *
     * @param description name, type, channels, format, rate, source_id and desc; uid and ports are assigned here
     */
    public JavaOutlet(StreamInfo description, LslConfig config, ErrorHandler errors) {
        this.config = config.conclude();
        this.errors = errors;
        this.format = description.channelFormat();
        this.channels = description.channelCount();
        this.srate = description.nominalSrate();
        ServerSocket tcp = null;
        DatagramChannel udp = null;
        try {
            tcp = Net.bindTcp(config);
            udp = Net.bindUdp(config);
        } catch (IOException e) {
            closeQuietly(tcp);
            closeQuietly(udp);
            throw new IllegalStateException("cannot bind LSL outlet sockets on " + config.bindAddress() + ": "
                    + e.getMessage(), e);
        }
        this.server = tcp;
        this.service = udp;
        this.info = description.toBuilder()
                .uid(java.util.UUID.randomUUID().toString())
                .createdAt(LslClock.now())
                .hostname(Net.hostname())
                .sessionId(description.sessionId().isEmpty() || "default".equals(description.sessionId())
                        ? config.sessionId() : description.sessionId())
                .v4dataPort(tcp.getLocalPort())
                .v4servicePort(((InetSocketAddress) localAddress(udp)).getPort())
                .build();
        this.staging = new byte[format.isNumeric() ? format.valueBytes() * channels : 256];
        this.testPatternLittle = TestPattern.wire(format, channels, false);
        this.testPatternBig = TestPattern.wire(format, channels, true);
        this.fullInfo = info.toFullXml().getBytes(StandardCharsets.UTF_8);
        FeedHeaders.warmUp(info);
        new QueryMatcher(info).matches("name='" + info.name() + "'");
        SampleQueue.capacityWithin(1, Math.max(1, staging.length), this.config.outletConsumerMaxBytes());
        this.registration = new DiscoveryResponder.Registration(info);
        this.responder = DiscoveryResponder.register(config, registration, errors);
        String tag = info.name() + "@" + info.v4dataPort();
        this.acceptorThread = new Thread(this::acceptLoop, "lsl-outlet-accept-" + tag);
        this.serviceThread = new Thread(this::serviceLoop, "lsl-outlet-service-" + tag);
        acceptorThread.setDaemon(true);
        serviceThread.setDaemon(true);
        acceptorThread.start();
        serviceThread.start();
    }

    private static SocketAddress localAddress(DatagramChannel ch) {
        try {
            return ch.getLocalAddress();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public StreamInfo info() {
        return info;
    }

    // ------------------------------------------------------------------ push

    private double stamp(double timestamp) {
        return timestamp == 0.0 ? LslClock.now() : timestamp;
    }

    private void requireNumeric(int length, int samples) {
        if (!format.isNumeric()) {
            throw new IllegalArgumentException("stream '" + info.name() + "' has format string; push String[]");
        }
        if (length < channels * samples) {
            throw new IllegalArgumentException("need " + channels * samples + " values for " + samples
                    + " sample(s) of " + channels + " channels, got " + length);
        }
    }

    private void enqueue(double timestamp, boolean explicit, byte[] src, int length) {
        Connection[] cs = connections;
        for (Connection c : cs) {
            c.queue.offer(timestamp, explicit, src, 0, length);
        }
        samplesPushed.incrementAndGet();
    }

    @Override
    public void pushSample(float[] values, double timestamp) {
        requireNumeric(values.length, 1);
        Wire.storeFloats(format, values, 0, channels, staging, 0);
        enqueue(stamp(timestamp), true, staging, staging.length);
    }

    @Override
    public void pushSample(double[] values, double timestamp) {
        requireNumeric(values.length, 1);
        Wire.storeDoubles(format, values, 0, channels, staging, 0);
        enqueue(stamp(timestamp), true, staging, staging.length);
    }

    @Override
    public void pushSample(int[] values, double timestamp) {
        requireNumeric(values.length, 1);
        Wire.storeInts(format, values, 0, channels, staging, 0);
        enqueue(stamp(timestamp), true, staging, staging.length);
    }

    @Override
    public void pushSample(short[] values, double timestamp) {
        requireNumeric(values.length, 1);
        Wire.storeShorts(format, values, 0, channels, staging, 0);
        enqueue(stamp(timestamp), true, staging, staging.length);
    }

    @Override
    public void pushSample(byte[] values, double timestamp) {
        requireNumeric(values.length, 1);
        Wire.storeBytes(format, values, 0, channels, staging, 0);
        enqueue(stamp(timestamp), true, staging, staging.length);
    }

    @Override
    public void pushSample(long[] values, double timestamp) {
        requireNumeric(values.length, 1);
        Wire.storeLongs(format, values, 0, channels, staging, 0);
        enqueue(stamp(timestamp), true, staging, staging.length);
    }

    @Override
    public void pushSample(String[] values, double timestamp) {
        if (format != ChannelFormat.STRING) {
            throw new IllegalArgumentException("stream '" + info.name() + "' has format " + format.wireName()
                    + "; String[] needs format string");
        }
        if (values.length < channels) {
            throw new IllegalArgumentException("need " + channels + " strings, got " + values.length);
        }
        byte[][] encoded = new byte[channels][];
        for (int i = 0; i < channels; i++) {
            encoded[i] = values[i] == null ? new byte[0] : values[i].getBytes(StandardCharsets.UTF_8);
        }
        pushStringBytes(encoded, timestamp);
    }

    /** Pushes a string sample given as raw bytes per channel (NULs allowed). */
    public void pushStringBytes(byte[][] values, double timestamp) {
        if (format != ChannelFormat.STRING || values.length < channels) {
            throw new IllegalArgumentException("need " + channels + " byte strings for a string stream");
        }
        int n = Wire.stringStorageBytes(values, channels);
        if (staging.length < n) {
            staging = new byte[Math.max(n, staging.length * 2)];
        }
        Wire.storeStrings(values, channels, staging, 0);
        enqueue(stamp(timestamp), true, staging, n);
    }

    @Override
    public void pushChunk(float[] data, int samples, double timestamp) {
        requireNumeric(data.length, samples);
        double last = stamp(timestamp);
        double dt = srate > 0 ? 1.0 / srate : 0.0;
        for (int s = 0; s < samples; s++) {
            Wire.storeFloats(format, data, s * channels, channels, staging, 0);
            enqueue(last - (samples - 1 - s) * dt, s == 0, staging, staging.length);
        }
    }

    @Override
    public void pushChunk(double[] data, int samples, double timestamp) {
        requireNumeric(data.length, samples);
        double last = stamp(timestamp);
        double dt = srate > 0 ? 1.0 / srate : 0.0;
        for (int s = 0; s < samples; s++) {
            Wire.storeDoubles(format, data, s * channels, channels, staging, 0);
            enqueue(last - (samples - 1 - s) * dt, s == 0, staging, staging.length);
        }
    }

    @Override
    public void pushChunk(float[] data, int samples, double[] timestamps) {
        requireNumeric(data.length, samples);
        for (int s = 0; s < samples; s++) {
            Wire.storeFloats(format, data, s * channels, channels, staging, 0);
            enqueue(stamp(timestamps[s]), true, staging, staging.length);
        }
    }

    @Override
    public void pushChunk(double[] data, int samples, double[] timestamps) {
        requireNumeric(data.length, samples);
        for (int s = 0; s < samples; s++) {
            Wire.storeDoubles(format, data, s * channels, channels, staging, 0);
            enqueue(stamp(timestamps[s]), true, staging, staging.length);
        }
    }

    @Override
    public void pushChunk(short[] data, int samples, double[] timestamps) {
        requireNumeric(data.length, samples);
        for (int s = 0; s < samples; s++) {
            Wire.storeShorts(format, data, s * channels, channels, staging, 0);
            enqueue(stamp(timestamps[s]), true, staging, staging.length);
        }
    }

    @Override
    public boolean haveConsumers() {
        return connections.length > 0;
    }

    @Override
    public boolean waitForConsumers(double timeoutS) {
        long deadline = System.nanoTime() + (long) (timeoutS * 1e9);
        Thread me = Thread.currentThread();
        synchronized (connectionsLock) {
            while (connections.length == 0 && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || me.isInterrupted()) {
                    return false;
                }
                try {
                    connectionsLock.wait(Math.max(1, left / 1_000_000), 0);
                } catch (InterruptedException e) {
                    me.interrupt();
                    return false;
                }
            }
            return connections.length > 0;
        }
    }

    /** Counters for operators and tests. */
    public long samplesPushed() { return samplesPushed.get(); }
    public long connectionsAccepted() { return connectionsAccepted.get(); }
    public long requestsRefused() { return requestsRefused.get(); }
    /** Failed accepts (e.g. out of file descriptors); the acceptor backs off and goes on. */
    public long acceptFailures() { return acceptFailures.get(); }
    /**
     * Connections closed at once because {@code outletMaxPendingConnections} peers were mid-handshake (or no thread
     * could be started for them).
     */
    public long connectionsShed() { return connectionsShed.get(); }
    /** Connections closed because their request did not arrive within {@code handshakeTimeoutS}. */
    public long handshakeTimeouts() { return handshakeTimeouts.get(); }
    /** Open consumers (feeds). */
    public int consumers() { return feeds.get(); }
    public long timeProbesAnswered() { return timeProbesAnswered.get(); }
    public long errors() { return errorCount.get(); }
    public int consumerCount() { return connections.length; }

    /** Samples dropped by full per-connection queues (live and closed connections). */
    public long droppedSamples() {
        long n = droppedClosed.get();
        for (Connection c : connections) {
            n += c.queue.dropped();
        }
        return n;
    }

    // ------------------------------------------------------------------ threads

    private void acceptLoop() {
        long backoffNs = 0;
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                // EMFILE/ENFILE and friends are transient: the acceptor backs off (10 ms doubling to 1 s) and keeps
                // serving; only the first failure of a run of them is reported, so a long shortage logs one line
                acceptFailures.incrementAndGet();
                if (backoffNs == 0) {
                    error("acceptor", "accept failed: " + e.getMessage() + "; retrying with back-off", e);
                }
                backoffNs = backoffNs == 0 ? 10_000_000L : Math.min(1_000_000_000L, backoffNs * 2);
                LockSupport.parkNanos(backoffNs);
                continue;
            }
            if (backoffNs != 0) {
                errors.onError(new LslError("outlet '" + info.name() + "' acceptor", "accepting again after "
                        + acceptFailures.get() + " failed accepts in total", null));
                backoffNs = 0;
            }
            connectionsAccepted.incrementAndGet();
            if (handshaking.incrementAndGet() > config.outletMaxPendingConnections()) {
                // more peers mid-handshake than allowed: shed this one before it costs a thread
                handshaking.decrementAndGet();
                connectionsShed.incrementAndGet();
                closeQuietly(s);
                continue;
            }
            Thread t = new Thread(() -> serve(s), "lsl-outlet-conn-" + info.name() + "@" + s.getPort());
            t.setDaemon(true);
            synchronized (handshakeThreads) {
                if (closed) {
                    handshaking.decrementAndGet();
                    closeQuietly(s);
                    return;
                }
                handshakeThreads.removeIf(x -> !x.isAlive());
                handshakeThreads.add(t);
                openSockets.add(s);
            }
            try {
                t.start();
            } catch (OutOfMemoryError e) {
                // "unable to create native thread": this peer is shed, the acceptor lives on
                synchronized (handshakeThreads) {
                    handshakeThreads.remove(t);
                    openSockets.remove(s);
                }
                handshaking.decrementAndGet();
                connectionsShed.incrementAndGet();
                closeQuietly(s);
                error("acceptor", "no thread for a new connection (" + e.getMessage() + "); the peer was closed",
                        null);
            }
        }
    }

    private void serviceLoop() {
        ByteBuffer buf = ByteBuffer.allocate(65536);
        QueryMatcher matcher = new QueryMatcher(info);
        byte[] shortInfo = info.toShortXml().getBytes(StandardCharsets.UTF_8);
        ByteBuffer timeReply = ByteBuffer.allocate(UdpRequests.TIME_REPLY_CAPACITY);
        try {
            UdpRequests.warmUpTimeProbes(() -> closed);
        } catch (IOException | RuntimeException e) {
            // Not fatal: probes are answered unwarmed, only less accurately.
            error("service socket", "time-probe warm-up: " + e, e);
        }
        while (!closed) {
            try {
                buf.clear();
                SocketAddress from = service.receive(buf);
                long t1Ns = LslClock.nowNs();
                buf.flip();
                if (from instanceof InetSocketAddress src) {
                    boolean probe = buf.remaining() >= 12 && buf.get(4) == 't';
                    int rc = UdpRequests.handle(buf, src, matcher, shortInfo, service, true, timeReply, t1Ns);
                    if (rc == UdpRequests.ANSWERED && probe) {
                        timeProbesAnswered.incrementAndGet();
                    } else if (rc == UdpRequests.MALFORMED) {
                        error("service socket", "malformed datagram from " + src, null);
                    }
                }
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                if (closed) {
                    return;
                }
                error("service socket", e.toString(), e);
            }
        }
    }

    private void error(String where, String message, Throwable cause) {
        errorCount.incrementAndGet();
        errors.onError(new LslError("outlet '" + info.name() + "' " + where, message, cause));
    }

    /** Serves one TCP connection: dispatches on the request line, then (for a feed) runs the sender loop. */
    private void serve(Socket socket) {
        String peer = String.valueOf(socket.getRemoteSocketAddress());
        boolean[] handshakeOver = {false};
        try (socket) {
            socket.setTcpNoDelay(true);
            // the whole request within handshakeTimeoutS: a peer sending one byte per second is cut off
            long deadlineNs = System.nanoTime() + (long) (config.handshakeTimeoutS() * 1e9);
            InputStream in = new BufferedInputStream(Net.deadlineInput(socket, deadlineNs), 4096);
            OutputStream out = socket.getOutputStream();
            String request = Net.readLine(in);
            if (request == null) {
                return;
            }
            if (request.equals("LSL:fullinfo")) {
                out.write(fullInfo);
                out.flush();
                return;
            }
            if (request.equals("LSL:shortinfo")) {
                String query = Net.readLine(in);
                if (query != null && new QueryMatcher(info).matches(query)) {
                    out.write(info.toShortXml().getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
                return;
            }
            if (request.equals("LSL:streamfeed")) {
                refuse(out, "505 Protocol 1.00 not supported", peer, request);
                return;
            }
            if (request.startsWith(FeedHeaders.FEED_PREFIX)) {
                streamfeed(socket, in, out, request, peer, handshakeOver);
                return;
            }
            refuse(out, "400 Bad request", peer, request);
        } catch (SocketTimeoutException e) {
            if (!closed) {
                handshakeTimeouts.incrementAndGet();
                error("connection " + peer, "handshake not finished within handshakeTimeoutS ("
                        + config.handshakeTimeoutS() + " s); closed", null);
            }
        } catch (SocketException e) {
            if (!closed) {
                error("connection " + peer, "closed: " + e.getMessage(), null);
            }
        } catch (IOException | RuntimeException | LinkageError e) {
            // LinkageError: a class could not be loaded (out of file descriptors); this peer is lost, not the thread
            if (!closed) {
                error("connection " + peer, e.toString(), e);
            }
        } finally {
            if (!handshakeOver[0]) {
                handshaking.decrementAndGet();
            }
            synchronized (handshakeThreads) {
                openSockets.remove(socket);
            }
        }
    }

    private void refuse(OutputStream out, String status, String peer, String request) throws IOException {
        requestsRefused.incrementAndGet();
        out.write(FeedHeaders.refusal(status).getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String shown = request.length() > 80 ? request.substring(0, 80) + "..." : request;
        error("connection " + peer, "refused '" + shown + "' with " + status, null);
    }

    /** Negotiates a 1.10 feed (A3, {@link FeedHeaders}) and streams samples until the peer or the outlet goes away. */
    private void streamfeed(Socket socket, InputStream in, OutputStream out, String request, String peer,
            boolean[] handshakeOver) throws IOException {
        FeedHeaders.Feed offer;
        try {
            offer = FeedHeaders.readRequest(request, new FeedHeaders.StreamLines(in), info);
        } catch (FeedHeaders.Refusal r) {
            refuse(out, r.status(), peer, request);
            return;
        }
        if (offer == null) {
            return;
        }
        int slotBytes = format.isNumeric() ? format.valueBytes() * channels : 64;
        long maxBufferLength = offer.maxBufferLength();
        int capacity = maxBufferLength == 0 ? 0 : SampleQueue.capacityWithin(
                (int) Math.min(maxBufferLength, config.outletMaxQueueSamples()), slotBytes,
                config.outletConsumerMaxBytes());
        if (capacity < 0) {
            refuse(out, "503 A sample of " + slotBytes + " bytes exceeds the consumer budget of "
                    + config.outletConsumerMaxBytes() + " bytes", peer, request);
            return;
        }
        if (feeds.incrementAndGet() > config.outletMaxConsumers()) {
            feeds.decrementAndGet();
            refuse(out, "503 Too many consumers (" + config.outletMaxConsumers() + ")", peer, request);
            return;
        }
        try {
            handshaking.decrementAndGet();
            handshakeOver[0] = true;
            feed(socket, out, capacity, slotBytes, offer);
        } finally {
            feeds.decrementAndGet();
        }
    }

    /** Answers 200 and streams samples (or, for a consumer asking for none, holds the connection). */
    private void feed(Socket socket, OutputStream out, int capacity, int slotBytes, FeedHeaders.Feed offer)
            throws IOException {
        boolean bigEndian = offer.bigEndian();
        String response = FeedHeaders.response(info.uid(), offer);
        if (capacity == 0) {
            // liblsl sends nothing more to a consumer with Max-Buffer-Length 0; hold the connection until the peer
            // leaves (it counts as a consumer)
            out.write(response.getBytes(StandardCharsets.US_ASCII));
            out.write(bigEndian ? testPatternBig : testPatternLittle);
            out.flush();
            socket.setSoTimeout(0);
            InputStream raw = socket.getInputStream();
            byte[] sink = new byte[256];
            while (!closed && raw.read(sink) >= 0) {
                Thread.onSpinWait();
            }
            return;
        }
        Connection c = new Connection(socket, out, new SampleQueue(capacity, slotBytes), bigEndian,
                offer.suppressSubnormals());
        // Registered before the response goes out, so every sample pushed after the inlet has seen the test
        // pattern reaches it (it waits in the queue behind the pattern).
        addConnection(c);
        try {
            out.write(response.getBytes(StandardCharsets.US_ASCII));
            out.write(bigEndian ? testPatternBig : testPatternLittle);
            out.flush();
            socket.setSoTimeout(0);
            c.run();
        } finally {
            removeConnection(c);
        }
    }

    private void addConnection(Connection c) {
        synchronized (connectionsLock) {
            Connection[] old = connections;
            Connection[] next = java.util.Arrays.copyOf(old, old.length + 1);
            next[old.length] = c;
            connections = next;
            connectionsLock.notifyAll();
        }
    }

    private void removeConnection(Connection c) {
        synchronized (connectionsLock) {
            List<Connection> keep = new ArrayList<>(List.of(connections));
            keep.remove(c);
            connections = keep.toArray(new Connection[0]);
            droppedClosed.addAndGet(c.queue.dropped());
        }
    }

    /** One consumer: its queue and the sender loop that drains it into the socket. */
    private final class Connection {
        final Socket socket;
        final OutputStream out;
        final SampleQueue queue;
        final boolean bigEndian;
        final boolean suppress;
        byte[] sendBuf = new byte[config.sendBufferBytes()];
        /** String samples only: a slot's copy (numeric samples are encoded from the slot itself). */
        byte[] scratch = format.isNumeric() ? null : new byte[256];
        volatile Thread thread;

        Connection(Socket socket, OutputStream out, SampleQueue queue, boolean bigEndian, boolean suppress) {
            this.socket = socket;
            this.out = out;
            this.queue = queue;
            this.bigEndian = bigEndian;
            this.suppress = suppress;
        }

        void run() throws IOException {
            thread = Thread.currentThread();
            boolean first = true;
            long seenDrops = 0;
            while (!closed && !socket.isClosed()) {
                if (!queue.await(Long.MAX_VALUE, SENDER_SPIN_ITERATIONS)) {
                    if (Thread.currentThread().isInterrupted()) {
                        return;
                    }
                    continue;
                }
                int pos = 0;
                while (true) {
                    int slot = queue.readSlot();
                    if (slot < 0) {
                        break;
                    }
                    double ts = queue.timestamp(slot);
                    // The deduced-timestamp chain restarts at 0.0 on every connection and breaks on a drop.
                    boolean explicit = queue.isExplicit(slot) || first || queue.dropped() != seenDrops;
                    int len = queue.length(slot);
                    int end;
                    if (scratch == null) {
                        // Numeric: encoded straight from the slot (a fixed size, whatever its bytes hold); if the
                        // pusher dropped the slot meanwhile, the commit fails and the encoded bytes are not kept.
                        pos = room(pos, 9 + format.valueBytes() * channels);
                        end = Wire.encodeSample(format, channels, explicit, ts, queue.buffer(slot), 0, bigEndian,
                                suppress, sendBuf, pos);
                        if (!queue.commitRead()) {
                            continue;
                        }
                    } else {
                        // Strings: their lengths size the encoding, so the slot is copied out and confirmed first.
                        if (scratch.length < len) {
                            scratch = new byte[Math.max(len, scratch.length * 2)];
                        }
                        System.arraycopy(queue.buffer(slot), 0, scratch, 0, len);
                        if (!queue.commitRead()) {
                            continue;
                        }
                        pos = room(pos, 9 + Wire.wireValueBytes(format, channels, scratch, 0, len));
                        end = Wire.encodeSample(format, channels, explicit, ts, scratch, 0, bigEndian, suppress,
                                sendBuf, pos);
                    }
                    long drops = queue.dropped();
                    if (first || drops != seenDrops) {
                        if (!explicit) {
                            // a drop counted after the encoding (its head moved before this slot was read)
                            end = Wire.retagExplicit(sendBuf, pos, end, ts, bigEndian);
                        }
                        first = false;
                        seenDrops = drops;
                    }
                    pos = end;
                }
                if (pos > 0) {
                    out.write(sendBuf, 0, pos);
                }
            }
        }

        /** Makes room for {@code need} bytes after {@code pos} (writing out what is there); returns the new pos. */
        private int room(int pos, int need) throws IOException {
            if (pos + need <= sendBuf.length) {
                return pos;
            }
            if (pos > 0) {
                out.write(sendBuf, 0, pos);
            }
            if (need > sendBuf.length) {
                sendBuf = new byte[need];
            }
            return 0;
        }
    }

    /** Samples queued for the connected inlets and not yet handed to their sockets. */
    public int unsentSamples() {
        int n = 0;
        for (Connection c : connections) {
            n += c.queue.size();
        }
        return n;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (responder != null) {
            responder.unregister(registration);
        }
        closeQuietly(server);
        closeQuietly(service);
        for (Connection c : connections) {
            closeQuietly(c.socket);
            Thread t = c.thread;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
        List<Thread> toJoin;
        synchronized (handshakeThreads) {
            toJoin = new ArrayList<>(handshakeThreads);
            for (Socket s : openSockets) {
                closeQuietly(s);
            }
        }
        join(acceptorThread);
        join(serviceThread);
        for (Thread t : toJoin) {
            t.interrupt();
            join(t);
        }
        synchronized (connectionsLock) {
            connectionsLock.notifyAll();
        }
    }

    private static void join(Thread t) {
        try {
            t.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception ignored) {
            // Closing during shutdown: nothing useful to do with the error.
        }
    }
}
