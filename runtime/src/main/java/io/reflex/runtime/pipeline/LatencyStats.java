package io.reflex.runtime.pipeline;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * Latency histograms in nanoseconds, one per named track. Each track has one writing thread, which records
 * without allocating (values are clamped to the trackable range); any thread may take {@link #snapshot}s.
 */
public final class LatencyStats {
    /** Largest recordable latency: 60 s. */
    public static final long HIGHEST_NS = 60_000_000_000L;

    private final List<String> names = new ArrayList<>();
    private final List<SingleWriterRecorder> recorders = new ArrayList<>();
    private final List<Histogram> totals = new ArrayList<>();
    private final List<Histogram> intervals = new ArrayList<>();

    /** Adds a track at start-up; returns its index for {@link #record}. */
    public int addTrack(String name) {
        if (names.contains(name)) {
            throw new IllegalArgumentException("latency track '" + name + "' exists already");
        }
        names.add(name);
        recorders.add(new SingleWriterRecorder(1, HIGHEST_NS, 3));
        totals.add(new Histogram(1, HIGHEST_NS, 3));
        intervals.add(null);
        return names.size() - 1;
    }

    /** Records one latency on the track's writing thread. Negative values count as 0. */
    public void record(int track, long latencyNs) {
        long v = latencyNs < 1 ? 1 : Math.min(latencyNs, HIGHEST_NS);
        recorders.get(track).recordValue(v);
    }

    public List<String> trackNames() {
        return Collections.unmodifiableList(names);
    }

    public int trackIndex(String name) {
        int i = names.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("no latency track '" + name + "'; tracks: " + names);
        }
        return i;
    }

    /** Everything recorded on the track since start (or the last {@link #reset()}); a copy the caller owns. */
    public synchronized Histogram snapshot(int track) {
        Histogram interval = recorders.get(track).getIntervalHistogram(intervals.get(track));
        intervals.set(track, interval);
        totals.get(track).add(interval);
        return totals.get(track).copy();
    }

    public Histogram snapshot(String name) {
        return snapshot(trackIndex(name));
    }

    /** Forgets everything recorded so far on every track (e.g. at the start of a live phase). */
    public synchronized void reset() {
        for (int i = 0; i < names.size(); i++) {
            Histogram interval = recorders.get(i).getIntervalHistogram(intervals.get(i));
            intervals.set(i, interval);
            totals.get(i).reset();
        }
    }
}
