package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's structured log: every stderr line one JSON object, whatever wrote it. */
class JsonLogTest {

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void everyStderrLineOfAJsonLoggedRunIsOneObject(@TempDir Path dir) throws Exception {
        Path cfg = Files.writeString(dir.resolve("daemon.json"), "{"
                + "\"source\": {\"channels\": 16},"
                + "\"calibration\": {\"seconds\": 2},"
                + "\"run\": {\"seconds\": 3},"
                + "\"journal\": {\"dir\": \"" + dir.resolve("journal").toString().replace("\\", "\\\\") + "\"}}");
        Object[] r = CliRunner.run("daemon", "--log-format", "json", "--json", "--config", cfg.toString());
        String err = (String) r[2];
        assertThat((Integer) r[0]).as("stderr: %s", err).isZero();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : err.split("\n")) {
            if (!line.isEmpty()) {
                JsonNode o = Json.mapper().readTree(line);
                assertThat(o.isObject()).as(line).isTrue();
                assertThat(o.get("ts").asText()).as(line).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
                assertThat(o.hasNonNull("event")).as(line).isTrue();
                lines.add(o);
            }
        }
        assertThat(lines).anySatisfy(o -> {
            assertThat(o.get("event").asText()).isEqualTo("phase");
            assertThat(o.get("phase").asText()).isEqualTo("live");
        });
        assertThat(lines).anySatisfy(o -> {
            assertThat(o.get("event").asText()).isEqualTo("progress");
            assertThat(o.get("phase").asText()).isEqualTo("calibration");
            assertThat(o.has("calibration_frames")).isTrue();
        });
        // the summary stays on stdout, one object
        JsonNode summary = Json.mapper().readTree(((String) r[1]).trim());
        assertThat(summary.get("ending").asText()).isEqualTo("completed");
    }

    @Test
    void otherStderrLinesAreWrappedAndLongOnesCut() {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        JsonLines log = new JsonLines(new PrintStream(raw, true, StandardCharsets.UTF_8));
        PrintStream wrapped = new PrintStream(log.wrapping("stderr"), true, StandardCharsets.UTF_8);
        wrapped.println("[main] WARN net.openhft - a library's \"warning\"");
        wrapped.print("partial ");
        wrapped.println("line\twith tab, ünïcode");
        wrapped.println("x".repeat(JsonLines.MAX_LINE_CHARS + 10));
        wrapped.close();
        String[] out = raw.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(out).hasSize(3);
        JsonNode a = read(out[0]);
        assertThat(a.get("event").asText()).isEqualTo("stderr");
        assertThat(a.get("msg").asText()).isEqualTo("[main] WARN net.openhft - a library's \"warning\"");
        assertThat(read(out[1]).get("msg").asText()).isEqualTo("partial line\twith tab, ünïcode");
        JsonNode c = read(out[2]);
        assertThat(c.get("msg").asText()).hasSize(JsonLines.MAX_LINE_CHARS);
        assertThat(c.get("cut").asBoolean()).isTrue();
    }

    @Test
    void anUnknownFormatIsRefused(@TempDir Path dir) throws Exception {
        Path cfg = Files.writeString(dir.resolve("d.json"), "{}");
        Object[] r = CliRunner.run("daemon", "--log-format", "xml", "--config", cfg.toString());
        assertThat((Integer) r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("--log-format (or REFLEX_LOG_FORMAT) must be text or json, was 'xml'");
    }

    private static JsonNode read(String s) {
        try {
            return Json.mapper().readTree(s);
        } catch (java.io.IOException e) {
            throw new AssertionError(s, e);
        }
    }
}
