package io.reflex.tools;

import static io.reflex.tools.CliRunner.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CliTest {

    @ParameterizedTest
    @ValueSource(strings = {"demo", "daemon", "test", "version", "xclbin"})
    void everySubcommandHasHelp(String cmd) {
        Object[] r = run(cmd, "--help");
        assertThat(r[0]).isEqualTo(0);
        assertThat((String) r[1]).contains("Usage: reflex " + cmd).contains("--help");
    }

    @Test
    void topLevelHelpListsTheSubcommands() {
        Object[] r = run("--help");
        assertThat(r[0]).isEqualTo(0);
        assertThat((String) r[1]).contains("demo", "daemon", "test", "version");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void demoJsonPrintsExactlyOneObjectWithTheDocumentedKeys(@TempDir Path dir) throws Exception {
        Object[] r = run("demo", "--seconds", "6", "--calibration-seconds", "4", "--channels", "32", "--json", "--quiet",
                "--journal-dir", dir.toString());
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        String stdout = ((String) r[1]).strip();
        assertThat(stdout.lines().count()).isEqualTo(1);
        JsonNode j = Json.mapper().readTree(stdout);
        for (String key : new String[] {"decoder", "engine", "frames", "dropped", "deadline_misses", "velocity_r2",
                "velocity_r2_by_decoder", "latency_us", "stage_latency_us", "gc_count", "journal",
                "calibration_frames", "pipeline_allocated_bytes"}) {
            assertThat(j.has(key)).as(key).isTrue();
        }
        assertThat(j.get("decoder").asText()).isEqualTo("kalman");
        assertThat(j.get("engine").asText()).isEqualTo("cpu");
        assertThat(j.get("channels").asInt()).isEqualTo(32);
        assertThat(j.get("frames").asLong()).isGreaterThan(40);
        assertThat(j.get("velocity_r2_by_decoder").has("wiener")).isTrue();
        for (String p : new String[] {"p50", "p99", "p999", "max"}) {
            assertThat(j.get("latency_us").get(p).isNumber()).as(p).isTrue();
        }
        for (String s : new String[] {"ingest", "features", "decode", "emit", "journal"}) {
            assertThat(j.get("stage_latency_us").has(s)).as(s).isTrue();
        }
        assertThat(Path.of(j.get("journal").asText())).startsWith(dir).isDirectory();
        assertThat(j.get("journal_frames").asLong()).isGreaterThanOrEqualTo(j.get("frames").asLong());
    }

    @Test
    void demoRefusesABadOptionNamingIt() {
        Object[] r = run("demo", "--channels", "0", "--quiet");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("source.channels: 0 is not allowed");
    }

    @Test
    void demoRefusesAnUnwritableJournalDirectory(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "x");
        Object[] r = run("demo", "--seconds", "2", "--quiet", "--journal-dir", file.resolve("j").toString());
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("journal.dir: cannot create journal directory");
    }

    @Test
    void daemonRefusesABadConfigNamingTheField(@TempDir Path dir) throws Exception {
        Path cfg = Files.writeString(dir.resolve("bad.json"), "{\"pipeline\": {\"topology\": \"triple\"}}");
        Object[] r = run("daemon", "--config", cfg.toString());
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("pipeline.topology: \"triple\" is not allowed; expected one of");
    }

    @Test
    void daemonCheckPrintsTheConfigWithDefaults() {
        Object[] r = run("daemon", "--check", "--config", Path.of("..", "config", "example.json").toString());
        assertThat(r[0]).isEqualTo(0);
        assertThat((String) r[1]).contains("\"binWidthUs\" : 20000");
        assertThat((String) r[2]).contains("config valid", "pipeline ring", "total", "bound:");
    }

    @Test
    void daemonCheckRefusesAConfigThatCannotFitTheHeapNamingTheFigure(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("huge.json");
        Files.writeString(cfg, "{\"source\":{\"channels\":65536},\"pipeline\":{\"binWidthUs\":1000000}}");
        Object[] r = run("daemon", "--check", "--config", cfg.toString());
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("memory: this config needs at least", "pipeline ring",
                "= 268.7 GB");
    }
}
