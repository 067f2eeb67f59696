package io.reflex.runtime.session;

import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.config.LabStreamsConfig;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.journal.Journal;
import io.reflex.runtime.lsl.DecodedOutlet;
import io.reflex.runtime.lsl.KinematicsInlet;
import io.reflex.lsl.JavaInlet;
import io.reflex.lsl.LslBackend;
import io.reflex.runtime.lsl.LslSampleSource;
import io.reflex.runtime.lsl.MarkerInlet;
import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.pipeline.FrameHandler;
import io.reflex.runtime.pipeline.OutputSink;
import io.reflex.runtime.pipeline.SampleSource;
import io.reflex.runtime.session.Sources;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * A session's links to a lab's other LSL programs (docs/lab-setup.md): the task software's kinematics stream
 * ({@code source.lsl.kinematics}), paired with the neural bins off the critical path for calibration and scoring;
 * the decoded-output outlet ({@code decodedOutlet}) that the cursor display reads; and the amplifier stream's
 * outages ({@code source.lsl.outageMs}), reported when they begin and end. Each part is absent when not configured,
 * and a session with none of them runs as before.
 */
public final class LabStreams implements AutoCloseable {
    /** The reference names the paired kinematics give every bin. */
    public static final List<String> VELOCITY = List.of("vx", "vy");

    /** Outages of an LSL source: {@code source} in reports. */
    public static final class SourceFigures {
        /** Silences longer than {@link #outageMs}. */
        public long outages;
        /** Inlet reconnections after the first connection (-1: the backend does not count them). */
        public long reconnects;
        /** Longest time between two polls that brought samples, ms. */
        public double longestGapMs;
        /** The outage threshold, ms. */
        public double outageMs;
        /** Samples pulled from the inlet. */
        public long samples;
        /** Samples the inlet's buffer discarded because they were not pulled in time (-1: the backend does not count). */
        public long inletDropped;
        /** Of those, the ones discarded in the live phase (-1: the backend does not count, or no live phase). */
        public long inletDroppedLive = -1;
        /**
         * Age of each sample when ingest pulled it, live phase: the pull's time minus the sample's time-corrected
         * timestamp, µs (p50, p99, max; null: the backend does not measure it, or no live phase). The time from
         * the amplifier's stamp to the frame, the source's own lateness included.
         */
        public double[] stalenessLiveUs;
    }

    /** The pairing of neural bins with the kinematics stream: {@code kinematics} in reports (whole run). */
    public static final class KinematicsFigures {
        public String stream;
        public long samples;
        public long paired;
        public long beforeStart;
        public long late;
        public long missing;
        public long lateSamples;
        /** Bins still waiting for kinematics when the run ended. */
        public long pending;
    }

    /** The decoded-output outlet: {@code decoded_outlet} in reports (whole run, calibration included). */
    public static final class DecodedOutletFigures {
        public String name;
        public String type;
        /** The channel labels, one per decoder output. */
        public List<String> labels = List.of();
        public long pushed;
        public long framesEmitted;
        public long failures;
    }

    /** The task's marker stream: {@code markers} in reports. */
    public static final class MarkerFigures {
        /** The stream's name ("" if it was never found). */
        public String stream;
        /** Markers received. */
        public long received;
        /** The last marker's text ("" when none). */
        public String last;
        /** Markers written to the run's journal; null when the run has no journal. */
        public Long journaled;
        /**
         * Markers received but not in the journal (its feed was full, it had faulted, or they came after it closed);
         * null when the run has no journal.
         */
        public Long notJournaled;
    }

    /** Most markers that may wait for the journal's thread; more are counted as not journaled. */
    static final int MARKER_FEED_CAPACITY = 4096;

    private final LslSampleSource lslSource;
    private final double outageMs;
    private final KinematicsInlet kinematics;
    private final boolean ownsKinematics;
    private DecodedOutlet outlet;
    private List<String> outletLabels = List.of();
    private MarkerInlet markers;
    /** Markers waiting for the journal, or null when markers are not journaled. */
    private ArrayBlockingQueue<Journal.Marker> markerFeed;
    private final AtomicLong markersDropped = new AtomicLong();
    private Journal markerJournal;
    private Pairing pairing;
    private long outagesShown;
    private long endedShown;

    private LabStreams(LslSampleSource lslSource, double outageMs, KinematicsInlet kinematics, boolean owns) {
        this.lslSource = lslSource;
        this.outageMs = outageMs;
        this.kinematics = kinematics;
        this.ownsKinematics = owns;
    }

