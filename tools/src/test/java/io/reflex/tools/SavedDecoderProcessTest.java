package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.decoders.file.DecoderFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code reflex daemon} as real processes: one calibrates and saves its decoder in its journal, a second loads
 * it with {@code decoder.file} and decodes at once; {@code --check} refuses a file that does not fit the config.
 */
class SavedDecoderProcessTest {

    private record Result(int code, String stdout, String stderr) {
    }

    private static Result daemon(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(CliProcess.command(List.of()));
        cmd.add("daemon");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        try {
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("daemon ended").isTrue();
        } finally {
            p.destroyForcibly();
        }
        return new Result(p.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Path config(Path dir, String name, String extra) throws Exception {
        return Files.writeString(dir.resolve(name), "{"
                + "\"source\": {\"channels\": 16},"
                + "\"calibration\": {\"seconds\": 3},"
                + "\"run\": {\"seconds\": 1},"
                + extra
                + "\"journal\": {\"dir\": \"" + dir.resolve("journal").toString().replace("\\", "\\\\") + "\"}}");
    }

    private static String quoted(Path p) {
        return "\"" + p.toString().replace("\\", "\\\\") + "\"";
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aDaemonLoadsTheDecoderAnotherSavedAndGoesLiveWithoutCalibrating(@TempDir Path dir) throws Exception {
        Result a = daemon("--json", "--config", config(dir, "a.json", "").toString());
        assertThat(a.code()).as("stderr:\n%s", a.stderr()).isZero();
        JsonNode ra = Json.mapper().readTree(a.stdout().strip());
        assertThat(ra.get("calibration_frames").asInt()).isEqualTo(150);
        assertThat(ra.get("decoder_loaded").isNull()).isTrue();
        Path saved = Path.of(ra.get("decoder_saved").asText());
        assertThat(saved).isEqualTo(Path.of(ra.get("journal").asText()).resolve("decoder.rxdf"));
        assertThat(DecoderFile.read(saved).channels()).isEqualTo(16);

        Path cfgB = config(dir, "b.json", "\"decoder\": {\"name\": \"kalman\", \"file\": " + quoted(saved) + "},");
        Result check = daemon("--check", "--config", cfgB.toString());
        assertThat(check.code()).as("stderr:\n%s", check.stderr()).isZero();
        assertThat(check.stdout()).contains("\"file\"");

        Result b = daemon("--json", "--config", cfgB.toString());
        assertThat(b.code()).as("stderr:\n%s", b.stderr()).isZero();
        JsonNode rb = Json.mapper().readTree(b.stdout().strip());
        assertThat(rb.get("ending").asText()).isEqualTo("completed");
        assertThat(rb.get("calibration_frames").asInt()).isZero();
        assertThat(rb.get("decoder_loaded").asText()).isEqualTo(saved.toString());
        assertThat(rb.get("decoder_saved").isNull()).isTrue();
        assertThat(rb.get("frames").asLong()).isPositive();
        assertThat(rb.get("velocity_r2").asDouble()).isGreaterThan(0.3);
        assertThat(b.stderr()).doesNotContain("calibration");

        // the same file with another channel count: --check refuses it, naming the key and both values
        Path cfgC = Files.writeString(dir.resolve("c.json"), "{\"source\": {\"channels\": 32},"
                + "\"decoder\": {\"file\": " + quoted(saved) + "}}");
        Result c = daemon("--check", "--config", cfgC.toString());
        assertThat(c.code()).isEqualTo(2);
        assertThat(c.stderr()).contains("decoder.file: decoder file " + saved + ": channels is 16 but the config's"
                + " source.channels is 32");
        // a corrupted file: refused at start with the CRC named, nothing decoded
        byte[] bytes = Files.readAllBytes(saved);
        bytes[100] ^= 0x40;
        Path broken = Files.write(dir.resolve("broken.rxdf"), bytes);
        Path cfgD = config(dir, "d.json", "\"decoder\": {\"file\": " + quoted(broken) + "},");
        Result d = daemon("--json", "--config", cfgD.toString());
        assertThat(d.code()).isEqualTo(2);
        assertThat(d.stderr()).contains("decoder.file: decoder file " + broken + ": CRC32");
        assertThat(d.stdout()).isEmpty();
    }
}
