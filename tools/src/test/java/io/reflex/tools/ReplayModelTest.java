package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.decoders.linear.DecoderFile;
import io.reflex.fpga.rtlsim.RtlSimBuilds;
import io.reflex.runtime.session.SessionReport;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replaying LFADS and SNN runs with the decoder they saved (a decoder file of format version 2): bit for bit on the
 * fixed-point engines, the largest difference on the float one, a doctored readout caught, and the paced replay.
 */
class ReplayModelTest {
    @TempDir
    static Path shared;
    private static SessionReport lfads;
    private static SessionReport snn;

    @BeforeAll
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    static void recordShortRuns() throws Exception {
        lfads = RecordedRuns.shortLfadsRun(shared.resolve("lfads"));
        snn = RecordedRuns.shortSnnRun(shared.resolve("snn"));
        assertThat(lfads.decoderSaved).isNotNull();
        assertThat(snn.decoderSaved).isNotNull();
    }

    private static JsonNode json(Object[] r) throws Exception {
        return Json.mapper().readTree(((String) r[1]).strip());
    }

    private static JsonNode reproduced(SessionReport run, String type, String... args) throws Exception {
        String[] all = new String[3 + args.length];
        all[0] = "replay";
        all[1] = run.journal.toString();
        all[2] = "--json";
        System.arraycopy(args, 0, all, 3, args.length);
        Object[] r = CliRunner.run(all);
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        JsonNode j = json(r);
        assertThat(j.get("decoder").asText()).isEqualTo(type);
        assertThat(j.get("decoder_source").asText()).isEqualTo("saved");
        assertThat(j.get("recorded_decoder").asBoolean()).isTrue();
        assertThat(j.get("engine_arithmetic").asText()).isEqualTo("fixed");
        assertThat(j.get("recorded_arithmetic").asText()).isEqualTo("fixed");
        assertThat(j.get("bit_exact").asBoolean()).isTrue();
        assertThat(j.get("compared").asLong()).isGreaterThan(20);
        assertThat(j.get("mismatches").asLong()).isZero();
        assertThat(j.get("max_abs_difference").asDouble()).isZero();
        assertThat(j.get("reproduced").asBoolean()).isTrue();
        return j;
    }

    @Test
    void theRunsOwnLfadsDecoderReproducesEveryRecordedOutputBitForBitOnCpuFixed() throws Exception {
        assertThat(DecoderFile.read(Path.of(lfads.decoderSaved)).type()).isEqualTo("lfads");
        JsonNode j = reproduced(lfads, "lfads");
        assertThat(j.get("engines").toString()).isEqualTo("[\"cpu-fixed\"]");
        assertThat(j.get("targets").toString()).isEqualTo("[\"lx\",\"ly\",\"lz\"]");
        assertThat(j.get("replayed_r2").asDouble()).isEqualTo(j.get("recorded_r2").asDouble());
        assertThat(j.get("paced").asBoolean()).isFalse();
        assertThat(j.get("speed").isNull()).isTrue();
        // named explicitly, the same chain
        reproduced(lfads, "lfads", "--engine", "cpu-fixed");
    }

    @Test
    void theRunsOwnSnnDecoderReproducesEveryRecordedOutputBitForBit() throws Exception {
        assertThat(DecoderFile.read(Path.of(snn.decoderSaved)).type()).isEqualTo("snn");
        JsonNode j = reproduced(snn, "snn");
        assertThat(j.get("engines").toString()).isEqualTo("[\"cpu-fixed\"]");
    }

    @Test
    void theFloatEngineAgainstAFixedPointRunReportsTheLargestDifferenceInsteadOfIdentity() throws Exception {
        Object[] r = CliRunner.run("replay", lfads.journal.toString(), "--engine", "cpu", "--json");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        JsonNode j = json(r);
        assertThat(j.get("engines").toString()).isEqualTo("[\"cpu\"]");
        assertThat(j.get("engine_arithmetic").asText()).isEqualTo("float32");
        assertThat(j.get("bit_exact").asBoolean()).isFalse();
        assertThat(j.get("reproduced").asBoolean()).isFalse();
        assertThat(j.get("compared").asLong()).isPositive();
        assertThat(j.get("mismatches").asLong()).isPositive();
        // Q12 fixed point against float32: close, not equal
        assertThat(j.get("max_abs_difference").asDouble()).isPositive().isLessThan(1.0);
        Object[] t = CliRunner.run("replay", lfads.journal.toString(), "--engine", "cpu");
        assertThat(t[0]).as("stderr: %s", t[2]).isEqualTo(0);
        assertThat((String) t[1]).contains("engines: cpu (float32 arithmetic; the run's was fixed)",
                "not expected to be bit-identical").doesNotContain("bit for bit");
    }

