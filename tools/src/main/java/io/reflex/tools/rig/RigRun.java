package io.reflex.tools.rig;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.decoders.Decoder;
import io.reflex.decoders.engine.EngineDecoder;
import io.reflex.decoders.engine.EngineSpec;
import io.reflex.runtime.agent.IdleStrategies;
import io.reflex.runtime.pipeline.Topology;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * A rig run on the in-process path: Reflex's pipeline and the baselines take turns on the same schedule, segment by
 * segment (the order rotating each round), so that the machine's noise falls on all of them alike; each series is
 * measured for the same total time. Every segment starts with a lead-in that is matched but not measured (threads
 * starting, caches warming), and the run starts with one unmeasured warm-up round per series, played
 * {@link #WARMUP_SPEEDUP} times faster and for at least {@link #MIN_WARMUP_BINS} bins, so that the JIT has compiled
 * each series' per-bin code with C2 before anything is measured (at 50 bins per second HotSpot would need minutes).
 */
public final class RigRun implements AutoCloseable {
    /** What to run. */
    public static final class Options {
        public double rateHz = 1000;
        public int channels = 96;
        public int chunk = 1;
        public long binWidthUs = 20_000;
        public double seconds = 10;
        public double segmentSeconds = 1;
        public double warmupSeconds = 2;
        public double leadInSeconds = 0.1;
        public String decoder = "kalman";
        /** For lfads and snn: the engine chain, e.g. {@code rtl-sim,cpu-fixed}; null for the default. */
        public String engines;
        public String signal = RigSignal.SPIKES;
        public String topology = Topology.FUSED.key();
        public String hotIdle = "backoff";
        public String idle = "park";
        public long deadlineUs = 5_000;
        public boolean baselines = true;
        /** The LSL rig's stimulation path: the daemon also stimulates, a simulated stimulator here receives. */
        public boolean stim;
        /** Stimulation path: the daemon's watchdog bounds (heartbeat and decoder), µs; 0 for its default (3 bins). */
        public long stimWatchdogUs;
        public long seed = 7;

        /** Samples per bin; the bin width must hold a whole number of samples. */
        public int samplesPerBin() {
            double spb = binWidthUs * rateHz / 1e6;
            long r = Math.round(spb);
            if (r < 1 || Math.abs(spb - r) > 1e-6) {
                throw new IllegalArgumentException("--bin-us " + binWidthUs + " at --rate " + rateHz + " Hz is "
                        + spb + " samples; choose a bin width that holds a whole number of samples (≥ 1)");
            }
            return (int) r;
        }

        /** Checks every bound before anything is allocated. */
        public Options check() {
            if (!(rateHz >= 1 && rateHz <= 1_000_000)) {
                throw new IllegalArgumentException("--rate must be in [1, 1000000] Hz, was " + rateHz);
            }
            if (channels < 1 || channels > 4096) {
                throw new IllegalArgumentException("--channels must be in [1, 4096], was " + channels);
            }
            if (chunk < 1 || chunk > 100_000) {
                throw new IllegalArgumentException("--chunk must be in [1, 100000], was " + chunk);
            }
            if (binWidthUs < 100 || binWidthUs > 1_000_000) {
                throw new IllegalArgumentException("--bin-us must be in [100, 1000000], was " + binWidthUs);
            }
            if (!(seconds >= 0.5 && seconds <= 3600)) {
                throw new IllegalArgumentException("--seconds must be in [0.5, 3600], was " + seconds);
            }
            if (!(segmentSeconds >= 0.2 && segmentSeconds <= 60)) {
                throw new IllegalArgumentException("--segment-s must be in [0.2, 60], was " + segmentSeconds);
            }
            if (!(warmupSeconds >= 0 && warmupSeconds <= 60)) {
                throw new IllegalArgumentException("--warmup-s must be in [0, 60], was " + warmupSeconds);
            }
            if (deadlineUs < 1 || deadlineUs > 60_000_000) {
                throw new IllegalArgumentException("--deadline-us must be in [1, 60000000], was " + deadlineUs);
            }
            if (stimWatchdogUs != 0 && (stimWatchdogUs < 100 || stimWatchdogUs > 10_000_000)) {
                throw new IllegalArgumentException("--stim-watchdog-us must be 0 (the daemon's default) or in [100,"
                        + " 10000000], was " + stimWatchdogUs);
            }
            Topology.byKey(topology);
            try {
                IdleStrategies.byName(hotIdle);
                IdleStrategies.byName(idle);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--hot-idle: " + e.getMessage());
            }
            if (engines != null) {
                if (!"lfads".equals(decoder) && !"snn".equals(decoder)) {
                    throw new IllegalArgumentException("--engine is for the lfads and snn decoders; " + decoder
                            + " runs on the JVM");
                }
                EngineSpec.parseNames(engines);
            }
            samplesPerBin();
            double binsTotal = seconds * rateHz / samplesPerBin();
            if (binsTotal > 20_000_000) {
                throw new IllegalArgumentException("the run would measure " + (long) binsTotal + " bins per series;"
                        + " at most 20000000 (shorten --seconds or widen --bin-us)");
            }
            if ((double) channels * samplesPerBin() > 16_000_000) {
                throw new IllegalArgumentException("a bin of " + channels + " channels × " + samplesPerBin()
                        + " samples is too large (at most 16M values)");
            }
            return this;
        }
    }

    /** How much faster than the measured schedule the warm-up plays it. */
    static final double WARMUP_SPEEDUP = 100;
    /**
     * Bins each series warms up on at least (time allowing): HotSpot compiles a method without loops with C2 after
     * some 5,000 calls in tier 3, and a series' per-bin methods are called once a bin.
     */
    static final long MIN_WARMUP_BINS = 6_000;
    /** The most time one series' warm-up may take to reach {@link #MIN_WARMUP_BINS}, s. */
    static final double MAX_WARMUP_SECONDS = 10;
    /** Fastest warm-up schedule, samples per second. */
    static final double MAX_WARMUP_RATE_HZ = 200_000;

    private final Options o;
    private final List<Decoder> decoders = new ArrayList<>();
    private final List<RigTarget> targets = new ArrayList<>();
    private final List<LatencyRecorder> recorders = new ArrayList<>();
    private final long[] misses;
    private final ReflexInProcess reflex;
    private final AbqPipeline abq;

    public RigRun(Options options) {
        this.o = options.check();
        int spb = o.samplesPerBin();
        // a ring of 10 s of samples, at most 32 Mi values, at least one bin
        int ring = (int) Math.max(spb, Math.min(o.rateHz * 10, (32L << 20) / o.channels));
        RigSignal signal = RigSignal.generate(o.signal, o.channels, ring, o.seed);
        reflex = new ReflexInProcess(signal, decoder(spb),
                o.deadlineUs, Topology.byKey(o.topology), o.hotIdle, o.idle);
        targets.add(reflex);
        if (o.baselines) {
            targets.add(new PlainLoop(signal, decoder(spb), o.deadlineUs, o.hotIdle));
            abq = new AbqPipeline(signal, decoder(spb), o.deadlineUs, o.hotIdle);
            targets.add(abq);
        } else {
            abq = null;
        }
        int rounds = rounds();
        long perSegment = measuredBinsPerSegment();
        for (RigTarget t : targets) {
            recorders.add(new LatencyRecorder(t.name(), (int) Math.min(Integer.MAX_VALUE - 8, rounds * perSegment)));
        }
        misses = new long[targets.size()];
    }

    /** One series' decoder, fitted alike for every series; closed with the run. */
    private Decoder decoder(int spb) {
        try {
            Decoder d = RigSignal.fittedDecoder(o.decoder, o.channels, spb, o.seed,
                    o.engines == null ? null : EngineSpec.parseNames(o.engines));
            decoders.add(d);
            return d;
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The engine chain of the Reflex series' decoder, or {@code java} for a JVM decoder. */
    private String engineName() {
        if (decoders.isEmpty() || !(decoders.get(0) instanceof EngineDecoder ed)) {
            return "java";
        }
        return ed.lastEngineName() == null ? String.valueOf(ed.context().engines()) : ed.lastEngineName();
    }

    /** Releases the decoders' engines (verilated kernels, devices). */
    @Override
    public void close() {
        for (Decoder d : decoders) {
            RigSignal.closeQuietly(d);
        }
        decoders.clear();
    }

    private int rounds() {
        return (int) Math.ceil(o.seconds / o.segmentSeconds - 1e-9);
    }

    private long binsIn(double seconds) {
        return Math.max(1, Math.round(seconds * o.rateHz / o.samplesPerBin()));
    }

    private long measuredBinsPerSegment() {
        return binsIn(o.seconds / rounds());
    }

    /**
     * Runs every round; {@code progress} gets a line after each segment.
     *
     * @return the report object (the {@code --json} output)
     */
    public ObjectNode run(Consumer<String> progress) throws InterruptedException {
        int spb = o.samplesPerBin();
        long lead = binsIn(o.leadInSeconds);
        long measured = measuredBinsPerSegment();
        double segmentMeasuredS = measured * spb / o.rateHz;
        long timeoutNs = Math.max(2_000_000_000L, o.deadlineUs * 4000);
        int n = targets.size();
        if (o.warmupSeconds > 0) {
            // At a few tens of bins per second the JIT would take minutes to compile the per-bin code of any series
            // (HotSpot's C2 waits for thousands of calls): the warm-up plays the schedule faster, same bins, and
            // long enough for MIN_WARMUP_BINS.
            double warmRate = Math.min(o.rateHz * WARMUP_SPEEDUP, Math.max(o.rateHz, MAX_WARMUP_RATE_HZ));
            long warm = Math.max(Math.round(o.warmupSeconds * warmRate / spb),
                    Math.min(MIN_WARMUP_BINS, Math.round(MAX_WARMUP_SECONDS * warmRate / spb)));
            for (int i = 0; i < n; i++) {
                LatencyRecorder scratch = new LatencyRecorder(targets.get(i).name() + "-warmup", 1);
                RigSchedule s = new RigSchedule(System.nanoTime() + 5_000_000, warmRate, o.chunk, spb);
                scratch.beginSegment(s, warm, warm);
                targets.get(i).runSegment(s, warm, scratch, timeoutNs);
            }
            progress.accept(String.format(Locale.ROOT, "rig: warm-up done (%.1f s per series)", o.warmupSeconds));
        }
        int rounds = rounds();
        for (int r = 0; r < rounds; r++) {
            for (int j = 0; j < n; j++) {
                int i = (r + j) % n;
                LatencyRecorder rec = recorders.get(i);
                RigSchedule s = new RigSchedule(System.nanoTime() + 5_000_000, o.rateHz, o.chunk, spb);
                rec.beginSegment(s, lead + measured, lead);
                misses[i] += targets.get(i).runSegment(s, lead + measured, rec, timeoutNs);
                rec.endSegment(segmentMeasuredS);
            }
            LatencyRecorder ref = recorders.get(0);
            progress.accept(String.format(Locale.ROOT, "rig: round %d/%d  reflex p50 %.1f µs p99 %.1f µs, %d frames,"
                            + " %d drops", r + 1, rounds, ref.corrected().getValueAtPercentile(50) / 1e3,
                    ref.corrected().getValueAtPercentile(99) / 1e3, ref.received(), ref.drops()));
        }
        return report();
    }

    private ObjectNode report() {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = header(m, o, "inprocess", engineName());
        root.put("segment_s", o.segmentSeconds);
        root.put("series_mode", "alternating");
        ArrayNode series = root.putArray("series");
        for (int i = 0; i < targets.size(); i++) {
            series.add(series(m, recorders.get(i), targets.get(i).label(), misses[i]));
        }
        root.set("ratios", ratios(m, recorders));
        ObjectNode stages = root.putObject("stages_us");
        for (int k = 0; k < StageTimes.KEYS.length; k++) {
            stages.set(StageTimes.KEYS[k], summary(m, reflex.stages.h[k]));
        }
        return root;
    }

    /** The keys every rig report starts with (the JSON contract's header), for {@code path}. */
    static ObjectNode header(ObjectMapper m, Options o, String path, String engine) {
        ObjectNode root = m.createObjectNode();
        root.put("command", "rig");
        root.put("path", path);
        root.put("decoder", o.decoder);
        root.put("engine", engine);
        root.put("rate_hz", o.rateHz);
        root.put("channels", o.channels);
        root.put("chunk", o.chunk);
        root.put("bin_us", o.binWidthUs);
        root.put("seconds", o.seconds);
        root.put("signal", o.signal);
        root.put("topology", o.topology);
        root.put("hot_idle", o.hotIdle);
        root.put("deadline_us", o.deadlineUs);
        root.set("machine", machine(m));
        root.put("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        return root;
    }

    /** One entry of {@code series}: the recorder's counts and latencies. */
    static ObjectNode series(ObjectMapper m, LatencyRecorder rec, String label, long deadlineMisses) {
        ObjectNode s = m.createObjectNode();
        s.put("name", rec.name());
        s.put("label", label);
        s.put("frames", rec.received());
        s.put("expected", rec.expected());
        s.put("drops", rec.drops());
        s.put("deadline_misses", deadlineMisses);
        s.put("duplicates", rec.duplicates());
        s.put("unmatched", rec.unmatched());
        s.put("measured_s", round(rec.measuredSeconds(), 3));
        s.set("latency_us", summary(m, rec.corrected()));
        s.set("latency_uncorrected_us", summary(m, rec.uncorrected()));
        s.set("percentiles", percentiles(m, rec.corrected()));
        s.set("histogram", histogram(m, rec));
        s.set("timeline", timeline(m, rec));
        return s;
    }

    /** Reflex's (the first recorder's) p50 and p99 over each baseline's, for baselines that measured anything. */
    static ObjectNode ratios(ObjectMapper m, List<LatencyRecorder> recorders) {
        ObjectNode ratios = m.createObjectNode();
        double p50 = recorders.get(0).corrected().getValueAtPercentile(50);
        double p99 = recorders.get(0).corrected().getValueAtPercentile(99);
        for (int i = 1; i < recorders.size(); i++) {
            Histogram h = recorders.get(i).corrected();
            if (h.getTotalCount() > 0 && recorders.get(0).corrected().getTotalCount() > 0) {
                ratios.put("p50_vs_" + recorders.get(i).name(), round(p50 / h.getValueAtPercentile(50), 3));
                ratios.put("p99_vs_" + recorders.get(i).name(), round(p99 / h.getValueAtPercentile(99), 3));
            }
        }
        return ratios;
    }

    static ObjectNode summary(ObjectMapper m, Histogram h) {
        ObjectNode o = m.createObjectNode();
        if (h.getTotalCount() == 0) {
            return o;
        }
        o.put("p50", us(h.getValueAtPercentile(50)));
        o.put("p90", us(h.getValueAtPercentile(90)));
        o.put("p99", us(h.getValueAtPercentile(99)));
        o.put("p99_9", us(h.getValueAtPercentile(99.9)));
        o.put("max", us(h.getMaxValue()));
        o.put("mean", us(h.getMean()));
        o.put("count", h.getTotalCount());
        return o;
    }

    private static ArrayNode percentiles(ObjectMapper m, Histogram h) {
        ArrayNode a = m.createArrayNode();
        if (h.getTotalCount() == 0) {
            return a;
        }
        double last = -1;
        for (HistogramIterationValue v : h.percentiles(5)) {
            double p = Math.min(100.0, v.getPercentileLevelIteratedTo());
            if (p > last) {
                a.addArray().add(round(p, 4)).add(us(v.getValueIteratedTo()));
                last = p;
            }
            if (p >= 99.999) {
                break;
            }
        }
        return a;
    }

    /** Linear buckets from the least to the largest latency (at most 200), counted exactly from the kept values. */
    private static ArrayNode histogram(ObjectMapper m, LatencyRecorder rec) {
        ArrayNode a = m.createArrayNode();
        int n = rec.recorded();
        if (n == 0) {
            return a;
        }
        long lo = Long.MAX_VALUE;
        long hi = Long.MIN_VALUE;
        for (int i = 0; i < n; i++) {
            lo = Math.min(lo, rec.latencyNs(i));
            hi = Math.max(hi, rec.latencyNs(i));
        }
        int buckets = (int) Math.max(1, Math.min(200, Math.min(n, (hi - lo) / 100 + 1)));
        double width = Math.max(1, (double) (hi - lo + 1) / buckets);
        long[] counts = new long[buckets];
        for (int i = 0; i < n; i++) {
            counts[(int) Math.min(buckets - 1, (rec.latencyNs(i) - lo) / width)]++;
        }
        for (int b = 0; b < buckets; b++) {
            a.addArray().add(us(lo + b * width)).add(counts[b]);
        }
        return a;
    }

    /** Median and max per 100 ms of measured time (segments end to end). */
    private static ArrayNode timeline(ObjectMapper m, LatencyRecorder rec) {
        ArrayNode a = m.createArrayNode();
        int n = rec.recorded();
        int i = 0;
        long[] window = new long[Math.max(1, n)];
        while (i < n) {
            double start = Math.floor(rec.atS(i) * 10) / 10;
            int k = 0;
            while (i < n && rec.atS(i) < start + 0.1) {
                window[k++] = rec.latencyNs(i++);
            }
            Arrays.sort(window, 0, k);
            a.addArray().add(round(start + 0.1, 3)).add(us(window[(k - 1) / 2])).add(us(window[k - 1]));
        }
        return a;
    }

    private static ObjectNode machine(ObjectMapper m) {
        ObjectNode o = m.createObjectNode();
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "unknown";
        }
        o.put("host", host);
        o.put("cpus", Runtime.getRuntime().availableProcessors());
        o.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        o.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        o.put("load_average", round(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), 2));
        return o;
    }

    private static double us(double ns) {
        return round(ns / 1e3, 2);
    }

    static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    /** Reflex's series (tests inject delays into its sink). */
    ReflexInProcess reflexTarget() {
        return reflex;
    }

    /** The Reflex pipeline's and the ABQ baseline's bins dropped for want of room, for the summary. */
    long[] ringDrops() {
        return new long[] {reflex.pipelineDrops(), abq == null ? 0 : abq.pipelineDrops()};
    }
}
