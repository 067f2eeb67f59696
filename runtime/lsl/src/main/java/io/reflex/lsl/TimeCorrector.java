package io.reflex.lsl;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.ErrorHandler;

/**
 * Estimates the offset between an outlet's clock and ours (docs/lsl-wire.md A6): every
 * {@link LslConfig#timeUpdateIntervalS()} a wave of {@link LslConfig#timeProbeCount()} probes is sent to the
 * outlet's service port; with at least {@link LslConfig#timeUpdateMinProbes()} replies, the probe with the smallest
 * round trip wins and the correction is minus its offset.
 */
public final class TimeCorrector implements AutoCloseable {
    /** Dummy probe rounds before the first wave; enough for C1 (200 calls) and most of C2 (~5000 with loops). */
    static final int WARM_UP_ROUNDS = 3000;
    private static final AtomicBoolean WARMED = new AtomicBoolean();
    private static final byte[] PROBE_HEAD = "LSL:timedata\r\n".getBytes(StandardCharsets.US_ASCII);
    private final LslConfig config;
    private final ErrorHandler errors;
    private final String where;
    private final DatagramSocket socket;
    private volatile InetSocketAddress target;
    private volatile double correctionS = Double.NaN;
    private volatile double uncertaintyS = Double.NaN;
    private final AtomicLong waves = new AtomicLong();
    private final AtomicLong failedWaves = new AtomicLong();
    private final Object estimateLock = new Object();
    private final Thread thread;
    private volatile boolean closed;
    private final byte[] rx = new byte[512];
    private final DatagramPacket reply = new DatagramPacket(rx, rx.length);
    private final byte[] tx = new byte[PROBE_HEAD.length + 24 + LslNumbers.SECONDS_NS_MAX_CHARS];
    private final DatagramPacket probe = new DatagramPacket(tx, tx.length);
    // Per-wave state, owned by the corrector thread.
    private int replies;
    private double bestRttS;
    private double bestOffsetS;

