package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.decoders.DecodeStatus;
import io.reflex.runtime.journal.JournalReader;
import io.reflex.runtime.journal.JournalRecord;
import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.session.SessionReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class ReplayCommandTest {
    @TempDir
    static Path shared;
    private static SessionReport run;

    @BeforeAll
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    static void recordAShortRun() throws Exception {
        run = RecordedRuns.shortKalmanRun(shared.resolve("journal"));
        assertThat(run.decoderSaved).isNotNull();
    }

    private static JsonNode json(Object[] r) throws Exception {
        return Json.mapper().readTree(((String) r[1]).strip());
    }

    @Test
    void theRunsOwnDecoderReproducesEveryRecordedOutputBitForBit() throws Exception {
        Object[] r = CliRunner.run("replay", run.journal.toString(), "--json");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        JsonNode j = json(r);
        assertThat(j.fieldNames()).toIterable().containsExactly("journal", "decoder", "decoder_source",
                "decoder_file", "recorded_decoder", "engines", "engine_arithmetic", "recorded_arithmetic",
                "bit_exact", "channels", "outputs", "frames", "no_decoder_frames",
                "other_generation_frames", "not_decoded_frames", "replayed", "not_comparable", "compared",
                "mismatches", "first_mismatch_sequence", "max_abs_difference", "reproduced", "targets", "targets_from",
                "scored", "recorded_r2", "replayed_r2", "replay_ms", "frames_per_s", "paced", "speed",
                "recorded_span_s", "wall_s", "tail_fault", "stim");
        assertThat(j.get("engines").toString()).isEqualTo("[]");
        assertThat(j.get("engine_arithmetic").isNull()).isTrue();
        assertThat(j.get("bit_exact").asBoolean()).isTrue();
        assertThat(j.get("decoder_source").asText()).isEqualTo("saved");
        assertThat(j.get("decoder").asText()).isEqualTo("kalman");
        assertThat(j.get("recorded_decoder").asBoolean()).isTrue();
        assertThat(j.get("frames").asLong()).isEqualTo(run.journalFrames);
        long live = liveFrames(run.journal);
        assertThat(j.get("no_decoder_frames").asLong()).isEqualTo(run.journalFrames - live);
        assertThat(j.get("replayed").asLong()).isEqualTo(live);
        assertThat(j.get("compared").asLong()).isPositive().isEqualTo(live - j.get("not_comparable").asLong());
        assertThat(j.get("mismatches").asLong()).isZero();
        assertThat(j.get("reproduced").asBoolean()).isTrue();
        assertThat(j.get("targets").toString()).isEqualTo("[\"vx\",\"vy\"]");
        assertThat(j.get("targets_from").asText()).isEqualTo("reference");
        // the same outputs score the same
        assertThat(j.get("replayed_r2").asDouble()).isEqualTo(j.get("recorded_r2").asDouble()).isGreaterThan(0.3);
        assertThat(j.get("tail_fault").isNull()).isTrue();

        // the run's own file named explicitly is recognised as the recorded decoder; text output
        Object[] t = CliRunner.run("replay", run.journal.toString(), "--decoder", run.decoderSaved);
        assertThat(t[0]).as("stderr: %s", t[2]).isEqualTo(0);
        assertThat((String) t[1]).contains("the run's own decoder", "compared: " + j.get("compared").asLong()
                + ", mismatches: 0 (bit for bit)", "stimulation is never sent");
    }

    @Test
    void oneFlippedBitOfARecordedOutputIsFoundAndFailsTheReplay(@TempDir Path dir) throws Exception {
        Path copy = RecordedRuns.copyRun(run.journal, dir.resolve("run-copy"));
        Path cq4 = RecordedRuns.queueFile(copy);
        byte[] bytes = Files.readAllBytes(cq4);
        long flipped = -1;
        try (JournalReader reader = new JournalReader(run.journal)) {
            JournalRecord rec = new JournalRecord();
            while (flipped < 0 && reader.next(rec)) {
                if (rec.decoderGeneration != 1 || rec.decodeStatus != DecodeStatus.OK
                        || (rec.flags & Frame.FLAG_SAFE_OUTPUT) != 0 || rec.sequence < 300) {
                    continue;
                }
                int at = uniqueOffset(bytes, Float.floatToRawIntBits(rec.output[1]));
                if (at >= 0) {
                    bytes[at] ^= 1; // the lowest mantissa bit (little-endian)
                    flipped = rec.sequence;
                }
            }
        }
        assertThat(flipped).as("a recorded output whose bytes occur once in the file").isNotNegative();
        Files.write(cq4, bytes);
        Object[] r = CliRunner.run("replay", copy.toString(), "--json");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(1);
        JsonNode j = json(r);
        assertThat(j.get("mismatches").asLong()).isEqualTo(1);
        assertThat(j.get("first_mismatch_sequence").asLong()).isEqualTo(flipped);
        assertThat(j.get("reproduced").asBoolean()).isFalse();
        assertThat((String) r[2]).contains("did not reproduce", "the first is frame " + flipped);
    }

    @Test
    void anotherDecoderIsScoredSideBySideWithTheRecordedOutputs() throws Exception {
        Object[] r = CliRunner.run("replay", run.journal.toString(), "--decoder", "wiener", "--json");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        JsonNode j = json(r);
        assertThat(j.get("decoder").asText()).isEqualTo("wiener");
        assertThat(j.get("decoder_source").asText()).isEqualTo("fitted");
        assertThat(j.get("recorded_decoder").asBoolean()).isFalse();
        assertThat(j.get("compared").asLong()).isPositive();
        assertThat(j.get("mismatches").asLong()).isPositive();
        assertThat(j.get("reproduced").asBoolean()).isFalse();
        assertThat(j.get("scored").asLong()).isEqualTo(j.get("compared").asLong());
        assertThat(j.get("recorded_r2").asDouble()).isGreaterThan(0.3);
        assertThat(j.get("replayed_r2").asDouble()).isGreaterThan(0.3)
                .isNotEqualTo(j.get("recorded_r2").asDouble());

        Object[] t = CliRunner.run("replay", run.journal.toString(), "--decoder", "wiener");
        assertThat(t[0]).as("stderr: %s", t[2]).isEqualTo(0);
        assertThat((String) t[1]).contains("wiener decoder fitted on this journal", "R² against the recorded targets",
                "recorded ", "replayed ");
    }

    @Test
    void aMissingJournalOrDecoderIsRefused(@TempDir Path dir) throws Exception {
        Object[] r = CliRunner.run("replay", dir.resolve("none").toString());
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("reflex replay: no journal directory at");
        Object[] d = CliRunner.run("replay", run.journal.toString(), "--decoder", dir.resolve("x.rxdf").toString());
        assertThat(d[0]).isEqualTo(2);
        assertThat((String) d[2]).contains("is neither one of kalman, wiener, lfads, snn nor a decoder file");
        Path noDecoder = RecordedRuns.copyRun(run.journal, dir.resolve("run-nodecoder"));
        Files.delete(noDecoder.resolve("decoder.rxdf"));
        Object[] n = CliRunner.run("replay", noDecoder.toString());
        assertThat(n[0]).isEqualTo(2);
        assertThat((String) n[2]).contains("holds no saved decoder", "--decoder");
    }

    private static long liveFrames(Path journal) {
        long n = 0;
        try (JournalReader reader = new JournalReader(journal)) {
            JournalRecord rec = new JournalRecord();
            while (reader.next(rec)) {
                n += rec.decoderGeneration == 1 ? 1 : 0;
            }
        }
        return n;
    }

    private static int uniqueOffset(byte[] b, int bits) {
        int found = -1;
        for (int i = 0; i + 4 <= b.length; i++) {
            if ((b[i] & 0xFF) == (bits & 0xFF) && (b[i + 1] & 0xFF) == ((bits >>> 8) & 0xFF)
                    && (b[i + 2] & 0xFF) == ((bits >>> 16) & 0xFF) && (b[i + 3] & 0xFF) == ((bits >>> 24) & 0xFF)) {
                if (found >= 0) {
                    return -1;
                }
                found = i;
            }
        }
        return found;
    }
}
