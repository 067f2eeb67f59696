package io.reflex.runtime.lsl;

import io.reflex.lsl.InletOptions;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamInlet;
import io.reflex.lsl.XmlElement;

import java.util.ArrayList;
import java.util.List;

/**
 * The task software's kinematics as a separate LSL stream, paired with neural bins by LSL timestamp.
 *
 * <p>The inlet is opened with clock post-processing, so kinematics timestamps are on the local LSL clock, as the
 * neural source's are; both are time-corrected against their outlets. {@link #pollAvailable()} pulls what has
 * arrived into a preallocated history of (time, vx, vy); with position channels ({@code x}, {@code y}) the velocity
 * of each pair of consecutive samples is their difference quotient, placed at their mid-time. {@link #pair} then
 * interpolates the velocity linearly at a bin's time, or says why it cannot:
 * <ul>
 *   <li>{@link #WAIT}: no kinematics sample at or after the time yet, and the neural stream is not yet
 *   {@code maxWaitS} past it;</li>
 *   <li>{@link #BEFORE_START}: the time lies before the first kinematics sample (or none came by the wait);</li>
 *   <li>{@link #LATE}: the neural stream is {@code maxWaitS} past the time and no kinematics sample covers it;</li>
 *   <li>{@link #MISSING}: the time falls in a gap between kinematics samples longer than {@code maxGapS}, or before
 *   the oldest sample still held.</li>
 * </ul>
 * Each outcome is counted. A kinematics sample stamped at or before the newest one held, or at or before a time
 * already given up as late, is counted in {@link #lateSamples()} (the first kind is discarded). One thread calls
 * {@link #pollAvailable()} and {@link #pair}; counters may be read from any thread. Nothing allocates after
 * construction.
 */
public final class KinematicsInlet implements AutoCloseable {
    /** {@link #pair} outcome: the velocity was interpolated into the output. */
    public static final int PAIRED = 0;
    /** {@link #pair} outcome: not decidable yet; ask again after more kinematics arrive. */
    public static final int WAIT = 1;
    /** {@link #pair} outcome: the time precedes the kinematics stream. */
    public static final int BEFORE_START = 2;
    /** {@link #pair} outcome: no kinematics came for the time within the wait. */
    public static final int LATE = 3;
    /** {@link #pair} outcome: the time falls in a gap of the kinematics stream. */
    public static final int MISSING = 4;

    private final StreamInlet inlet;
    private final StreamInfo info;
    private final int ix;
    private final int iy;
    private final boolean position;
    private final double maxGapS;
    private final double maxWaitS;
    private final double[] sample;
    private final double[] times;
    private final double[] vxs;
    private final double[] vys;
    private int head;
    private int count;
    private double firstS = Double.NaN;
    private double prevT = Double.NaN;
    private double prevX;
    private double prevY;
    private double givenUpUntilS = Double.NEGATIVE_INFINITY;

    private volatile long samples;
    private volatile long lateSamples;
    private volatile long paired;
    private volatile long beforeStart;
    private volatile long late;
    private volatile long missing;

    /**
     * Wraps an open inlet.
     *
     * @param fullInfo the stream's full info, whose channel labels locate the kinematics
     * @param labels   {@code [vx, vy]} velocity labels, or {@code [x, y]} position labels when {@code position}
     * @param history  kinematics samples held for pairing (at least 2)
     * @throws IllegalArgumentException when a label is not among the stream's channels, or a bound is out of range
     */
    public KinematicsInlet(StreamInlet inlet, StreamInfo fullInfo, List<String> labels, boolean position,
                           double maxGapS, double maxWaitS, int history) {
        if (!fullInfo.channelFormat().isNumeric()) {
            throw new IllegalArgumentException("kinematics stream '" + fullInfo.name() + "' carries strings; a numeric"
                    + " stream is needed");
        }
        if (!(maxGapS > 0) || !(maxWaitS > 0) || history < 2 || history > 1 << 24) {
            throw new IllegalArgumentException("kinematics: maxGapS and maxWaitS must be > 0 and history in [2, 2^24],"
                    + " got " + maxGapS + ", " + maxWaitS + ", " + history);
        }
        List<String> channelLabels = labels(fullInfo);
        this.ix = channelLabels.indexOf(labels.get(0));
        this.iy = channelLabels.indexOf(labels.get(1));
        if (ix < 0 || iy < 0) {
            throw new IllegalArgumentException("kinematics stream '" + fullInfo.name() + "' has no channel labelled '"
                    + (ix < 0 ? labels.get(0) : labels.get(1)) + "'; its channel labels are " + channelLabels);
        }
        this.inlet = inlet;
        this.info = fullInfo;
        this.position = position;
        this.maxGapS = maxGapS;
        this.maxWaitS = maxWaitS;
        this.sample = new double[fullInfo.channelCount()];
        this.times = new double[history];
        this.vxs = new double[history];
        this.vys = new double[history];
    }

