package io.reflex.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.tools.rig.LslRig;
import io.reflex.tools.rig.RigReport;
import io.reflex.tools.rig.RigRun;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code reflex rig}: the latency rig. Sends samples on a fixed schedule through Reflex's pipeline and through the
 * baselines in turn, matches every output to the bin that caused it and reports the latency from the schedule
 * (coordinated-omission corrected), with ratios to the baselines measured in the same run.
 */
@Command(name = "rig", mixinStandardHelpOptions = true,
        header = "Measure closed-loop latency against baselines run in the same run.",
        description = {"A source sends samples on a fixed schedule (rate, channels, chunking); Reflex's pipeline"
                + " decodes them and a sink matches each output to the bin whose last sample caused it. Latency is"
                + " charged from the time the schedule sent that sample (coordinated-omission corrected). The"
                + " baselines, a plain loop doing the same work and a pipeline with ArrayBlockingQueue hand-offs,"
                + " take turns with Reflex segment by segment on the same schedule. Paths: inprocess (no network);"
                + " lsl: source, daemon and bare relay as separate processes on loopback LSL, the relay and the"
                + " daemon reading the same samples at the same time, this process the sink; stim: the lsl path"
                + " with the daemon also stimulating through its threshold policy, envelope and journal over the"
                + " TCP stimulator protocol to a simulated stimulator in this process (latency from the input"
                + " sample to the command's arrival)."
                + " Exit codes: 0 ok, 1 a series dropped bins or missed deadlines, 2 usage, 3 the lsl run failed"
                + " (a child process died, a stream never appeared)."})
final class RigCommand implements Callable<Integer> {
    static final int EXIT_DEGRADED = 1;
    static final int EXIT_USAGE = 2;
    static final int EXIT_FAILED = 3;

    @Option(names = "--path", paramLabel = "PATH", defaultValue = "inprocess",
            description = "inprocess (default), lsl (loopback LSL, separate processes; --segment-s does not apply) or"
                    + " stim (lsl plus the stimulation path; --bin-us ≥ 4000, --warmup-s ≥ 1).")
    String path;

    @Option(names = "--rate", paramLabel = "HZ", defaultValue = "1000", description = "Samples per second.")
    double rateHz;

    @Option(names = "--channels", paramLabel = "N", defaultValue = "96", description = "Channels per sample.")
    int channels;

    @Option(names = "--chunk", paramLabel = "N", defaultValue = "1", description = "Samples sent together.")
    int chunk;

