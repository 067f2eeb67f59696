package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.decoders.file.DecoderFile;
import io.reflex.runtime.session.SessionReport;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code reflex fit} and {@code reflex replay} with an LFADS or SNN decoder fitted on a recorded journal: a Kalman run
 * replayed through an SNN, a Lorenz LFADS run through a freshly fitted LFADS, R² side by side; a fitted LFADS file
 * that replay reads back; an LFADS model of the wrong input dimension refused.
 */
class FitModelTest {
    @TempDir
    static Path shared;
    private static SessionReport kalman;
    private static SessionReport lfads;

    @BeforeAll
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    static void recordShortRuns() throws Exception {
        kalman = RecordedRuns.shortKalmanRun(shared.resolve("kalman"));
        lfads = RecordedRuns.shortLfadsRun(shared.resolve("lfads"));
    }

    private static JsonNode ok(String... args) throws Exception {
        Object[] r = CliRunner.run(args);
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        return Json.mapper().readTree(((String) r[1]).strip());
    }

    private static JsonNode replayFitted(SessionReport run, String decoder) throws Exception {
        JsonNode j = ok("replay", run.journal.toString(), "--decoder", decoder, "--json");
        assertThat(j.get("decoder").asText()).isEqualTo(decoder);
        assertThat(j.get("decoder_source").asText()).isEqualTo("fitted");
        assertThat(j.get("decoder_file").isNull()).isTrue();
        assertThat(j.get("recorded_decoder").asBoolean()).isFalse();
        assertThat(j.get("engines").toString()).isEqualTo("[\"cpu-fixed\"]");
        assertThat(j.get("engine_arithmetic").asText()).isEqualTo("fixed");
        assertThat(j.get("compared").asLong()).isGreaterThan(20);
        assertThat(j.get("scored").asLong()).isEqualTo(j.get("compared").asLong());
        assertThat(j.get("recorded_r2").isNumber()).as("recorded_r2 %s", j.get("recorded_r2")).isTrue();
        assertThat(j.get("replayed_r2").isNumber()).as("replayed_r2 %s", j.get("replayed_r2")).isTrue();
        assertThat(j.get("reproduced").asBoolean()).isFalse();
        return j;
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aKalmanRunReplayedThroughAnSnnFittedOnItReportsBothR2() throws Exception {
        JsonNode j = replayFitted(kalman, "snn");
        assertThat(j.get("targets").toString()).isEqualTo("[\"vx\",\"vy\"]");
        // the reservoir decodes the synthetic velocity (in-sample: fitted on the whole journal; 0.86 when written)
        assertThat(j.get("replayed_r2").asDouble()).isGreaterThan(0.6);
        assertThat(j.get("mismatches").asLong()).isPositive();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void anLfadsRunReplayedThroughAnLfadsDecoderFittedOnItReportsBothR2() throws Exception {
        JsonNode j = replayFitted(lfads, "lfads");
        assertThat(j.get("targets").toString()).isEqualTo("[\"lx\",\"ly\",\"lz\"]");
        // the Lorenz latents from the shipped model's factors (0.95 when written)
        assertThat(j.get("replayed_r2").asDouble()).isGreaterThan(0.8);
        Object[] t = CliRunner.run("replay", lfads.journal.toString(), "--decoder", "lfads");
        assertThat(t[0]).as("stderr: %s", t[2]).isEqualTo(0);
        assertThat((String) t[1]).contains("an lfads decoder fitted on this journal", "engines: cpu-fixed",
                "R² against the recorded targets");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void fitWritesAnLfadsFileThatReplayReadsAndDecodes(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("lfads.rxdf");
        JsonNode f = ok("fit", "--journal", lfads.journal.toString(), "--decoder", "lfads", "--out", out.toString(),
                "--json");
        assertThat(f.get("decoder").asText()).isEqualTo("lfads");
        assertThat(f.get("channels").asInt()).isEqualTo(70);
        assertThat(f.get("outputs").asInt()).isEqualTo(3);
        assertThat(f.get("options").get("model").asText()).isEqualTo("lfads-lorenz-causal");
        assertThat(f.get("engines").toString()).isEqualTo("[\"cpu-fixed\"]");
        assertThat(f.get("bins").asInt()).isEqualTo((int) lfads.journalFrames);
        // held out: the last 20% decoded in order, from a reset and at each trial start
        assertThat(f.get("held_out_bins").asInt()).isGreaterThanOrEqualTo(10);
        assertThat(f.get("held_out_r2").asDouble()).isGreaterThan(0.8); // 0.93 when written
        DecoderFile.Contents c = DecoderFile.read(out);
        assertThat(c.type()).isEqualTo("lfads");
        assertThat(c.isModel()).isTrue();
        assertThat(c.calibrationBins()).isEqualTo(f.get("bins").asInt());
        assertThat(c.provenance()).contains("\"created_by\":\"reflex fit\"", "\"source_type\":\"lorenz\"");

        JsonNode r = ok("replay", lfads.journal.toString(), "--decoder", out.toString(), "--json");
        assertThat(r.get("decoder").asText()).isEqualTo("lfads");
        assertThat(r.get("decoder_source").asText()).isEqualTo("file");
        assertThat(r.get("decoder_file").asText()).isEqualTo(out.toString());
        assertThat(r.get("replayed").asLong()).isGreaterThan(20);
        assertThat(r.get("replayed_r2").asDouble()).isGreaterThan(0.8);
        assertThat(r.get("recorded_r2").isNumber()).isTrue();

        // an SNN fitted from the Kalman run: a held-out figure too
        Path snn = dir.resolve("snn.rxdf");
        JsonNode s = ok("fit", "--journal", kalman.journal.toString(), "--decoder", "snn", "--out", snn.toString(),
                "--json");
        assertThat(s.get("decoder").asText()).isEqualTo("snn");
        assertThat(s.get("options").size()).isZero();
        assertThat(s.get("held_out_r2").asDouble()).isGreaterThan(0.6); // 0.85 when written
        assertThat(DecoderFile.read(snn).type()).isEqualTo("snn");
    }

    @Test
    void anLfadsModelThatDoesNotReadTheJournalsChannelsIsRefused(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("x.rxdf");
        Object[] r = CliRunner.run("fit", "--journal", kalman.journal.toString(), "--decoder", "lfads", "--out",
                out.toString());
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("reflex fit: journal " + kalman.journal, "has 32 channels but the LFADS"
                + " model lfads-centerout-causal", "reads 96 (encod_data_dim)");
        assertThat(out).doesNotExist();
        Object[] p = CliRunner.run("replay", kalman.journal.toString(), "--decoder", "lfads");
        assertThat(p[0]).isEqualTo(2);
        assertThat((String) p[2]).contains("has 32 channels but the LFADS model lfads-centerout-causal");
    }
}
