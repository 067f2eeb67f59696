package io.reflex.lsl;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.agrona.ErrorHandler;

/**
 * An inlet's receiver thread: connects, runs the handshake ({@link FeedHeaders}), hands the data phase to the
 * {@link SampleReader}, and on any error waits {@link LslConfig#reconnectDelayS()} and reconnects; if the outlet
 * is gone (refused, 404, another uid) it re-resolves by source_id, name, type, channel count and format and
 * follows a single new match. A watchdog re-resolves when no data came for
 * {@link LslConfig#watchdogTimeThresholdS()}. Owns the connection state that {@link JavaInlet#open} waits on.
 */
final class InletReceiver implements Runnable {
    private static final int STATE_IDLE = 0;
    private static final int STATE_CONNECTED = 1;
    private static final int STATE_FAILED = 2;
    /**
     * Loaded with this class, as the outlet's connection classes are ({@code JavaOutlet.CONNECTION_CLASSES}): a
     * connect that fails because descriptors ran out is reported with one, and then no class can be loaded from a
     * directory on the class path.
     */
    private static final Class<?> ERROR_CLASS = LslError.class;

    private final LslConfig config;
    private final boolean recover;
    private final ErrorHandler errors;
    private final SampleQueue queue;
    private final SampleReader reader;
    /** Told about a switch to a restarted outlet (the time correction follows it). */
    private final Consumer<StreamInfo> onSwitch;
    private final Object stateLock = new Object();
    private volatile StreamInfo current;
    private volatile SocketChannel socket;
    /** The receiver thread's selector, opened at its first connect and closed when it ends. */
    private volatile Selector selector;
    private volatile boolean closed;
    private volatile boolean lost;
    private int state = STATE_IDLE;
    private String lastFailure = "";

    final AtomicLong connects = new AtomicLong();
    final AtomicLong recoveries = new AtomicLong();
    final AtomicLong errorCount = new AtomicLong();
    final AtomicLong samplesReceived = new AtomicLong();

    InletReceiver(StreamInfo info, LslConfig config, boolean recover, ErrorHandler errors, SampleQueue queue,
            Consumer<StreamInfo> onSwitch) {
        this.current = info;
        this.config = config;
        this.recover = recover;
        this.errors = errors;
        this.queue = queue;
        this.onSwitch = onSwitch;
        this.reader = new SampleReader(info, config.receiveBufferBytes(), config.maxStringBytes(), queue);
    }

    StreamInfo current() {
        return current;
    }

    boolean lost() {
        return lost;
    }

    /**
     * Waits until connected, lost, closed or the deadline.
     *
     * @return null when connected, else why not (the last failure, or "timed out")
     */
    String awaitConnected(long deadlineNs) {
        synchronized (stateLock) {
            while (state != STATE_CONNECTED && !closed) {
                if (state == STATE_FAILED && lost) {
                    break;
                }
                long left = deadlineNs - System.nanoTime();
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
            if (state == STATE_CONNECTED) {
                return null;
            }
            return lastFailure.isEmpty() ? "timed out" : lastFailure;
        }
    }

    /** Stops the loop: closes the socket and wakes {@link #awaitConnected} (the caller joins the thread). */
    void close() {
        closed = true;
        reader.close();
        SocketChannel s = socket;
        if (s != null) {
            closeQuietly(s);
        }
        Selector sel = selector;
        if (sel != null) {
            sel.wakeup();
        }
        synchronized (stateLock) {
            stateLock.notifyAll();
        }
    }

    @Override
    public void run() {
        try {
            loop();
        } finally {
            Selector sel = selector;
            if (sel != null) {
                closeQuietly(sel);
            }
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing: nothing more to do
        }
    }

    private void loop() {
        while (!closed) {
            boolean gone = false;
            try {
                connectAndStream();
            } catch (IOException | RuntimeException e) {
                if (closed) {
                    break;
                }
                gone = e instanceof FeedHeaders.GoneException || e instanceof ConnectException;
                fail(describe(e), e instanceof IOException ? null : e);
            } finally {
                SocketChannel s = socket;
                socket = null;
                if (s != null) {
                    closeQuietly(s);
                }
            }
            if (closed) {
                break;
            }
            if (!recover) {
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

    /** Counts and reports a failure; {@link #awaitConnected} returns it. */
    void fail(String message, Throwable cause) {
        errorCount.incrementAndGet();
        synchronized (stateLock) {
            state = STATE_FAILED;
            lastFailure = message;
            stateLock.notifyAll();
        }
        errors.onError(new LslError("inlet '" + current.name() + "'", message, cause));
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
            onSwitch.accept(next);
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
        Selector sel = selector;
        if (sel == null) {
            sel = Selector.open();
            selector = sel;
        } else {
            sel.selectNow(); // the last connection's key, cancelled when it closed, goes: its descriptor closes
        }
        SocketChannel s = SocketChannel.open();
        socket = s;
        if (closed) {
            throw new IOException("closed");
        }
        int handshakeMs = (int) Math.max(1, config.handshakeTimeoutS() * 1000);
        s.socket().connect(new InetSocketAddress(InetAddress.getByName(Net.address(target)),
                target.v4dataPort()), handshakeMs);
        s.setOption(StandardSocketOptions.TCP_NODELAY, true);
        ByteBuffer request = ByteBuffer.wrap(FeedHeaders.request(target, config.inletBufferS())
                .getBytes(StandardCharsets.US_ASCII));
        while (request.hasRemaining()) {
            s.write(request); // a few hundred bytes into a new socket's send buffer
        }
        // from here on the channel does not block: reads wait in the selector, so that the response and the test
        // pattern come within one total deadline (an outlet answering at one byte per second cannot hold the
        // receiver thread) and the data phase's watchdog runs when the stream falls silent
        s.configureBlocking(false);
        s.register(sel, SelectionKey.OP_READ);
        reader.reset(s, sel, this::handshakeTimeout, handshakeMs,
                System.nanoTime() + (long) (config.handshakeTimeoutS() * 1e9));
        reader.expectTestPattern(FeedHeaders.readResponse(reader, target.uid()));
        connects.incrementAndGet();
        synchronized (stateLock) {
            state = STATE_CONNECTED;
            lastFailure = "";
            stateLock.notifyAll();
        }
        reader.switchInput(this::watchdog, (long) Math.max(1, config.watchdogCheckIntervalS() * 1000),
                Long.MAX_VALUE);
        reader.readSamples(samplesReceived);
    }

    private void handshakeTimeout() throws IOException {
        throw new IOException("outlet did not answer within " + config.handshakeTimeoutS() + " s");
    }

    /** A read timed out in the data phase: re-resolve if the stream has been silent too long. */
    private void watchdog() throws IOException {
        if (closed) {
            throw new IOException("closed");
        }
        if (System.nanoTime() - reader.lastDataNs < (long) (config.watchdogTimeThresholdS() * 1e9)) {
            return;
        }
        reader.lastDataNs = System.nanoTime();
        if (!recover || current.sourceId().isEmpty()) {
            return;
        }
        if (reResolve()) {
            throw new IOException("watchdog: no data for " + config.watchdogTimeThresholdS()
                    + " s and a restarted outlet was found; switching");
        }
    }
}
