package io.reflex.runtime.lsl;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Estimates the offset between an outlet's clock and ours (docs/lsl-wire.md A6): every
 * {@link LslConfig#timeUpdateIntervalS()} a wave of {@link LslConfig#timeProbeCount()} probes is sent to the
 * outlet's service port; with at least {@link LslConfig#timeUpdateMinProbes()} replies, the probe with the smallest
 * round trip wins and the correction is minus its offset.
 */
public final class TimeCorrector implements AutoCloseable {
    private final LslConfig config;
    private final LslErrorHandler errors;
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

    TimeCorrector(InetSocketAddress target, LslConfig config, LslErrorHandler errors, String where) {
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

    private void loop() {
        long intervalNs = (long) (config.timeUpdateIntervalS() * 1e9);
        while (!closed) {
            long start = System.nanoTime();
            try {
                wave();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                failedWaves.incrementAndGet();
                errors.onError("time correction " + where, e.toString(), e);
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
        int replies = 0;
        double bestRtt = Double.POSITIVE_INFINITY;
        double bestOffset = 0;
        long start = System.nanoTime();
        DatagramPacket in = new DatagramPacket(rx, rx.length);
        for (int i = 0; i <= probes && !closed; i++) {
            if (i < probes) {
                double t0 = LslClock.now();
                byte[] q = ("LSL:timedata\r\n" + waveId + " " + LslNumbers.general16(t0) + "\r\n")
                        .getBytes(StandardCharsets.US_ASCII);
                socket.send(new DatagramPacket(q, q.length, to));
            }
            long until = i < probes ? start + (i + 1) * probeIntervalNs : start + (probes - 1) * probeIntervalNs + maxRttNs;
            while (!closed) {
                long leftMs = (until - System.nanoTime()) / 1_000_000;
                if (leftMs <= 0) {
                    break;
                }
                socket.setSoTimeout((int) leftMs);
                try {
                    in.setLength(rx.length);
                    socket.receive(in);
                } catch (SocketTimeoutException e) {
                    break;
                }
                double t3 = LslClock.now();
                String[] f = new String(rx, 0, in.getLength(), StandardCharsets.US_ASCII).trim().split("\\s+");
                if (f.length != 4) {
                    continue;
                }
                try {
                    if (Long.parseLong(f[0]) != waveId) {
                        continue;
                    }
                    double t0 = Double.parseDouble(f[1]);
                    double t1 = Double.parseDouble(f[2]);
                    double t2 = Double.parseDouble(f[3]);
                    double rtt = (t3 - t0) - (t2 - t1);
                    double offset = ((t1 - t0) + (t2 - t3)) / 2;
                    replies++;
                    if (rtt < bestRtt) {
                        bestRtt = rtt;
                        bestOffset = offset;
                    }
                } catch (NumberFormatException e) {
                    // A garbled reply is ignored like a lost one.
                }
            }
        }
        if (replies >= config.timeUpdateMinProbes() && to == target) {
            synchronized (estimateLock) {
                correctionS = -bestOffset;
                uncertaintyS = bestRtt;
                waves.incrementAndGet();
                estimateLock.notifyAll();
            }
        } else {
            failedWaves.incrementAndGet();
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