    TimeCorrector(InetSocketAddress target, LslConfig config, ErrorHandler errors, String where) {
        this.config = config;
        this.errors = errors;
        this.where = where;
        this.target = target;
        try {
            this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(config.bindAddress()), 0));
        } catch (IOException e) {
            throw new IllegalStateException("cannot open time-correction socket: " + e.getMessage(), e);
        }
        this.thread = new Thread(this::loop, "lsl-timecorr-" + where);
        thread.setDaemon(true);
        thread.start();
    }

    /** Points at a new outlet (after recovery) and forgets the old estimate. */
    void retarget(InetSocketAddress newTarget) {
        target = newTarget;
        correctionS = Double.NaN;
        uncertaintyS = Double.NaN;
    }

    /** Seconds to add to the outlet's timestamps; NaN until the first successful wave. */
    public double correctionS() {
        return correctionS;
    }

    /** Round-trip time of the winning probe, seconds. */
    public double uncertaintyS() {
        return uncertaintyS;
    }

    public long waves() {
        return waves.get();
    }

    public long failedWaves() {
        return failedWaves.get();
    }

    /** Waits for an estimate; NaN on timeout. */
    double await(double timeoutS) {
        long deadline = System.nanoTime() + (long) (timeoutS * 1e9);
        synchronized (estimateLock) {
            while (Double.isNaN(correctionS) && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    estimateLock.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        return correctionS;
    }

    /**
     * Waits until more than {@code wavesSeen} waves have succeeded and returns the estimate then current; NaN on
     * timeout or close. For tests and measurements that take one estimate per wave.
     */
    double awaitWave(long wavesSeen, double timeoutS) {
        long deadline = System.nanoTime() + (long) (timeoutS * 1e9);
        synchronized (estimateLock) {
            while (waves.get() <= wavesSeen && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return Double.NaN;
                }
                try {
                    estimateLock.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return Double.NaN;
                }
            }
            return waves.get() > wavesSeen ? correctionS : Double.NaN;
        }
    }

    private void loop() {
        long intervalNs = (long) (config.timeUpdateIntervalS() * 1e9);
        try {
            warmUp();
        } catch (IOException e) {
            if (closed) {
                return;
            }
            // Not fatal: the waves work unwarmed, only less accurately.
            errors.onError(new LslError("time correction " + where, "warm-up: " + e, e));
        }
        while (!closed) {
            long start = System.nanoTime();
            try {
                wave();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                failedWaves.incrementAndGet();
                errors.onError(new LslError("time correction " + where, e.toString(), e));
            }
            long wakeAt = start + intervalNs;
            synchronized (estimateLock) {
                while (!closed) {
                    long left = wakeAt - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    try {
                        estimateLock.wait(Math.max(1, left / 1_000_000));
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }
    }

    private void wave() throws IOException {
        InetSocketAddress to = target;
        long waveId = ThreadLocalRandom.current().nextInt(1, Integer.MAX_VALUE);
        int probes = config.timeProbeCount();
        long probeIntervalNs = (long) (config.timeProbeIntervalS() * 1e9);
        long maxRttNs = (long) (config.timeProbeMaxRttS() * 1e9);
        int stampAt = probePrefix(waveId);
        probe.setSocketAddress(to);
        replies = 0;
        bestRttS = Double.POSITIVE_INFINITY;
        bestOffsetS = 0;
        long start = System.nanoTime();
        for (int i = 0; i <= probes && !closed; i++) {
            if (i < probes) {
                sendProbe(stampAt);
            }
            long until = i < probes ? start + (i + 1) * probeIntervalNs : start + (probes - 1) * probeIntervalNs + maxRttNs;
            while (!closed) {
                long leftMs = (until - System.nanoTime()) / 1_000_000;
                if (leftMs <= 0) {
                    break;
                }
                socket.setSoTimeout((int) leftMs);
                try {
                    reply.setLength(rx.length);
                    socket.receive(reply);
                } catch (SocketTimeoutException e) {
                    break;
                }
                long t3Ns = System.nanoTime();
                onReply(waveId, t3Ns);
            }
        }
        if (replies >= config.timeUpdateMinProbes() && to == target) {
            synchronized (estimateLock) {
                correctionS = -bestOffsetS;
                uncertaintyS = bestRttS;
                waves.incrementAndGet();
                estimateLock.notifyAll();
            }
        } else {
            failedWaves.incrementAndGet();
        }
    }

    /** Writes {@code LSL:timedata\r\n<wave-id> } into the probe buffer; returns where t0 goes. */
    private int probePrefix(long waveId) {
        System.arraycopy(PROBE_HEAD, 0, tx, 0, PROBE_HEAD.length);
        int p = PROBE_HEAD.length;
        String id = Long.toString(waveId);
        for (int i = 0; i < id.length(); i++) {
            tx[p++] = (byte) id.charAt(i);
        }
        tx[p++] = ' ';
        return p;
    }

    /**
     * Stamps t0 and sends at once: only the allocation-free digits of t0 lie between the clock reading and the
     * send (issue #13: formatting the probe after the stamp biased the offset by about -0.12 ms).
     */
    private void sendProbe(int stampAt) throws IOException {
        int end = LslNumbers.putSecondsNs(System.nanoTime(), tx, stampAt);
        tx[end] = '\r';
        tx[end + 1] = '\n';
        probe.setLength(end + 2);
        socket.send(probe);
    }

    /** Parses a reply ({@code  <wave-id> <t0> <t1> <t2>}) received at {@code t3Ns}; a wrong or garbled one is ignored. */
    private void onReply(long waveId, long t3Ns) {
        double t3 = t3Ns * 1e-9;
        String[] f = new String(rx, 0, reply.getLength(), StandardCharsets.US_ASCII).trim().split("\\s+");
        if (f.length != 4) {
            return;
        }
        try {
            if (Long.parseLong(f[0]) != waveId) {
                return;
            }
            double t0 = Double.parseDouble(f[1]);
            double t1 = Double.parseDouble(f[2]);
            double t2 = Double.parseDouble(f[3]);
            double rtt = (t3 - t0) - (t2 - t1);
            double offset = ((t1 - t0) + (t2 - t3)) / 2;
            replies++;
            if (rtt < bestRttS) {
                bestRttS = rtt;
                bestOffsetS = offset;
            }
        } catch (NumberFormatException e) {
            // A garbled reply is ignored like a lost one.
        }
    }

    /**
     * Runs the probe path {@link #WARM_UP_ROUNDS} times against this corrector's own socket (probe out, the
     * outlet's reply builder, reply back, parse), so the JIT has compiled it before the first wave: at 8 probes
     * per 2 s it never would, and interpreted code between a clock reading and its send is bias. Once per JVM.
     */
    private void warmUp() throws IOException {
        if (!WARMED.compareAndSet(false, true)) {
            return;
        }
        InetSocketAddress self = new InetSocketAddress(InetAddress.getLoopbackAddress(), socket.getLocalPort());
        if (!socket.getLocalAddress().isAnyLocalAddress()) {
            self = new InetSocketAddress(socket.getLocalAddress(), socket.getLocalPort());
        }
        ByteBuffer answer = ByteBuffer.allocate(UdpRequests.TIME_REPLY_CAPACITY);
        long waveId = 1;
        int stampAt = probePrefix(waveId);
        probe.setSocketAddress(self);
        socket.setSoTimeout(1000);
        for (int i = 0; i < WARM_UP_ROUNDS && !closed; i++) {
            sendProbe(stampAt);
            reply.setLength(rx.length);
            socket.receive(reply);
            long t1Ns = System.nanoTime();
            if (UdpRequests.timeReply(ByteBuffer.wrap(rx, 0, reply.getLength()), answer, t1Ns)
                    != UdpRequests.ANSWERED) {
                continue; // a stray datagram, not our probe
            }
            System.arraycopy(answer.array(), 0, rx, 0, answer.remaining());
            reply.setLength(answer.remaining());
            onReply(waveId, System.nanoTime());
        }
    }

    @Override
    public void close() {
        closed = true;
        socket.close();
        synchronized (estimateLock) {
            estimateLock.notifyAll();
        }
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
