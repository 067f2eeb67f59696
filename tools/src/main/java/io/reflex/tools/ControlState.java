package io.reflex.tools;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.reflex.runtime.session.ClosedLoopSession;
import io.reflex.stim.StimController;
import io.reflex.stim.StimFault;
import java.util.List;

/**
 * What the control API reads: the session's last progress snapshot, taken on the session thread about every
 * {@code tickMs} and handed over through one volatile field, so a request never touches the pipeline and the
 * figures are at most one tick old. It passes every event on to the progress printer it wraps.
 */
final class ControlState implements ClosedLoopSession.Listener {
    /** Phases the {@code reflex_run_phase} gauge names. */
    static final List<String> PHASES = List.of("starting", "calibration", "fit", "live", "drain", "stopping");

    private final ClosedLoopSession.Listener delegate;
    private final StimRun stim;
    private final LatestOutput output;
    private volatile ClosedLoopSession.Progress last = new ClosedLoopSession.Progress();
    private volatile String phase = "starting";
    private final PrometheusRegistry registry = new PrometheusRegistry();
    /** Latency percentiles, taken at most once per {@link #LATENCY_REFRESH_NS} whatever the request rate. */
    private Latency latency = new Latency(List.of(), new double[0][], 0, List.of(), new long[0][]);
    /** The oldest latency figures a request is given, ns: a histogram snapshot copies a few hundred kB per track. */
    static final long LATENCY_REFRESH_NS = 1_000_000_000L;
    /** The quantiles reported, and their labels. */
    static final double[] QUANTILES = {50, 99, 99.9, 100};
    static final String[] QUANTILE_LABELS = {"0.5", "0.99", "0.999", "1"};

    /**
     * Upper bounds of the latency buckets ({@code /metrics} and {@code GET /api/latency}), µs: powers of two from
     * 1 µs to 2^26 µs (67 s, above {@link io.reflex.runtime.pipeline.LatencyStats#HIGHEST_NS}), so that the
     * bounds never change between scrapes.
     */
    static final int LATENCY_BUCKETS = 27;
    /** The same bounds in seconds, then +Inf: the {@code le} labels of {@code reflex_latency_histogram_seconds}. */
    private static final double[] BUCKET_UPPER_S = new double[LATENCY_BUCKETS + 1];

    static {
        for (int i = 0; i < LATENCY_BUCKETS; i++) {
            BUCKET_UPPER_S[i] = Math.scalb(1e-6, i);
        }
        BUCKET_UPPER_S[LATENCY_BUCKETS] = Double.POSITIVE_INFINITY;
    }

    /**
     * Per track: p50, p99, p99.9, max (seconds), count; the snapshot histograms themselves (ns); and their counts
     * per bucket of {@link #BUCKET_UPPER_S} (not cumulative; the last is above the largest bound).
     */
    private record Latency(List<String> tracks, double[][] figures, long takenNs,
                           List<org.HdrHistogram.Histogram> histograms, long[][] buckets) {
    }

    /** @param stim the run's stimulation, or null without a {@code stim} section */
    ControlState(ClosedLoopSession.Listener delegate, StimRun stim) {
        this(delegate, stim, new int[0]);
    }

    /**
     * @param stim     the run's stimulation, or null without a {@code stim} section
     * @param channels input channels whose features the status carries ({@code control.telemetryChannels})
     */
    ControlState(ClosedLoopSession.Listener delegate, StimRun stim, int[] channels) {
        this.delegate = delegate;
        this.stim = stim;
        this.output = new LatestOutput(channels);
        registerMetrics();
    }

    @Override
    public void onPhase(String phase, String detail) {
        if (!"stopping".equals(this.phase)) {
            this.phase = phase;
        }
        delegate.onPhase(phase, detail);
        logEntry("phase", phase + ": " + detail);
    }

    @Override
    public void onTick(ClosedLoopSession.Progress progress) {
        last = progress;
        delegate.onTick(progress);
    }

    @Override
    public void onNotice(String message) {
        delegate.onNotice(message);
        logEntry("notice", message);
    }

    /** Entries the run log keeps for {@code GET /api/log} (the oldest go first). */
    static final int LOG_ENTRIES = 200;
    /** Longest message kept in the run log. */
    static final int LOG_MESSAGE_CHARS = 2_000;
    private final java.util.ArrayDeque<String[]> logRing = new java.util.ArrayDeque<>();
    private long logSeq;