    /** The channel labels of a stream's desc ({@code channels/channel/label}), "" where absent. */
    static List<String> labels(StreamInfo fullInfo) {
        List<String> out = new ArrayList<>();
        XmlElement chans = fullInfo.desc().child("channels");
        if (chans != null) {
            for (XmlElement c : chans.children()) {
                out.add(c.childValue("label"));
            }
        }
        while (out.size() < fullInfo.channelCount()) {
            out.add("");
        }
        return out;
    }

    /**
     * Resolves the stream and opens a time-corrected inlet on it.
     *
     * @param history kinematics samples held for pairing; 0 sizes it from the stream's rate to cover the wait and
     *                the gap twice over
     * @throws IllegalStateException    when no single numeric stream matches within the timeout
     * @throws IllegalArgumentException when a label is missing (the message lists the stream's labels)
     */
    public static KinematicsInlet open(LslBackend backend, LslSampleSource.Selector selector, List<String> labels,
                                       boolean position, double maxGapS, double maxWaitS, int history,
                                       double resolveTimeoutS) {
        String predicate = selector.predicate();
        List<StreamInfo> found = backend.resolve(predicate, 1, resolveTimeoutS);
        if (found.isEmpty()) {
            throw new IllegalStateException("no LSL kinematics stream matches " + predicate + " within "
                    + resolveTimeoutS + " s");
        }
        if (found.size() > 1) {
            throw new IllegalStateException(found.size() + " LSL streams match " + predicate
                    + "; add source_id to choose the kinematics stream");
        }
        StreamInlet inlet = backend.createInlet(found.get(0), new InletOptions().postprocessClockSync(true));
        try {
            StreamInfo full = inlet.fullInfo(Math.max(1.0, resolveTimeoutS));
            String mismatch = LslSampleSource.mismatch(inlet.info(), full);
            if (mismatch != null) {
                throw new IllegalStateException("LSL kinematics stream '" + full.name() + "' cannot be used: "
                        + mismatch);
            }
            inlet.open(Math.max(1.0, resolveTimeoutS));
            int held = history > 0 ? history : historyFor(full.nominalSrate(), maxGapS, maxWaitS);
            return new KinematicsInlet(inlet, full, labels, position, maxGapS, maxWaitS, held);
        } catch (RuntimeException e) {
            inlet.close();
            throw e;
        }
    }

    /** Samples to hold for a stream of {@code rateHz} (irregular: 1 kHz assumed), within [256, 2^20]. */
    static int historyFor(double rateHz, double maxGapS, double maxWaitS) {
        double rate = rateHz > 0 ? rateHz : 1000;
        double want = Math.ceil(2 * rate * (maxGapS + maxWaitS + 1));
        return (int) Math.max(256, Math.min(1 << 20, want));
    }

    /** Pulls every kinematics sample available now into the history; returns how many arrived. */
    public int pollAvailable() {
        int n = 0;
        while (true) {
            double ts = inlet.pullSample(sample, 0.0);
            if (ts == 0.0) {
                break;
            }
            n++;
            accept(ts, sample[ix], sample[iy]);
        }
        if (n > 0) {
            samples += n;
        }
        return n;
    }

    /** Takes one kinematics sample (already pulled) into the history: position or velocity by the mode. */
    void accept(double ts, double a, double b) {
        if (!Double.isFinite(ts) || !Double.isFinite(a) || !Double.isFinite(b)) {
            lateSamples++;
            return;
        }
        if (position) {
            if (Double.isNaN(prevT)) {
                prevT = ts;
                prevX = a;
                prevY = b;
                return;
            }
            if (ts <= prevT) {
                lateSamples++;
                return;
            }
            double dt = ts - prevT;
            double mid = 0.5 * (ts + prevT);
            double vx = (a - prevX) / dt;
            double vy = (b - prevY) / dt;
            boolean gap = dt > maxGapS;
            prevT = ts;
            prevX = a;
            prevY = b;
            if (gap) {
                // a velocity across a gap would be invented; the gap shows as missing bins
                return;
            }
            add(mid, vx, vy);
        } else {
            add(ts, a, b);
        }
    }

