package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.decoders.file.DecoderFile;
import io.reflex.runtime.session.SessionReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class FitCommandTest {
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void fitsADecoderFromAJournalThatLoadsAndReportsItsKeys(@TempDir Path dir) throws Exception {
        SessionReport run = RecordedRuns.shortKalmanRun(dir);
        Path out = dir.resolve("w.rxdf");
        Object[] r = CliRunner.run("fit", "--journal", run.journal.toString(), "--decoder", "wiener", "--out",
                out.toString(), "--json");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        JsonNode j = Json.mapper().readTree(((String) r[1]).strip());
        assertThat(j.fieldNames()).toIterable().containsExactly("decoder", "journal", "out", "channels", "outputs",
                "targets", "targets_from", "bin_width_us", "sample_rate_hz", "frames", "bins", "skipped",
                "held_out_bins", "held_out_r2", "options", "engines");
        assertThat(j.get("decoder").asText()).isEqualTo("wiener");
        assertThat(j.get("out").asText()).isEqualTo(out.toString());
        assertThat(j.get("channels").asInt()).isEqualTo(32);
        assertThat(j.get("targets").toString()).isEqualTo("[\"vx\",\"vy\"]");
        assertThat(j.get("targets_from").asText()).isEqualTo("reference");
        assertThat(j.get("bin_width_us").asLong()).isEqualTo(20_000);
        assertThat(j.get("frames").asLong()).isEqualTo(run.journalFrames);
        assertThat(j.get("bins").asInt()).isEqualTo((int) run.journalFrames);
        assertThat(j.get("skipped").asInt()).isZero();
        assertThat(j.get("held_out_bins").asInt()).isEqualTo(j.get("bins").asInt() - (int) Math.floor(
                j.get("bins").asInt() * 0.8));
        assertThat(j.get("held_out_r2").asDouble()).isGreaterThan(0.5);
        DecoderFile.Contents c = DecoderFile.read(out);
        assertThat(c.type()).isEqualTo("wiener");
        assertThat(c.channels()).isEqualTo(32);
        assertThat(c.calibrationBins()).isEqualTo(j.get("bins").asInt());
        assertThat(c.provenance()).contains("\"created_by\":\"reflex fit\"");
        c.requireMatches(32, 20_000, 1000);

        // the default: the journal's decoder (kalman), written into the journal directory; text output
        Object[] text = CliRunner.run("fit", "--journal", run.journal.toString());
        assertThat(text[0]).as("stderr: %s", text[2]).isEqualTo(0);
        assertThat((String) text[1]).contains("reflex fit: kalman decoder, 32 channels", "held-out R²",
                "decoder.rxdf");
        assertThat(DecoderFile.read(run.journal.resolve("decoder.rxdf")).type()).isEqualTo("kalman");
    }

    @Test
    void aMissingJournalOrAnUnknownDecoderIsRefused(@TempDir Path dir) throws Exception {
        Object[] r = CliRunner.run("fit", "--journal", dir.resolve("none").toString());
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("reflex fit: no journal directory at");
        Files.createDirectories(dir.resolve("j"));
        Object[] d = CliRunner.run("fit", "--journal", dir.resolve("j").toString(), "--decoder", "pid");
        assertThat(d[0]).isEqualTo(2);
        assertThat((String) d[2]).contains("--decoder must be one of kalman, wiener, lfads, snn, was pid");
    }
}
