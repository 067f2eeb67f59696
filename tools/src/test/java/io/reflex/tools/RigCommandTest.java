package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code reflex rig} as a user runs it: JSON, the text summary, the HTML report, the sweep, refused options. */
class RigCommandTest {
    private static final String[] QUICK = {"--rate", "1000", "--channels", "16", "--bin-us", "10000", "--seconds",
        "1", "--segment-s", "0.5", "--warmup-s", "0.2", "--deadline-us", "1000000"};

    private static String[] args(String... more) {
        String[] a = new String[1 + QUICK.length + more.length];
        a[0] = "rig";
        System.arraycopy(QUICK, 0, a, 1, QUICK.length);
        System.arraycopy(more, 0, a, 1 + QUICK.length, more.length);
        return a;
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void jsonIsOneObjectWithTheDocumentedKeysAndTheReportIsWritten(@TempDir Path dir) throws Exception {
        Path html = dir.resolve("rig.html");
        Object[] r = CliRunner.run(args("--json", "--report", html.toString()));
        assertThat((Integer) r[0]).as("stderr: %s", r[2]).isZero();
        String out = ((String) r[1]).trim();
        assertThat(out.lines().count()).as("one line").isEqualTo(1);
        JsonNode j = Json.mapper().readTree(out);
        for (String key : new String[] {"command", "path", "decoder", "engine", "rate_hz", "channels", "chunk",
            "bin_us", "seconds", "segment_s", "signal", "topology", "hot_idle", "deadline_us", "machine", "date",
            "series", "ratios", "stages_us"}) {
            assertThat(j.has(key)).as(key).isTrue();
        }
        for (JsonNode s : j.get("series")) {
            for (String key : new String[] {"name", "label", "frames", "expected", "drops", "deadline_misses",
                "duplicates", "unmatched", "measured_s", "latency_us", "latency_uncorrected_us", "percentiles",
                "histogram", "timeline"}) {
                assertThat(s.has(key)).as(key).isTrue();
            }
        }
        assertThat(((String) r[2])).contains("rig: round 2/2").contains("report written to " + html);
        String page = Files.readString(html);
        assertThat(page).contains("plot-status").contains("plain_loop").doesNotContain("http://", "https://cdn");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theTextSummaryHasOneRowPerSeriesAndTheRatios() {
        Object[] r = CliRunner.run(args());
        assertThat((Integer) r[0]).as("stderr: %s", r[2]).isZero();
        String out = (String) r[1];
        assertThat(out).contains("reflex rig: inprocess path, kalman decoder on java, 1000 Hz × 16 ch")
                .containsPattern("(?m)^  reflex +\\d")
                .containsPattern("(?m)^  plain_loop +\\d")
                .containsPattern("(?m)^  abq_pipeline +\\d")
                .contains("ratios (Reflex / baseline): p50_vs_plain_loop");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aSweepStepsTheRateAndReportsTheHighestHeld() throws Exception {
        Object[] r = CliRunner.run("rig", "--sweep", "--rate", "1000", "--max-rate", "2000", "--channels", "16",
                "--bin-us", "10000", "--seconds", "0.5", "--segment-s", "0.5", "--warmup-s", "0.2",
                "--deadline-us", "1000000", "--json");
        assertThat((Integer) r[0]).as("stderr: %s", r[2]).isZero();
        JsonNode j = Json.mapper().readTree(((String) r[1]).trim());
        assertThat(j.get("sweep").asText()).isEqualTo("rate");
        assertThat(j.get("steps")).hasSize(2);
        assertThat(j.get("steps").get(1).get("rate_hz").asDouble()).isEqualTo(2000.0);
        assertThat(j.get("highest_rate_held_hz").asDouble()).isEqualTo(2000.0);
    }

    @Test
    void badOptionsAreRefusedWithExitTwoNamingTheOption() {
        Object[] r = CliRunner.run("rig", "--channels", "0");
        assertThat((Integer) r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("--channels must be in [1, 4096]");
        r = CliRunner.run("rig", "--rate", "1000", "--bin-us", "1500");
        assertThat((Integer) r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("whole number of samples");
        r = CliRunner.run("rig", "--path", "usb");
        assertThat((Integer) r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("--path usb is not known; allowed: inprocess, lsl, stim");
        r = CliRunner.run("rig", "--path", "stim", "--stim-watchdog-us", "50");
        assertThat((Integer) r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("--stim-watchdog-us must be 0");
        r = CliRunner.run("rig", "--path", "lsl", "--sweep");
        assertThat((Integer) r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("--sweep measures the inprocess path only");
        r = CliRunner.run("rig", "--path", "lsl", "--decoder", "kalman", "--engine", "cpu-fixed");
        assertThat((Integer) r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("--engine is for the lfads and snn decoders");
        r = CliRunner.run("rig", "--path", "lsl", "--hot-idle", "spin");
        assertThat((Integer) r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("--hot-idle: idle strategy 'spin' is not known");
        r = CliRunner.run("rig", "--topology", "ring");
        assertThat((Integer) r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("topology 'ring' is not known");
    }
}