    @Option(names = "--bin-us", paramLabel = "US", defaultValue = "20000", description = "Bin width, µs.")
    long binUs;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "10",
            description = "Measured time per series, s (each series gets the same).")
    double seconds;

    @Option(names = "--segment-s", paramLabel = "S", defaultValue = "1",
            description = "Length of one turn, s; the series alternate turn by turn.")
    double segmentS;

    @Option(names = "--warmup-s", paramLabel = "S", defaultValue = "2",
            description = "Unmeasured warm-up per series before the first turn, s (lsl: a lead-in at the measured"
                    + " rate, matched but not measured).")
    double warmupS;

    @Option(names = "--decoder", paramLabel = "NAME", defaultValue = "kalman",
            description = "kalman, wiener, snn or lfads (lfads: --channels must be the model's input dimension).")
    String decoder;

    @Option(names = "--engine", paramLabel = "A[,B...]",
            description = "For snn and lfads: the engine chain, e.g. cpu-fixed or rtl-sim,cpu-fixed (default: the"
                    + " decoder's default chain).")
    String engine;

    @Option(names = "--signal", paramLabel = "KIND", defaultValue = "spikes",
            description = "spikes (center-out spike counts) or broadband (Gaussian values).")
    String signal;

    @Option(names = "--topology", paramLabel = "T", defaultValue = "fused",
            description = "Reflex's pipeline topology: single, fused or per-stage.")
    String topology;

    @Option(names = "--hot-idle", paramLabel = "S", defaultValue = "backoff",
            description = "Idle strategy of the polling threads (Reflex's and the baselines'): busy-spin, yield,"
                    + " backoff, park.")
    String hotIdle;

    @Option(names = "--deadline-us", paramLabel = "US", defaultValue = "5000",
            description = "Per-frame deadline from ingest, µs.")
    long deadlineUs;

    @Option(names = "--stim-watchdog-us", paramLabel = "US", defaultValue = "0",
            description = "Stimulation path: the daemon's watchdog bounds (pipeline heartbeat, decoder output), µs;"
                    + " 0 (default) keeps the daemon's own, 3 bins. A trip stops stimulation and shows as drops.")
    long stimWatchdogUs;

    @Option(names = "--no-baselines", description = "Measure Reflex only.")
    boolean noBaselines;

    @Option(names = "--sweep", description = "Double the rate step by step (from --rate, up to --max-rate) until"
            + " bins drop or deadlines are missed; report the highest rate held.")
    boolean sweep;

    @Option(names = "--max-rate", paramLabel = "HZ", defaultValue = "64000", description = "Highest rate a sweep tries.")
    double maxRate;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Option(names = "--report", paramLabel = "FILE.html",
            description = "Also write a self-contained HTML page with the plots (histogram, percentiles, latency over"
                    + " time); opens without a network.")
    Path report;

    @Override
    public Integer call() throws InterruptedException {
        return run(System.out, System.err);
    }

    int run(PrintStream out, PrintStream err) throws InterruptedException {
        if (!"inprocess".equals(path) && !"lsl".equals(path) && !"stim".equals(path)) {
            err.println("reflex rig: --path " + path + " is not known; allowed: inprocess, lsl, stim");
            return EXIT_USAGE;
        }
        boolean processes = !"inprocess".equals(path);
        if (processes && sweep) {
            err.println("reflex rig: --sweep measures the inprocess path only");
            return EXIT_USAGE;
        }
        if ("stim".equals(path) && warmupS < 1) {
            err.println("reflex rig: --path stim needs --warmup-s ≥ 1 (a lead-in in which the daemon arms and the"
                    + " policy replay falls into step with it), was " + warmupS);
            return EXIT_USAGE;
        }
        RigRun.Options o = options(rateHz);
        try {
            o.check();
        } catch (IllegalArgumentException e) {
            err.println("reflex rig: " + e.getMessage());
            return EXIT_USAGE;
        }
        if (!(maxRate >= rateHz && maxRate <= 1_000_000)) {
            err.println("reflex rig: --max-rate must be in [--rate, 1000000], was " + maxRate);
            return EXIT_USAGE;
        }
        return sweep ? sweep(out, err) : single(o, out, err);
    }

    private RigRun.Options options(double rate) {
        RigRun.Options o = new RigRun.Options();
        o.rateHz = rate;
        o.channels = channels;
        o.chunk = chunk;
        o.binWidthUs = binUs;
        o.seconds = seconds;
        o.segmentSeconds = segmentS;
        o.warmupSeconds = warmupS;
        o.decoder = decoder;
        o.engines = engine;
        o.signal = signal;
        o.topology = topology;
        o.hotIdle = hotIdle;
        o.deadlineUs = deadlineUs;
        o.baselines = !noBaselines && !sweep;
        o.stimWatchdogUs = stimWatchdogUs;
        return o;
    }

    private int single(RigRun.Options o, PrintStream out, PrintStream err) throws InterruptedException {
        ObjectNode r;
        try {
            if (!"inprocess".equals(path)) {
                o.stim = "stim".equals(path);
                r = new LslRig(o, err::println).run();
            } else {
                try (RigRun run = new RigRun(o)) {
                    r = run.run(err::println);
                }
            }
        } catch (IllegalArgumentException e) {
            err.println("reflex rig: " + e.getMessage());
            return EXIT_USAGE;
        } catch (IllegalStateException | java.io.UncheckedIOException e) {
            err.println("reflex rig: the lsl run failed: " + e.getMessage());
            return EXIT_FAILED;
        }
        if (report != null) {
            try {
                RigReport.write(r, report);
            } catch (IOException | RuntimeException e) {
                err.println("reflex rig: cannot write the report " + report + ": " + e.getMessage());
                return EXIT_USAGE;
            }
            err.println("reflex rig: report written to " + report);
        }
        if (json) {
            out.println(Json.write(r));
        } else {
            out.print(text(r));
        }
        return degraded(r) ? EXIT_DEGRADED : 0;
    }

    private int sweep(PrintStream out, PrintStream err) throws InterruptedException {
        ObjectNode root = Json.mapper().createObjectNode();
        root.put("command", "rig");
        root.put("sweep", "rate");
        ArrayNode steps = root.putArray("steps");
        double held = 0;
        JsonNode machine = null;
        for (double rate = rateHz; rate <= maxRate * (1 + 1e-9); rate *= 2) {
            RigRun.Options o = options(rate);
            ObjectNode r;
            try (RigRun run = new RigRun(o.check())) {
                r = run.run(line -> { });
            } catch (IllegalArgumentException e) {
                err.println("reflex rig: sweep stopped at " + rate + " Hz: " + e.getMessage());
                break;
            }
            machine = r.get("machine");
            JsonNode s = r.get("series").get(0);
            ObjectNode step = steps.addObject();
            step.put("rate_hz", rate);
            step.put("channels", channels);
            step.set("latency_us", s.get("latency_us"));
            step.put("frames", s.get("frames").asLong());
            step.put("drops", s.get("drops").asLong());
            step.put("deadline_misses", s.get("deadline_misses").asLong());
            boolean ok = s.get("drops").asLong() == 0 && s.get("deadline_misses").asLong() == 0;
            step.put("held", ok);
            err.printf(Locale.ROOT, "rig sweep: %.0f Hz × %d ch: p50 %.1f µs, p99 %.1f µs, %d drops, %d deadline"
                            + " misses%s%n", rate, channels, s.get("latency_us").path("p50").asDouble(),
                    s.get("latency_us").path("p99").asDouble(), s.get("drops").asLong(),
                    s.get("deadline_misses").asLong(), ok ? "" : " <- not held");
            if (!ok) {
                break;
            }
            held = rate;
        }
        root.put("highest_rate_held_hz", held);
        if (machine != null) {
            root.set("machine", machine);
        }
        if (json) {
            out.println(Json.write(root));
        } else {
            out.printf(Locale.ROOT, "rig sweep: highest rate held %.0f Hz at %d channels (no drops, no deadline"
                    + " misses)%n", held, channels);
        }
        return 0;
    }

    static boolean degraded(JsonNode r) {
        for (JsonNode s : r.get("series")) {
            if (s.get("drops").asLong() > 0 || s.get("deadline_misses").asLong() > 0) {
                return true;
            }
        }
        return false;
    }

    static String text(JsonNode r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "reflex rig: %s path, %s decoder on %s, %.0f Hz × %d ch, chunk %d, bin %d"
                        + " µs, %.1f s per series (%s, %s)%n", r.get("path").asText(), r.get("decoder").asText(),
                r.get("engine").asText(),
                r.get("rate_hz").asDouble(), r.get("channels").asInt(), r.get("chunk").asInt(),
                r.get("bin_us").asLong(), r.get("seconds").asDouble(), r.get("machine").get("jdk").asText(),
                r.get("date").asText()));
        String mode = r.path("series_mode").asText();
        if ("concurrent".equals(mode) || "interleaved".equals(mode)) {
            sb.append("  the series ran at the same time on the same samples").append("interleaved".equals(mode)
                    ? ", the relay's bins ending " + r.path("relay_offset_samples").asInt() + " samples after Reflex's"
                    : "").append(" (separate processes on loopback LSL)").append(System.lineSeparator());
        }
        sb.append(String.format(Locale.ROOT, "  %-14s %9s %9s %9s %9s %9s %8s %6s %6s%n", "series", "p50 µs", "p90 µs",
                "p99 µs", "p99.9 µs", "max µs", "frames", "drops", "misses"));
        for (JsonNode s : r.get("series")) {
            JsonNode l = s.get("latency_us");
            sb.append(String.format(Locale.ROOT, "  %-14s %9.1f %9.1f %9.1f %9.1f %9.1f %8d %6d %6d%n",
                    s.get("name").asText(), l.path("p50").asDouble(), l.path("p90").asDouble(),
                    l.path("p99").asDouble(), l.path("p99_9").asDouble(), l.path("max").asDouble(),
                    s.get("frames").asLong(), s.get("drops").asLong(), s.get("deadline_misses").asLong()));
        }
        JsonNode ratios = r.get("ratios");
        if (ratios != null && ratios.size() > 0) {
            sb.append("  ratios (Reflex / baseline):");
            ratios.fields().forEachRemaining(e -> sb.append(String.format(Locale.ROOT, " %s %.2f", e.getKey(),
                    e.getValue().asDouble())));
            sb.append(System.lineSeparator());
        }
        return sb.toString();
    }
}