    /**
     * Opens what {@code cfg} asks for alongside {@code source}: the kinematics inlet when {@code
     * source.lsl.kinematics} is set (unless {@code kinematics} is given: a caller-opened inlet, closed by the caller).
     *
     * @throws ConfigException when the kinematics stream cannot be found or lacks the configured channels
     */
    static LabStreams open(ReflexConfig cfg, SampleSource source, KinematicsInlet given) {
        LabStreams lab = openKinematics(cfg, source, given);
        LabStreamsConfig.Markers m = "lsl".equals(cfg.source.type) && cfg.source.lsl != null
                ? cfg.source.lsl.markers : null;
        if (m != null) {
            MarkerInlet.Listener toJournal = null;
            if (cfg.journal.enabled) {
                // kept until the journal's thread takes them (markers that come before the journal opens wait too)
                lab.markerFeed = new ArrayBlockingQueue<>(MARKER_FEED_CAPACITY);
                toJournal = (t, text) -> {
                    if (!lab.markerFeed.offer(new Journal.Marker(t, text))) {
                        lab.markersDropped.incrementAndGet();
                    }
                };
            }
            try {
                lab.markers = new MarkerInlet(Sources.lslBackend(cfg.source.lsl), new LslSampleSource.Selector()
                        .name(m.name).type(m.type).sourceId(m.sourceId), toJournal);
            } catch (RuntimeException e) {
                lab.close();
                throw new ConfigException("source.lsl.markers", e.getMessage());
            }
        }
        return lab;
    }

    private static LabStreams openKinematics(ReflexConfig cfg, SampleSource source, KinematicsInlet given) {
        // only a source watched for outages has figures to report
        LslSampleSource lsl = source instanceof LslSampleSource l && l.outageMs() > 0 ? l : null;
        double outageMs = lsl == null ? 0 : lsl.outageMs();
        if (given != null) {
            return new LabStreams(lsl, outageMs, given, false);
        }
        LabStreamsConfig.Kinematics k = "lsl".equals(cfg.source.type) && cfg.source.lsl != null
                ? cfg.source.lsl.kinematics : null;
        if (k == null) {
            return new LabStreams(lsl, outageMs, null, false);
        }
        LslBackend backend = Sources.lslBackend(cfg.source.lsl);
        List<String> labels = k.positionMode() ? List.of(k.x, k.y) : List.of(k.vx, k.vy);
        try {
            KinematicsInlet in = KinematicsInlet.open(backend, new LslSampleSource.Selector().name(k.name)
                            .type(k.type).sourceId(k.sourceId), labels, k.positionMode(), k.maxGapMs * 1e-3,
                    k.maxWaitMs * 1e-3, 0, cfg.source.lsl.resolveTimeoutS);
            return new LabStreams(lsl, outageMs, in, true);
        } catch (IllegalStateException | IllegalArgumentException e) {
            throw new ConfigException("source.lsl.kinematics", e.getMessage());
        }
    }

    /** The references the session calibrates on: the paired kinematics when there is a kinematics stream. */
    List<String> referenceNames(SampleSource source) {
        return kinematics != null ? VELOCITY : source.referenceNames();
    }

    /** True when targets come from the kinematics stream rather than the neural stream. */
    boolean pairs() {
        return kinematics != null;
    }

    /**
     * Publishes the decoded-output outlet when {@code decodedOutlet} is on for this source, before the pipeline
     * starts; returns its sink, or null.
     */
    OutputSink openOutlet(ReflexConfig cfg, List<String> targetNames) {
        LabStreamsConfig.DecodedOutlet o = cfg.decodedOutlet;
        if (o == null || !o.enabledFor(cfg.source.type)) {
            return null;
        }
        List<String> labels = targetNames;
        if (o.labels != null) {
            if (o.labels.size() != targetNames.size()) {
                throw new ConfigException("decodedOutlet.labels", o.labels.toString(), "one label per decoder output:"
                        + " this session decodes " + targetNames.size() + " " + targetNames);
            }
            labels = o.labels;
        }
        outletLabels = List.copyOf(labels);
        LslBackend backend = Sources.lslBackend(cfg.source.lsl);
        try {
            outlet = new DecodedOutlet(backend.createOutlet(DecodedOutlet.describe(o.name, o.type, o.sourceId, labels,
                    cfg.pipeline.binWidthUs)));
        } catch (RuntimeException e) {
            throw new ConfigException("decodedOutlet", "cannot publish the LSL outlet '" + o.name + "': " + e);
        }
        if (o.waitForConsumerS > 0) {
            // before any frame is pushed, so that the display receives the whole run
            outlet.outlet().waitForConsumers(o.waitForConsumerS);
        }
        return outlet;
    }

