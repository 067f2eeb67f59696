package io.reflex.runtime.lsl;

import io.reflex.lsl.ChannelSplit;
import io.reflex.lsl.InletOptions;
import io.reflex.lsl.JavaInlet;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.Resolver;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamInlet;
import io.reflex.lsl.XmlElement;
import io.reflex.runtime.pipeline.SampleBlock;
import io.reflex.runtime.pipeline.SampleSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * The pipeline's source for an LSL stream: resolves it by name, type and/or source_id, opens an inlet (clock
 * post-processing on, so timestamps are on the local LSL clock) and appends pulled samples to the ingest block
 * without blocking or allocating. The inlet decodes each sample straight into the block ({@link SampleBlock#reserve},
 * {@link SampleBlock#commit}): the whole sample when the neural channels come first (the usual case), else through a
 * {@link ChannelSplit} that sends the neural channels to the block and the reference channels aside.
 *
 * <p>Channels labelled {@code px}, {@code py}, {@code vx} or {@code vy} in the stream's
 * {@code desc/channels/channel/label} are reference values (the true kinematics a synthetic source publishes,
 * used for calibration and scoring), not neural channels.
 *
 * <p>With {@link #watchOutages} the source measures the gaps between polls that brought samples: a silence longer
 * than the threshold is an outage, counted when it begins and again (with its length) when samples come back.
 * The counters are written by the ingest thread and read by anyone.
 */
public final class LslSampleSource implements SampleSource {
    /** Labels of channels that carry reference kinematics rather than neural data. */
    public static final Set<String> REFERENCE_LABELS = Set.of("px", "py", "vx", "vy");

    private final StreamInlet inlet;
    private final StreamInfo info;
    private final int totalChannels;
    private final int[] neuralIndex;
    /**
     * The neural channels are the stream's first ones, in order: a sample is decoded from the inlet straight into
     * the block, its trailing reference channels just past it.
     */
    private final boolean neuralFirst;
    private final int[] referenceIndex;
    private final List<String> referenceNames;
    /** Neural channels to the block, reference channels aside: any layout, and the block's last sample. */
    private final ChannelSplit split;
    private final double[] reference;
    private long pulled;
    private NanoClock clock = SystemNanoClock.INSTANCE;
    private long outageNs;
    private long lastDataNs;
    private boolean inOutage;
    private volatile long outages;
    private volatile long outagesEnded;
    private volatile long longestGapNs;
    private volatile long lastOutageNs;

    /** What stream to take. */
    public static final class Selector {
        private String name = "";
        private String type = "";
        private String sourceId = "";

        public Selector name(String v) { name = v == null ? "" : v; return this; }
        public Selector type(String v) { type = v == null ? "" : v; return this; }
        public Selector sourceId(String v) { sourceId = v == null ? "" : v; return this; }

        /** The XPath predicate; throws if nothing is selected. */
        public String predicate() {
            List<String> parts = new ArrayList<>();
            if (!name.isEmpty()) {
                parts.add(Resolver.byProperty("name", name));
            }
            if (!type.isEmpty()) {
                parts.add(Resolver.byProperty("type", type));
            }
            if (!sourceId.isEmpty()) {
                parts.add(Resolver.byProperty("source_id", sourceId));
            }
            if (parts.isEmpty()) {
                throw new IllegalArgumentException("choose the LSL stream by name, type or source_id");
            }
            return String.join(" and ", parts);
        }
    }

    /**
     * Resolves and opens the stream.
     *
     * @throws IllegalStateException if no single numeric stream matches within the timeout
     */
    public static LslSampleSource open(LslBackend backend, Selector selector, double resolveTimeoutS) {
        String predicate = selector.predicate();
        List<StreamInfo> found = backend.resolve(predicate, 1, resolveTimeoutS);
        if (found.isEmpty()) {
            throw new IllegalStateException("no LSL stream matches " + predicate + " within " + resolveTimeoutS + " s");
        }
        if (found.size() > 1) {
            throw new IllegalStateException(found.size() + " LSL streams match " + predicate
                    + "; add source_id to choose one");
        }
        StreamInfo info = found.get(0);
        if (!info.channelFormat().isNumeric()) {
            throw new IllegalStateException("LSL stream '" + info.name() + "' carries strings; a numeric stream is needed");
        }
        StreamInlet inlet = backend.createInlet(info, new InletOptions().postprocessClockSync(true));
        try {
            StreamInfo full = inlet.fullInfo(Math.max(1.0, resolveTimeoutS));
            inlet.open(Math.max(1.0, resolveTimeoutS));
            return new LslSampleSource(inlet, full);
        } catch (RuntimeException e) {
            inlet.close();
            throw e;
        }
    }

    /**
     * Wraps an open inlet; {@code fullInfo} supplies the channel labels.
     *
     * @throws IllegalStateException if {@code fullInfo} disagrees with the info the inlet was opened on (channel
     *     count, format or rate): the inlet decodes samples by one and this source reads them by the other, so such
     *     a stream cannot be used
     */
    public LslSampleSource(StreamInlet inlet, StreamInfo fullInfo) {
        String mismatch = mismatch(inlet.info(), fullInfo);
        if (mismatch != null) {
            throw new IllegalStateException("LSL stream '" + fullInfo.name() + "' cannot be used: " + mismatch
                    + "; the outlet describes itself inconsistently, so the stream is refused");
        }
        this.inlet = inlet;
        this.info = fullInfo;
        this.totalChannels = fullInfo.channelCount();
        List<String> labels = new ArrayList<>();
        XmlElement chans = fullInfo.desc().child("channels");
        if (chans != null) {
            for (XmlElement c : chans.children()) {
                labels.add(c.childValue("label"));
            }
        }
        List<Integer> neuralIdx = new ArrayList<>();
        List<Integer> refIdx = new ArrayList<>();
        List<String> refNames = new ArrayList<>();
        for (int i = 0; i < totalChannels; i++) {
            String label = i < labels.size() ? labels.get(i) : "";
            if (REFERENCE_LABELS.contains(label)) {
                refIdx.add(i);
                refNames.add(label);
            } else {
                neuralIdx.add(i);
            }
        }
        if (neuralIdx.isEmpty()) {
            throw new IllegalStateException("LSL stream '" + fullInfo.name() + "' has no neural channels");
        }
        this.neuralIndex = neuralIdx.stream().mapToInt(Integer::intValue).toArray();
        boolean first = true;
        for (int i = 0; i < neuralIndex.length; i++) {
            first &= neuralIndex[i] == i;
        }
        this.neuralFirst = first;
        this.referenceIndex = refIdx.stream().mapToInt(Integer::intValue).toArray();
        this.referenceNames = List.copyOf(refNames);
        this.split = new ChannelSplit(totalChannels, neuralIndex, referenceIndex);
        this.reference = new double[Math.max(1, referenceIndex.length)];
    }

    /** How the info an inlet was opened on (discovery's short info) and the full info disagree, or null. */
    static String mismatch(StreamInfo shortInfo, StreamInfo fullInfo) {
        if (shortInfo.channelCount() != fullInfo.channelCount()) {
            return "its discovery info declares " + shortInfo.channelCount() + " channels but its full info "
                    + fullInfo.channelCount();
        }
        if (shortInfo.channelFormat() != fullInfo.channelFormat()) {
            return "its discovery info declares format " + shortInfo.channelFormat().wireName()
                    + " but its full info " + fullInfo.channelFormat().wireName();
        }
        double a = shortInfo.nominalSrate();
        double b = fullInfo.nominalSrate();
        if (Math.abs(a - b) > 1e-9 * Math.max(Math.abs(a), Math.abs(b))) {
            return "its discovery info declares a nominal rate of " + a + " Hz but its full info " + b + " Hz";
        }
        return null;
    }

    @Override
    public String name() {
        return "LSL '" + info.name() + "' (" + info.type() + ", source_id '" + info.sourceId() + "', "
                + info.v4address() + ":" + info.v4dataPort() + ")";
    }

    @Override
    public int channels() {
        return neuralIndex.length;
    }

    @Override
    public double nominalRateHz() {
        return info.nominalSrate();
    }

    @Override
    public List<String> referenceNames() {
        return referenceNames;
    }

    @Override
    public int poll(SampleBlock block) {
        int n = 0;
        while (block.remaining() > 0) {
            int at = block.reserve();
            float[] values = block.samples();
            if (neuralFirst && at + totalChannels <= values.length) {
                // decoded from the inlet straight into the block; trailing reference channels land just past the
                // sample, in room the block does not hold yet, and are taken from there
                double ts = inlet.pullSample(values, at, 0.0);
                if (ts == 0.0) {
                    break; // nothing committed: the next try writes over whatever the pull left there
                }
                for (int i = 0; i < referenceIndex.length; i++) {
                    reference[i] = values[at + referenceIndex[i]];
                }
                block.commit(ts, reference);
            } else {
                // neural channels anywhere in the stream, or the block's last sample: decoded to their places in
                // the block, the reference channels to the split's array
                double ts = inlet.pullSample(values, at, split, 0.0);
                if (ts == 0.0) {
                    break;
                }
                float[] refs = split.restValues();
                for (int i = 0; i < refs.length; i++) {
                    reference[i] = refs[i];
                }
                block.commit(ts, reference);
            }
            n++;
        }
        pulled += n;
        if (outageNs > 0 && (n > 0 || block.remaining() > 0)) {
            watch(n);
        }
        if (n == 0 && inlet.lost()) {
            return END_OF_STREAM;
        }
        return n;
    }

    /** Outage bookkeeping: one clock read per poll, no allocation. */
    private void watch(int n) {
        long now = clock.nanoTime();
        if (n > 0) {
            if (lastDataNs != 0) {
                long gap = now - lastDataNs;
                if (gap > longestGapNs) {
                    longestGapNs = gap;
                }
                if (inOutage) {
                    inOutage = false;
                    lastOutageNs = gap;
                    outagesEnded = outagesEnded + 1;
                }
            }
            lastDataNs = now;
        } else if (!inOutage && lastDataNs != 0 && now - lastDataNs > outageNs) {
            inOutage = true;
            outages = outages + 1;
        }
    }

    /**
     * Counts a silence longer than {@code outageMs} (after the first sample) as an outage, on {@code clock}; call
     * before the first poll.
     */
    public LslSampleSource watchOutages(double outageMs, NanoClock clock) {
        if (!(outageMs > 0)) {
            throw new IllegalArgumentException("outageMs must be > 0, got " + outageMs);
        }
        this.outageNs = (long) (outageMs * 1e6);
        this.clock = clock;
        return this;
    }

    /** The outage threshold, ms; 0 when outages are not watched. */
    public double outageMs() {
        return outageNs * 1e-6;
    }

    /** Outages begun (silences longer than the threshold). */
    public long outages() {
        return outages;
    }

    /** Outages that ended: samples came back. */
    public long outagesEnded() {
        return outagesEnded;
    }

    /** Length of the last ended outage (first silent poll excluded: from the last sample before it), ns. */
    public long lastOutageNs() {
        return lastOutageNs;
    }

    /** Longest time between two polls that brought samples, ns (0 before the second). */
    public long longestGapNs() {
        return longestGapNs;
    }

    /**
     * Samples the inlet's buffer discarded because they were not pulled in time, or -1 when the backend does not
     * count them (liblsl).
     */
    public long inletDropped() {
        return inlet instanceof JavaInlet j ? j.droppedSamples() : -1;
    }

    /** Reconnects of the inlet after its first connection, or -1 when the backend does not count them. */
    public long reconnects() {
        return inlet instanceof JavaInlet j ? Math.max(0, j.connects() - 1) : -1;
    }

    /** The inlet (for staleness, time correction and counters after the run). */
    public StreamInlet inlet() {
        return inlet;
    }

    public StreamInfo info() {
        return info;
    }

    public long pulled() {
        return pulled;
    }

    @Override
    public void close() {
        inlet.close();
    }
}
