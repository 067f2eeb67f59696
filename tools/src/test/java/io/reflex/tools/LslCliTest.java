package io.reflex.tools;

import static io.reflex.tools.CliRunner.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.lsl.ChannelFormat;
import io.reflex.lsl.JavaOutlet;
import io.reflex.lsl.LslConfig;
import io.reflex.lsl.StreamInfo;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import io.reflex.lsl.nativelsl.NativeLsl;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The LSL commands, always with --loopback (nothing leaves 127.0.0.1). */
class LslCliTest {

    @ParameterizedTest
    @ValueSource(strings = {"source", "streams"})
    void lslCommandsHaveHelp(String cmd) {
        Object[] r = run(cmd, "--help");
        assertThat(r[0]).isEqualTo(0);
        assertThat((String) r[1]).contains("Usage: reflex " + cmd).contains("--loopback", "--backend");
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void streamsJsonListsAVisibleOutlet() throws Exception {
        String name = "cli-" + UUID.randomUUID().toString().substring(0, 8);
        try (JavaOutlet outlet = new JavaOutlet(StreamInfo.builder(name, "EEG", 4, 250, ChannelFormat.INT16, "cli")
                .build(), LslConfig.loopback(), e -> { })) {
            Object[] r = run("streams", "--loopback", "--json", "--timeout", "1", "--query", "name='" + name + "'");
            assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
            JsonNode j = Json.mapper().readTree(((String) r[1]).strip());
            assertThat(j.get("count").asInt()).isEqualTo(1);
            assertThat(j.get("network").asText()).isEqualTo("loopback");
            JsonNode s = j.get("streams").get(0);
            assertThat(s.get("name").asText()).isEqualTo(name);
            assertThat(s.get("channel_format").asText()).isEqualTo("int16");
            assertThat(s.get("channel_count").asInt()).isEqualTo(4);
            assertThat(s.get("uid").asText()).isEqualTo(outlet.info().uid());
            assertThat(s.get("address").asText()).isEqualTo("127.0.0.1");
            assertThat(s.get("data_port").asInt()).isEqualTo(outlet.info().v4dataPort());
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void sourceRunsForItsSecondsAndReports() throws Exception {
        String name = "cli-src-" + UUID.randomUUID().toString().substring(0, 8);
        Object[] r = run("source", "--loopback", "--json", "--quiet", "--seconds", "0.5", "--channels", "8",
                "--rate", "200", "--name", name);
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        JsonNode j = Json.mapper().readTree(((String) r[1]).strip());
        assertThat(j.get("name").asText()).isEqualTo(name);
        assertThat(j.get("samples").asLong()).as("0.5 s at 200 Hz, however the thread was scheduled").isEqualTo(100L);
        assertThat(j.get("backend").asText()).isEqualTo("java");
    }

    @Test
    void badOptionsAreRefused() {
        Object[] r = run("streams", "--loopback", "--timeout", "0");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("--timeout");
        r = run("source", "--loopback", "--channels", "0");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("--channels");
        r = run("streams", "--loopback", "--backend", "quantum");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("java, native or auto");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void demoOverLslReportsTheDemoKeysPlusLsl() throws Exception {
        Object[] r = run("demo", "--lsl", "--seconds", "6", "--calibration-seconds", "4", "--channels", "16",
                "--json", "--quiet", "--no-journal");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        String stdout = ((String) r[1]).strip();
        assertThat(stdout.lines().count()).isEqualTo(1);
        JsonNode j = Json.mapper().readTree(stdout);
        assertThat(j.has("velocity_r2")).isTrue();
        assertThat(j.get("frames").asLong()).isPositive();
        JsonNode lsl = j.get("lsl");
        assertThat(lsl.get("samples_pulled").asLong()).isGreaterThan(3000);
        assertThat(lsl.get("source_pid").asLong()).isNotEqualTo(ProcessHandle.current().pid());
        assertThat(lsl.get("staleness_us").get("count").asLong()).isPositive();
        assertThat(lsl.get("staleness_us").get("p50").asDouble()).isPositive();
        assertThat(Math.abs(lsl.get("time_correction_us").asDouble())).isLessThan(5000);
        assertThat(lsl.get("output_samples").asLong()).isGreaterThanOrEqualTo(j.get("frames").asLong());
    }

    private static JsonNode checkJson(Object[] r) throws Exception {
        return Json.mapper().readTree(((String) r[1]).strip());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void lslCheckPassesOnTheJavaBackend() throws Exception {
        Object[] r = run("lsl", "check", "--backend", "java", "--json");
        JsonNode j = checkJson(r);
        assertThat(r[0]).as("stdout %s stderr %s", r[1], r[2]).isEqualTo(0);
        assertThat(j.get("ok").asBoolean()).isTrue();
        assertThat(j.get("backend").asText()).isEqualTo("java");
        assertThat(j.get("resolve_all_found").asBoolean()).isTrue();
        assertThat(j.get("pulled").asInt()).isEqualTo(20);
        assertThat(j.get("time_correction_us").asDouble()).isBetween(-10_000.0, 10_000.0);
        assertThat(j.has("latency_us_median")).isTrue();
        assertThat(j.get("exit_code").asInt()).isZero();
    }

    @Test
    void lslCheckUsageErrorsExitTwo() {
        assertThat(run("lsl", "check", "--backend", "python")[0]).isEqualTo(2);
        assertThat(run("lsl", "check", "--timeout", "0")[0]).isEqualTo(2);
        assertThat(run("lsl")[0]).isEqualTo(2);
    }

    @Test
    void lslCheckWithoutLiblslExitsThreeWithTheReason() throws Exception {
        Assumptions.assumeTrue(NativeLsl.unavailableReason() != null, "skipped: liblsl is installed");
        Object[] r = run("lsl", "check", "--backend", "native", "--json");
        assertThat(r[0]).isEqualTo(3);
        JsonNode j = checkJson(r);
        assertThat(j.get("ok").asBoolean()).isFalse();
        assertThat(j.get("failed_step").asText()).isEqualTo("load");
        assertThat(j.get("error").asText()).contains("liblsl cannot be loaded");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void lslCheckPassesOnLiblsl() throws Exception {
        Assumptions.assumeTrue(NativeLsl.unavailableReason() == null, "skipped: liblsl not installed");
        Object[] r = run("lsl", "check", "--backend", "native", "--json");
        JsonNode j = checkJson(r);
        assertThat(r[0]).as("stdout %s stderr %s", r[1], r[2]).isEqualTo(0);
        assertThat(j.get("backend").asText()).isEqualTo("native");
        assertThat(j.get("library_version").asInt()).isGreaterThanOrEqualTo(116);
        assertThat(j.get("resolve_all_found").asBoolean()).isTrue();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void streamsOnLiblslWithTheDefaultQueryListsAnOutlet() throws Exception {
        Assumptions.assumeTrue(NativeLsl.unavailableReason() == null, "skipped: liblsl not installed");
        String name = "cli-n-" + UUID.randomUUID().toString().substring(0, 8);
        try (JavaOutlet outlet = new JavaOutlet(StreamInfo.builder(name, "EEG", 4, 250, ChannelFormat.INT16, "cli")
                .build(), LslConfig.loopback(), e -> { })) {
            Object[] r = run("streams", "--loopback", "--json", "--timeout", "1", "--backend", "native");
            assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
            JsonNode j = Json.mapper().readTree(((String) r[1]).strip());
            assertThat(j.get("backend").asText()).isEqualTo("native");
            assertThat(j.get("streams").findValuesAsText("name")).contains(name);
        }
    }
}
