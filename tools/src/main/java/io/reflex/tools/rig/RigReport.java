package io.reflex.tools.rig;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * The latency rig's self-contained HTML report ({@code --report FILE.html}), drawn from exactly the JSON object the
 * rig prints. Above the plots: a table of the run's facts (path, decoder, engine, rate, channels, bin, seconds,
 * machine, JDK, date), a table of p50/p90/p99/p99.9/max/drops/deadline misses for Reflex and each baseline, the
 * Reflex-to-baseline p50 ratios and, when the rig measured them, the per-stage latencies. Then three uPlot charts:
 * the latency histogram, the percentile distribution of every series on one "nines" axis, and latency over time
 * (median and max per window). uPlot's JS and CSS are inlined from its WebJar on the classpath and the rig's JSON is
 * embedded in the page, so the file opens with no network (its Content-Security-Policy forbids any fetch). After
 * drawing, the page's own script counts coloured pixels inside each chart's plot area ({@code getImageData}) and
 * writes the result into {@code <div id="plot-status" data-charts="3" data-drawn="N">}; RigReportTest opens the
 * page in headless Chromium and reads that element from the dumped DOM.
 */
public final class RigReport {
    /** Charts on the page; the page's status element reports how many of them painted their series. */
    public static final int CHARTS = 3;

    static final int MAX_SERIES = 32;
    static final int MAX_HISTOGRAM_BUCKETS = 400;
    static final int MAX_PERCENTILE_POINTS = 10_000;
    static final int MAX_TIMELINE_WINDOWS = 100_000;

    private static final String UPLOT_POM_PROPERTIES = "META-INF/maven/org.webjars.npm/uplot/pom.properties";
    private static final String UPLOT_DIST = "META-INF/resources/webjars/uplot/%s/dist/";
    private static final String NONE = "\u2014";

    private RigReport() {
    }

    /**
     * The report page for one rig result.
     *
     * @throws IllegalArgumentException naming the field when {@code rigJson} does not follow the rig's contract
     * @throws IllegalStateException when uPlot's WebJar is not on the classpath
     */
    public static String html(JsonNode rigJson) {
        validate(rigJson);
        String uplotVersion = uplotVersion();
        String dist = String.format(Locale.ROOT, UPLOT_DIST, uplotVersion);
        String uplotJs = resource(dist + "uPlot.iife.min.js");
        String uplotCss = resource(dist + "uPlot.min.css");
        if (uplotJs.toLowerCase(Locale.ROOT).contains("</script")) {
            throw new IllegalStateException("uPlot " + uplotVersion + "'s JS contains '</script' and cannot be inlined");
        }
        if (uplotCss.toLowerCase(Locale.ROOT).contains("</style")) {
            throw new IllegalStateException("uPlot " + uplotVersion + "'s CSS contains '</style' and cannot be inlined");
        }

        StringBuilder out = new StringBuilder(uplotJs.length() + 64 * 1024);
        out.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ")
                .append("script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n")
                .append("<title>Reflex latency rig: ").append(escape(text(rigJson.get("path"))))
                .append(", ").append(escape(text(rigJson.get("date")))).append("</title>\n")
                .append("<style>\n").append(uplotCss).append('\n').append(PAGE_CSS).append("</style>\n")
                .append("</head>\n<body>\n")
                .append("<h1>Reflex latency rig</h1>\n");
        facts(out, rigJson);
        seriesTable(out, rigJson.get("series"));
        ratios(out, rigJson.get("ratios"));
        stages(out, rigJson.get("stages_us"));
        out.append("<div id=\"plot-status\" data-charts=\"").append(CHARTS)
                .append("\" data-drawn=\"0\">plots not drawn (is JavaScript off?)</div>\n")
                .append("<h2>Latency histogram</h2>\n<div id=\"chart-histogram\" class=\"chart\"></div>\n")
                .append("<h2>Percentile distribution</h2>\n<div id=\"chart-percentiles\" class=\"chart\"></div>\n")
                .append("<h2>Latency over time</h2>\n<div id=\"chart-timeline\" class=\"chart\"></div>\n")
                .append("<p class=\"note\">Drawn with uPlot ").append(escape(uplotVersion))
                .append(" (MIT licence), inlined in this page.</p>\n")
                .append("<script type=\"application/json\" id=\"rig-data\">").append(embeddedJson(rigJson))
                .append("</script>\n")
                .append("<script>\n").append(uplotJs).append("\n</script>\n")
                .append("<script>\n").append(PAGE_JS).append("</script>\n")
                .append("</body>\n</html>\n");
        return out.toString();
    }