    /** Adds an entry to the run log (phases, notices, control actions); any thread. */
    synchronized void logEntry(String kind, String message) {
        String m = message == null ? "" : message.length() > LOG_MESSAGE_CHARS
                ? message.substring(0, LOG_MESSAGE_CHARS) + "..." : message;
        logSeq++;
        logRing.addLast(new String[] {Long.toString(logSeq), java.time.Instant.now().toString(), kind, m});
        while (logRing.size() > LOG_ENTRIES) {
            logRing.removeFirst();
        }
    }

    /** The run log: {@code entries} [{seq, ts, kind, msg}], oldest first. */
    synchronized Json.Obj log() {
        Json.Arr a = Json.array();
        for (String[] e : logRing) {
            a.node().addObject().put("seq", Long.parseLong(e[0])).put("ts", e[1]).put("kind", e[2]).put("msg", e[3]);
        }
        return Json.object().put("entries", a).put("last_seq", logSeq);
    }

    /** A stop was requested (control API or SIGTERM): the run is draining. */
    void stopping() {
        phase = "stopping";
    }

    /** The pipeline observer that keeps the last emitted output for {@link #status()} (add it to the session). */
    LatestOutput outputObserver() {
        return output;
    }

    PrometheusRegistry registry() {
        return registry;
    }

    boolean hasStim() {
        return stim != null;
    }

    /** The latency figures, refreshed from the pipeline's tracks when older than {@link #LATENCY_REFRESH_NS}. */
    private synchronized Latency latency() {
        long now = System.nanoTime();
        io.reflex.runtime.pipeline.LatencyStats stats = last.latency;
        if (stats == null || (!latency.tracks().isEmpty() && now - latency.takenNs() < LATENCY_REFRESH_NS)) {
            return latency;
        }
        List<String> tracks = List.copyOf(stats.trackNames());
        double[][] figures = new double[tracks.size()][];
        long[][] buckets = new long[tracks.size()][];
        List<org.HdrHistogram.Histogram> hs = new java.util.ArrayList<>();
        for (int t = 0; t < tracks.size(); t++) {
            org.HdrHistogram.Histogram h = stats.snapshot(t);
            hs.add(h);
            double[] f = new double[QUANTILES.length + 1];
            for (int q = 0; q < QUANTILES.length; q++) {
                f[q] = h.getTotalCount() == 0 ? Double.NaN : (q == QUANTILES.length - 1 ? h.getMaxValue()
                        : h.getValueAtPercentile(QUANTILES[q])) * 1e-9;
            }
            f[QUANTILES.length] = h.getTotalCount();
            figures[t] = f;
            buckets[t] = buckets(h);
        }
        latency = new Latency(tracks, figures, now, List.copyOf(hs), buckets);
        return latency;
    }

    /**
     * Counts of {@code h} per latency bucket: a value goes to the first bound it does not exceed. HdrHistogram keeps
     * values in bins of 2^k ns, and every bound (1,000 × 2^i ns) is the lowest value of its bin, so a bin lies wholly
     * on one side of each bound: only a value exactly on a bound is counted in the next bucket up.
     */
    private static long[] buckets(org.HdrHistogram.Histogram h) {
        long[] counts = new long[LATENCY_BUCKETS + 1];
        int b = 0;
        for (org.HdrHistogram.HistogramIterationValue v : h.recordedValues()) {
            long highestNs = v.getValueIteratedTo();
            while (b < LATENCY_BUCKETS && highestNs > (1_000L << b)) {
                b++;
            }
            counts[b] += v.getCountAtValueIteratedTo();
        }
        return counts;
    }

    /**
     * The latency histograms of every track ({@code GET /api/latency}), from the same snapshots as the quantiles
     * (at most a second old): per track {@code count}, {@code max_us}, {@code percentiles} [[percentile, µs]] (HdrHistogram's
     * percentile iteration, 5 ticks per half distance) and {@code buckets} [[from µs, to µs, count]] (the buckets
     * of {@code reflex_latency_histogram_seconds}, not cumulative, empty ones left out).
     */
    Json.Obj latencyHistograms() {
        Latency lat = latency();
        Json.Obj tracks = Json.object();
        for (int t = 0; t < lat.tracks().size(); t++) {
            org.HdrHistogram.Histogram h = lat.histograms().get(t);
            Json.Obj o = Json.object().put("count", h.getTotalCount());
            com.fasterxml.jackson.databind.node.ArrayNode pct = o.node().putArray("percentiles");
            com.fasterxml.jackson.databind.node.ArrayNode buckets = o.node().putArray("buckets");
            if (h.getTotalCount() > 0) {
                o.put("max_us", h.getMaxValue() / 1e3);
                double last = -1;
                for (org.HdrHistogram.HistogramIterationValue v : h.percentiles(5)) {
                    double p = Math.min(100.0, v.getPercentileLevelIteratedTo());
                    if (p > last) {
                        pct.addArray().add(Math.round(p * 1e4) / 1e4).add(v.getValueIteratedTo() / 1e3);
                        last = p;
                    }
                    if (p >= 99.999) {
                        break;
                    }
                }
                long[] counts = lat.buckets()[t];
                for (int b = 0; b < counts.length; b++) {
                    if (counts[b] > 0) {
                        com.fasterxml.jackson.databind.node.ArrayNode a = buckets.addArray()
                                .add(b == 0 ? 0.0 : (double) (1L << (b - 1)));
                        // above the largest bound: no upper end (never, as latencies are clamped to 60 s)
                        (b < LATENCY_BUCKETS ? a.add((double) (1L << b)) : a.addNull()).add(counts[b]);
                    }
                }
            } else {
                o.node().putNull("max_us");
            }
            tracks.put(lat.tracks().get(t), o);
        }
        return Json.object().put("tracks", tracks);
    }

