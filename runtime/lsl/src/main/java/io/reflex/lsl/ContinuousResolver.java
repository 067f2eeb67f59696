package io.reflex.lsl;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps resolving in the background (a wave every {@link LslConfig#continuousResolveIntervalS()}) and reports
 * the streams seen within the last {@code forgetAfterS} seconds.
 */
public final class ContinuousResolver implements AutoCloseable {
    private final LslConfig config;
    private final String predicate;
    private final double forgetAfterS;
    private final Thread thread;
    private final Map<String, StreamInfo> infos = new HashMap<>();
    private final Map<String, Long> lastSeenNs = new HashMap<>();
    private volatile boolean closed;
    private Resolver.Wave wave;

    /** Starts resolving streams matching {@code predicate} ("" = all). */
    public ContinuousResolver(LslConfig config, String predicate, double forgetAfterS) {
        this.config = config.conclude();
        if (!QueryMatcher.isValid(predicate)) {
            throw new IllegalArgumentException("not a valid XPath 1.0 predicate: " + predicate);
        }
        if (!(forgetAfterS > 0)) {
            throw new IllegalArgumentException("forgetAfterS must be > 0, got " + forgetAfterS);
        }
        this.predicate = predicate == null ? "" : predicate.trim();
        this.forgetAfterS = forgetAfterS;
        try {
            this.wave = new Resolver.Wave(config, this.predicate);
        } catch (IOException e) {
            throw new IllegalStateException("cannot open resolver socket: " + e.getMessage(), e);
        }
        this.thread = new Thread(this::loop, "lsl-resolver");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        var targets = Resolver.targets(config);
        long intervalNs = (long) (config.continuousResolveIntervalS() * 1e9);
        Map<String, StreamInfo> found = new LinkedHashMap<>();
        while (!closed) {
            wave.send(targets);
            long end = System.nanoTime() + intervalNs;
            while (!closed && System.nanoTime() < end) {
                found.clear();
                try {
                    wave.receive(found, end);
                } catch (IOException e) {
                    if (closed) {
                        return;
                    }
                }
                long now = System.nanoTime();
                synchronized (infos) {
                    for (StreamInfo i : found.values()) {
                        infos.put(i.uid(), i);
                        lastSeenNs.put(i.uid(), now);
                    }
                }
            }
        }
    }

    /** Streams answering within the last {@code forgetAfterS} seconds. */
    public List<StreamInfo> results() {
        long now = System.nanoTime();
        long horizon = (long) (forgetAfterS * 1e9);
        List<StreamInfo> out = new ArrayList<>();
        synchronized (infos) {
            lastSeenNs.entrySet().removeIf(e -> now - e.getValue() > horizon);
            infos.keySet().retainAll(lastSeenNs.keySet());
            out.addAll(infos.values());
        }
        return out;
    }

    @Override
    public void close() {
        closed = true;
        wave.close();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
