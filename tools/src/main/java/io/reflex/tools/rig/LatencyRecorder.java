package io.reflex.tools.rig;

import java.util.Arrays;
import java.util.BitSet;
import org.HdrHistogram.Histogram;

/**
 * One series' latencies over a rig run: each output is matched to the bin that caused it (by the bin's index, which
 * the caller recovers from the output's timestamp or sequence) and charged from the time the schedule sent that bin's
 * last sample ({@link RigSchedule#binSendNs}), in an HdrHistogram. A second histogram keeps the uncorrected figure
 * (from the actual send) to show what coordinated omission would have hidden. A stalled consumer therefore shows as
 * latency: every bin it delayed is charged the delay when it finally arrives; a bin that never arrives is a drop.
 *
 * <p>Recording allocates nothing: the per-bin arrays are sized for the run at construction. {@link #arrive} is called
 * by one thread at a time (a segment's consumer); {@link #beginSegment} and {@link #endSegment} by the coordinator
 * before that thread starts and after it has stopped.
 */
public final class LatencyRecorder {
    /** Latencies above this are clamped to it (a minute). */
    static final long HIGHEST_NS = 60_000_000_000L;

    private final String name;
    private final Histogram corrected = new Histogram(1, HIGHEST_NS, 3);
    private final Histogram uncorrected = new Histogram(1, HIGHEST_NS, 3);
    /** Per recorded output, in order: its latency (ns) and when its bin was due, s since the run's measured start. */
    private final long[] latencyNs;
    private final double[] atS;
    private int recorded;
    private boolean[] seen = new boolean[0];
    /** The bins the segment expects, or null for all of them. */
    private BitSet only;
    private RigSchedule schedule;
    private long binCount;
    private long firstMeasuredBin;
    private double segmentOffsetS;
    private double measuredS;
    private long expected;
    private long received;
    private long duplicates;
    private long unmatched;
    private long segmentReceived;
    private long overflow;

    /**
     * @param name    the series' key, e.g. {@code reflex}
     * @param maxBins the most bins the run measures (all segments together)
     */
    public LatencyRecorder(String name, int maxBins) {
        if (maxBins < 1 || maxBins > 50_000_000) {
            throw new IllegalArgumentException("maxBins must be in [1, 5e7], was " + maxBins);
        }
        this.name = name;
        this.latencyNs = new long[maxBins];
        this.atS = new double[maxBins];
    }

    public String name() {
        return name;
    }

    /**
     * Starts a segment: bins {@code [0, binCount)} of {@code schedule} are expected, those before {@code
     * firstMeasuredBin} are warm-up (matched, not recorded) and do not count as expected.
     */
    public void beginSegment(RigSchedule schedule, long binCount, long firstMeasuredBin) {
        beginSegment(schedule, binCount, firstMeasuredBin, null);
    }

    /**
     * Starts a segment in which only the bins set in {@code expectedBins} (null: all) cause an output, e.g. the
     * bins a stimulation policy fires on; an output of any other measured bin is unmatched (in the lead-in it is
     * ignored, as every lead-in output is).
     */
    public void beginSegment(RigSchedule schedule, long binCount, long firstMeasuredBin, BitSet expectedBins) {
        if (binCount < 1 || binCount > Integer.MAX_VALUE || firstMeasuredBin < 0 || firstMeasuredBin > binCount) {
            throw new IllegalArgumentException("binCount " + binCount + ", firstMeasuredBin " + firstMeasuredBin);
        }
        this.schedule = schedule;
        this.binCount = binCount;
        this.firstMeasuredBin = firstMeasuredBin;
        if (seen.length < binCount) {
            seen = new boolean[(int) binCount];
        } else {
            Arrays.fill(seen, 0, (int) binCount, false);
        }
        segmentReceived = 0;
        only = expectedBins == null ? null : (BitSet) expectedBins.clone();
        expected += only == null ? binCount - firstMeasuredBin
                : only.get((int) firstMeasuredBin, (int) binCount).cardinality();
    }

    /**
     * An output of bin {@code bin} of the current segment arrived at {@code arrivalNs}; its last sample was actually
     * handed over at {@code actualSendNs} (or {@code Long.MIN_VALUE} when unknown: the uncorrected figure then uses
     * the schedule too).
     *
     * @return whether the output was measured (matched, first of its bin, past the lead-in)
     */
    public boolean arrive(long bin, long arrivalNs, long actualSendNs) {
        if (bin < 0 || bin >= binCount || (only != null && bin >= firstMeasuredBin && !only.get((int) bin))) {
            unmatched++;
            return false;
        }
        if (seen[(int) bin]) {
            duplicates++;
            return false;
        }
        seen[(int) bin] = true;
        if (bin < firstMeasuredBin) {
            return false;
        }
        long due = schedule.binSendNs(bin);
        long lat = clamp(arrivalNs - due);
        corrected.recordValue(lat);
        uncorrected.recordValue(clamp(arrivalNs - (actualSendNs == Long.MIN_VALUE ? due : actualSendNs)));
        if (recorded < latencyNs.length) {
            latencyNs[recorded] = lat;
            atS[recorded] = segmentOffsetS + (due - schedule.binSendNs(firstMeasuredBin)) * 1e-9;
            recorded++;
        } else {
            overflow++;
        }
        received++;
        segmentReceived++;
        return true;
    }

    private static long clamp(long ns) {
        return Math.max(1, Math.min(HIGHEST_NS, ns));
    }

    /** Ends the segment, which measured {@code measuredSeconds}; its bins that never arrived are drops. */
    public void endSegment(double measuredSeconds) {
        segmentOffsetS += measuredSeconds;
        measuredS += measuredSeconds;
        schedule = null;
        binCount = 0;
    }

    /** Measured bins expected so far. */
    public long expected() {
        return expected;
    }

    /** Measured bins that arrived (each once). */
    public long received() {
        return received;
    }

    /** Expected measured bins that never arrived. */
    public long drops() {
        return expected - received;
    }

    /** Outputs that matched a bin already received. */
    public long duplicates() {
        return duplicates;
    }

    /** Outputs that matched no bin of the segment. */
    public long unmatched() {
        return unmatched;
    }

    /** Seconds measured (all segments). */
    public double measuredSeconds() {
        return measuredS;
    }

    /** Latency from the schedule (coordinated-omission corrected). */
    public Histogram corrected() {
        return corrected;
    }

    /** Latency from the actual send. */
    public Histogram uncorrected() {
        return uncorrected;
    }

    /** Recorded outputs kept for the timeline. */
    public int recorded() {
        return recorded;
    }

    /** The {@code i}-th recorded output's latency, ns. */
    public long latencyNs(int i) {
        return latencyNs[i];
    }

    /** When the {@code i}-th recorded output's bin was due, s since the measured start (segments end to end). */
    public double atS(int i) {
        return atS[i];
    }
}
