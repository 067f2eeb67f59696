package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13's acceptance test: the closed loop through three separate programs on loopback LSL, as in a lab
 * (docs/lab-setup.md §7). The amplifier ({@code reflex source --driven-by}, neural channels only, its simulated
 * cortex tuned to the task's intended velocity), the task ({@code reflex task}: cursor kinematics, markers, the
 * cursor under decoder control after calibration) and the daemon (calibrating on the task's kinematics stream,
 * counting its markers, publishing the decoded output the task reads).
 */
class TaskLoopProcessTest {

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void threeProgramsCloseTheLoopAndTheTaskReceivesEveryDecodedFrame(@TempDir Path dir) throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        String amp = "amp-" + id;
        String kin = "kin-" + id;
        String markers = "markers-" + id;
        String decoded = "decoded-" + id;
        Path cfg = daemonConfig(dir, amp, kin, markers, decoded);
        Child source = Child.start(dir, "source", "--loopback", "--json", "--quiet", "--name", amp, "--driven-by", kin,
                "--channels", "48");
        Child task = null;
        Child daemon = null;
        try {
            task = Child.start(dir, "task", "--loopback", "--json", "--quiet", "--kinematics-stream", kin,
                    "--markers-stream", markers, "--decoded-stream", decoded, "--seconds", "240",
                    "--until-decoded-ends", "--decoded-silence-s", "5");
            daemon = Child.start(dir, "daemon", "--json", "--config", cfg.toString());
            assertThat(daemon.process.waitFor(200, TimeUnit.SECONDS)).as("daemon ends; stderr:\n%s",
                    daemon.err()).isTrue();
            assertThat(task.process.waitFor(60, TimeUnit.SECONDS)).as("task ends after the decoded stream; stderr:\n%s",
                    task.err()).isTrue();
            // SIGTERM by pid: the amplifier runs until stopped, and then prints its summary.
            assertThat(new ProcessBuilder("kill", "-TERM", Long.toString(source.process.pid())).start().waitFor())
                    .isZero();
            assertThat(source.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            for (Child c : new Child[] {daemon, task, source}) {
                if (c != null) {
                    c.process.destroyForcibly();
                }
            }
        }
        assertThat(daemon.process.exitValue()).as("daemon stderr:\n%s", daemon.err()).isZero();
        assertThat(task.process.exitValue()).as("task stderr:\n%s", task.err()).isZero();
        JsonNode d = Json.mapper().readTree(daemon.out());
        JsonNode t = Json.mapper().readTree(task.out());
        JsonNode s = Json.mapper().readTree(source.out());
        System.out.println("daemon: " + d.toPrettyString());
        System.out.println("task: " + t.toPrettyString());
        System.out.println("source: " + s.toPrettyString());

        // the daemon calibrated on the task's kinematics and decoded live, with the task's markers counted
        assertThat(d.get("ending").asText()).as("failure: %s", d.get("failure")).isEqualTo("completed");
        assertThat(d.at("/kinematics/stream").asText()).isEqualTo(kin);
        assertThat(d.at("/kinematics/paired").asLong()).isGreaterThanOrEqualTo(d.get("calibration_frames").asLong());
        assertThat(d.get("frames").asLong()).isPositive();
        assertThat(d.at("/markers/stream").asText()).isEqualTo(markers);
        assertThat(d.at("/markers/received").asLong()).as("trial and target markers while the daemon ran")
                .isGreaterThan(2);
        long pushed = d.at("/decoded_outlet/pushed").asLong();
        assertThat(pushed).isEqualTo(d.at("/decoded_outlet/frames_emitted").asLong()).isPositive();

        // the amplifier's cortex followed the task's intended velocity
        assertThat(s.get("driven_by").asText()).isEqualTo(kin);
        assertThat(s.get("driving_samples").asLong()).isPositive();

        // the task received every decoded frame (the daemon waited for it to connect) and none went missing
        assertThat(t.get("ending").asText()).isEqualTo("decoded-stream-ended");
        assertThat(t.at("/decoded/received").asLong()).as("received vs the daemon's pushed").isEqualTo(pushed);
        assertThat(t.at("/decoded/missed").asLong()).isZero();
        // after calibration the decoder drove the cursor through trials
        assertThat(t.get("decoder_control").asBoolean()).isTrue();
        assertThat(t.at("/decoded/under_control").asLong()).isPositive();
        assertThat(t.get("cursor_path_m").asDouble()).as("cursor moved under decoder control").isPositive();
        assertThat(t.get("trials").asLong()).as("trials under decoder control").isPositive();
        assertThat(t.get("trials").asLong()).isEqualTo(t.get("successes").asLong() + t.get("timeouts").asLong());
        assertThat(t.get("success_rate").isNumber()).isTrue();
        assertThat(t.get("success_rate").asDouble()).isBetween(0.0, 1.0);
        assertThat(t.get("calibration_trials").asLong()).isPositive();
        JsonNode lat = t.get("latency_ms");
        assertThat(lat.get("samples").asLong()).isEqualTo(pushed);
        assertThat(lat.get("median").isNumber()).isTrue();
        assertThat(lat.get("median").asDouble()).as("acquisition to task, one clock").isPositive().isLessThan(1000);
        assertThat(lat.get("p90").asDouble()).isGreaterThanOrEqualTo(lat.get("median").asDouble());
    }

    /**
     * config/lab-task-loopback.json (docs/lab-setup.md §7) with this test's stream names, fewer channels and a
     * shorter run.
     */
    private static Path daemonConfig(Path dir, String amp, String kin, String markers, String decoded)
            throws Exception {
        ObjectNode cfg = (ObjectNode) Json.mapper().readTree(Files.readString(Path.of("..", "config",
                "lab-task-loopback.json")));
        assertThat(cfg.at("/decodedOutlet/waitForConsumerS").asDouble()).isPositive();
        cfg.with("source").put("channels", 48);
        ObjectNode lsl = cfg.with("source").with("lsl");
        lsl.put("name", amp).put("sourceId", amp);
        lsl.with("kinematics").put("name", kin).put("sourceId", kin);
        lsl.with("markers").put("name", markers).put("sourceId", markers);
        cfg.with("calibration").put("seconds", 12);
        cfg.with("run").put("seconds", 20);
        cfg.with("decodedOutlet").put("name", decoded).put("sourceId", decoded);
        return Files.writeString(dir.resolve("lab.json"), Json.mapper().writeValueAsString(cfg));
    }

    /** A {@code reflex} child process with its stdout and stderr read as they come. */
    private static final class Child {
        final Process process;
        final CompletableFuture<String> out;
        final CompletableFuture<String> err;

        private Child(Process p) {
            this.process = p;
            this.out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
            this.err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        }

        static Child start(Path dir, String... args) throws Exception {
            List<String> cmd = new ArrayList<>(CliProcess.command(List.of()));
            cmd.addAll(List.of(args));
            return new Child(new ProcessBuilder(cmd).directory(dir.toFile()).start());
        }

        private static String read(java.io.InputStream in) {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                return "(unreadable: " + e + ")";
            }
        }

        String out() throws Exception {
            return out.get(10, TimeUnit.SECONDS).strip();
        }

        /** What the child printed on stderr so far (all of it once it ended). */
        String err() {
            return err.isDone() ? err.join() : "(still running)";
        }
    }
}