    /** {@code GET /api/status}. */
    Json.Obj status() {
        ClosedLoopSession.Progress p = last;
        Json.Obj o = Json.object()
                .put("phase", phase)
                .put("progress_phase", p.phase == null ? "starting" : p.phase)
                .put("phase_elapsed_s", p.phaseElapsedS)
                .put("frames", p.frames)
                .put("dropped", p.dropped)
                .put("deadline_misses", p.deadlineMisses)
                .put("safe_outputs", p.safeOutputs)
                .put("total_frames", p.totalFrames)
                .put("calibration_frames", p.calibrationFrames)
                .put("calibration_target", p.calibrationTarget)
                .put("live_r2", p.liveR2)
                .put("failovers", p.failovers);
        if (p.decoder != null) {
            o.put("decoder", p.decoder);
        } else {
            o.node().putNull("decoder");
        }
        if (p.engine != null) {
            o.put("engine", p.engine);
        } else {
            o.node().putNull("engine");
        }
        LatestOutput.Snapshot out = new LatestOutput.Snapshot();
        int[] channels = output.channels();
        Json.Arr chosen = Json.array();
        for (int ch : channels) {
            chosen.node().add(ch);
        }
        o.put("channels", chosen);
        if (output.read(out)) {
            o.put("output", floats(out.values, out.count)).put("output_frame", out.frame)
                    .put("output_safe", out.safe).put("channel_features", floats(out.features, channels.length));
            boolean known = false;
            for (int i = 0; i < out.targetCount; i++) {
                known |= Float.isFinite(out.targets[i]);
            }
            if (known) {
                o.put("target", floats(out.targets, Math.min(out.targetCount, out.count)));
            } else {
                o.node().putNull("target");
            }
        } else {
            o.node().putNull("target");
            o.node().putNull("output");
            o.node().putNull("output_frame");
            o.node().putNull("output_safe");
            o.node().putNull("channel_features");
        }
        Latency lat = latency();
        Json.Obj l = Json.object();
        for (int t = 0; t < lat.tracks().size(); t++) {
            double[] f = lat.figures()[t];
            l.put(lat.tracks().get(t), Json.object().put("count", (long) f[QUANTILES.length])
                    .put("p50", f[0] * 1e6).put("p99", f[1] * 1e6).put("p999", f[2] * 1e6).put("max", f[3] * 1e6));
        }
        o.put("latency_us", l);
        if (stim != null) {
            StimController c = stim.system().controller();
            int fault = c.faultCode();
            Json.Obj s = Json.object()
                    .put("state", StimController.stateName(c.state()))
                    .put("fault", fault == StimFault.NONE ? "none" : StimFault.name(fault))
                    .put("issued", c.issued())
                    .put("rejected", c.rejectedTotal())
                    .put("stop_all_sent", c.stopAllSent());
            o.put("stim", s);
        } else {
            o.node().putNull("stim");
        }
        return o;
    }

    /** A JSON array of the first {@code n} values; a value that is not finite is null (JSON has no NaN). */
    private static Json.Arr floats(float[] v, int n) {
        Json.Arr a = Json.array();
        for (int i = 0; i < n; i++) {
            if (Float.isFinite(v[i])) {
                a.node().add(v[i]);
            } else {
                a.node().addNull();
            }
        }
        return a;
    }

