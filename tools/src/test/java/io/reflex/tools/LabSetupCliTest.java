package io.reflex.tools;

import static io.reflex.tools.CliRunner.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.lsl.JavaLsl;
import io.reflex.runtime.lsl.LslConfig;
import io.reflex.runtime.lsl.SplitLslPublisher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/lab-setup.md end to end on loopback LSL: config/lab-example.json, pointed at test publishers of an amplifier
 * stream (neural channels only) and a task kinematics stream, run by the daemon and by {@code demo --lsl --config}.
 */
class LabSetupCliTest {
    private static final Path EXAMPLE = Path.of("..", "config", "lab-example.json");

    @Test
    void theLabExampleConfigPassesTheCheckerAndTheGuideNamesItsKeys() throws Exception {
        ReflexConfig c = ReflexConfig.load(EXAMPLE);
        assertThat(c.source.type).isEqualTo("lsl");
        assertThat(c.source.lsl.kinematics).isNotNull();
        assertThat(c.decodedOutlet.enabledFor(c.source.type)).isTrue();
        Object[] r = run("daemon", "--check", "--config", EXAMPLE.toString());
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        JsonNode printed = Json.mapper().readTree((String) r[1]);
        assertThat(printed.at("/source/lsl/kinematics/vx").asText()).isEqualTo("vx");
        assertThat(printed.at("/source/lsl/outageMs").asDouble()).isEqualTo(1000);
        assertThat(printed.at("/decodedOutlet/name").asText()).isEqualTo("reflex-decoded");
        String guide = Files.readString(Path.of("..", "docs", "lab-setup.md"));
        assertThat(guide).contains("config/lab-example.json", "source.lsl.kinematics", "source.lsl.outageMs",
                "decodedOutlet", "decoded_outlet", "kinematics", "outages");
    }

    /** The example config, pointed at this test's streams on loopback, with a short run. */
    private static Path labConfig(Path dir, String amp, String task, String decoded) throws Exception {
        ObjectNode cfg = (ObjectNode) Json.mapper().readTree(Files.readString(EXAMPLE));
        cfg.with("source").put("channels", 16);
        ObjectNode lsl = cfg.with("source").with("lsl");
        lsl.put("name", amp).put("type", SplitLslPublisher.NEURAL_TYPE).put("sourceId", amp)
                .put("network", "loopback").put("outageMs", 500);
        lsl.with("kinematics").put("name", task).put("type", SplitLslPublisher.KINEMATICS_TYPE).put("sourceId", task);
        cfg.with("calibration").put("seconds", 3).put("timeoutS", 60);
        cfg.with("run").put("seconds", 3);
        cfg.with("journal").put("enabled", false);
        cfg.with("decodedOutlet").put("name", decoded).put("sourceId", decoded);
        return Files.writeString(dir.resolve("lab.json"), Json.mapper().writeValueAsString(cfg));
    }

    private static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static void checkLabKeys(JsonNode j, String task, String decoded) {
        assertThat(j.get("ending").asText()).as("failure: %s", j.get("failure")).isEqualTo("completed");
        assertThat(j.get("calibration_frames").asInt()).isEqualTo(150);
        assertThat(j.get("frames").asLong()).isPositive();
        JsonNode source = j.get("source");
        assertThat(source.get("outage_ms").asDouble()).isEqualTo(500);
        assertThat(source.get("outages").asLong()).isZero();
        assertThat(source.get("reconnects").asLong()).isZero();
        assertThat(source.get("longest_gap_ms").asDouble()).isPositive();
        JsonNode kin = j.get("kinematics");
        assertThat(kin.get("stream").asText()).isEqualTo(task);
        assertThat(kin.get("samples").asLong()).isPositive();
        assertThat(kin.get("paired").asLong()).isGreaterThanOrEqualTo(150);
        for (String k : new String[] {"before_start", "late", "missing", "late_samples", "pending"}) {
            assertThat(kin.get(k).isIntegralNumber()).as(k).isTrue();
        }
        JsonNode out = j.get("decoded_outlet");
        assertThat(out.get("name").asText()).isEqualTo(decoded);
        assertThat(out.get("type").asText()).isEqualTo("Control");
        assertThat(out.get("frames_emitted").asLong()).isGreaterThanOrEqualTo(j.get("frames").asLong());
        assertThat(out.get("pushed").asLong()).isEqualTo(out.get("frames_emitted").asLong());
        assertThat(out.get("failures").asLong()).isZero();
        assertThat(j.get("velocity_r2_by_decoder").has("kalman")).isTrue();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theDaemonClosesTheLoopOnTheLabExampleAgainstAmplifierAndTaskStreams(@TempDir Path dir) throws Exception {
        String amp = unique("amp");
        String task = unique("task");
        String decoded = unique("decoded");
        Path cfg = labConfig(dir, amp, task, decoded);
        AtomicBoolean stop = new AtomicBoolean();
        try (SplitLslPublisher pub = new SplitLslPublisher(new JavaLsl(LslConfig.loopback(), (w, m, c) -> { }), amp,
                task, 16, 1000, 10, 1)) {
            Thread t = new Thread(() -> pub.run(0, stop::get), "test-publisher");
            t.start();
            Object[] r;
            try {
                r = run("daemon", "--json", "--config", cfg.toString());
            } finally {
                stop.set(true);
                t.join(10_000);
            }
            assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
            String stdout = ((String) r[1]).strip();
            assertThat(stdout.lines().count()).isEqualTo(1);
            checkLabKeys(Json.mapper().readTree(stdout), task, decoded);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void demoLslWithTheLabConfigIngestsTheConfiguredStreams(@TempDir Path dir) throws Exception {
        String amp = unique("amp");
        String task = unique("task");
        String decoded = unique("decoded");
        Path cfg = labConfig(dir, amp, task, decoded);
        AtomicBoolean stop = new AtomicBoolean();
        try (SplitLslPublisher pub = new SplitLslPublisher(new JavaLsl(LslConfig.loopback(), (w, m, c) -> { }), amp,
                task, 16, 1000, 10, 1)) {
            Thread t = new Thread(() -> pub.run(0, stop::get), "test-publisher");
            t.start();
            Object[] r;
            try {
                r = run("demo", "--lsl", "--config", cfg.toString(), "--seconds", "6", "--calibration-seconds", "3",
                        "--json", "--quiet", "--no-journal");
            } finally {
                stop.set(true);
                t.join(10_000);
            }
            assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
            JsonNode j = Json.mapper().readTree(((String) r[1]).strip());
            // the config's streams, not a demo source process (whose report is the "lsl" object)
            assertThat(j.has("lsl")).isFalse();
            assertThat(j.get("channels").asInt()).isEqualTo(16);
            checkLabKeys(j, task, decoded);
        }
    }
}