    @Test
    void aDoctoredReadoutIsRefusedByItsCrcAndWithAForgedCrcNoLongerReproducesTheRun(@TempDir Path dir)
            throws Exception {
        Path copy = RecordedRuns.copyRun(lfads.journal, dir.resolve("run-doctored"));
        Path file = copy.resolve("decoder.rxdf");
        byte[] b = Files.readAllBytes(file);
        ByteBuffer le = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int intercept0 = b.length - 4 - 4 * 3; // the first of the 3 readout intercepts, before the CRC
        le.putFloat(intercept0, le.getFloat(intercept0) + 1e-3f);
        Files.write(file, b);
        Object[] crc = CliRunner.run("replay", copy.toString(), "--json");
        assertThat(crc[0]).isEqualTo(2);
        assertThat((String) crc[2]).contains("decoder file " + file, "CRC32");

        CRC32 c = new CRC32();
        c.update(b, 0, b.length - 4);
        le.putInt(b.length - 4, (int) c.getValue());
        Files.write(file, b);
        Object[] r = CliRunner.run("replay", copy.toString(), "--json");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(1);
        JsonNode j = json(r);
        assertThat(j.get("bit_exact").asBoolean()).isTrue();
        assertThat(j.get("mismatches").asLong()).isEqualTo(j.get("compared").asLong()).isPositive();
        assertThat(j.get("reproduced").asBoolean()).isFalse();
        assertThat((String) r[2]).contains("did not reproduce");
    }

    @Test
    void enginesAreRefusedForALinearDecoderAndAnUnknownEngineIsNamed() throws Exception {
        Object[] k = CliRunner.run("replay", lfads.journal.toString(), "--decoder", "kalman", "--engine", "cpu-fixed");
        assertThat(k[0]).isEqualTo(2);
        assertThat((String) k[2]).contains("--engine cpu-fixed: the kalman decoder runs on the JVM and takes no"
                + " engines");
        Object[] u = CliRunner.run("replay", lfads.journal.toString(), "--engine", "warp-drive");
        assertThat(u[0]).isEqualTo(2);
        assertThat((String) u[2]).contains("decoder file", "cannot run on", "warp-drive");
        Object[] s = CliRunner.run("replay", snn.journal.toString(), "--speed", "0");
        assertThat(s[0]).isEqualTo(2);
        assertThat((String) s[2]).contains("--speed is 0.0");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aPacedReplayTakesAtLeastTheRecordedSpanOverTheSpeedAndStillReproduces() throws Exception {
        JsonNode fast = reproduced(snn, "snn");
        double span = fast.get("recorded_span_s").asDouble();
        assertThat(span).isGreaterThan(1.0);
        double speed = Math.max(1, Math.round(span)); // about one second of wall time
        JsonNode j = reproduced(snn, "snn", "--speed", Double.toString(speed));
        assertThat(j.get("paced").asBoolean()).isTrue();
        assertThat(j.get("speed").asDouble()).isEqualTo(speed);
        assertThat(j.get("recorded_span_s").asDouble()).isEqualTo(span);
        // both figures rounded to the millisecond in the JSON
        assertThat(j.get("wall_s").asDouble()).isGreaterThanOrEqualTo(span / speed - 0.002);
        Object[] t = CliRunner.run("replay", snn.journal.toString(), "--speed", Double.toString(speed));
        assertThat(t[0]).as("stderr: %s", t[2]).isEqualTo(0);
        assertThat((String) t[1]).contains("paced at " + (long) speed + "x the recorded pace");
    }

    @Test
    @Timeout(value = 1200, unit = TimeUnit.SECONDS)
    void theRunsOwnLfadsDecoderReproducesTheRunBitForBitOnTheVerilatedKernel() throws Exception {
        String missing = RtlSimBuilds.missingTools();
        assumeTrue(missing == null, "skipped: " + missing);
        JsonNode j = reproduced(lfads, "lfads", "--engine", "rtl-sim");
        assertThat(j.get("engines").toString()).isEqualTo("[\"rtl-sim\"]");
    }
}
