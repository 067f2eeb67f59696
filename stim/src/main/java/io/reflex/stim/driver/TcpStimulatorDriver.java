package io.reflex.stim.driver;

import io.reflex.stim.StimCommand;
import io.reflex.stim.StimLink;
import io.reflex.stim.StimVerdict;
import io.reflex.stim.StimulatorDriver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * Reference {@link StimulatorDriver} speaking the Reflex stimulator protocol (stim/PROTOCOL.md) over TCP.
 *
 * <p><b>Threads.</b> Connecting and the HELLO handshake run on the driver's own link thread
 * ({@link #requestConnect()}), within {@code connectTimeoutMs} in total, never on the owning (pipeline) thread,
 * which only asks {@link #isConnected()}: a stimulator that accepts the connection and then stalls or trickles
 * its HELLO_ACK delays nothing but the link thread, and not beyond the deadline. The finished session is handed
 * over to the owning thread, which takes it up in its next {@link #doWork}. {@link #connect()} and
 * {@link #probe()} run the same bounded handshake on the calling thread, for start-up and tests.
 *
 * <p>Once connected the socket is non-blocking and the
 * owning thread's {@link #send}, {@link #stopAll} and {@link #doWork} never block and allocate nothing on the normal
 * path. While no acknowledgement is outstanding, {@link #doWork} touches the socket only when a heartbeat is due
 * (one read and one write per heartbeat interval), so an idle closed loop makes few system calls. Any of these drops the link and raises an {@link #alarm()}: end of stream, an I/O error, a corrupt frame,
 * a negative acknowledgement (the stimulator judged a command unsafe or late), an ALARM frame, an ACK missing for
 * longer than {@code ackTimeoutNs}, silence from the stimulator for longer than {@code heartbeatTimeoutNs}, or a
 * frame the socket cannot take at once. A dropped link stays down until a connection is requested again.
 */
public final class TcpStimulatorDriver implements StimulatorDriver, StimLink {
    private final Context ctx;
    private final NanoClock clock;
    private final StimWire wire = new StimWire();
    private final ByteBuffer tx = ByteBuffer.allocateDirect(4 * StimWire.MAX_FRAME).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer rx = ByteBuffer.allocateDirect(64 * 1024).order(ByteOrder.LITTLE_ENDIAN);
    private final long[] outstandingSeq;
    private final long[] outstandingAtNs;
    private int outHead;
    private int outCount;

    private volatile SocketChannel channel;
    private volatile boolean connected;
    private volatile String alarm = "not connected";

    // Link thread and hand-over (guarded by linkLock unless volatile/atomic).
    private final Object linkLock = new Object();
    private final AtomicReference<Session> handover = new AtomicReference<>();
    private final AtomicLong connectFailures = new AtomicLong();
    private Thread linkThread;
    private long linkGeneration;
    private long requestedGeneration = -1;
    private volatile int linkState = LINK_DOWN;
    private volatile SocketChannel connecting;
    private volatile boolean closed;
    private long sessions;
    private long lastRxNs;
    private long lastTxNs;
    private long heartbeatSeq;
    private long framesSent;
    private long acksReceived;
    private long linkDrops;

    private TcpStimulatorDriver(Context ctx) {
        this.ctx = ctx;
        this.clock = ctx.clock;
        outstandingSeq = new long[ctx.maxOutstanding];
        outstandingAtNs = new long[ctx.maxOutstanding];
    }

    @Override
    public String name() {
        return "tcp:" + ctx.host.getHostAddress() + ":" + ctx.port;
    }

    /**
     * Asks the driver's own link thread to connect and open a session (HELLO / HELLO_ACK) within
     * {@code connectTimeoutMs} in total; returns at once. Ignored while a connection is being opened or is up. The
     * owning thread adopts the session in its next {@link #doWork} (from then on {@link #isConnected()} is true);
     * a failure shows as {@link #LINK_FAILED} with the reason in {@link #alarm()}. Any thread.
     *
     * @return true when a new attempt was started
     */
    @Override
    public boolean requestConnect() {
        synchronized (linkLock) {
            if (closed || linkState == LINK_CONNECTING || connected) {
                return false;
            }
            linkState = LINK_CONNECTING;
            final long generation = linkGeneration;
            if (linkThread == null) {
                linkThread = new Thread(this::linkLoop, "reflex-stim-link");
                linkThread.setDaemon(true);
                linkThread.start();
            }
            requestedGeneration = generation;
            linkLock.notifyAll();
            return true;
        }
    }

    /** {@link #LINK_DOWN}, {@link #LINK_CONNECTING}, {@link #LINK_UP} or {@link #LINK_FAILED}. Any thread. */
    @Override
    public int linkState() {
        return connected ? LINK_UP : linkState;
    }

    /** Connection attempts (requested or blocking) that failed. */
    @Override
    public long connectFailures() {
        return connectFailures.get();
    }

    /**
     * Connects and opens a session on the calling thread, blocking up to {@code connectTimeoutMs} in total (connect,
     * HELLO and HELLO_ACK together: a stimulator that trickles its answer cannot stretch it). For start-up and
     * tests, before the owning thread runs; the closed loop uses {@link #requestConnect()}.
     *
     * @throws IOException naming the address and the cause
     */
    public TcpStimulatorDriver connect() throws IOException {
        closeQuietly();
        connected = false;
        Session session;
        try {
            session = openSession(System.nanoTime() + ctx.connectTimeoutMs * 1_000_000L);
        } catch (IOException e) {
            connectFailures.incrementAndGet();
            alarm = e.getMessage();
            linkState = LINK_FAILED;
            throw e;
        }
        adopt(session, clock.nanoTime());
        return this;
    }

    /**
     * Opens a session and closes it again at once, on the calling thread, within {@code connectTimeoutMs} in total:
     * the start-up check that the stimulator is there and speaks the protocol. Leaves the driver as it was.
     *
     * @throws IOException naming the address and the cause
     */
    public void probe() throws IOException {
        Session session = openSession(System.nanoTime() + ctx.connectTimeoutMs * 1_000_000L);
        session.channel.close();
    }

    /** The link thread: opens one session per request, hands it to the owner, never touches the owner's state. */
    private void linkLoop() {
        while (true) {
            final long generation;
            synchronized (linkLock) {
                while (!closed && requestedGeneration < 0) {
                    try {
                        linkLock.wait();
                    } catch (InterruptedException e) {
                        if (closed) {
                            return;
                        }
                    }
                }
                if (closed) {
                    return;
                }
                generation = requestedGeneration;
                requestedGeneration = -1;
            }
            Session session = null;
            String failure = null;
            try {
                session = openSession(System.nanoTime() + ctx.connectTimeoutMs * 1_000_000L);
                session.generation = generation;
            } catch (IOException | RuntimeException e) {
                failure = e.getMessage();
            }
            synchronized (linkLock) {
                if (session != null && !closed && generation == linkGeneration) {
                    Session stale = handover.getAndSet(session);
                    closeSession(stale);
                } else {
                    closeSession(session);
                    if (failure == null) {
                        failure = "connection attempt cancelled (aborted or closed)";
                    }
                    connectFailures.incrementAndGet();
                    alarm = failure;
                    linkState = LINK_FAILED;
                }
            }
        }
    }

    /**
     * Connect, HELLO, HELLO_ACK on a non-blocking channel, every wait bounded by what is left of {@code deadlineNs}
     * ({@code System.nanoTime()}: the deadline is wall time whatever clock the protocol uses).
     */
    private Session openSession(long deadlineNs) throws IOException {
        SocketChannel ch = SocketChannel.open();
        connecting = ch;
        try (Selector selector = Selector.open()) {
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            if (!ch.connect(new InetSocketAddress(ctx.host, ctx.port))) {
                SelectionKey key = ch.register(selector, SelectionKey.OP_CONNECT);
                while (!ch.finishConnect()) {
                    await(selector, key, SelectionKey.OP_CONNECT, deadlineNs, "connect");
                }
            }
            ByteBuffer hello = ByteBuffer.allocate(StimWire.MAX_FRAME).order(ByteOrder.LITTLE_ENDIAN);
            StimWire w = new StimWire();
            w.begin(hello, StimWire.HELLO, 0);
            hello.putLong(clock.nanoTime());
            hello.putInt((int) (ctx.heartbeatIntervalNs / 1000));
            hello.putInt((int) (ctx.heartbeatTimeoutNs / 1000));
            if (ctx.sessionToken != null) {
                hello.putShort((short) ctx.sessionToken.length);
                hello.put(ctx.sessionToken);
            }
            w.finish(hello, 0);
            hello.flip();
            SelectionKey key = ch.keyFor(selector) != null ? ch.keyFor(selector) : ch.register(selector, 0);
            while (hello.hasRemaining()) {
                if (ch.write(hello) == 0) {
                    await(selector, key, SelectionKey.OP_WRITE, deadlineNs, "HELLO");
                }
            }
            ByteBuffer in = ByteBuffer.allocate(rx.capacity()).order(ByteOrder.LITTLE_ENDIAN);
            while (true) {
                int n = ch.read(in);
                if (n < 0) {
                    throw new IOException("stimulator closed the connection during HELLO");
                }
                if (n == 0) {
                    await(selector, key, SelectionKey.OP_READ, deadlineNs, "HELLO_ACK");
                    continue;
                }
                in.flip();
                int r = w.parse(in);
                if (r == StimWire.FRAME) {
                    if (w.type() != StimWire.HELLO_ACK) {
                        throw new IOException("expected HELLO_ACK, got " + StimWire.typeName(w.type()));
                    }
                    byte[] leftover = new byte[in.remaining()];
                    in.get(leftover);
                    return new Session(ch, leftover);
                }
                if (r == StimWire.CORRUPT) {
                    throw new IOException("corrupt frame during HELLO");
                }
                in.compact();
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            throw new IOException("cannot connect to stimulator at " + ctx.host.getHostAddress() + ":" + ctx.port
                    + ": " + e.getMessage(), e);
        } finally {
            connecting = null;
        }
    }

    private void await(Selector selector, SelectionKey key, int op, long deadlineNs, String what) throws IOException {
        long leftNs = deadlineNs - System.nanoTime();
        if (leftNs <= 0) {
            throw new IOException(what + " not complete within the connect deadline of " + ctx.connectTimeoutMs
                    + " ms (connect, HELLO and HELLO_ACK together)");
        }
        key.interestOps(op);
        selector.select(Math.max(1, (leftNs + 999_999) / 1_000_000));
        selector.selectedKeys().clear();
        if (closed) {
            throw new IOException("driver closed");
        }
    }

    /** Owner thread: takes over a session opened by the link thread, unless it was cancelled since. */
    private void adopt(Session s, long nowNs) {
        closeQuietly();
        channel = s.channel;
        rx.clear();
        rx.put(s.leftover);
        lastRxNs = nowNs;
        lastTxNs = nowNs;
        outHead = 0;
        outCount = 0;
        alarm = null;
        linkState = LINK_DOWN;
        connected = true;
        sessions++;
    }

    private static void closeSession(Session s) {
        if (s != null) {
            closeQuietly(s.channel);
        }
    }

    private static void closeQuietly(SocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing a broken socket: nothing left to do
            }
        }
    }

    /** A session opened by the link thread, waiting for the owner. */
    private static final class Session {
        final SocketChannel channel;
        /** Bytes received after the HELLO_ACK, for the owner's receive buffer. */
        final byte[] leftover;
        long generation;

        Session(SocketChannel channel, byte[] leftover) {
            this.channel = channel;
            this.leftover = leftover;
        }
    }

    @Override
    public int send(long sequence, StimCommand command) {
        if (!connected) {
            return DISCONNECTED;
        }
        tx.clear();
        wire.command(tx, sequence, command);
        return writeExpectingAck(sequence);
    }

    @Override
    public int stopAll(long sequence) {
        if (!connected) {
            return DISCONNECTED;
        }
        tx.clear();
        wire.empty(tx, StimWire.STOP_ALL, sequence);
        return writeExpectingAck(sequence);
    }

    private int writeExpectingAck(long sequence) {
        if (outCount == outstandingSeq.length) {
            drop("more than " + outstandingSeq.length + " frames unacknowledged");
            return BACKPRESSURE;
        }
        long now = clock.nanoTime();
        int rc = flush();
        if (rc != OK) {
            return rc;
        }
        int slot = (outHead + outCount) % outstandingSeq.length;
        outstandingSeq[slot] = sequence;
        outstandingAtNs[slot] = now;
        outCount++;
        lastTxNs = now;
        return OK;
    }

    private int flush() {
        tx.flip();
        try {
            SocketChannel ch = channel;
            // A frame is small; a non-blocking socket that cannot take it at once is congested: drop the link.
            for (int attempt = 0; attempt < 3 && tx.hasRemaining(); attempt++) {
                ch.write(tx);
            }
            if (tx.hasRemaining()) {
                drop("socket send buffer full");
                return BACKPRESSURE;
            }
            framesSent++;
            return OK;
        } catch (IOException | RuntimeException e) {
            drop(connected ? "send failed: " + e : alarm);
            return connected ? IO_ERROR : ABORTED;
        }
    }

    @Override
    public int doWork(long nowNs) {
        if (!connected) {
            Session s = handover.getAndSet(null);
            if (s == null) {
                return 0;
            }
            synchronized (linkLock) {
                if (closed || s.generation != linkGeneration) {
                    closeSession(s);
                    connectFailures.incrementAndGet();
                    alarm = "connection attempt cancelled (aborted or closed)";
                    linkState = LINK_FAILED;
                    return 1;
                }
            }
            adopt(s, nowNs);
            return 1;
        }
        // Idle and no heartbeat due: skip the read system call (on a busy machine each one costs microseconds and
        // is a chance to be descheduled). The link is still read at least once per heartbeat interval, which the
        // heartbeat timeout (more than two intervals) allows for.
        if (outCount == 0 && nowNs - lastTxNs < ctx.heartbeatIntervalNs) {
            return 0;
        }
        int work = 0;
        try {
            int n = channel.read(rx);
            if (n < 0) {
                drop("stimulator closed the connection");
                return 1;
            }
            if (n > 0) {
                work++;
                lastRxNs = nowNs;
                rx.flip();
                while (connected) {
                    int r = wire.parse(rx);
                    if (r == StimWire.NEED_MORE) {
                        break;
                    }
                    if (r == StimWire.CORRUPT) {
                        drop("corrupt frame from stimulator");
                        break;
                    }
                    onFrame(rx);
                }
                rx.compact();
            }
        } catch (IOException | RuntimeException e) {
            drop(connected ? "receive failed: " + e : alarm);
            return work + 1;
        }
        if (!connected) {
            return work + 1;
        }
        if (outCount > 0 && nowNs - outstandingAtNs[outHead] > ctx.ackTimeoutNs) {
            drop("no ACK for frame " + outstandingSeq[outHead] + " within " + ctx.ackTimeoutNs / 1000 + " us");
            return work + 1;
        }
        if (nowNs - lastRxNs > ctx.heartbeatTimeoutNs) {
            drop("stimulator silent for " + (nowNs - lastRxNs) / 1000 + " us (bound " + ctx.heartbeatTimeoutNs / 1000
                    + " us)");
            return work + 1;
        }
        if (nowNs - lastTxNs >= ctx.heartbeatIntervalNs) {
            tx.clear();
            wire.heartbeat(tx, ++heartbeatSeq, nowNs);
            if (flush() == OK) {
                lastTxNs = nowNs;
            }
            work++;
        }
        return work;
    }

    private void onFrame(ByteBuffer buf) {
        switch (wire.type()) {
            case StimWire.ACK -> {
                long acked = buf.getLong(wire.payloadOffset());
                int status = buf.getInt(wire.payloadOffset() + 8);
                if (outCount == 0 || outstandingSeq[outHead] != acked) {
                    drop("unexpected ACK for frame " + acked);
                    return;
                }
                outHead = (outHead + 1) % outstandingSeq.length;
                outCount--;
                acksReceived++;
                if (status != StimWire.STATUS_OK) {
                    drop("stimulator rejected frame " + acked + ": " + statusName(status));
                }
            }
            case StimWire.HEARTBEAT -> {
                // liveness only: lastRxNs was updated by the read
            }
            case StimWire.ALARM -> {
                int n = buf.getShort(wire.payloadOffset()) & 0xFFFF;
                byte[] text = new byte[Math.min(n, wire.payloadLength() - 2)];
                buf.get(wire.payloadOffset() + 2, text);
                drop("stimulator alarm: " + new String(text, java.nio.charset.StandardCharsets.UTF_8));
            }
            default -> drop("unexpected " + StimWire.typeName(wire.type()) + " frame from stimulator");
        }
    }

    static String statusName(int status) {
        return switch (status) {
            case StimWire.STATUS_MALFORMED -> "malformed";
            case StimWire.STATUS_LATE -> "late";
            default -> status > 0 ? "unsafe (" + StimVerdict.name(status) + ")" : "status " + status;
        };
    }

    private void drop(String why) {
        if (connected) {
            linkDrops++;
        }
        alarm = why;
        connected = false;
        closeQuietly();
    }

    @Override
    public boolean isConnected() {
        return connected;
    }

    @Override
    public void abort() {
        if (connected) {
            alarm = "aborted (stimulation cut off)";
        }
        connected = false;
        closeQuietly();
        cancelConnect();
    }

    /** Cancels a connection being opened or waiting for the owner: it will not be adopted. */
    private void cancelConnect() {
        synchronized (linkLock) {
            linkGeneration++;
            Session waiting = handover.getAndSet(null);
            if (waiting != null) {
                closeSession(waiting);
                connectFailures.incrementAndGet();
                alarm = "connection attempt cancelled (aborted or closed)";
                linkState = LINK_FAILED;
            }
        }
        closeQuietly(connecting);
    }

    @Override
    public String alarm() {
        return alarm;
    }

    /** Frames sent and not yet acknowledged. */
    public int outstanding() {
        return outCount;
    }

    /** Frames written. */
    public long framesSent() {
        return framesSent;
    }

    /** ACKs received. */
    public long acksReceived() {
        return acksReceived;
    }

    /** Times a live link was dropped. */
    public long linkDrops() {
        return linkDrops;
    }

    /** Releases the link and stops the link thread; the driver cannot connect again. */
    @Override
    public void close() {
        connected = false;
        Thread t;
        synchronized (linkLock) {
            closed = true;
            t = linkThread;
            linkLock.notifyAll();
        }
        closeQuietly();
        cancelConnect();
        if (t != null) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Sessions adopted (connections that completed their handshake and were taken over by the owner). */
    public long sessions() {
        return sessions;
    }

    private void closeQuietly() {
        closeQuietly(channel);
    }

    /** Configuration of a {@link TcpStimulatorDriver}. */
    public static final class Context {
        private InetAddress host = InetAddress.getLoopbackAddress();
        private int port;
        private int connectTimeoutMs = 2000;
        private long heartbeatIntervalNs = 20_000_000L;
        private long heartbeatTimeoutNs = 250_000_000L;
        private long ackTimeoutNs = 100_000_000L;
        private int maxOutstanding = 256;
        private NanoClock clock = SystemNanoClock.INSTANCE;
        private byte[] sessionToken;
        private boolean concluded;

        /**
         * A secret the stimulator requires in HELLO (1 to {@value StimWire#MAX_TOKEN_BYTES} bytes; default none):
         * e.g. the per-run token of an in-process {@link SimulatedStimulator}, so that no other process can open a
         * session with it.
         */
        public Context sessionToken(byte[] v) {
            sessionToken = v == null ? null : v.clone();
            return this;
        }

        /** Stimulator address (default loopback); multicast and wildcard addresses are refused. */
        public Context host(InetAddress v) {
            host = v;
            return this;
        }

        /** Stimulator TCP port (1..65535). */
        public Context port(int v) {
            port = v;
            return this;
        }

        /** Deadline of connect, HELLO and HELLO_ACK together, ms (default 2000; 1..60000). */
        public Context connectTimeoutMs(int v) {
            connectTimeoutMs = v;
            return this;
        }

        /** Heartbeat period when idle, ns (default 20 ms). */
        public Context heartbeatIntervalNs(long v) {
            heartbeatIntervalNs = v;
            return this;
        }

        /** Longest silence from the stimulator, ns (default 250 ms; more than twice the heartbeat interval). */
        public Context heartbeatTimeoutNs(long v) {
            heartbeatTimeoutNs = v;
            return this;
        }

        /** Longest wait for an ACK, ns (default 100 ms). */
        public Context ackTimeoutNs(long v) {
            ackTimeoutNs = v;
            return this;
        }

        /** Most unacknowledged frames (default 256; 1..65536). */
        public Context maxOutstanding(int v) {
            maxOutstanding = v;
            return this;
        }

        /** Clock (default system). */
        public Context clock(NanoClock v) {
            clock = v;
            return this;
        }

        /** Validates and builds the (unconnected) driver. Runs once. */
        public TcpStimulatorDriver conclude() {
            if (concluded) {
                throw new IllegalStateException("TcpStimulatorDriver.Context.conclude() already ran");
            }
            if (host == null || host.isMulticastAddress() || host.isAnyLocalAddress()) {
                throw new IllegalArgumentException("stim tcp driver: host must be a unicast address, was " + host);
            }
            range("port", port, 1, 65535);
            range("connectTimeoutMs", connectTimeoutMs, 1, 60_000);
            range("heartbeatIntervalNs", heartbeatIntervalNs, 1_000_000L, 1_000_000_000L);
            range("heartbeatTimeoutNs", heartbeatTimeoutNs, 2 * heartbeatIntervalNs + 1, 10_000_000_000L);
            range("ackTimeoutNs", ackTimeoutNs, 1_000_000L, 10_000_000_000L);
            range("maxOutstanding", maxOutstanding, 1, 65536);
            if (clock == null) {
                throw new IllegalArgumentException("stim tcp driver: clock must be set");
            }
            if (sessionToken != null) {
                range("sessionToken length", sessionToken.length, 1, StimWire.MAX_TOKEN_BYTES);
            }
            concluded = true;
            return new TcpStimulatorDriver(this);
        }

        private static void range(String field, long v, long lo, long hi) {
            if (v < lo || v > hi) {
                throw new IllegalArgumentException("stim tcp driver: " + field + " must be in [" + lo + ", " + hi
                        + "], was " + v);
            }
        }
    }
}
