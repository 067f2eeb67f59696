package io.reflex.tools;

import static io.reflex.tools.CliRunner.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.lsl.JavaLsl;
import io.reflex.lsl.LslConfig;
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

    @Test
    void theSummaryShowsTheLabPartsOnlyWhenTheyRan() {
        io.reflex.runtime.session.SessionReport r = new io.reflex.runtime.session.SessionReport();
        r.decoder = "kalman";
        r.ending = "completed";
        r.topology = "fused";
        r.binWidthUs = 20_000;
        JsonNode none = Reports.json(r).node();
        assertThat(none.has("source") || none.has("kinematics") || none.has("decoded_outlet") || none.has("markers"))
                .isFalse();
        assertThat(Reports.text(r)).doesNotContain("kinematics", "decoded out", "outages", "markers");
        r.lslSource = new io.reflex.runtime.session.LabStreams.SourceFigures();
        r.lslSource.outages = 2;
        r.lslSource.reconnects = 1;
        r.lslSource.longestGapMs = 3512.34;
        r.lslSource.outageMs = 1000;
        r.kinematics = new io.reflex.runtime.session.LabStreams.KinematicsFigures();
        r.kinematics.stream = "TaskKinematics";
        r.kinematics.paired = 500;
        r.kinematics.late = 3;
        r.decodedOutlet = new io.reflex.runtime.session.LabStreams.DecodedOutletFigures();
        r.decodedOutlet.name = "reflex-decoded";
        r.decodedOutlet.type = "Control";
        r.decodedOutlet.pushed = 700;
        r.decodedOutlet.framesEmitted = 700;
        r.decodedOutlet.labels = java.util.List.of("cursor_vx", "cursor_vy");
        r.markers = new io.reflex.runtime.session.LabStreams.MarkerFigures();
        r.markers.stream = "TaskMarkers";
        r.markers.received = 42;
        r.markers.last = "target_on 3 0.0000 0.1000";
        r.markers.journaled = 41L;
        r.markers.notJournaled = 1L;
        JsonNode j = Reports.json(r).node();
        assertThat(j.at("/markers/journaled").asLong()).isEqualTo(41);
        assertThat(j.at("/markers/not_journaled").asLong()).isEqualTo(1);
        assertThat(j.at("/decoded_outlet/labels/1").asText()).isEqualTo("cursor_vy");
        assertThat(j.at("/markers/stream").asText()).isEqualTo("TaskMarkers");
        assertThat(j.at("/markers/received").asLong()).isEqualTo(42);
        assertThat(j.at("/markers/last").asText()).isEqualTo("target_on 3 0.0000 0.1000");
        assertThat(j.at("/source/outages").asLong()).isEqualTo(2);
        assertThat(j.at("/source/reconnects").asLong()).isEqualTo(1);
        assertThat(j.at("/source/longest_gap_ms").asDouble()).isEqualTo(3512.3);
        assertThat(j.at("/source/outage_ms").asDouble()).isEqualTo(1000);
        assertThat(j.at("/kinematics/paired").asLong()).isEqualTo(500);
        assertThat(j.at("/kinematics/late").asLong()).isEqualTo(3);
        assertThat(j.at("/decoded_outlet/frames_emitted").asLong()).isEqualTo(700);
        assertThat(Reports.text(r)).contains("2 outages (silence > 1000 ms), 1 reconnects")
                .contains("'TaskKinematics'").contains("bins paired 500").contains("late 3")
                .contains("LSL 'reflex-decoded' (Control) [cursor_vx, cursor_vy]: 700 of 700 frames pushed")
                .contains("'TaskMarkers': 42 received, 41 journaled (1 not), last 'target_on 3 0.0000 0.1000'");
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void sourceCanPublishTheTaskSplitAsALabDoes() throws Exception {
        String amp = unique("amp");
        String task = unique("task");
        Object[] r = run("source", "--loopback", "--json", "--quiet", "--seconds", "0.5", "--channels", "8",
                "--rate", "200", "--name", amp, "--kinematics-stream", task, "--kinematics-every", "4");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        JsonNode j = Json.mapper().readTree(((String) r[1]).strip());
        assertThat(j.get("samples").asLong()).as("0.5 s at 200 Hz").isEqualTo(100L);
        assertThat(j.get("kinematics_stream").asText()).isEqualTo(task);
        assertThat(j.get("kinematics_samples").asLong()).isEqualTo(25L);
        r = run("source", "--loopback", "--kinematics-stream", task, "--kinematics-every", "0");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("--kinematics-every");
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
        assertThat(source.get("samples").asLong()).isPositive();
        assertThat(source.get("inlet_dropped").asLong()).isZero();
        assertThat(source.get("inlet_dropped_live").asLong()).isZero();
        // the age of live samples at the pull: the source stamps each sample when it is due and pushes each chunk
        // when its last one is, so at least one sample period; less than the run
        JsonNode staleness = source.get("staleness_live_us");
        assertThat(staleness.get("p50").asDouble()).isPositive();
        assertThat(staleness.get("p99").asDouble()).isGreaterThanOrEqualTo(staleness.get("p50").asDouble());
        assertThat(staleness.get("max").asDouble()).isGreaterThanOrEqualTo(staleness.get("p99").asDouble())
                .isLessThan(60e6);
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
        try (SplitLslPublisher pub = new SplitLslPublisher(new JavaLsl(LslConfig.loopback(), e -> { }), amp,
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
        try (SplitLslPublisher pub = new SplitLslPublisher(new JavaLsl(LslConfig.loopback(), e -> { }), amp,
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