    /** Writes {@link #html} to {@code file} as UTF-8, replacing it if present. */
    public static void write(JsonNode rigJson, Path file) throws IOException {
        Files.writeString(file, html(rigJson), StandardCharsets.UTF_8);
    }

    /** Text safe to place in HTML element content or a quoted attribute. */
    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * The rig's JSON for a {@code <script type="application/json">} element. {@code <}, {@code >} and {@code &}
     * occur in JSON only inside strings, where their {@code \}{@code u} escapes mean the same, so no string in the
     * data can close the script element or open a comment.
     */
    static String embeddedJson(JsonNode rigJson) {
        return rigJson.toString().replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026");
    }

    private static void validate(JsonNode rig) {
        if (rig == null || !rig.isObject()) {
            throw new IllegalArgumentException("rig JSON must be an object, was " + kind(rig));
        }
        JsonNode series = rig.get("series");
        if (series == null || !series.isArray() || series.isEmpty()) {
            throw new IllegalArgumentException("rig JSON: series must be a non-empty array, was " + kind(series));
        }
        if (series.size() > MAX_SERIES) {
            throw new IllegalArgumentException("rig JSON: series has " + series.size() + " entries; at most "
                    + MAX_SERIES);
        }
        for (int i = 0; i < series.size(); i++) {
            JsonNode s = series.get(i);
            String where = "rig JSON: series[" + i + "]";
            if (!s.isObject()) {
                throw new IllegalArgumentException(where + " must be an object, was " + kind(s));
            }
            if (s.get("name") == null || !s.get("name").isTextual()) {
                throw new IllegalArgumentException(where + ".name must be a string, was " + kind(s.get("name")));
            }
            points(s, where, "percentiles", 2, MAX_PERCENTILE_POINTS, "[percentile, µs]");
            points(s, where, "histogram", 2, MAX_HISTOGRAM_BUCKETS, "[bucket lower bound µs, count]");
            points(s, where, "timeline", 3, MAX_TIMELINE_WINDOWS, "[seconds, median µs, max µs]");
        }
    }

