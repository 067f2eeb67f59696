package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.prometheus.metrics.expositionformats.generated.com_google_protobuf_4_36_2.Metrics;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code reflex daemon} with the control API on an ephemeral loopback port as a real process: status and
 * Prometheus metrics are read, refused requests (no token, wrong token, cross-origin, foreign Host, bad body) change
 * nothing, and an authorised {@code POST /api/stop} ends the run as SIGTERM does, with exit 0 and the summary. With a
 * stim section, stimulation is armed over the API (reason, then confirmation) and e-stopped.
 */
class ControlApiProcessTest {
    private static final Pattern URL = Pattern.compile("control API on http://127\\.0\\.0\\.1:(\\d+)/");
    private static final Pattern TOKEN = Pattern.compile("control token: ([0-9a-f]{64})");
    private static final String PROTOBUF =
            "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void statusMetricsRefusalsAndAnAuthorisedStop(@TempDir Path dir) throws Exception {
        Path tokenFile = dir.resolve("secret").resolve("control.token");
        Path logFile = dir.resolve("control.log");
        Daemon d = Daemon.start(dir, "\"control\": {\"enabled\": true, \"port\": 0, \"tokenFile\": \""
                + json(tokenFile) + "\", \"logFile\": \"" + json(logFile) + "\", \"telemetryChannels\": [0, 5]}");
        try {
            d.awaitLive();
            int port = d.port();
            String host = "127.0.0.1:" + port;

            // The token: printed once, the same as the file's, which only the owner can read or write.
            assertThat(Files.getPosixFilePermissions(tokenFile)).containsExactlyInAnyOrder(
                    PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
            String token = Files.readString(tokenFile).strip();
            assertThat(token).isEqualTo(d.token());
            assertThat(d.count(token)).as("the token is printed once").isEqualTo(1);

            // the latency histograms: every value in exactly one bucket, percentiles rising
            JsonNode lat = Json.mapper().readTree(Http.get(port, "/api/latency", host, Map.of()).body)
                    .at("/tracks/ingest_to_emit");
            assertThat(lat.get("count").asLong()).isPositive();
            long inBuckets = 0;
            for (JsonNode b : lat.get("buckets")) {
                assertThat(b.get(1).asDouble()).isGreaterThan(b.get(0).asDouble());
                inBuckets += b.get(2).asLong();
            }
            assertThat(inBuckets).isEqualTo(lat.get("count").asLong());
            double prev = -1;
            for (JsonNode p : lat.get("percentiles")) {
                assertThat(p.get(1).asDouble()).isGreaterThanOrEqualTo(prev);
                prev = p.get(1).asDouble();
            }
            assertThat(prev).isLessThanOrEqualTo(lat.get("max_us").asDouble() + 1e-6);

            Http.Response st = Http.get(port, "/api/status", host, Map.of());
            assertThat(st.status).as(st.body).isEqualTo(200);
            JsonNode s = Json.mapper().readTree(st.body);
            assertThat(s.get("phase").asText()).isEqualTo("live");
            assertThat(s.get("frames").asLong()).isPositive();
            assertThat(s.get("total_frames").asLong()).isGreaterThanOrEqualTo(s.get("frames").asLong());
            assertThat(s.get("dropped").asLong()).isNotNegative();
            assertThat(s.get("deadline_misses").asLong()).isNotNegative();
            assertThat(s.get("decoder").asText()).isEqualTo("kalman");
            assertThat(s.get("engine").isNull()).isTrue();
            assertThat(s.get("stim").isNull()).isTrue();
            JsonNode e2e = s.get("latency_us").get("ingest_to_emit");
            assertThat(e2e.get("count").asLong()).isPositive();
            assertThat(e2e.get("p50").asDouble()).isPositive().isLessThanOrEqualTo(e2e.get("p99").asDouble());
            assertThat(e2e.get("p99").asDouble()).isLessThanOrEqualTo(e2e.get("max").asDouble());
            // The last emitted output, copied by the control API's observer.
            assertThat(s.get("output").isArray()).as(s.toString()).isTrue();
            assertThat(s.get("output").size()).isPositive();
            assertThat(s.get("output_frame").asLong()).isPositive();
            assertThat(s.get("channels").toString()).isEqualTo("[0,5]");
            assertThat(s.get("channel_features").size()).isEqualTo(2);
            assertThat(s.get("channel_features").get(1).isNumber()).as(s.toString()).isTrue();
            // The telemetry WebSocket: the token as a query parameter (a browser's way), the status keys pushed.
            java.util.concurrent.BlockingQueue<String> pushed = new java.util.concurrent.LinkedBlockingQueue<>();
            java.net.http.WebSocket ws = java.net.http.HttpClient.newHttpClient().newWebSocketBuilder()
                    .buildAsync(java.net.URI.create("ws://" + host + "/api/telemetry?token=" + token),
                            new java.net.http.WebSocket.Listener() {
                                @Override
                                public java.util.concurrent.CompletionStage<?> onText(java.net.http.WebSocket w,
                                        CharSequence data, boolean last) {
                                    pushed.add(data.toString());
                                    w.request(1);
                                    return null;
                                }
                            }).join();
            JsonNode t1 = Json.mapper().readTree(pushed.poll(30, TimeUnit.SECONDS));
            JsonNode t2 = Json.mapper().readTree(pushed.poll(30, TimeUnit.SECONDS));
            assertThat(t1.get("type").asText()).isEqualTo("telemetry");
            assertThat(t2.get("seq").asLong()).isGreaterThan(t1.get("seq").asLong());
            assertThat(t2.get("total_frames").asLong()).isGreaterThanOrEqualTo(t1.get("total_frames").asLong());
            assertThat(t2.get("output").size()).isPositive();
            ws.abort();
            // localhost:port is this server too.
            assertThat(Http.get(port, "/api/status", "localhost:" + port, Map.of()).status).isEqualTo(200);

            // /metrics in the Prometheus text format, checked line by line by a strict parser of the format.
            Http.Response text = Http.get(port, "/metrics", host, Map.of());
            assertThat(text.status).isEqualTo(200);
            assertThat(text.header("content-type")).startsWith("text/plain; version=0.0.4");
            Map<String, Double> samples = PromText.parse(text.body);
            assertThat(samples.get("reflex_frames_total")).isGreaterThan(0);
            assertThat(samples).containsKeys("reflex_dropped_frames_total", "reflex_deadline_misses_total",
                    "reflex_safe_outputs_total", "reflex_engine_failovers_total", "reflex_live_r2",
                    "reflex_run_phase{phase=\"live\"}", "jvm_memory_used_bytes{area=\"heap\"}");
            assertThat(samples.get("reflex_run_phase{phase=\"live\"}")).isEqualTo(1.0);
            assertThat(samples.get("reflex_run_phase{phase=\"calibration\"}")).isEqualTo(0.0);
            assertThat(samples.get("reflex_latency_seconds{quantile=\"0.5\",track=\"ingest_to_emit\"}"))
                    .as("samples: %s", samples.keySet()).isPositive()
                    .isLessThanOrEqualTo(samples.get("reflex_latency_seconds{quantile=\"1\",track=\"ingest_to_emit\"}"));
            assertThat(samples.get("reflex_latency_count{track=\"ingest_to_emit\"}")).isPositive();

            // The same registry in the protobuf format, read by the Prometheus client's own (generated) parser.
            Http.Response pb = Http.get(port, "/metrics", host, Map.of("Accept", PROTOBUF));
            assertThat(pb.status).isEqualTo(200);
            assertThat(pb.header("content-type")).startsWith("application/vnd.google.protobuf");
            Map<String, Metrics.MetricFamily> families = new HashMap<>();
            InputStream in = new ByteArrayInputStream(pb.bytes);
            for (Metrics.MetricFamily f; (f = Metrics.MetricFamily.parseDelimitedFrom(in)) != null; ) {
                families.put(f.getName(), f);
            }
            assertThat(families).containsKeys("reflex_frames_total", "reflex_deadline_misses_total",
                    "reflex_run_phase", "jvm_threads_current");
            assertThat(families.get("reflex_frames_total").getType()).isEqualTo(Metrics.MetricType.COUNTER);
            assertThat(families.get("reflex_frames_total").getMetric(0).getCounter().getValue()).isPositive();

            // The latency histograms, as Prometheus classic histograms: cumulative buckets ending at the count, and
            // the same counts as GET /api/latency when both read the same snapshot (one a second; the counts only
            // grow while live, so equal counts before and after the scrape mean the same snapshot).
            JsonNode lat0 = null;
            Metrics.MetricFamily hist = null;
            Map<String, Double> histText = null;
            for (int attempt = 0; attempt < 20; attempt++) {
                lat0 = Json.mapper().readTree(Http.get(port, "/api/latency", host, Map.of()).body).get("tracks");
                Http.Response hp = Http.get(port, "/metrics", host, Map.of("Accept", PROTOBUF));
                Map<String, Double> t = PromText.parse(Http.get(port, "/metrics", host, Map.of()).body);
                JsonNode lat1 = Json.mapper().readTree(Http.get(port, "/api/latency", host, Map.of()).body)
                        .get("tracks");
                if (lat0.equals(lat1)) {
                    InputStream hin = new ByteArrayInputStream(hp.bytes);
                    for (Metrics.MetricFamily f; (f = Metrics.MetricFamily.parseDelimitedFrom(hin)) != null; ) {
                        if (f.getName().equals("reflex_latency_histogram_seconds")) {
                            hist = f;
                        }
                    }
                    histText = t;
                    break;
                }
            }
            assertThat(hist).as("a scrape between two equal /api/latency answers").isNotNull();
            assertThat(hist.getType()).isEqualTo(Metrics.MetricType.HISTOGRAM);
            Set<String> histTracks = new java.util.HashSet<>();
            for (Metrics.Metric m : hist.getMetricList()) {
                String track = m.getLabel(0).getValue();
                assertThat(m.getLabel(0).getName()).isEqualTo("track");
                histTracks.add(track);
                JsonNode jt = lat0.get(track);
                Metrics.Histogram h = m.getHistogram();
                assertThat(h.getSampleCount()).as(track).isEqualTo(jt.get("count").asLong());
                // [from µs, to µs, count] of the JSON, by upper bound
                Map<Long, Long> json = new HashMap<>();
                for (JsonNode b : jt.get("buckets")) {
                    json.put(b.get(1).asLong(), b.get(2).asLong());
                }
                long prevCum = 0;
                double prevLe = 0;
                int matched = 0;
                for (Metrics.Bucket b : h.getBucketList()) {
                    assertThat(b.getUpperBound()).isGreaterThan(prevLe);
                    assertThat(b.getCumulativeCount()).as("cumulative").isGreaterThanOrEqualTo(prevCum);
                    if (Double.isInfinite(b.getUpperBound())) {
                        assertThat(b.getCumulativeCount()).isEqualTo(h.getSampleCount());
                    } else {
                        long leUs = Math.round(b.getUpperBound() * 1e6);
                        assertThat(b.getUpperBound() * 1e6).isCloseTo(leUs, org.assertj.core.data.Offset.offset(1e-6));
                        Long expected = json.get(leUs);
                        assertThat(b.getCumulativeCount() - prevCum).as("%s le=%s", track, b.getUpperBound())
                                .isEqualTo(expected == null ? 0 : expected);
                        matched += expected == null ? 0 : 1;
                    }
                    prevCum = b.getCumulativeCount();
                    prevLe = b.getUpperBound();
                }
                assertThat(matched).as("every JSON bucket is a Prometheus bucket").isEqualTo(json.size());
                assertThat(prevCum).as("the last bucket holds every value").isEqualTo(h.getSampleCount());
                // the text format: the +Inf bucket equals the count
                String l = "{track=\"" + track + "\",le=\"+Inf\"}";
                assertThat(histText.get("reflex_latency_histogram_seconds_bucket" + l)).as(track)
                        .isEqualTo((double) h.getSampleCount())
                        .isEqualTo(histText.get("reflex_latency_histogram_seconds_count{track=\"" + track + "\"}"));
            }
            assertThat(histTracks).contains("ingest_to_emit");
            assertThat(hist.getMetricList()).filteredOn(m -> m.getLabel(0).getValue().equals("ingest_to_emit"))
                    .singleElement().satisfies(m -> assertThat(m.getHistogram().getSampleCount()).isPositive());

            // Refused: each leaves the daemon running. 401 without a token, 403 for the rest.
            String stop = "/api/stop";
            Map<String, String> auth = Map.of("Authorization", "Bearer " + token);
            assertThat(Http.post(port, stop, host, Map.of(), "").status).isEqualTo(401);
            assertThat(Http.post(port, stop, host, Map.of("Authorization", "Bearer " + "0".repeat(64)), "").status)
                    .isEqualTo(403);
            assertThat(Http.post(port, stop, host, Map.of("Authorization", token), "").status).isEqualTo(403);
            Http.Response cross = Http.post(port, stop, host, with(auth, "Origin", "http://evil.example"), "");
            assertThat(cross.status).isEqualTo(403);
            assertThat(cross.body).contains("cross-origin");
            Http.Response rebind = Http.post(port, stop, "evil.example:" + port, auth, "");
            assertThat(rebind.status).isEqualTo(403);
            assertThat(rebind.body).contains("DNS rebinding");
            assertThat(Http.get(port, "/api/status", "evil.example:" + port, Map.of()).status).isEqualTo(403);
            assertThat(Http.get(port, "/api/status", host, Map.of("Origin", "http://evil.example")).status)
                    .isEqualTo(403);
            Http.Response bad = Http.post(port, stop, host, auth, "{\"reason\": ");
            assertThat(bad.status).isEqualTo(400);
            assertThat(bad.body).contains("not JSON");
            assertThat(Http.post(port, stop, host, auth, "{\"why\": \"x\"}").status).isEqualTo(400);
            assertThat(Http.post(port, stop, host, auth, "{\"reason\": 7}").status).isEqualTo(400);
            Http.Response big = Http.post(port, stop, host, auth, "{\"reason\": \"" + "x".repeat(5_000) + "\"}");
            assertThat(big.status).as(big.body).isEqualTo(413);
            assertThat(Http.get(port, stop, host, auth).status).as("a stop needs POST").isEqualTo(405);
            assertThat(Http.post(port, "/api/stim/estop", host, auth, "").status).as("no stim section")
                    .isEqualTo(404);
            // Still decoding: the frame count moves on (next progress line, then a fresh status).
            long before = s.get("frames").asLong();
            d.awaitProgressLines(2);
            JsonNode later = Json.mapper().readTree(Http.get(port, "/api/status", host, Map.of()).body);
            assertThat(later.get("phase").asText()).isEqualTo("live");
            assertThat(later.get("frames").asLong()).isGreaterThan(before);
            assertThat(d.process.isAlive()).isTrue();

            // Same-origin, right token: accepted; the run stops cleanly as on SIGTERM.
            Http.Response ok = Http.post(port, stop, host, with(auth, "Origin", "http://" + host),
                    "{\"reason\": \"ControlApiProcessTest\"}");
            assertThat(ok.status).as(ok.body).isEqualTo(202);
            assertThat(d.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(d.process.exitValue()).as("stderr:\n%s", d.err()).isZero();
            JsonNode report = Json.mapper().readTree(d.stdout());
            assertThat(report.get("ending").asText()).isEqualTo("stopped");
            assertThat(report.get("frames").asLong()).isGreaterThanOrEqualTo(later.get("frames").asLong());
            assertThat(tokenFile).as("the token dies with the run").doesNotExist();

            List<String> log = Files.readAllLines(logFile);
            assertThat(log).anyMatch(l -> l.contains("token=none") && l.contains("refused 401"));
            assertThat(log).anyMatch(l -> l.contains("token=wrong") && l.contains("refused 403: wrong token"));
            assertThat(log).anyMatch(l -> l.contains("token=ok") && l.contains("refused 403: cross-origin"));
            assertThat(log).anyMatch(l -> l.contains("refused 400"));
            assertThat(log).anyMatch(l -> l.contains("refused 413"));
            assertThat(log).anyMatch(l -> l.startsWith("20") && l.contains("127.0.0.1 token=ok\tstop\taccepted;"
                    + " reason \"ControlApiProcessTest\""));
        } finally {
            d.process.destroyForcibly();
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void armedWithAConfirmationThenAnEstopLatchesAFault(@TempDir Path dir) throws Exception {
        Path tokenFile = dir.resolve("control.token");
        Daemon d = Daemon.start(dir, "\"pipeline\": {\"deadlineUs\": 200000},"
                + "\"stim\": {\"threshold\": 0.05, \"hysteresis\": 0.02,"
                + " \"refractoryMs\": 100, \"heartbeatTimeoutUs\": 1000000, \"decoderTimeoutUs\": 1000000,"
                + " \"linkHeartbeatTimeoutMs\": 2000, \"ackTimeoutMs\": 2000},"
                + "\"control\": {\"enabled\": true, \"tokenFile\": \"" + json(tokenFile) + "\"}");
        try {
            d.awaitLive();
            int port = d.port();
            String host = "127.0.0.1:" + port;
            Map<String, String> auth = Map.of("Authorization", "Bearer " + Files.readString(tokenFile).strip());
            JsonNode s = Json.mapper().readTree(Http.get(port, "/api/status", host, Map.of()).body);
            assertThat(s.get("stim").get("fault").asText()).isEqualTo("none");
            assertThat(s.get("stim").get("state").asText()).as("no armOnStart: the operator arms").isEqualTo(
                    "disarmed");
            // Arming over the API: a reason, then the confirmation; the pipeline's emit thread opens the link and arms.
            Http.Response asked = Http.post(port, "/api/stim/arm", host, auth, "{\"reason\": \"process test\"}");
            assertThat(asked.status).as(asked.body).isEqualTo(202);
            String id = Json.mapper().readTree(asked.body).get("confirmation").asText();
            assertThat(Json.mapper().readTree(Http.get(port, "/api/status", host, Map.of()).body).get("stim")
                    .get("state").asText()).isEqualTo("disarmed");
            Http.Response armed = Http.post(port, "/api/stim/arm/confirm", host, auth,
                    "{\"confirmation\": \"" + id + "\"}");
            assertThat(armed.status).as(armed.body).isEqualTo(200);
            s = Json.mapper().readTree(Http.get(port, "/api/status", host, Map.of()).body);
            assertThat(s.get("stim").get("state").asText()).isIn("armed", "active");
            assertThat(Http.post(port, "/api/stim/estop", host, Map.of(), "").status).isEqualTo(401);
            Http.Response es = Http.post(port, "/api/stim/estop", host, auth, "{\"reason\": \"test e-stop\"}");
            assertThat(es.status).as(es.body).isEqualTo(202);
            // The fault latches at the controller's next call: await it over progress lines, not a sleep.
            for (int i = 0; i < 10 && !"estop".equals(s.get("stim").get("fault").asText()); i++) {
                d.awaitProgressLines(1);
                s = Json.mapper().readTree(Http.get(port, "/api/status", host, Map.of()).body);
            }
            assertThat(s.get("stim").get("fault").asText()).isEqualTo("estop");
            assertThat(s.get("stim").get("state").asText()).isEqualTo("disarmed");
            Map<String, Double> m = PromText.parse(Http.get(port, "/metrics", host, Map.of()).body);
            assertThat(m.get("reflex_stim_fault_latched")).isEqualTo(1.0);
            assertThat(m.get("reflex_stim_armed")).isEqualTo(0.0);
            assertThat(Http.post(port, "/api/stop", host, auth, "").status).isEqualTo(202);
            assertThat(d.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            // A latched stimulation fault makes the exit code say so, as for any other stimulation fault.
            assertThat(d.process.exitValue()).as("stderr:\n%s", d.err()).isEqualTo(StimRun.EXIT_STIM_FAULT);
            JsonNode report = Json.mapper().readTree(d.stdout());
            assertThat(report.get("ending").asText()).isEqualTo("stopped");
            assertThat(report.get("stim_fault").asText()).isEqualTo("estop");
            assertThat(report.get("unsafe_emitted").asLong()).isZero();
            assertThat(Files.readString(dir.resolve("journal").resolve("control.log")))
                    .contains("token=ok\tstim-arm-confirm\tarmed with confirmation " + id.substring(0, 8)
                            + "...; reason \"process test\"")
                    .contains("token=ok\tstim-estop\taccepted; reason \"test e-stop\"");
            // every control action is in the run's data journal too, in order, between the frames
            java.util.List<String> actions = new java.util.ArrayList<>();
            Path run;
            try (java.util.stream.Stream<Path> runs = Files.list(dir.resolve("journal"))) {
                run = runs.filter(p -> p.getFileName().toString().startsWith("run-")).findFirst().orElseThrow();
            }
            try (io.reflex.runtime.journal.JournalReader r = new io.reflex.runtime.journal.JournalReader(run)) {
                io.reflex.runtime.journal.JournalRecord rec = new io.reflex.runtime.journal.JournalRecord();
                int type;
                while ((type = r.nextRecord(rec)) != 0) {
                    if (type == io.reflex.runtime.journal.JournalFormat.TYPE_MARKER
                            && rec.markerText.startsWith(io.reflex.runtime.journal.Journal.CONTROL_PREFIX)) {
                        actions.add(rec.markerText);
                    }
                }
            }
            assertThat(actions).anySatisfy(a -> assertThat(a).contains("\tstim-arm\tconfirmation "))
                    .anySatisfy(a -> assertThat(a).contains("\tstim-arm-confirm\tarmed with confirmation"))
                    .anySatisfy(a -> assertThat(a).contains("\tstim-estop\taccepted; reason \"test e-stop\""))
                    .anySatisfy(a -> assertThat(a).contains("token=none\tPOST /api/stim/estop\trefused 401"));
            assertThat(report.get("control_actions_journaled").asLong()).isEqualTo(actions.size());
            assertThat(report.get("control_actions_not_journaled").asLong()).isZero();
        } finally {
            d.process.destroyForcibly();
        }
    }

    private static Map<String, String> with(Map<String, String> m, String k, String v) {
        Map<String, String> r = new LinkedHashMap<>(m);
        r.put(k, v);
        return r;
    }

    private static String json(Path p) {
        return p.toString().replace("\\", "\\\\");
    }

    /** The daemon as a child process, its stderr collected line by line; waits are on lines, with deadlines. */
    static final class Daemon {
        final Process process;
        private final List<String> lines = new ArrayList<>();
        private final CompletableFuture<String> out;
        private boolean ended;

        private Daemon(Process p) {
            this.process = p;
            CompletableFuture.runAsync(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        synchronized (this) {
                            lines.add(line);
                            notifyAll();
                        }
                    }
                } catch (IOException e) {
                    // The process is gone: the waits below see "ended".
                } finally {
                    synchronized (this) {
                        ended = true;
                        notifyAll();
                    }
                }
            });
            out = CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        }

        static Daemon start(Path dir, String sections) throws IOException {
            Path cfg = Files.writeString(dir.resolve("daemon.json"), "{"
                    + "\"source\": {\"channels\": 16},"
                    + "\"calibration\": {\"seconds\": 4},"
                    + "\"run\": {\"seconds\": 0},"
                    + "\"journal\": {\"dir\": \"" + json(dir.resolve("journal")) + "\"},"
                    + sections + "}");
            List<String> cmd = new ArrayList<>(CliProcess.command(List.of()));
            cmd.addAll(List.of("daemon", "--json", "--config", cfg.toString()));
            return new Daemon(new ProcessBuilder(cmd).start());
        }

        /** Until a live progress line shows frames. */
        synchronized void awaitLive() throws InterruptedException {
            await(() -> lines.stream().anyMatch(l -> l.contains("  live ") && l.contains("frames")
                    && !l.contains("frames 0 ")), "live frames");
        }

        /** Until {@code n} more progress lines have been printed (one per 2 s). */
        synchronized void awaitProgressLines(int n) throws InterruptedException {
            long seen = progressLines();
            await(() -> progressLines() >= seen + n, n + " more progress lines");
        }

        private long progressLines() {
            return lines.stream().filter(l -> l.startsWith("  live ")).count();
        }

        synchronized int port() {
            return Integer.parseInt(match(URL));
        }

        synchronized String token() {
            return match(TOKEN);
        }

        synchronized long count(String s) {
            return lines.stream().filter(l -> l.contains(s)).count();
        }

        synchronized String err() {
            return String.join("\n", lines);
        }

        String stdout() throws Exception {
            return out.get(30, TimeUnit.SECONDS).strip();
        }

        private String match(Pattern p) {
            for (String l : lines) {
                Matcher m = p.matcher(l);
                if (m.find()) {
                    return m.group(1);
                }
            }
            throw new AssertionError("no line matches " + p + " in stderr:\n" + err());
        }

        private void await(java.util.function.BooleanSupplier done, String what) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!done.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (ended || left <= 0) {
                    throw new AssertionError("no " + what + " (" + (ended ? "the daemon ended" : "60 s") + ");"
                            + " stderr:\n" + err());
                }
                wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
    }

    /** A minimal HTTP/1.0 client over a loopback socket: full control of Host and Origin, no chunking. */
    static final class Http {
        static final class Response {
            int status;
            Map<String, String> headers = new HashMap<>();
            byte[] bytes;
            String body;

            String header(String name) {
                return headers.get(name.toLowerCase(java.util.Locale.ROOT));
            }
        }

        static Response get(int port, String path, String host, Map<String, String> headers) throws IOException {
            return send(port, "GET", path, host, headers, null);
        }

        static Response post(int port, String path, String host, Map<String, String> headers, String body)
                throws IOException {
            return send(port, "POST", path, host, headers, body);
        }

        private static Response send(int port, String method, String path, String host, Map<String, String> headers,
                                     String body) throws IOException {
            try (Socket s = new Socket(InetAddress.getByName("127.0.0.1"), port)) {
                s.setSoTimeout(30_000);
                byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
                StringBuilder req = new StringBuilder(method + " " + path + " HTTP/1.0\r\nHost: " + host + "\r\n");
                headers.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
                if (body != null) {
                    req.append("Content-Type: application/json\r\nContent-Length: ").append(b.length).append("\r\n");
                }
                req.append("\r\n");
                OutputStream o = s.getOutputStream();
                o.write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
                o.write(b);
                o.flush();
                byte[] all = s.getInputStream().readAllBytes();
                int split = indexOf(all, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                assertThat(split).as("a complete response head").isPositive();
                String[] head = new String(all, 0, split, StandardCharsets.ISO_8859_1).split("\r\n");
                Response r = new Response();
                assertThat(head[0]).matches("HTTP/1\\.[01] \\d{3}.*");
                r.status = Integer.parseInt(head[0].substring(9, 12));
                for (int i = 1; i < head.length; i++) {
                    int c = head[i].indexOf(':');
                    r.headers.put(head[i].substring(0, c).strip().toLowerCase(java.util.Locale.ROOT),
                            head[i].substring(c + 1).strip());
                }
                r.bytes = java.util.Arrays.copyOfRange(all, split + 4, all.length);
                r.body = new String(r.bytes, StandardCharsets.UTF_8);
                return r;
            }
        }

        private static int indexOf(byte[] a, byte[] p) {
            outer:
            for (int i = 0; i + p.length <= a.length; i++) {
                for (int j = 0; j < p.length; j++) {
                    if (a[i + j] != p[j]) {
                        continue outer;
                    }
                }
                return i;
            }
            return -1;
        }
    }

    /**
     * A strict reader of the Prometheus text exposition format 0.0.4 (the Java client has no text parser of its
     * own): every line is a {@code # HELP}, a {@code # TYPE} with a known type, or a sample
     * {@code name{label="value",...} number} of a family whose TYPE came first; names and label names are checked;
     * no sample may appear twice. Returns the samples by {@code name{labels}}.
     */
    static final class PromText {
        private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
        private static final Pattern SAMPLE = Pattern.compile(
                "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\""
                        + "(?:,[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\")*,?)?})?"
                        + " ([-+]?(?:[0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?|NaN|Inf))( -?[0-9]+)?");
        private static final Set<String> TYPES = Set.of("counter", "gauge", "summary", "histogram", "untyped");

        static Map<String, Double> parse(String text) {
            assertThat(text).endsWith("\n");
            Map<String, Double> samples = new LinkedHashMap<>();
            Map<String, String> types = new HashMap<>();
            for (String line : text.split("\n")) {
                if (line.startsWith("# HELP ")) {
                    String[] p = line.split(" ", 4);
                    assertThat(p[2]).as(line).matches(NAME);
                } else if (line.startsWith("# TYPE ")) {
                    String[] p = line.split(" ");
                    assertThat(p).as(line).hasSize(4);
                    assertThat(p[2]).as(line).matches(NAME);
                    assertThat(p[3]).as(line).isIn(TYPES);
                    assertThat(types.put(p[2], p[3])).as("TYPE given twice: %s", line).isNull();
                } else {
                    Matcher m = SAMPLE.matcher(line);
                    assertThat(m.matches()).as("not a sample line: \"%s\"", line).isTrue();
                    String name = m.group(1);
                    String family = family(name, types);
                    assertThat(family).as("sample before its TYPE: %s", line).isNotNull();
                    String key = name + (m.group(2) == null ? "" : m.group(2));
                    String v = m.group(3);
                    double value = v.endsWith("Inf") ? (v.startsWith("-") ? Double.NEGATIVE_INFINITY
                            : Double.POSITIVE_INFINITY) : v.equals("NaN") ? Double.NaN : Double.parseDouble(v);
                    assertThat(samples.put(key, value)).as("sample twice: %s", line).isNull();
                }
            }
            return samples;
        }

        private static String family(String name, Map<String, String> types) {
            if (types.containsKey(name)) {
                return name;
            }
            for (String suffix : List.of("_total", "_count", "_sum", "_bucket", "_created")) {
                if (name.endsWith(suffix) && types.containsKey(name.substring(0, name.length() - suffix.length()))) {
                    return name.substring(0, name.length() - suffix.length());
                }
            }
            return null;
        }
    }
}
