package io.reflex.tools;

import static io.reflex.tools.CliRunner.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code reflex daemon --counters FILE} read by {@code reflex counters FILE} from another process. */
class CountersCliTest {

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void anotherProcessReadsTheLiveDaemonsCountersAndTheFileGoesWithTheDaemon(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("shm/counters.dat");
        ControlApiProcessTest.Daemon d = ControlApiProcessTest.Daemon.start(dir, "\"pipeline\": {}", "--counters",
                file.toString());
        try {
            d.awaitLive();
            Process reader = new ProcessBuilder(CliProcess.command("counters", file.toString(), "--json"))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(reader.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(reader.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(reader.exitValue()).as(out).isZero();
            JsonNode j = Json.mapper().readTree(out);
            assertThat(j.get("pid").asLong()).isEqualTo(d.process.pid());
            assertThat(j.get("writer_alive").asBoolean()).isTrue();
            assertThat(j.get("phase").asText()).isEqualTo("live");
            assertThat(j.get("heartbeat_age_ms").asLong()).isBetween(0L, 30_000L);
            assertThat(j.at("/counters/session.run").asLong()).isEqualTo(1);
            assertThat(j.at("/counters/pipeline.frames_out").asLong()).isPositive();
            assertThat(j.at("/counters/pipeline.dropped").asLong()).isZero();
            assertThat(new ProcessBuilder("kill", "-TERM", Long.toString(d.process.pid())).start().waitFor())
                    .isZero();
            assertThat(d.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            d.process.destroyForcibly();
        }
        assertThat(file).as("stderr:\n%s", d.err()).doesNotExist();
        Object[] gone = run("counters", file.toString());
        assertThat(gone[0]).isEqualTo(2);
        assertThat((String) gone[2]).contains("cannot be read");
    }

    @Test
    void aFileThatIsNotACountersFileIsRefusedWithTheReason(@TempDir Path dir) throws Exception {
        Path f = Files.write(dir.resolve("x.dat"), new byte[256]);
        Object[] r = run("counters", f.toString(), "--json");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("not a Reflex counters file");
        assertThat((String) r[1]).isEmpty();
    }

    @Test
    void aCountersFileThatCannotBeMadeStopsTheDaemonBeforeItStarts(@TempDir Path dir) throws Exception {
        Path cfg = Files.writeString(dir.resolve("daemon.json"), "{\"journal\": {\"enabled\": false}}");
        Path blocker = Files.writeString(dir.resolve("blocker"), "a file, not a directory");
        Object[] r = run("daemon", "--config", cfg.toString(), "--counters", blocker.resolve("c.dat").toString());
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("--counters").contains("could not be created");
    }
}