    /** Checks one array of points: bounded, each a fixed-length array of a number then numbers or nulls, x ascending. */
    private static void points(JsonNode s, String where, String field, int width, int max, String shape) {
        JsonNode arr = s.get(field);
        if (arr == null || !arr.isArray()) {
            throw new IllegalArgumentException(where + "." + field + " must be an array of " + shape + ", was "
                    + kind(arr));
        }
        if (arr.size() > max) {
            throw new IllegalArgumentException(where + "." + field + " has " + arr.size() + " points; the report "
                    + "draws at most " + max);
        }
        double previousX = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < arr.size(); j++) {
            JsonNode p = arr.get(j);
            boolean ok = p.isArray() && p.size() == width && p.get(0).isNumber();
            for (int k = 1; ok && k < width; k++) {
                ok = p.get(k).isNumber() || p.get(k).isNull();
            }
            if (!ok) {
                throw new IllegalArgumentException(where + "." + field + "[" + j + "] must be " + shape + ", was "
                        + abbreviate(p.toString()));
            }
            double x = p.get(0).asDouble();
            if (!(x > previousX)) {
                throw new IllegalArgumentException(where + "." + field + " must be ascending in its first value; ["
                        + j + "] is " + x + " after " + previousX);
            }
            previousX = x;
        }
    }

    private static void facts(StringBuilder out, JsonNode rig) {
        JsonNode machine = rig.path("machine");
        String machineText = text(machine.get("host")) + " \u00b7 " + number(machine.get("cpus")) + " CPUs \u00b7 "
                + text(machine.get("os")) + " \u00b7 load average " + number(machine.get("load_average"));
        out.append("<table id=\"run-facts\" class=\"facts\">\n");
        row(out, "Path", text(rig.get("path")));
        row(out, "Signal", text(rig.get("signal")));
        row(out, "Decoder", text(rig.get("decoder")));
        row(out, "Engine", text(rig.get("engine")));
        row(out, "Rate", number(rig.get("rate_hz")) + " Hz");
        row(out, "Channels", number(rig.get("channels")));
        row(out, "Samples per chunk", number(rig.get("chunk")));
        row(out, "Bin", number(rig.get("bin_us")) + " \u00b5s");
        row(out, "Seconds", number(rig.get("seconds")));
        row(out, "Machine", machineText);
        row(out, "JDK", text(machine.get("jdk")));
        row(out, "Date", text(rig.get("date")));
        out.append("</table>\n");
    }

    private static void row(StringBuilder out, String name, String value) {
        out.append("<tr><th>").append(escape(name)).append("</th><td>").append(escape(value)).append("</td></tr>\n");
    }

    private static void seriesTable(StringBuilder out, JsonNode series) {
        out.append("<h2>Latency per series</h2>\n<table id=\"series-table\" class=\"numbers\">\n<tr><th>Series</th>")
                .append("<th>frames</th><th>expected</th><th>p50 \u00b5s</th><th>p90 \u00b5s</th><th>p99 \u00b5s</th>")
                .append("<th>p99.9 \u00b5s</th><th>max \u00b5s</th><th>mean \u00b5s</th><th>drops</th>")
                .append("<th>deadline misses</th></tr>\n");
        for (JsonNode s : series) {
            JsonNode lat = s.path("latency_us");
            String label = s.hasNonNull("label") ? text(s.get("label")) : text(s.get("name"));
            out.append("<tr><td class=\"name\" title=\"").append(escape(text(s.get("name")))).append("\">")
                    .append(escape(label)).append("</td>");
            for (String v : new String[] {number(s.get("frames")), number(s.get("expected")),
                    micros(lat.get("p50")), micros(lat.get("p90")), micros(lat.get("p99")), micros(lat.get("p99_9")),
                    micros(lat.get("max")), micros(lat.get("mean")), number(s.get("drops")),
                    number(s.get("deadline_misses"))}) {
                out.append("<td>").append(escape(v)).append("</td>");
            }
            out.append("</tr>\n");
        }
        out.append("</table>\n");
    }

    private static void ratios(StringBuilder out, JsonNode ratios) {
        if (ratios == null || !ratios.isObject() || ratios.isEmpty()) {
            return;
        }
        out.append("<h2>Ratios (Reflex p50 / baseline p50)</h2>\n<table id=\"ratios\" class=\"numbers\">\n");
        for (Iterator<Map.Entry<String, JsonNode>> it = ratios.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String value = e.getValue().isNumber()
                    ? String.format(Locale.ROOT, "%.2f\u00d7", e.getValue().asDouble()) : text(e.getValue());
            out.append("<tr><th>").append(escape(e.getKey())).append("</th><td>").append(escape(value))
                    .append("</td></tr>\n");
        }
        out.append("</table>\n");
    }

    private static void stages(StringBuilder out, JsonNode stages) {
        if (stages == null || !stages.isObject() || stages.isEmpty()) {
            return;
        }
        Set<String> columns = new LinkedHashSet<>();
        stages.forEach(stage -> stage.fieldNames().forEachRemaining(columns::add));
        out.append("<h2>Stages</h2>\n<table id=\"stages\" class=\"numbers\">\n<tr><th>Stage</th>");
        for (String c : columns) {
            out.append("<th>").append(escape(c)).append(" \u00b5s</th>");
        }
        out.append("</tr>\n");
        List<String> names = new ArrayList<>();
        stages.fieldNames().forEachRemaining(names::add);
        for (String name : names) {
            out.append("<tr><td class=\"name\">").append(escape(name)).append("</td>");
            for (String c : columns) {
                out.append("<td>").append(escape(micros(stages.get(name).get(c)))).append("</td>");
            }
            out.append("</tr>\n");
        }
        out.append("</table>\n");
    }

    private static String text(JsonNode n) {
        return n == null || n.isNull() || n.isMissingNode() ? NONE : n.isValueNode() ? n.asText() : n.toString();
    }

    private static String number(JsonNode n) {
        if (n != null && n.isIntegralNumber()) {
            return Long.toString(n.asLong());
        }
        if (n != null && n.isNumber()) {
            double v = n.asDouble();
            return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
        }
        return text(n);
    }

    private static String micros(JsonNode n) {
        return n != null && n.isNumber() ? String.format(Locale.ROOT, "%.1f", n.asDouble()) : text(n);
    }

    private static String kind(JsonNode n) {
        return n == null || n.isMissingNode() ? "absent" : n.getNodeType().toString().toLowerCase(Locale.ROOT);
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    /** The version of the uPlot WebJar on the class path. */
    public static String uplotVersion() {
        Properties p = new Properties();
        try (InputStream in = stream(UPLOT_POM_PROPERTIES)) {
            p.load(in);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + UPLOT_POM_PROPERTIES + ": " + e.getMessage(), e);
        }
        String version = p.getProperty("version");
        if (version == null || !version.matches("[0-9A-Za-z.+-]+")) {
            throw new IllegalStateException(UPLOT_POM_PROPERTIES + " has no usable version: " + version);
        }
        return version;
    }

    private static String resource(String name) {
        try (InputStream in = stream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + name + ": " + e.getMessage(), e);
        }
    }

    private static InputStream stream(String name) {
        InputStream in = RigReport.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new IllegalStateException("the rig report needs uPlot's WebJar (org.webjars.npm:uplot) on the "
                    + "classpath; " + name + " is missing");
        }
        return in;
    }

    private static final String PAGE_CSS = """
            body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
            h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.5em; }
            table { border-collapse: collapse; margin: 0.5em 0; }
            th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; }
            table.facts th { text-align: left; background: #f4f4f4; }
            table.numbers td { text-align: right; font-variant-numeric: tabular-nums; }
            table.numbers td.name { text-align: left; }
            #plot-status { margin: 1em 0; color: #555; }
            #plot-status[data-error] { color: #b00; }
            .chart { margin-bottom: 1em; }
            .note { color: #777; font-size: 0.85em; }
            """;

    /**
     * Draws the three charts from the embedded JSON, then checks each chart's plot area for coloured (series)
     * pixels: the grid and axes are grey, so only drawn data counts.
     */
    private static final String PAGE_JS = """
            (function () {
              "use strict";
              var CHARTS = 3, MIN_PAINTED_PIXELS = 50, MAX_NINES = 6;
              var COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#e377c2", "#bcbd22"];
              var status = document.getElementById("plot-status");
              var painted = [0, 0, 0], errors = [];

              function report() {
                var drawn = painted.filter(function (n) { return n >= MIN_PAINTED_PIXELS; }).length;
                status.setAttribute("data-charts", String(CHARTS));
                status.setAttribute("data-drawn", String(drawn));
                status.setAttribute("data-painted-pixels", painted.join(","));
                if (errors.length) {
                  status.setAttribute("data-error", errors.join("; "));
                }
                status.textContent = drawn + " of " + CHARTS + " plots drawn" + (errors.length ? ": " + errors.join("; ") : "");
              }

              function paintedPixels(u) {
                var b = u.bbox;
                var w = Math.max(1, Math.round(b.width)), h = Math.max(1, Math.round(b.height));
                var px = u.ctx.getImageData(Math.round(b.left), Math.round(b.top), w, h).data;
                var n = 0;
                for (var i = 0; i < px.length; i += 4) {
                  var r = px[i], g = px[i + 1], bl = px[i + 2];
                  if (px[i + 3] > 128 && Math.max(r, g, bl) - Math.min(r, g, bl) > 60) {
                    n++;
                  }
                }
                return n;
              }

              function chart(index, elementId, opts, data) {
                try {
                  opts.hooks = { draw: [function (u) {
                    painted[index] = paintedPixels(u);
                    u.root.setAttribute("data-painted-pixels", String(painted[index]));
                    report();
                  }] };
                  new uPlot(opts, data, document.getElementById(elementId));
                } catch (e) {
                  errors.push(elementId + ": " + e);
                  report();
                }
              }

              function label(s) { return s.label || s.name; }
              function column(points, k) { return points.map(function (p) { return p[k]; }); }
              // The "nines" axis: x = -log10(1 - p/100), so 90, 99, 99.9 are evenly spaced. With N frames nothing is
              // resolved beyond the 1-in-N point, where the maximum (p = 100) is placed.
              function nines(p, frames) {
                var floor = frames > 1 ? 1 / frames : Math.pow(10, -MAX_NINES);
                return -Math.log10(Math.max(1 - p / 100, floor));
              }
              function percentileText(n, digits) { return n <= 0 ? "0" : (100 - 100 * Math.pow(10, -n)).toFixed(digits); }

              try {
                if (typeof uPlot !== "function") {
                  throw new Error("uPlot did not load");
                }
                var rig = JSON.parse(document.getElementById("rig-data").textContent);
                var series = rig.series;
                var width = Math.max(640, Math.min(1200, document.documentElement.clientWidth - 60));
                var height = 320;

                chart(0, "chart-histogram", {
                  width: width, height: height,
                  scales: { x: { time: false } },
                  axes: [{ label: "latency (\\u00b5s, bucket lower bound)" }, { label: "frames" }],
                  series: [{ label: "\\u00b5s" }].concat(series.map(function (s, i) {
                    return { label: label(s), stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true,
                             points: { show: false }, paths: uPlot.paths.stepped({ align: 1 }) };
                  }))
                }, uPlot.join(series.map(function (s) { return [column(s.histogram, 0), column(s.histogram, 1)]; })));

                var positive = series.every(function (s) {
                  return s.percentiles.every(function (p) { return p[1] == null || p[1] > 0; });
                });
                var topNines = 1;
                series.forEach(function (s) {
                  s.percentiles.forEach(function (p) {
                    topNines = Math.max(topNines, Math.ceil(nines(p[0], s.frames) - 1e-9));
                  });
                });
                chart(1, "chart-percentiles", {
                  width: width, height: height,
                  scales: { x: { time: false, range: [0, topNines] }, y: positive ? { distr: 3 } : {} },
                  axes: [{
                    label: "percentile",
                    splits: function (u, ai, min, max) {
                      var s = [];
                      for (var n = Math.ceil(min); n <= Math.floor(max); n++) { s.push(n); }
                      return s;
                    },
                    values: function (u, splits) {
                      return splits.map(function (n) { return percentileText(n, Math.max(0, n - 2)); });
                    }
                  }, { label: "latency (\\u00b5s)" }],
                  series: [{ label: "percentile", value: function (u, v) { return v == null ? "--" : percentileText(v, 4); } }]
                    .concat(series.map(function (s, i) {
                      return { label: label(s), stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true };
                    }))
                }, uPlot.join(series.map(function (s) {
                  return [s.percentiles.map(function (p) { return nines(p[0], s.frames); }), column(s.percentiles, 1)];
                })));

                var timelineSeries = [{ label: "s" }];
                var timelineTables = [];
                series.forEach(function (s, i) {
                  var c = COLORS[i % COLORS.length];
                  timelineSeries.push({ label: label(s) + " median", stroke: c, width: 1.5, spanGaps: true,
                                        points: { show: false } });
                  timelineSeries.push({ label: label(s) + " max", stroke: c, width: 1, dash: [5, 4], spanGaps: true,
                                        points: { show: false } });
                  timelineTables.push([column(s.timeline, 0), column(s.timeline, 1), column(s.timeline, 2)]);
                });
                chart(2, "chart-timeline", {
                  width: width, height: height,
                  scales: { x: { time: false } },
                  axes: [{ label: "seconds since start" }, { label: "latency (\\u00b5s) per window" }],
                  series: timelineSeries
                }, uPlot.join(timelineTables));
              } catch (e) {
                errors.push(String(e));
              }
              report();
            })();
            """;
}
