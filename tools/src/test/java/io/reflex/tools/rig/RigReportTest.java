package io.reflex.tools.rig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.tools.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RigReportTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final long BROWSER_TIMEOUT_S = 90;
    private static final String EVIL_LABEL = "ABQ </script><script>document.title='owned'</script> & <b>co</b>";

    @TempDir
    Path tmp;

    @Test
    void thePageNamesTheRunAndEverySeriesWithItsPercentiles() {
        ObjectNode rig = rig(false);
        String html = RigReport.html(rig);

        assertThat(html).contains("<tr><th>Path</th><td>inprocess</td></tr>",
                "<tr><th>Decoder</th><td>kalman</td></tr>", "<tr><th>Engine</th><td>java</td></tr>",
                "<tr><th>Rate</th><td>1000 Hz</td></tr>", "<tr><th>Channels</th><td>96</td></tr>",
                "<tr><th>Bin</th><td>20000 \u00b5s</td></tr>", "<tr><th>Seconds</th><td>10</td></tr>",
                "<tr><th>JDK</th><td>17.0.15</td></tr>", "<tr><th>Date</th><td>2026-12-03T12:00:00Z</td></tr>",
                "ci-runner \u00b7 2 CPUs \u00b7 Linux 6.1 amd64 \u00b7 load average 1.5");
        for (JsonNode s : rig.get("series")) {
            JsonNode lat = s.get("latency_us");
            String row = "<td>" + s.get("frames").asLong() + "</td><td>" + s.get("expected").asLong() + "</td>"
                    + "<td>" + micros(lat, "p50") + "</td><td>" + micros(lat, "p90") + "</td><td>"
                    + micros(lat, "p99") + "</td><td>" + micros(lat, "p99_9") + "</td><td>" + micros(lat, "max")
                    + "</td><td>" + micros(lat, "mean") + "</td><td>" + s.get("drops").asLong() + "</td><td>"
                    + s.get("deadline_misses").asLong() + "</td></tr>";
            assertThat(html).contains(RigReport.escape(s.get("label").asText()) + "</td>" + row);
        }
        assertThat(html).contains("<tr><th>p50_vs_plain_loop</th><td>1.12\u00d7</td></tr>",
                "<tr><th>p50_vs_abq_pipeline</th><td>0.64\u00d7</td></tr>");
        assertThat(html).contains("<table id=\"stages\"", "<td class=\"name\">decode</td>");
        assertThat(html).contains("<div id=\"plot-status\" data-charts=\"3\" data-drawn=\"0\">",
                "id=\"chart-histogram\"", "id=\"chart-percentiles\"", "id=\"chart-timeline\"");
    }

    @Test
    void thePageIsSelfContained() {
        String html = RigReport.html(rig(false));

        assertThat(html).contains("var uPlot=function()", ".uplot {font-family",
                "Content-Security-Policy\" content=\"default-src 'none';");
        assertThat(html).doesNotContain("<link", " src=", "@import", "url(");
        // The embedded data round-trips to the object the rig printed.
        Matcher m = Pattern.compile("<script type=\"application/json\" id=\"rig-data\">(.*?)</script>",
                Pattern.DOTALL).matcher(html);
        assertThat(m.find()).isTrue();
        assertThat(parse(m.group(1))).isEqualTo(parse(Json.write(rig(false))));
    }

    @Test
    void aSeriesLabelCannotCloseTheScriptOrInjectMarkup() {
        ObjectNode rig = rig(false);
        ((ObjectNode) rig.get("series").get(2)).put("label", EVIL_LABEL);
        String html = RigReport.html(rig);

        // Exactly the page's own three script elements close; the label shows as text in the table.
        assertThat(count(html, "</script>")).isEqualTo(3);
        assertThat(count(html, "<script")).isEqualTo(3);
        assertThat(html).doesNotContain("<b>co</b>", "document.title='owned'</script>")
                .contains("ABQ &lt;/script&gt;&lt;script&gt;document.title=&#39;owned&#39;&lt;/script&gt; &amp; "
                        + "&lt;b&gt;co&lt;/b&gt;</td>")
                .contains("\"label\":\"ABQ \\u003c/script\\u003e\\u003cscript\\u003e");
        Matcher m = Pattern.compile("id=\"rig-data\">(.*?)</script>", Pattern.DOTALL).matcher(html);
        assertThat(m.find()).isTrue();
        assertThat(parse(m.group(1)).get("series").get(2).get("label").asText()).isEqualTo(EVIL_LABEL);
    }

    @Test
    void malformedRigJsonIsRefusedNamingTheField() {
        ObjectNode noSeries = rig(false);
        noSeries.remove("series");
        assertThatThrownBy(() -> RigReport.html(noSeries)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("rig JSON: series must be a non-empty array, was absent");

        ObjectNode badPoint = rig(false);
        ((ArrayNode) badPoint.get("series").get(1).get("timeline")).set(4, Json.mapper().createArrayNode().add(0.5));
        assertThatThrownBy(() -> RigReport.html(badPoint)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("rig JSON: series[1].timeline[4] must be [seconds, median \u00b5s, max \u00b5s], was [0.5]");

        ObjectNode descending = rig(false);
        ArrayNode pct = (ArrayNode) descending.get("series").get(0).get("percentiles");
        pct.insert(3, pct.get(0).deepCopy());
        assertThatThrownBy(() -> RigReport.html(descending)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("rig JSON: series[0].percentiles must be ascending in its first value; [3]");

        ObjectNode tooMany = rig(false);
        ArrayNode hist = (ArrayNode) tooMany.get("series").get(0).get("histogram");
        hist.removeAll();
        for (int i = 0; i <= RigReport.MAX_HISTOGRAM_BUCKETS; i++) {
            hist.add(Json.mapper().createArrayNode().add(i).add(1));
        }
        assertThatThrownBy(() -> RigReport.html(tooMany)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("rig JSON: series[0].histogram has 401 points; the report draws at most 400");
    }

    @Test
    void headlessChromiumDrawsAllThreeCharts() throws Exception {
        ObjectNode rig = rig(false);
        ((ObjectNode) rig.get("series").get(2)).put("label", EVIL_LABEL);
        String dom = openInChromium(rig);

        assertThat(attribute(dom, "plot-status", "data-error")).as("page script error").isNull();
        assertThat(attribute(dom, "plot-status", "data-charts")).isEqualTo("3");
        assertThat(attribute(dom, "plot-status", "data-drawn"))
                .as("charts with painted series; coloured pixels per chart: %s",
                        attribute(dom, "plot-status", "data-painted-pixels"))
                .isEqualTo("3");
        for (String chart : List.of("chart-histogram", "chart-percentiles", "chart-timeline")) {
            assertThat(dom).containsPattern("id=\"" + chart + "\"[^>]*><div class=\"uplot[^\"]*\"");
        }
        assertThat(count(dom, "class=\"uplot")).isEqualTo(3);
        assertThat(count(dom, "<canvas")).isEqualTo(3);
        // uPlot's legends name every series; the hostile label stayed text and did not run.
        assertThat(dom).contains("Reflex pipeline (Disruptor)", "Plain loop median", "Plain loop max",
                "ABQ &lt;/script&gt;&lt;script&gt;");
        assertThat(dom).contains("<title>Reflex latency rig: inprocess, 2026-12-03T12:00:00Z</title>");
    }

    @Test
    void headlessChromiumReportsNoChartDrawnWhenTheSeriesHaveNoPoints() throws Exception {
        // The control for the pixel check: axes and grid are painted, but no series, so nothing counts as drawn.
        String dom = openInChromium(rig(true));

        assertThat(attribute(dom, "plot-status", "data-error")).isNull();
        assertThat(count(dom, "<canvas")).isEqualTo(3);
        assertThat(attribute(dom, "plot-status", "data-drawn")).isEqualTo("0");
        assertThat(attribute(dom, "plot-status", "data-painted-pixels")).isEqualTo("0,0,0");
    }

    /**
     * Opens the report in headless Chromium and returns the DOM after its scripts ran. The flags keep Chromium off
     * the network: no background fetches, updates or sync, and every host name resolves to "not found", so not even
     * a DNS query leaves the machine (checked with strace on Chromium 156).
     */
    private String openInChromium(JsonNode rig) throws IOException, InterruptedException {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM),
                "skipped: chromium not installed at " + CHROMIUM + " (./reflex test installs Debian's chromium)");
        Path page = tmp.resolve("rig report.html");
        RigReport.write(rig, page);
        Path profile = Files.createDirectory(tmp.resolve("chromium-profile"));
        Path stdout = tmp.resolve("chromium.out");
        Path stderr = tmp.resolve("chromium.err");
        Process p = new ProcessBuilder(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions", "--host-resolver-rules=MAP * ~NOTFOUND",
                "--user-data-dir=" + profile, "--virtual-time-budget=5000", "--dump-dom",
                page.toUri().toString())
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
        if (!p.waitFor(BROWSER_TIMEOUT_S, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            fail("chromium did not finish within " + BROWSER_TIMEOUT_S + " s; stderr ends: " + tail(stderr));
        }
        String dom = Files.readString(stdout, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("chromium exit status; stderr ends: %s", tail(stderr)).isZero();
        assertThat(dom).as("dumped DOM; stderr ends: %s", tail(stderr)).contains("id=\"plot-status\"");
        return dom;
    }

    /** A rig result with three series (Reflex and two baselines) of seeded, realistically skewed latencies. */
    private static ObjectNode rig(boolean emptySeries) {
        ObjectNode rig = Json.mapper().createObjectNode();
        rig.put("command", "rig").put("path", "inprocess").put("decoder", "kalman").put("engine", "java")
                .put("rate_hz", 1000.0).put("channels", 96).put("chunk", 1).put("bin_us", 20000)
                .put("seconds", 10.0).put("signal", "spikes");
        rig.putObject("machine").put("host", "ci-runner").put("cpus", 2).put("os", "Linux 6.1 amd64")
                .put("jdk", "17.0.15").put("load_average", 1.5);
        rig.put("date", "2026-12-03T12:00:00Z");
        ArrayNode series = rig.putArray("series");
        series.add(series("reflex", "Reflex pipeline (Disruptor)", 42.0, 1, emptySeries));
        series.add(series("plain_loop", "Plain loop", 37.0, 2, emptySeries));
        series.add(series("abq_pipeline", "ArrayBlockingQueue pipeline", 65.0, 3, emptySeries));
        rig.putObject("ratios").put("p50_vs_plain_loop", 1.12).put("p50_vs_abq_pipeline", 0.64);
        ObjectNode stages = rig.putObject("stages_us");
        stages.putObject("bin").put("p50", 3.1).put("p99", 9.0);
        stages.putObject("decode").put("p50", 30.2).put("p99", 88.4);
        stages.putObject("emit").put("p50", 2.0).put("p99", 7.5);
        return rig;
    }

    private static ObjectNode series(String name, String label, double medianUs, long seed, boolean empty) {
        int frames = 10_000;
        double[] latencyUs = new double[frames];
        Random random = new Random(seed);
        for (int i = 0; i < frames; i++) {
            double tail = random.nextDouble() < 0.01 ? 4 + 8 * random.nextDouble() : 1;
            latencyUs[i] = medianUs * Math.exp(0.25 * random.nextGaussian()) * tail;
        }
        ObjectNode s = Json.mapper().createObjectNode();
        s.put("name", name).put("label", label).put("frames", frames).put("expected", frames)
                .put("drops", 0).put("deadline_misses", seed == 3 ? 2 : 0);
        double[] sorted = latencyUs.clone();
        Arrays.sort(sorted);
        s.putObject("latency_us").put("p50", at(sorted, 50)).put("p90", at(sorted, 90)).put("p99", at(sorted, 99))
                .put("p99_9", at(sorted, 99.9)).put("max", sorted[frames - 1])
                .put("mean", Arrays.stream(latencyUs).average().orElseThrow());
        ArrayNode percentiles = s.putArray("percentiles");
        ArrayNode histogram = s.putArray("histogram");
        ArrayNode timeline = s.putArray("timeline");
        if (empty) {
            return s;
        }
        for (double p : new double[] {0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100}) {
            percentiles.add(Json.mapper().createArrayNode().add(p).add(at(sorted, p)));
        }
        int bucketUs = 2;
        long[] counts = new long[400];
        for (double v : latencyUs) {
            counts[Math.min(counts.length - 1, (int) (v / bucketUs))]++;
        }
        for (int b = 0; b < counts.length; b++) {
            if (counts[b] > 0) {
                histogram.add(Json.mapper().createArrayNode().add((double) b * bucketUs).add(counts[b]));
            }
        }
        for (int w = 0; w < 100; w++) {
            double[] window = Arrays.copyOfRange(latencyUs, w * 100, (w + 1) * 100);
            Arrays.sort(window);
            timeline.add(Json.mapper().createArrayNode().add((w + 1) / 10.0).add(window[50]).add(window[99]));
        }
        return s;
    }

    private static double at(double[] sorted, double percentile) {
        return sorted[(int) Math.min(sorted.length - 1, Math.round(percentile / 100 * (sorted.length - 1)))];
    }

    private static String micros(JsonNode lat, String key) {
        return String.format(Locale.ROOT, "%.1f", lat.get(key).asDouble());
    }

    private static JsonNode parse(String json) {
        try {
            return Json.mapper().readTree(json);
        } catch (IOException e) {
            throw new AssertionError("embedded JSON does not parse: " + e.getMessage(), e);
        }
    }

    private static int count(String haystack, String needle) {
        int n = 0;
        for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + needle.length())) {
            n++;
        }
        return n;
    }

    /** An attribute of the element with {@code id}, or null when the element has no such attribute. */
    private static String attribute(String dom, String id, String name) {
        Matcher element = Pattern.compile("<[a-z]+ [^>]*id=\"" + Pattern.quote(id) + "\"[^>]*>").matcher(dom);
        assertThat(element.find()).as("element #%s in the dumped DOM", id).isTrue();
        Matcher attr = Pattern.compile(" " + Pattern.quote(name) + "=\"([^\"]*)\"").matcher(element.group());
        return attr.find() ? attr.group(1) : null;
    }

    private static String tail(Path file) {
        try {
            String s = Files.readString(file, StandardCharsets.UTF_8);
            return s.length() <= 2000 ? s : s.substring(s.length() - 2000);
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }
}
