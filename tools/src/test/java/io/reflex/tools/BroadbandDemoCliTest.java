package io.reflex.tools;

import static io.reflex.tools.CliRunner.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code reflex demo --broadband} and {@code reflex source --broadband}, end to end. */
class BroadbandDemoCliTest {

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theBroadbandDemoDecodesFromRawVoltageFindsTheSpikesAndNamesTheDeadChannels() throws Exception {
        Object[] r = run("demo", "--broadband", "--seconds", "14", "--calibration-seconds", "8", "--channels", "32",
                "--json", "--quiet");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        String stdout = ((String) r[1]).strip();
        assertThat(stdout.lines().count()).isEqualTo(1);
        JsonNode j = Json.mapper().readTree(stdout);
        System.out.println(stdout);
        assertThat(j.get("ending").asText()).isEqualTo("completed");
        assertThat(j.get("channels").asInt()).isEqualTo(32);
        assertThat(j.get("journal").isNull()).isTrue();
        assertThat(j.get("frames").asLong()).isGreaterThan(200);
        assertThat(j.get("dropped").asLong()).isZero();
        assertThat(j.get("invalid_input").asLong()).isZero();

        JsonNode fe = j.get("frontend");
        assertThat(fe.get("outputs").get(0).asText()).isEqualTo("crossings");
        assertThat(fe.get("features").asInt()).isEqualTo(32);
        assertThat(fe.get("car").asText()).isEqualTo("all");
        assertThat(fe.get("filter").asText()).isEqualTo("band-pass 250-5000 Hz, order 2 each side");
        assertThat(fe.get("calibrated").asBoolean()).isTrue();
        assertThat(fe.get("median_rms_uv").asDouble()).isBetween(4.0, 9.0);
        assertThat(fe.get("dead").asText()).isEqualTo("29 (non-finite), 30 (flat), 31 (clipped)");
        assertThat(fe.get("dead_channels").toString()).isEqualTo("[29,30,31]");
        assertThat(fe.get("crossings").asLong()).isPositive();

        JsonNode d = j.get("detection");
        assertThat(d.get("channels_scored").asInt()).isEqualTo(29);
        assertThat(d.get("true_spikes").asLong()).isGreaterThan(1_000);
        assertThat(d.get("hit_rate").asDouble()).isGreaterThanOrEqualTo(0.95);
        assertThat(d.get("false_positives_per_s").asDouble()).isLessThanOrEqualTo(1.0);
        assertThat(d.get("truth_lost").asLong()).isZero();
        assertThat(j.get("velocity_r2").asDouble()).isGreaterThan(0.5);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theDaemonRunsTheBroadbandExampleConfig() throws Exception {
        String cfg = java.nio.file.Path.of("..", "config", "broadband-example.json").toString();
        Object[] r = run("daemon", "--check", "--config", cfg);
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        assertThat((String) r[1]).contains("\"frontend\"", "\"inputScaleUv\" : 1.0");
        r = run("daemon", "--config", cfg, "--json");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        JsonNode j = Json.mapper().readTree(((String) r[1]).strip());
        assertThat(j.get("ending").asText()).isEqualTo("completed");
        assertThat(j.get("frontend").get("calibrated").asBoolean()).isTrue();
        assertThat(j.get("frontend").get("dead").asText()).isEmpty();
        assertThat(j.get("frontend").get("crossings").asLong()).isPositive();
        assertThat(j.has("detection")).isFalse();
        assertThat(j.get("frames").asLong()).isGreaterThan(150);
        assertThat(j.get("velocity_r2").asDouble()).isGreaterThan(0.3);
    }

    @Test
    void broadbandRefusesOptionsItCannotHonour() {
        Object[] r = run("demo", "--broadband", "--lsl", "--quiet");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("--broadband");
        r = run("demo", "--broadband", "--seconds", "2", "--channels", "0", "--quiet");
        assertThat(r[0]).isEqualTo(2);
        r = run("source", "--loopback", "--broadband", "--rate", "500", "--quiet");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("--broadband");
        r = run("source", "--loopback", "--broadband", "--chunk-samples", "0", "--quiet");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("--chunk-samples");
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void sourceBroadbandPublishesChunksForItsSeconds() throws Exception {
        String name = "cli-bb-" + UUID.randomUUID().toString().substring(0, 8);
        Object[] r = run("source", "--loopback", "--broadband", "--json", "--quiet", "--seconds", "0.5",
                "--channels", "8", "--chunk-samples", "7", "--name", name);
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        JsonNode j = Json.mapper().readTree(((String) r[1]).strip());
        assertThat(j.get("type").asText()).isEqualTo("Broadband");
        assertThat(j.get("rate_hz").asDouble()).isEqualTo(30_000);
        // every chunk whose last sample is due within 0.5 s: 2142 chunks of 7 (14,994 samples)
        assertThat(j.get("chunks").asLong()).isEqualTo(2_142);
        assertThat(j.get("samples").asLong()).isEqualTo(14_994);
        assertThat(j.get("true_spikes").asLong()).isPositive();
    }
}