    /**
     * The observer that pairs every frame with the kinematics and hands the paired ones, with their targets set, to
     * {@code downstream} (the calibration recorder and the scorer); null handlers are skipped.
     */
    FrameHandler pairing(ReflexConfig cfg, int channels, int outputs, FrameHandler... downstream) {
        double rate = cfg.source.sampleRateHz;
        long samplesPerBin = Math.round(cfg.pipeline.binWidthUs * rate / 1e6);
        double midOffsetS = (samplesPerBin - 1) / (2 * rate);
        LabStreamsConfig.Kinematics k = cfg.source.lsl == null ? null : cfg.source.lsl.kinematics;
        double waitS = (k == null ? new LabStreamsConfig.Kinematics() : k).maxWaitMs * 1e-3;
        int capacity = (int) Math.min(1 << 16, Math.ceil(waitS * 1e6 / cfg.pipeline.binWidthUs) + 64);
        List<FrameHandler> to = new ArrayList<>();
        for (FrameHandler h : downstream) {
            if (h != null) {
                to.add(h);
            }
        }
        pairing = new Pairing(kinematics, channels, outputs, midOffsetS, capacity, to.toArray(new FrameHandler[0]));
        return pairing;
    }

    /** Has {@code journal} write the markers from now on, with those that arrived before it opened. */
    void journalMarkers(Journal journal) {
        if (markerFeed != null && journal != null) {
            markerJournal = journal;
            journal.journalMarkers(markerFeed);
        }
    }

    /** Tells the listener of outages that began or ended since the last call; called by the session's thread. */
    void poll(ClosedLoopSession.Listener listener) {
        if (lslSource == null) {
            return;
        }
        long begun = lslSource.outages();
        long ended = lslSource.outagesEnded();
        if (begun > outagesShown) {
            outagesShown = begun;
            listener.onNotice(String.format(Locale.ROOT, "source outage %d: no samples from %s for more than %.0f ms"
                    + " (source.lsl.outageMs); decoding resumes when it comes back", begun, lslSource.name(),
                    outageMs));
        }
        if (ended > endedShown) {
            endedShown = ended;
            listener.onNotice(String.format(Locale.ROOT, "source back after %.0f ms (outage %d; inlet reconnects so far: %d)",
                    lslSource.lastOutageNs() * 1e-6, ended, lslSource.reconnects()));
        }
    }

    /** Adds the figures of the parts in use to {@code report}; after the pipeline stopped. */
    /** The inlet's discarded samples when the live phase began (-1 before it, or uncounted). */
    private long inletDroppedAtLive = -1;

    /** Marks the start of the live phase, for the live figures. */
    void liveStarted() {
        if (lslSource != null) {
            inletDroppedAtLive = lslSource.inletDropped();
            if (lslSource.inlet() instanceof JavaInlet j) {
                j.requestStalenessReset(); // done by the pulling thread at its next pull
                stalenessFromLive = true;
            }
        }
    }

    /** Whether the inlet's staleness histogram was cleared when the live phase began. */
    private boolean stalenessFromLive;

    void report(SessionReport report) {
        if (lslSource != null) {
            SourceFigures s = new SourceFigures();
            s.outages = lslSource.outages();
            s.reconnects = lslSource.reconnects();
            s.longestGapMs = lslSource.longestGapNs() * 1e-6;
            s.outageMs = outageMs;
            s.samples = lslSource.pulled();
            s.inletDropped = lslSource.inletDropped();
            s.inletDroppedLive = inletDroppedAtLive < 0 || s.inletDropped < 0 ? -1 : s.inletDropped - inletDroppedAtLive;
            if (lslSource.inlet() instanceof JavaInlet j) {
                Histogram h = j.staleness(); // the ingest thread has stopped: read here
                if (stalenessFromLive && h.getTotalCount() > 0) {
                    s.stalenessLiveUs = new double[] {h.getValueAtPercentile(50) / 1e3,
                            h.getValueAtPercentile(99) / 1e3, h.getMaxValue() / 1e3};
                }
            }
            report.lslSource = s;
        }
        if (kinematics != null) {
            KinematicsFigures k = new KinematicsFigures();
            k.stream = kinematics.info().name();
            k.samples = kinematics.samples();
            k.paired = kinematics.paired();
            k.beforeStart = kinematics.beforeStart();
            k.late = kinematics.late();
            k.missing = kinematics.missing();
            k.lateSamples = kinematics.lateSamples();
            k.pending = pairing == null ? 0 : pairing.pending;
            report.kinematics = k;
        }
        if (markers != null) {
            MarkerFigures m = new MarkerFigures();
            m.stream = markers.stream();
            m.received = markers.received();
            m.last = markers.last();
            if (markerJournal != null) {
                m.journaled = markerJournal.markersWritten();
                m.notJournaled = markersDropped.get() + markerJournal.markersNotWritten() + markerFeed.size();
            }
            report.markers = m;
        }
        if (outlet != null) {
            DecodedOutletFigures d = new DecodedOutletFigures();
            d.name = outlet.outlet().info().name();
            d.type = outlet.outlet().info().type();
            d.labels = outletLabels;
            d.pushed = outlet.pushed();
            d.framesEmitted = outlet.frames();
            d.failures = outlet.failures();
            report.decodedOutlet = d;
        }
    }

