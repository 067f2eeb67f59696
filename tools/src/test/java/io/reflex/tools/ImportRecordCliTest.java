package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.runtime.xdf.XdfFormat.ChannelFormat;
import io.reflex.runtime.xdf.XdfStream;
import io.reflex.runtime.xdf.XdfWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImportRecordCliTest {
    /** A 0.3 s recording: 4 channels at 1 kHz and a marker stream, with unique names. */
    private static Path recording(Path file, String tag) throws Exception {
        try (XdfWriter w = XdfWriter.create(file)) {
            XdfStream eeg = new XdfStream().name("eeg-" + tag).type("EEG").channels(4, ChannelFormat.FLOAT32)
                    .nominalSrateHz(1000).sourceId("eeg-" + tag);
            for (int i = 0; i < 4; i++) {
                eeg.channel("c" + i, "uV", "EEG");
            }
            int a = w.addStream(eeg);
            int m = w.addStream(new XdfStream().name("mk-" + tag).type("Markers").channels(1, ChannelFormat.STRING)
                    .sourceId("mk-" + tag));
            float[] v = new float[4];
            for (int s = 0; s < 300; s++) {
                Arrays.fill(v, s);
                w.sample(a, 50.0 + s * 0.001, v, 0);
                if (s % 100 == 0) {
                    w.marker(m, 50.0 + s * 0.001, "m" + s);
                }
            }
            w.finish();
        }
        return file;
    }

    @Test
    void importPlaysEveryStreamAndReportsItsKeys(@TempDir Path dir) throws Exception {
        String tag = UUID.randomUUID().toString().substring(0, 8);
        Path f = recording(dir.resolve("r.xdf"), tag);
        Object[] r = CliRunner.run("import", f.toString(), "--loopback", "--lead-s", "0", "--json");
        assertThat(r[0]).as("stderr %s", r[2]).isEqualTo(0);
        JsonNode j = Json.mapper().readTree(((String) r[1]).strip());
        assertThat(j.fieldNames()).toIterable().containsExactly("file", "streams", "speed", "shift_s", "duration_s",
                "max_late_ms", "stopped", "error");
        assertThat(j.get("streams")).hasSize(2);
        assertThat(j.get("streams").get(0).fieldNames()).toIterable().containsExactly("id", "name", "type",
                "channels", "format", "nominal_srate", "source_id", "samples", "first_timestamp", "last_timestamp");
        assertThat(j.get("streams").get(0).get("samples").asLong()).isEqualTo(300);
        assertThat(j.get("streams").get(1).get("samples").asLong()).isEqualTo(3);
        assertThat(j.get("streams").get(0).get("last_timestamp").asDouble()).isEqualTo(50.299);
        // paced: 0.3 s of recording takes about 0.3 s to play
        assertThat(j.get("duration_s").asDouble()).isGreaterThanOrEqualTo(0.29);
        assertThat(j.get("error").isNull()).isTrue();
    }

    @Test
    void aDamagedRecordingPlaysUpToTheDamageAndExitsTwo(@TempDir Path dir) throws Exception {
        String tag = UUID.randomUUID().toString().substring(0, 8);
        Path whole = recording(dir.resolve("w.xdf"), tag);
        byte[] b = Files.readAllBytes(whole);
        Path cut = dir.resolve("cut.xdf");
        Files.write(cut, Arrays.copyOf(b, b.length - 200)); // inside the footers
        Object[] r = CliRunner.run("import", cut.toString(), "--loopback", "--lead-s", "0", "--json");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("cut short", "played what came before");
        JsonNode j = Json.mapper().readTree(((String) r[1]).strip());
        assertThat(j.get("streams").get(0).get("samples").asLong()).isEqualTo(300);
    }

    @Test
    void badOptionsAndMissingStreamsAreRefused(@TempDir Path dir) throws Exception {
        Object[] r = CliRunner.run("import", dir.resolve("none.xdf").toString(), "--loopback");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("no such file");
        Path f = recording(dir.resolve("r.xdf"), "x");
        r = CliRunner.run("import", f.toString(), "--loopback", "--speed", "0");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("speed 0.0 outside");
        r = CliRunner.run("import", f.toString(), "--loopback", "--streams", "nope");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("holds no stream named 'nope'");
        Path notXdf = Files.writeString(dir.resolve("n.xdf"), "hello");
        r = CliRunner.run("import", notXdf.toString(), "--loopback");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("is not an XDF file");

        String none = "reflex-no-such-stream-" + UUID.randomUUID();
        r = CliRunner.run("record", "--loopback", "--xdf", dir.resolve("rec.xdf").toString(), "--streams",
                "name='" + none + "'", "--resolve-timeout-s", "0.5");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("0 stream(s) matched");
        assertThat(dir.resolve("rec.xdf")).doesNotExist();
        r = CliRunner.run("record", "--loopback", "--xdf", dir.toString());
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("is a directory");
    }
}
