package io.reflex.stim.driver;

import io.reflex.stim.EnvelopeOracle;
import io.reflex.stim.SafetyEnvelope;
import io.reflex.stim.StimCodec;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimVerdict;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A simulated stimulator: a TCP server speaking the Reflex stimulator protocol (stim/PROTOCOL.md) on loopback, used
 * by tests and by {@code reflex demo --stim}. It serves one host at a time on a thread of its own.
 *
 * <p>Like a careful device it judges everything it receives with its own {@link EnvelopeOracle} (independent of
 * the host's {@link SafetyEnvelope} code path): a command outside the envelope is counted in
 * {@link #violations()} (the demo's {@code unsafe_emitted}) and answered with a negative ACK. It stops all trains
 * on STOP_ALL, on losing the connection and when the host is silent longer than the heartbeat timeout it asked
 * for in HELLO (dead-man).
 *
 * <p><b>Peers.</b> Constructed with a session token, it opens a session only for a HELLO that carries that token
 * (compared in constant time) and arrives within {@link #HELLO_TIMEOUT_MS} of the connection; any other peer is
 * disconnected before anything it sends is judged or counted (it shows only in {@link #unauthenticated()}). The
 * demo creates a random token per run ({@link #newSessionToken()}) known only to its own process, so another
 * local process cannot open a session and forge the simulator's counts (e.g. {@code unsafe_emitted}).
 */
public final class SimulatedStimulator implements AutoCloseable {
    private final ServerSocket server;
    private final EnvelopeOracle oracle;
    private final Thread thread;
    private final Consumer<StimCommand> listener;
    private final byte[] sessionToken;
    private volatile boolean closed;
    private volatile Socket client;

    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong commands = new AtomicLong();
    private final AtomicLong violations = new AtomicLong();
    private final AtomicLong stopAllFrames = new AtomicLong();
    private final AtomicLong linkLossStops = new AtomicLong();
    private final AtomicLong heartbeats = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong unauthenticated = new AtomicLong();
    private volatile boolean stimulating;

    /**
     * Starts a simulator on {@code 127.0.0.1:port} (0 picks a free port) that judges commands against
     * {@code envelope}'s limits.
     *
     * @param listener receives every decoded COMMAND on the simulator's thread (may be null)
     * @throws IOException when the port cannot be bound
     */
    public SimulatedStimulator(SafetyEnvelope envelope, int port, Consumer<StimCommand> listener) throws IOException {
        this(envelope, port, listener, null);
    }

    /** Longest wait for a valid HELLO after a peer connects, ms. */
    public static final int HELLO_TIMEOUT_MS = 1_000;

    /**
     * Starts a simulator that opens sessions only for hosts whose HELLO carries {@code sessionToken} (null: any
     * host, as a device without authentication would).
     *
     * @throws IOException when the port cannot be bound
     */
    public SimulatedStimulator(SafetyEnvelope envelope, int port, Consumer<StimCommand> listener, byte[] sessionToken)
            throws IOException {
        if (sessionToken != null && (sessionToken.length == 0 || sessionToken.length > StimWire.MAX_TOKEN_BYTES)) {
            throw new IllegalArgumentException("simulated stimulator: a session token has 1 to "
                    + StimWire.MAX_TOKEN_BYTES + " bytes, was " + sessionToken.length);
        }
        this.sessionToken = sessionToken == null ? null : sessionToken.clone();
        this.oracle = new EnvelopeOracle(envelope);
        this.listener = listener;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
        thread = new Thread(this::serve, "reflex-sim-stimulator");
        thread.setDaemon(true);
        thread.start();
    }

    /** The TCP port it listens on. */
    public int port() {
        return server.getLocalPort();
    }

    /** Hosts that have connected. */
    public long connections() {
        return connections.get();
    }

    /** COMMAND frames received. */
    public long commandsReceived() {
        return commands.get();
    }

    /** Received commands that broke the envelope (these would have been unsafe stimulation). */
    public long violations() {
        return violations.get();
    }

    /** STOP_ALL frames received. */
    public long stopAllReceived() {
        return stopAllFrames.get();
    }

    /** Times stimulation was stopped because the host link was lost or went silent. */
    public long linkLossStops() {
        return linkLossStops.get();
    }

    /** Heartbeats received. */
    public long heartbeats() {
        return heartbeats.get();
    }

    /** Peers disconnected because their HELLO was missing, late, or lacked the session token. */
    public long unauthenticated() {
        return unauthenticated.get();
    }

    /** A fresh random session token (32 bytes from {@link java.security.SecureRandom}). */
    public static byte[] newSessionToken() {
        byte[] t = new byte[32];
        new java.security.SecureRandom().nextBytes(t);
        return t;
    }

    /** Frames that failed to decode. */
    public long malformed() {
        return malformed.get();
    }

    /** True when a train was accepted since the last stop (STOP_ALL or link loss). */
    public boolean stimulating() {
        return stimulating;
    }

    /** Drops the current host connection (simulates a crash or a pulled cable). */
    public void dropClient() {
        Socket s = client;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }

    private void serve() {
        while (!closed) {
            try (Socket s = server.accept()) {
                client = s;
                connections.incrementAndGet();
                s.setTcpNoDelay(true);
                session(s);
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            } finally {
                client = null;
                stop(true);
            }
        }
    }

    private void session(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        StimWire wire = new StimWire();
        ByteBuffer rx = ByteBuffer.allocate(64 * 1024).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer tx = ByteBuffer.allocate(StimWire.MAX_FRAME).order(ByteOrder.LITTLE_ENDIAN);
        StimCommand cmd = new StimCommand();
        long txSeq = 0;
        boolean hello = false;
        // A peer must identify itself at once: nothing it sends before a valid HELLO is judged or counted, and the
        // whole HELLO must arrive within HELLO_TIMEOUT_MS (a peer trickling bytes cannot hold the session).
        final long helloDeadlineNs = System.nanoTime() + HELLO_TIMEOUT_MS * 1_000_000L;
        byte[] chunk = new byte[8192];
        while (!closed) {
            int n;
            try {
                if (!hello) {
                    long leftMs = (helloDeadlineNs - System.nanoTime()) / 1_000_000L;
                    if (leftMs <= 0) {
                        unauthenticated.incrementAndGet();
                        return;
                    }
                    s.setSoTimeout((int) leftMs);
                }
                n = in.read(chunk);
            } catch (SocketTimeoutException e) {
                if (!hello) {
                    unauthenticated.incrementAndGet();
                }
                return; // dead-man: host silent beyond its own heartbeat timeout
            }
            if (n < 0) {
                return;
            }
            rx.put(chunk, 0, n);
            rx.flip();
            while (true) {
                int r = wire.parse(rx);
                if (r == StimWire.NEED_MORE) {
                    break;
                }
                if (r == StimWire.CORRUPT) {
                    if (hello) {
                        malformed.incrementAndGet();
                    } else {
                        unauthenticated.incrementAndGet();
                    }
                    return;
                }
                tx.clear();
                int type = wire.type();
                if (!hello) {
                    if (type != StimWire.HELLO || !authentic(rx, wire)) {
                        unauthenticated.incrementAndGet();
                        return;
                    }
                    hello = true;
                    int timeoutUs = rx.getInt(wire.payloadOffset() + 12);
                    s.setSoTimeout(Math.max(1, timeoutUs / 1000));
                    int start = tx.position();
                    wire.begin(tx, StimWire.HELLO_ACK, ++txSeq);
                    tx.putShort((short) StimWire.VERSION);
                    tx.putShort((short) StimCommand.MAX_CHANNELS);
                    wire.finish(tx, start);
                } else if (type == StimWire.COMMAND) {
                    commands.incrementAndGet();
                    ByteBuffer payload = rx.duplicate().order(ByteOrder.LITTLE_ENDIAN);
                    payload.position(wire.payloadOffset()).limit(wire.payloadOffset() + wire.payloadLength());
                    int status;
                    if (StimCodec.decode(payload, cmd) != StimCodec.OK) {
                        malformed.incrementAndGet();
                        status = StimWire.STATUS_MALFORMED;
                    } else {
                        if (listener != null) {
                            listener.accept(cmd);
                        }
                        int verdict = oracle.judge(cmd);
                        if (verdict != StimVerdict.ACCEPTED) {
                            violations.incrementAndGet();
                            status = verdict;
                        } else {
                            status = StimWire.STATUS_OK;
                            stimulating = true;
                        }
                    }
                    wire.ack(tx, ++txSeq, wire.sequence(), status);
                } else if (type == StimWire.STOP_ALL) {
                    stopAllFrames.incrementAndGet();
                    stop(false);
                    wire.ack(tx, ++txSeq, wire.sequence(), StimWire.STATUS_OK);
                } else if (type == StimWire.HEARTBEAT) {
                    heartbeats.incrementAndGet();
                    wire.heartbeat(tx, ++txSeq, System.nanoTime());
                } else {
                    malformed.incrementAndGet();
                    return;
                }
                out.write(tx.array(), 0, tx.position());
            }
            rx.compact();
        }
    }

    /** True when no token is required, or the HELLO in {@code rx} carries exactly the session token. */
    private boolean authentic(ByteBuffer rx, StimWire wire) {
        if (sessionToken == null) {
            return wire.payloadLength() >= StimWire.HELLO_FIXED_BYTES;
        }
        int at = wire.payloadOffset() + StimWire.HELLO_FIXED_BYTES;
        if (wire.payloadLength() < StimWire.HELLO_FIXED_BYTES + 2) {
            return false;
        }
        int n = rx.getShort(at) & 0xFFFF;
        if (n > StimWire.MAX_TOKEN_BYTES || wire.payloadLength() != StimWire.HELLO_FIXED_BYTES + 2 + n) {
            return false;
        }
        byte[] presented = new byte[n];
        rx.get(at + 2, presented);
        return java.security.MessageDigest.isEqual(presented, sessionToken);
    }

    private void stop(boolean linkLoss) {
        if (linkLoss && stimulating) {
            linkLossStops.incrementAndGet();
        }
        stimulating = false;
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
        dropClient();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