    /** Why calibration may lack bins, from the kinematics side; "" without a kinematics stream. */
    String calibrationHint() {
        if (kinematics == null) {
            return "";
        }
        return String.format(Locale.ROOT, "; kinematics from %s: %d samples, %d bins paired, %d before its start, %d"
                        + " late, %d in gaps", kinematics.name(), kinematics.samples(), kinematics.paired(),
                kinematics.beforeStart(), kinematics.late(), kinematics.missing());
    }

    @Override
    public void close() {
        if (markers != null) {
            markers.close();
        }
        if (outlet != null) {
            outlet.close();
        }
        if (ownsKinematics && kinematics != null) {
            kinematics.close();
        }
    }

    /**
     * Holds copies of the frames until the kinematics decide them (in a preallocated ring, so the pipeline's slots are
     * not held), then hands the paired ones on. Runs on the observer thread; allocates nothing per frame.
     */
    static final class Pairing implements FrameHandler {
        private final KinematicsInlet kinematics;
        private final Frame[] ring;
        private final FrameHandler[] downstream;
        private final double midOffsetS;
        private final double[] velocity = new double[2];
        private int head;
        private int size;
        volatile long pending;

        Pairing(KinematicsInlet kinematics, int channels, int outputs, double midOffsetS, int capacity,
                FrameHandler[] downstream) {
            this.kinematics = kinematics;
            this.midOffsetS = midOffsetS;
            this.downstream = downstream;
            this.ring = new Frame[capacity];
            for (int i = 0; i < capacity; i++) {
                ring[i] = new Frame(channels, 1, VELOCITY.size(), outputs);
            }
        }

        @Override
        public void onStart() {
            for (FrameHandler h : downstream) {
                h.onStart();
            }
        }

        @Override
        public void onClose() {
            for (FrameHandler h : downstream) {
                h.onClose();
            }
        }

        @Override
        public void onFrame(Frame frame) throws Exception {
            kinematics.pollAvailable();
            if (size == ring.length) {
                // the kinematics are further behind than the ring holds: decide the oldest now
                next(Double.POSITIVE_INFINITY);
            }
            copy(frame, ring[(head + size) % ring.length]);
            size++;
            pending = size;
            double now = frame.acquisitionTimeS;
            while (size > 0 && next(now)) {
                // each decided frame was handed on or dropped
            }
        }

        /**
         * Decides the oldest held frame: false while it must wait; else takes it off the ring (before handing it on,
         * so that a throwing handler cannot make it come again), hands it on when paired, and returns true.
         */
        private boolean next(double nowS) throws Exception {
            Frame f = ring[head];
            int status = kinematics.pair(f.acquisitionTimeS - midOffsetS, nowS, velocity);
            if (status == KinematicsInlet.WAIT) {
                return false;
            }
            head = (head + 1) % ring.length;
            size--;
            pending = size;
            if (status == KinematicsInlet.PAIRED) {
                f.targets[0] = (float) velocity[0];
                f.targets[1] = (float) velocity[1];
                for (FrameHandler h : downstream) {
                    h.onFrame(f);
                }
            }
            return true;
        }

        private static void copy(Frame from, Frame to) {
            to.sequence = from.sequence;
            to.sourceSequence = from.sourceSequence;
            to.acquisitionTimeS = from.acquisitionTimeS;
            to.deadlineNs = from.deadlineNs;
            to.flags = from.flags;
            to.decodeStatus = from.decodeStatus;
            to.decoderGeneration = from.decoderGeneration;
            to.engine = from.engine;
            to.engineCycles = from.engineCycles;
            System.arraycopy(from.stampNs, 0, to.stampNs, 0, to.stampNs.length);
            System.arraycopy(from.features, 0, to.features, 0, to.features.length);
            System.arraycopy(from.output, 0, to.output, 0, to.output.length);
            System.arraycopy(from.safeOutput, 0, to.safeOutput, 0, to.safeOutput.length);
            System.arraycopy(from.decoded, 0, to.decoded, 0, to.decoded.length);
            to.targets[0] = 0f;
            to.targets[1] = 0f;
        }
    }
}