    /**
     * Callback metrics: each scrape reads the last snapshot (and the stimulation controller's plain counters, which
     * may be one frame behind); nothing is updated on the pipeline's threads for them.
     */
    private void registerMetrics() {
        counter("reflex_frames", "Frames decoded since the pipeline started", () -> last.totalFrames);
        counter("reflex_dropped_frames", "Frames dropped since the pipeline started", () -> last.totalDropped);
        counter("reflex_deadline_misses", "Frames past their deadline since the pipeline started",
                () -> last.totalDeadlineMisses);
        counter("reflex_safe_outputs", "Frames that left with the safe output since the pipeline started",
                () -> last.totalSafeOutputs);
        counter("reflex_engine_failovers", "Engine failovers of the live decoder", () -> last.failovers);
        GaugeWithCallback.builder().name("reflex_run_phase").help("1 for the daemon's current run phase")
                .labelNames("phase").callback(cb -> {
                    String now = phase;
                    for (String ph : PHASES) {
                        cb.call(ph.equals(now) ? 1 : 0, ph);
                    }
                }).register(registry);
        GaugeWithCallback.builder().name("reflex_latency_seconds")
                .help("Pipeline latency quantiles per track, since live decoding began (before: since start)")
                .labelNames("track", "quantile").callback(cb -> {
                    Latency lat = latency();
                    for (int t = 0; t < lat.tracks().size(); t++) {
                        for (int q = 0; q < QUANTILES.length; q++) {
                            cb.call(lat.figures()[t][q], lat.tracks().get(t), QUANTILE_LABELS[q]);
                        }
                    }
                }).register(registry);
        GaugeWithCallback.builder().name("reflex_latency_count")
                .help("Frames in the latency figures per track (reset when live decoding begins)")
                .labelNames("track").callback(cb -> {
                    Latency lat = latency();
                    for (int t = 0; t < lat.tracks().size(); t++) {
                        cb.call(lat.figures()[t][QUANTILES.length], lat.tracks().get(t));
                    }
                }).register(registry);
        registry.register(new LatencyHistogramCollector());
        GaugeWithCallback.builder().name("reflex_live_r2").help("Running mean velocity R2 of the live decoder")
                .callback(cb -> cb.call(last.liveR2)).register(registry);
        if (stim != null) {
            StimController c = stim.system().controller();
            GaugeWithCallback.builder().name("reflex_stim_armed").help("1 when stimulation is armed or active")
                    .callback(cb -> cb.call(c.isArmed() ? 1 : 0)).register(registry);
            GaugeWithCallback.builder().name("reflex_stim_fault_latched").help("1 while a stimulation fault is latched")
                    .callback(cb -> cb.call(c.faultCode() != StimFault.NONE ? 1 : 0)).register(registry);
            counter("reflex_stim_commands_issued", "Stimulation commands sent to the driver", c::issued);
            counter("reflex_stim_commands_rejected", "Stimulation commands refused by the safety checks",
                    c::rejectedTotal);
            counter("reflex_stim_stop_all_sent", "Stop-all frames sent to the stimulator", c::stopAllSent);
        }
        JvmMetrics.builder().register(registry);
    }

    /** Name of the latency histogram family. */
    static final String LATENCY_HISTOGRAM = "reflex_latency_histogram_seconds";

    /**
     * {@code reflex_latency_histogram_seconds{track=...}}: each track's latency histogram as a Prometheus classic
     * histogram (for {@code histogram_quantile}), from the same once-a-second snapshots as the quantiles; a scrape
     * reads them and copies the counts, nothing runs on the pipeline's threads. The sum is HdrHistogram's mean
     * times the count (each value at the middle of its bin).
     */
    private final class LatencyHistogramCollector implements io.prometheus.metrics.model.registry.Collector {
        @Override
        public io.prometheus.metrics.model.snapshots.MetricSnapshot collect() {
            Latency lat = latency();
            io.prometheus.metrics.model.snapshots.HistogramSnapshot.Builder b =
                    io.prometheus.metrics.model.snapshots.HistogramSnapshot.builder().name(LATENCY_HISTOGRAM)
                            .help("Pipeline latency per track, since live decoding began (before: since start)")
                            .unit(io.prometheus.metrics.model.snapshots.Unit.SECONDS);
            for (int t = 0; t < lat.tracks().size(); t++) {
                org.HdrHistogram.Histogram h = lat.histograms().get(t);
                long n = h.getTotalCount();
                b.dataPoint(io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot
                        .builder()
                        .classicHistogramBuckets(io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets.of(
                                BUCKET_UPPER_S, lat.buckets()[t]))
                        .sum(n == 0 ? 0 : h.getMean() * n * 1e-9)
                        .labels(io.prometheus.metrics.model.snapshots.Labels.of("track", lat.tracks().get(t)))
                        .build());
            }
            return b.build();
        }

        @Override
        public String getPrometheusName() {
            return LATENCY_HISTOGRAM;
        }
    }

    private void counter(String name, String help, java.util.function.LongSupplier value) {
        CounterWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.getAsLong()))
                .register(registry);
    }
}