    private void add(double t, double vx, double vy) {
        if (count > 0 && t <= times[index(count - 1)]) {
            lateSamples++;
            return;
        }
        if (t <= givenUpUntilS) {
            // kept: it still brackets later bins, but the bins it would have served are gone
            lateSamples++;
        }
        if (Double.isNaN(firstS)) {
            firstS = t;
        }
        int slot;
        if (count < times.length) {
            slot = index(count);
            count++;
        } else {
            slot = head;
            head = (head + 1) % times.length;
        }
        times[slot] = t;
        vxs[slot] = vx;
        vys[slot] = vy;
    }

    private int index(int i) {
        return (head + i) % times.length;
    }

    /**
     * Pairs a bin at LSL time {@code tS} with the kinematics.
     *
     * @param tS     the bin's time (the mid-time of its samples), local LSL clock, s
     * @param nowS   the neural stream's newest time, s: a bin waits until it is {@code maxWaitS} past {@code tS}
     * @param out    receives vx, vy on {@link #PAIRED}
     * @return {@link #PAIRED}, {@link #WAIT}, {@link #BEFORE_START}, {@link #LATE} or {@link #MISSING}
     */
    public int pair(double tS, double nowS, double[] out) {
        boolean expired = nowS - tS > maxWaitS;
        if (count == 0) {
            // nothing has come (or one position sample: no velocity yet); past the wait, the stream has not started
            if (expired) {
                beforeStart++;
                return BEFORE_START;
            }
            return WAIT;
        }
        if (tS < firstS) {
            beforeStart++;
            return BEFORE_START;
        }
        double newest = times[index(count - 1)];
        if (tS > newest) {
            return expired ? giveUp(tS) : WAIT;
        }
        double oldest = times[index(0)];
        if (tS < oldest) {
            missing++;
            return MISSING;
        }
        // the last held sample at or before tS
        int lo = 0;
        int hi = count - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (times[index(mid)] <= tS) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        int a = index(lo);
        if (times[a] == tS) {
            out[0] = vxs[a];
            out[1] = vys[a];
            paired++;
            return PAIRED;
        }
        int b = index(lo + 1);
        double span = times[b] - times[a];
        if (span > maxGapS) {
            missing++;
            return MISSING;
        }
        double w = (tS - times[a]) / span;
        out[0] = vxs[a] + w * (vxs[b] - vxs[a]);
        out[1] = vys[a] + w * (vys[b] - vys[a]);
        paired++;
        return PAIRED;
    }

    private int giveUp(double tS) {
        if (tS > givenUpUntilS) {
            givenUpUntilS = tS;
        }
        late++;
        return LATE;
    }

    /** The kinematics stream's full info. */
    public StreamInfo info() {
        return info;
    }

    /** The inlet (time correction, counters). */
    public StreamInlet inlet() {
        return inlet;
    }

    /** A short description for reports, e.g. {@code LSL 'TaskKinematics' (Kinematics, vx/vy)}. */
    public String name() {
        return "LSL '" + info.name() + "' (" + info.type() + ", " + (position ? "position" : "velocity") + ")";
    }

    /** Kinematics samples pulled. */
    public long samples() {
        return samples;
    }

    /** Kinematics samples that came out of order or after their bins were given up as late. */
    public long lateSamples() {
        return lateSamples;
    }

    /** Bins given interpolated kinematics. */
    public long paired() {
        return paired;
    }

    /** Bins before the kinematics stream's first sample. */
    public long beforeStart() {
        return beforeStart;
    }

    /** Bins whose kinematics had not come {@code maxWaitS} after them. */
    public long late() {
        return late;
    }

    /** Bins in a gap of the kinematics stream longer than {@code maxGapS}. */
    public long missing() {
        return missing;
    }

    @Override
    public void close() {
        inlet.close();
    }
}
