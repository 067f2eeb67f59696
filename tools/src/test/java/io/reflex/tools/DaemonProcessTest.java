package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.runtime.journal.JournalReader;
import io.reflex.runtime.journal.JournalRecord;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Runs {@code reflex daemon} as a real process and stops it with SIGTERM. */
class DaemonProcessTest {

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void sigtermStopsTheDaemonCleanlyWithEveryFrameInTheJournal(@TempDir Path dir) throws Exception {
        Path cfg = Files.writeString(dir.resolve("daemon.json"), "{"
                + "\"source\": {\"channels\": 16},"
                + "\"calibration\": {\"seconds\": 4},"
                + "\"run\": {\"seconds\": 0},"
                + "\"journal\": {\"dir\": \"" + dir.resolve("journal").toString().replace("\\", "\\\\") + "\"}}");
        List<String> cmd = new ArrayList<>(CliProcess.command(List.of()));
        cmd.add("daemon");
        cmd.add("--json");
        cmd.add("--config");
        cmd.add(cfg.toString());
        Process p = new ProcessBuilder(cmd).start();
        CountDownLatch live = new CountDownLatch(1);
        StringBuilder err = new StringBuilder();
        CompletableFuture<Void> errReader = CompletableFuture.runAsync(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (err) {
                        err.append(line).append('\n');
                    }
                    // Once live frames are flowing (a progress line shows some), the test stops the daemon.
                    if (line.contains("live") && line.contains("frames") && !line.contains("frames 0 ")) {
                        live.countDown();
                    }
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            } finally {
                // If the daemon dies early, fail at once instead of waiting out the timeout.
                live.countDown();
            }
        });
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try {
            assertThat(live.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.isAlive()).as("daemon reached live decoding; stderr:\n%s", err).isTrue();
            // SIGTERM by pid: Process.destroy() would also close our ends of its stdout and stderr.
            assertThat(new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor()).isZero();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        errReader.get(10, TimeUnit.SECONDS);
        String stdout = out.get(10, TimeUnit.SECONDS).strip();
        assertThat(stdout).as("stderr:\n%s", err).isNotEmpty();
        JsonNode report = Json.mapper().readTree(stdout);
        assertThat(report.get("ending").asText()).isEqualTo("stopped");
        assertThat(report.get("frames").asLong()).isPositive();
        long journaled = report.get("journal_frames").asLong();
        int read = 0;
        long lastSeq = -1;
        try (JournalReader reader = new JournalReader(Path.of(report.get("journal").asText()))) {
            JournalRecord rec = new JournalRecord();
            while (reader.next(rec)) {
                assertThat(rec.sequence).isEqualTo(lastSeq + 1);
                lastSeq = rec.sequence;
                read++;
            }
        }
        assertThat(read).as("frames read back").isEqualTo(journaled).isGreaterThanOrEqualTo(
                (int) (report.get("frames").asLong() + report.get("calibration_frames").asLong()));
        // the daemon's run replays through the decoder it saved, bit for bit
        Object[] replay = CliRunner.run("replay", report.get("journal").asText(), "--json");
        assertThat(replay[0]).as("stderr: %s", replay[2]).isEqualTo(0);
        JsonNode rj = Json.mapper().readTree(((String) replay[1]).strip());
        assertThat(rj.get("decoder_source").asText()).isEqualTo("saved");
        assertThat(rj.get("compared").asLong()).isPositive();
        assertThat(rj.get("mismatches").asLong()).isZero();
        assertThat(rj.get("frames").asLong()).isEqualTo(journaled);
    }
}
