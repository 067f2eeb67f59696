package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.runtime.journal.JournalReader;
import io.reflex.runtime.journal.JournalRecord;
import io.reflex.runtime.session.SessionReport;
import io.reflex.runtime.stim.ChronicleStimJournal;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimVerdict;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class JournalInfoCommandTest {
    @TempDir
    static Path shared;
    private static SessionReport run;

    @BeforeAll
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    static void recordAShortRun() throws Exception {
        run = RecordedRuns.shortKalmanRun(shared.resolve("journal"));
    }

    @Test
    void reportsWhatARunHoldsWithItsDocumentedKeys() throws Exception {
        Object[] r = CliRunner.run("journal", "info", run.journal.toString(), "--json");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        JsonNode j = Json.mapper().readTree(((String) r[1]).strip());
        assertThat(j.fieldNames()).toIterable().containsExactly("path", "ok", "runs", "stim_journals");
        assertThat(j.get("ok").asBoolean()).isTrue();
        assertThat(j.get("runs")).hasSize(1);
        JsonNode run0 = j.get("runs").get(0);
        assertThat(run0.fieldNames()).toIterable().containsExactly("path", "format_version", "source", "decoder",
                "bin_width_us", "channels", "features", "outputs", "references", "paired_targets", "records", "frames",
                "first_sequence", "last_sequence", "sequence_gaps", "first_time_s", "last_time_s", "span_s",
                "generations", "more_generations", "markers", "paired_target_records", "trial_starts",
                "deadline_misses", "safe_outputs", "invalid_input", "decode_skipped", "decoder_file",
                "decoder_file_error", "error");
        assertThat(run0.get("format_version").asInt()).isEqualTo(3);
        assertThat(run0.get("frames").asLong()).isEqualTo(run.journalFrames);
        assertThat(run0.get("channels").asInt()).isEqualTo(32);
        assertThat(run0.get("features").asInt()).as("one per channel").isEqualTo(32);
        assertThat(run0.get("outputs").asInt()).isEqualTo(2);
        assertThat(run0.get("bin_width_us").asLong()).isEqualTo(20_000);
        assertThat(run0.get("decoder").asText()).isEqualTo("kalman");
        assertThat(run0.get("sequence_gaps").asLong()).isZero();
        assertThat(run0.get("references").toString()).contains("\"vx\"", "\"vy\"");
        // 4 s of calibration at 20 ms bins before the decoder (generation 0), then the live decoder (generation 1)
        JsonNode gens = run0.get("generations");
        assertThat(gens).hasSize(2);
        assertThat(gens.get(0).get("generation").asInt()).isZero();
        assertThat(gens.get(0).get("frames").asLong()).isGreaterThanOrEqualTo(200);
        assertThat(gens.get(1).get("generation").asInt()).isEqualTo(1);
        assertThat(gens.get(0).get("frames").asLong() + gens.get(1).get("frames").asLong())
                .isEqualTo(run.journalFrames);
        // every calibration frame leaves with the safe output (no decoder yet)
        assertThat(run0.get("safe_outputs").asLong()).isGreaterThanOrEqualTo(200);
        assertThat(run0.get("span_s").asDouble()).isPositive()
                .isEqualTo(run0.get("last_time_s").asDouble() - run0.get("first_time_s").asDouble());
        assertThat(run0.get("decoder_file").get("type").asText()).isEqualTo("kalman");
        assertThat(run0.get("error").isNull()).isTrue();

        // the journal.dir holding the run lists it too; text output
        Object[] text = CliRunner.run("journal", "info", run.journal.getParent().toString());
        assertThat(text[0]).as("stderr: %s", text[2]).isEqualTo(0);
        assertThat((String) text[1]).contains("(1 run, 0 stimulation journals)", "frames", "decoder generations",
                run.journal.getFileName().toString());
    }

    @Test
    void aMissingOrForeignDirectoryIsRefusedNamingThePath(@TempDir Path dir) throws Exception {
        Path none = dir.resolve("none");
        Object[] missing = CliRunner.run("journal", "info", none.toString());
        assertThat(missing[0]).isEqualTo(2);
        assertThat((String) missing[2]).contains(none.toString(), "no such journal directory");

        Path foreign = Files.createDirectories(dir.resolve("foreign"));
        Files.writeString(foreign.resolve("notes.txt"), "not a journal");
        Object[] f = CliRunner.run("journal", "info", foreign.toString());
        assertThat(f[0]).isEqualTo(2);
        assertThat((String) f[2]).contains(foreign.toString(), "is not a Reflex journal", "*.cq4");

        Path file = Files.writeString(dir.resolve("file.cq4"), "x");
        Object[] notDir = CliRunner.run("journal", "info", file.toString());
        assertThat(notDir[0]).isEqualTo(2);
        assertThat((String) notDir[2]).contains(file.toString(), "is not a directory");

        // a queue file that is not a Chronicle queue
        Path fake = Files.createDirectories(dir.resolve("fake"));
        Files.write(fake.resolve("20261203F.cq4"), new byte[4096]);
        Object[] q = CliRunner.run("journal", "info", fake.toString(), "--json");
        assertThat(q[0]).isEqualTo(2);
        assertThat((String) q[2]).contains(fake.toString() + " is not a Reflex journal: it holds no run metadata");
    }

    @Test
    void aTruncatedStimulationJournalIsReportedNotReadAsComplete(@TempDir Path dir) throws Exception {
        Path stim = dir.resolve("stim-x");
        StimCommand c = new StimCommand().symmetric(10_000, 100_000, 50_000).pulseCount(1);
        c.clearChannels().addChannel(0);
        try (ChronicleStimJournal j = ChronicleStimJournal.open(stim)) {
            for (int i = 1; i <= 300; i++) {
                c.triggerTimeNs(1_000_000L * i).inputTimeNs(1_000_000L * i);
                j.recordCommand(i, 1_000_000L * i, c, StimVerdict.ACCEPTED);
            }
        }
        JournalInfo.Stim whole = JournalInfo.readStim(stim);
        assertThat(whole.error).isNull();
        assertThat(whole.commands).isEqualTo(300);
        // Cut anywhere past the file's header: in the empty index space before the first record (the zeros there read
        // like an empty queue), in the middle of the records, one record short of the end. Each cut is a fresh copy.
        long end = lastNonZeroByte(RecordedRuns.queueFile(stim));
        long[] cuts = {4096, end / 4, end / 2, end * 3 / 4, end - 200, end - 1};
        for (int i = 0; i < cuts.length; i++) {
            Path copy = RecordedRuns.copyRun(stim, dir.resolve("cut-" + i));
            try (RandomAccessFile f = new RandomAccessFile(RecordedRuns.queueFile(copy).toFile(), "rw")) {
                f.setLength(cuts[i]);
            }
            JournalInfo.Stim cut = JournalInfo.readStim(copy);
            // never a short journal read as whole. A cut inside the region the file's header maps can also make the
            // header itself unreadable (the JVM reports the mapped access past the end as an InternalError, or not,
            // depending on whether the read runs compiled): that is reported as damage too.
            assertThat(cut.error).as("cut at %d of %d: records %d", cuts[i], end, cut.records).isNotNull()
                    .contains("is damaged:", "read before it:")
                    .containsAnyOf("cut short", "the tail could not be read", "cannot be read");
            assertThat(cut.commands).isLessThan(300);
        }
    }

    @Test
    void aTruncatedQueueFileIsReportedWithEveryRecordBeforeTheDamageCounted(@TempDir Path dir) throws Exception {
        for (int third = 1; third <= 2; third++) {
            assertTruncatedCopyIsReported(dir.resolve("run-copy" + third), third);
        }
    }

    private static void assertTruncatedCopyIsReported(Path to, int thirds) throws Exception {
        Path copy = RecordedRuns.copyRun(run.journal, to);
        Path cq4 = RecordedRuns.queueFile(copy);
        long end = lastNonZeroByte(cq4);
        try (RandomAccessFile f = new RandomAccessFile(cq4.toFile(), "rw")) {
            f.setLength(end * thirds / 3);
        }
        Object[] r = CliRunner.run("journal", "info", copy.toString(), "--json");
        assertThat(r[0]).as("stdout %s stderr %s", r[1], r[2]).isEqualTo(2);
        assertThat((String) r[2]).contains(copy.toString(), "damaged");
        JsonNode run0 = Json.mapper().readTree(((String) r[1]).strip()).get("runs").get(0);
        long frames = run0.get("frames").asLong();
        assertThat(frames).isPositive().isLessThan(run.journalFrames);
        assertThat(run0.get("error").asText()).contains("damaged after", frames + " frames", "cut short");
        // every frame before the damage is counted: as many as a reader returns before it stops
        long readable = 0;
        String why = null;
        try (JournalReader reader = new JournalReader(copy)) {
            JournalRecord rec = new JournalRecord();
            while (true) {
                try {
                    if (!reader.next(rec)) {
                        break;
                    }
                } catch (IllegalStateException e) {
                    why = e.toString();
                    break;
                }
                readable++;
            }
            why = why != null ? why : reader.tailFault();
        }
        assertThat(frames).as("info: %s; reader: %s", run0.get("error"), why).isEqualTo(readable);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aRecordWithADamagedTypeIsReportedWithEveryRecordBeforeItCounted(@TempDir Path dir) throws Exception {
        Path copy = RecordedRuns.copyRun(run.journal, dir.resolve("run-copy"));
        Path cq4 = RecordedRuns.queueFile(copy);
        byte[] bytes = Files.readAllBytes(cq4);
        // the frame record of sequence 500 starts {type 2, version 1, sequence (i64, little-endian)}
        byte[] start = {2, 1, (byte) 0xF4, 1, 0, 0, 0, 0, 0, 0};
        int at = indexOf(bytes, start);
        assertThat(at).isPositive();
        bytes[at] = 0x7F;
        Files.write(cq4, bytes);
        Object[] r = CliRunner.run("journal", "info", copy.toString(), "--json");
        assertThat(r[0]).as("stdout %s stderr %s", r[1], r[2]).isEqualTo(2);
        assertThat((String) r[2]).contains(copy.toString(), "damaged after 500 records (500 frames)",
                "unknown journal record type 127");
        long frames = Json.mapper().readTree(((String) r[1]).strip()).get("runs").get(0).get("frames").asLong();
        assertThat(frames).isEqualTo(500);
        // replay refuses it too, after saying what it read
        Object[] p = CliRunner.run("replay", copy.toString());
        assertThat(p[0]).as("stdout %s stderr %s", p[1], p[2]).isEqualTo(2);
        assertThat((String) p[2]).contains(copy.toString());
    }

    @Test
    void countsTheStimulationJournalOfTheSameProcessOrTheOneNamed(@TempDir Path dir) throws Exception {
        // a run directory and a stimulation journal written by the same process (same pid suffix), side by side
        Path runDir = RecordedRuns.copyRun(run.journal, dir.resolve("run-20261203-101500-4242"));
        ChronicleStimJournal stim = ChronicleStimJournal.open(dir.resolve("stim-20261203-101500-4242"));
        StimCommand c = new StimCommand();
        c.addChannel(1);
        c.symmetric(40_000, 100_000, 20_000).pulseCount(3).frequencyMilliHz(100_000).triggerTimeNs(777);
        assertThat(stim.recordCommand(1, 10, c, StimVerdict.ACCEPTED)).isZero();
        assertThat(stim.recordCommand(2, 20, c, StimVerdict.ACCEPTED)).isZero();
        assertThat(stim.recordCommand(3, 30, c, StimVerdict.AMPLITUDE_OVER_LIMIT)).isZero();
        assertThat(stim.recordStopAll(4, 40)).isZero();
        stim.close();
        // another process's stimulation journal is not this run's
        ChronicleStimJournal.open(dir.resolve("stim-20261203-101500-9999")).close();

        Object[] r = CliRunner.run("journal", "info", runDir.toString(), "--json");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        JsonNode stims = Json.mapper().readTree(((String) r[1]).strip()).get("stim_journals");
        assertThat(stims).hasSize(1);
        JsonNode s = stims.get(0);
        assertThat(s.fieldNames()).toIterable().containsExactly("path", "records", "commands", "accepted",
                "refused", "stop_all", "events", "error");
        assertThat(s.get("path").asText()).endsWith("stim-20261203-101500-4242");
        assertThat(s.get("commands").asLong()).isEqualTo(3);
        assertThat(s.get("accepted").asLong()).isEqualTo(2);
        assertThat(s.get("refused").asLong()).isEqualTo(1);
        assertThat(s.get("stop_all").asLong()).isEqualTo(1);
        assertThat(s.get("records").asLong()).isEqualTo(4 + s.get("events").asLong());

        // named with --stim: only that one; a directory that is not one is an error naming it
        Object[] named = CliRunner.run("journal", "info", run.journal.toString(), "--stim",
                dir.resolve("stim-20261203-101500-4242").toString(), "--json");
        assertThat(named[0]).as("stderr: %s", named[2]).isEqualTo(0);
        assertThat(Json.mapper().readTree(((String) named[1]).strip()).get("stim_journals").get(0).get("commands")
                .asLong()).isEqualTo(3);
        Object[] bad = CliRunner.run("journal", "info", run.journal.toString(), "--stim", dir.toString());
        assertThat(bad[0]).isEqualTo(2);
        assertThat((String) bad[2]).contains(dir.toString(), "is not a stimulation journal");

        // the whole directory: both runs' stimulation journals are listed
        Object[] all = CliRunner.run("journal", "info", dir.toString());
        assertThat(all[0]).as("stderr: %s", all[2]).isEqualTo(0);
        assertThat((String) all[1]).contains("(1 run, 2 stimulation journals)",
                "3 commands (2 accepted, 1 refused), 1 stop-alls");
    }

    private static int indexOf(byte[] b, byte[] pattern) {
        outer:
        for (int i = 0; i + pattern.length <= b.length; i++) {
            for (int k = 0; k < pattern.length; k++) {
                if (b[i + k] != pattern[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static long lastNonZeroByte(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        for (int i = b.length - 1; i >= 0; i--) {
            if (b[i] != 0) {
                return i + 1;
            }
        }
        return 0;
    }
}
