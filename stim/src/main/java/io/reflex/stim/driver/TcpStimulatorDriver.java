package io.reflex.stim.driver;

import io.reflex.stim.NanoClock;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimVerdict;
import io.reflex.stim.StimulatorDriver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;

/**
 * Reference {@link StimulatorDriver} speaking the Reflex stimulator protocol (stim/PROTOCOL.md) over TCP.
 *
 * <p>{@link #connect()} (blocking, at start-up) opens the session; afterwards the socket is non-blocking and the
 * owning thread's {@link #send}, {@link #stopAll} and {@link #doWork} never block and allocate nothing on the normal
 * path. While no acknowledgement is outstanding, {@link #doWork} touches the socket only when a heartbeat is due
 * (one read and one write per heartbeat interval), so an idle closed loop makes few system calls. Any of these drops the link and raises an {@link #alarm()}: end of stream, an I/O error, a corrupt frame,
 * a negative acknowledgement (the stimulator judged a command unsafe or late), an ALARM frame, an ACK missing for
 * longer than {@code ackTimeoutNs}, silence from the stimulator for longer than {@code heartbeatTimeoutNs}, or a
 * frame the socket cannot take at once. A dropped link stays down until {@link #connect()} is called again.
 */
public final class TcpStimulatorDriver implements StimulatorDriver {
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
     * Connects and opens a session (HELLO / HELLO_ACK), blocking up to {@code connectTimeoutMs}.
     *
     * @throws IOException naming the address and the cause
     */
    public TcpStimulatorDriver connect() throws IOException {
        closeQuietly();
        SocketChannel ch = SocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.socket().connect(new InetSocketAddress(ctx.host, ctx.port), ctx.connectTimeoutMs);
            ch.socket().setSoTimeout(ctx.connectTimeoutMs);
            tx.clear();
            int start = tx.position();
            wire.begin(tx, StimWire.HELLO, 0);
            tx.putLong(clock.nanoTime());
            tx.putInt((int) (ctx.heartbeatIntervalNs / 1000));
            tx.putInt((int) (ctx.heartbeatTimeoutNs / 1000));
            wire.finish(tx, start);
            tx.flip();
            while (tx.hasRemaining()) {
                ch.write(tx);
            }
            rx.clear();
            java.io.InputStream in = ch.socket().getInputStream();
            byte[] tmp = new byte[StimWire.MAX_FRAME];
            while (true) {
                int n = in.read(tmp);
                if (n < 0) {
                    throw new IOException("stimulator closed the connection during HELLO");
                }
                rx.put(tmp, 0, n);
                rx.flip();
                int r = wire.parse(rx);
                if (r == StimWire.FRAME) {
                    if (wire.type() != StimWire.HELLO_ACK) {
                        throw new IOException("expected HELLO_ACK, got " + StimWire.typeName(wire.type()));
                    }
                    rx.compact();
                    break;
                }
                if (r == StimWire.CORRUPT) {
                    throw new IOException("corrupt frame during HELLO");
                }
                rx.compact();
            }
            ch.configureBlocking(false);
        } catch (IOException e) {
            ch.close();
            alarm = "cannot connect to stimulator at " + ctx.host.getHostAddress() + ":" + ctx.port + ": "
                    + e.getMessage();
            throw new IOException(alarm, e);
        }
        long now = clock.nanoTime();
        lastRxNs = now;
        lastTxNs = now;
        outHead = 0;
        outCount = 0;
        channel = ch;
        alarm = null;
        connected = true;
        return this;
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
            return 0;
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

    @Override
    public void close() {
        connected = false;
        closeQuietly();
    }

    private void closeQuietly() {
        SocketChannel ch = channel;
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing a broken socket: nothing left to do
            }
        }
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
        private NanoClock clock = NanoClock.system();
        private boolean concluded;

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

        /** Connect and HELLO timeout, ms (default 2000; 1..60000). */
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
