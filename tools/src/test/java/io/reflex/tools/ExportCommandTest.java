package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.runtime.journal.JournalFormat;
import io.reflex.runtime.journal.JournalReader;
import io.reflex.runtime.journal.JournalRecord;
import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.session.SessionReport;
import io.reflex.runtime.stim.ChronicleStimJournal;
import io.reflex.runtime.xdf.XdfReader;
import io.reflex.runtime.xdf.XdfStream;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimVerdict;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class ExportCommandTest {
    /** The reader written from the XDF specification alone, in Python, sharing nothing with the Java reader. */
    private static final Path SPEC_READER = Path.of("src/test/python/xdf_spec_reader.py").toAbsolutePath();

    @TempDir
    static Path shared;
    private static SessionReport run;
    private static Path stim;

    @BeforeAll
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    static void recordARunAndAStimulationJournal() throws Exception {
        run = RecordedRuns.shortKalmanRun(shared.resolve("journal"));
        stim = shared.resolve("stim-x");
        StimCommand c = new StimCommand().symmetric(10_000, 100_000, 50_000).pulseCount(1);
        c.clearChannels().addChannel(3);
        try (ChronicleStimJournal j = ChronicleStimJournal.open(stim)) {
            for (int i = 1; i <= 20; i++) {
                c.triggerTimeNs(1_000_000L * i).inputTimeNs(1_000_000L * i);
                j.recordCommand(i, 5_000_000_000L + 1_000_000L * i, c,
                        i % 5 == 0 ? StimVerdict.AMPLITUDE_OVER_LIMIT : StimVerdict.ACCEPTED);
            }
        }
    }

    /** Digests of a stream's timestamps and values as the journal holds them, the way the spec reader computes them. */
    private static final class Digest {
        final MessageDigest ts = sha();
        final MessageDigest values = sha();
        long samples;
        final ByteBuffer b8 = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        final ByteBuffer b4 = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);

        void sample(double t, float[] v, int off, int n) {
            ts.update(b8.clear().putDouble(t).array());
            for (int i = 0; i < n; i++) {
                values.update(b4.clear().putFloat(v[off + i]).array());
            }
            samples++;
        }

        static MessageDigest sha() {
            try {
                return MessageDigest.getInstance("SHA-256");
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void everySampleTimestampAndHeaderFieldReadsBackThroughAnIndependentSpecReader(@TempDir Path dir)
            throws Exception {
        Path out = dir.resolve("run.xdf");
        Object[] r = CliRunner.run("export", run.journal.toString(), "--xdf", out.toString(), "--stim", stim.toString(),
                "--json");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        JsonNode j = Json.mapper().readTree(((String) r[1]).strip());
        assertThat(j.fieldNames()).toIterable().containsExactly("journal", "stim_journal", "file", "bytes", "frames",
                "streams", "journal_damage", "stim_damage");
        assertThat(j.get("frames").asLong()).isEqualTo(run.journalFrames);
        assertThat(j.get("bytes").asLong()).isEqualTo(Files.size(out));
        assertThat(j.get("streams").get(0).fieldNames()).toIterable().containsExactly("stream", "id", "name",
                "channels", "format", "nominal_srate", "samples");
        assertThat(dir.resolve("run.xdf.part")).doesNotExist();

        // what the journal holds, digested straight from it
        Digest input = new Digest();
        Digest features = new Digest();
        Digest output = new Digest();
        Digest targets = new Digest();
        List<String> markers = new ArrayList<>();
        java.util.Map<String, Integer> kinds = new java.util.TreeMap<>();
        try (JournalReader reader = new JournalReader(run.journal)) {
            JournalRecord rec = new JournalRecord();
            for (byte t = reader.nextRecord(rec); t != 0; t = reader.nextRecord(rec)) {
                if (t == JournalFormat.TYPE_MARKER) {
                    markers.add(rec.markerText);
                } else if (t == JournalFormat.TYPE_FRAME) {
                    for (int i = 0; i < rec.sampleCount; i++) {
                        input.sample(rec.sampleTimestampsS[i], rec.samples, i * rec.channels, rec.channels);
                    }
                    features.sample(rec.acquisitionTimeS, rec.features, 0, rec.channels);
                    if (rec.decoderGeneration > 0 && rec.decodeStatus != Frame.DECODE_SKIPPED
                            && (rec.flags & Frame.FLAG_INVALID_INPUT) == 0) {
                        output.sample(rec.acquisitionTimeS, rec.output, 0, rec.outputCount);
                    }
                    targets.sample(rec.acquisitionTimeS, rec.targets, 0, rec.referenceCount);
                    kinds.merge("generation " + rec.decoderGeneration + " status " + rec.decodeStatus + " flags "
                            + rec.flags, 1, Integer::sum);
                }
            }
            assertThat(reader.tailFault()).isNull();
        }
        assertThat(output.samples).as("the live decoder's bins among %s", kinds).isPositive().isLessThan(features.samples);

        Process p = new ProcessBuilder("python3", SPEC_READER.toString(), out.toString()).redirectErrorStream(true)
                .start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(text).isZero();
        JsonNode spec = Json.mapper().readTree(text).get("streams");
        assertThat(spec.size()).isEqualTo(6);
        check(spec.get("1"), "Reflex input", "Spikes", 32, 1000.0, "float32", input);
        assertThat(spec.get("1").get("labels").get(31).asText()).isEqualTo("n31");
        assertThat(spec.get("1").get("units").get(0).asText()).isEqualTo("spikes");
        check(spec.get("2"), "Reflex features", "Features", 32, 50.0, "float32", features);
        check(spec.get("3"), "Reflex decoded", "Decoded", 2, 50.0, "float32", output);
        assertThat(spec.get("3").get("labels").toString()).isEqualTo("[\"vx\",\"vy\"]");
        List<String> references = JournalInfo.readRun(run.journal).references;
        check(spec.get("4"), "Reflex targets", "Targets", references.size(), 50.0, "float32", targets);
        for (int i = 0; i < references.size(); i++) {
            assertThat(spec.get("4").get("labels").get(i).asText()).isEqualTo(references.get(i));
        }
        JsonNode m = spec.get("5");
        assertThat(m.get("channel_format").asText()).isEqualTo("string");
        assertThat(m.get("samples").asLong()).isEqualTo(markers.size());
        JsonNode s = spec.get("6");
        // the journal-opened event, then the 20 commands in order
        assertThat(s.get("samples").asLong()).isEqualTo(21);
        assertThat(s.get("strings").get(0).asText()).startsWith("event ");
        assertThat(s.get("strings").get(1).asText())
                .startsWith("command seq=1 verdict=" + StimVerdict.name(StimVerdict.ACCEPTED) + " channels=3")
                .contains("phase1_na=10000", "pulses=1", "trigger_s=0.001000000");
        assertThat(s.get("strings").get(5).asText()).contains("seq=5", "verdict=" + StimVerdict.name(
                StimVerdict.AMPLITUDE_OVER_LIMIT));
        for (JsonNode stream : spec) {
            assertThat(stream.get("footer_sample_count").asLong()).isEqualTo(stream.get("samples").asLong());
            assertThat(stream.get("clock_offsets")).hasSize(2);
            assertThat(stream.get("clock_offsets").get(0).get(1).asDouble()).isZero();
        }

        // and the project's own reader agrees
        long[] counts = new long[7];
        XdfReader.Result own = XdfReader.read(out, new XdfReader.Visitor() {
            @Override
            public void samples(int id, int n, double[] t, double[] v, String[] strs) {
                counts[id] += n;
            }
        });
        assertThat(own.error).isNull();
        assertThat(counts).containsExactly(0, input.samples, features.samples, output.samples, targets.samples,
                markers.size(), 21);
        XdfStream in = own.streams.get(1).stream;
        assertThat(in.channelCount).isEqualTo(32);
        assertThat(in.note).contains(run.journal.getFileName().toString());
    }

    private static void check(JsonNode s, String name, String type, int channels, double srate, String format,
                              Digest d) {
        assertThat(s.get("name").asText()).isEqualTo(name);
        assertThat(s.get("type").asText()).isEqualTo(type);
        assertThat(s.get("channel_count").asInt()).isEqualTo(channels);
        assertThat(s.get("nominal_srate").asDouble()).isEqualTo(srate);
        assertThat(s.get("channel_format").asText()).isEqualTo(format);
        assertThat(s.get("labels")).hasSize(channels);
        assertThat(s.get("samples").asLong()).as(name).isEqualTo(d.samples);
        assertThat(s.get("ts_sha256").asText()).as(name + " timestamps").isEqualTo(HexFormat.of().formatHex(
                d.ts.digest()));
        assertThat(s.get("values_sha256").asText()).as(name + " values").isEqualTo(HexFormat.of().formatHex(
                d.values.digest()));
    }

    @Test
    void aDamagedJournalIsExportedUpToTheDamageAndExitsTwo(@TempDir Path dir) throws Exception {
        Path copy = RecordedRuns.copyRun(run.journal, dir.resolve("run-copy"));
        Path cq4 = RecordedRuns.queueFile(copy);
        byte[] b = Files.readAllBytes(cq4);
        int end = b.length;
        while (end > 0 && b[end - 1] == 0) {
            end--;
        }
        try (RandomAccessFile f = new RandomAccessFile(cq4.toFile(), "rw")) {
            f.setLength(end * 2L / 3);
        }
        Path out = dir.resolve("cut.xdf");
        Object[] r = CliRunner.run("export", copy.toString(), "--xdf", out.toString(), "--streams", "features",
                "--json");
        assertThat(r[0]).as("stderr %s", r[2]).isEqualTo(2);
        assertThat((String) r[2]).contains("is damaged", "exported what came before", "cut short");
        JsonNode j = Json.mapper().readTree(((String) r[1]).strip());
        long frames = j.get("frames").asLong();
        assertThat(frames).isPositive().isLessThan(run.journalFrames);
        assertThat(j.get("journal_damage").asText()).contains("cut short");
        assertThat(j.get("streams")).hasSize(1);
        // the file is whole up to the damage: every exported frame reads back
        XdfReader.Result own = XdfReader.read(out, new XdfReader.Visitor() { });
        assertThat(own.error).isNull();
        assertThat(own.streams.get(1).samples).isEqualTo(frames);
    }

    @Test
    void badArgumentsAreRefusedNamingWhatIsWrongAndLeaveNoFile(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("x.xdf");
        Object[] r = CliRunner.run("export", run.journal.toString(), "--xdf", out.toString(), "--streams", "eeg");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("unknown stream 'eeg'");
        r = CliRunner.run("export", dir.resolve("none").toString(), "--xdf", out.toString());
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("no such journal run directory");
        r = CliRunner.run("export", run.journal.toString(), "--xdf", dir.toString());
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("is a directory");
        r = CliRunner.run("export", run.journal.toString(), "--xdf", dir.resolve("no/such/dir/x.xdf").toString());
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("could not be written");
        r = CliRunner.run("export", run.journal.toString(), "--xdf", out.toString(), "--stim",
                dir.resolve("nostim").toString());
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("no such stimulation journal directory");
        try (var s = Files.list(dir)) {
            assertThat(s.toList()).isEmpty();
        }
    }
}
