package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.runtime.stim.ChronicleStimJournal;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimEvent;
import io.reflex.stim.StimVerdict;
import io.reflex.stim.driver.StimWire;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
 * Runs {@code reflex daemon} with a {@code stim} section as a real process: it arms from the config, stimulates the
 * simulated stimulator in the closed loop, and on SIGTERM stops stimulation first, then drains and exits cleanly
 * with nothing unsafe emitted and every command in the stimulation journal.
 */
class DaemonStimProcessTest {

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void daemonStimulatesFromItsConfigAndStopsSafelyOnSigterm(@TempDir Path dir) throws Exception {
        try (DatagramSocket monitor = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            monitor.setSoTimeout(90_000);
            Path stimJournal = dir.resolve("stim-journal");
            // Generous deadline and watchdog bounds: a loaded 2-core CI machine must not turn this into a fault test.
            Path cfg = Files.writeString(dir.resolve("daemon.json"), "{"
                    + "\"source\": {\"channels\": 16},"
                    + "\"pipeline\": {\"deadlineUs\": 200000},"
                    + "\"calibration\": {\"seconds\": 4},"
                    + "\"run\": {\"seconds\": 0},"
                    + "\"journal\": {\"dir\": \"" + json(dir.resolve("journal")) + "\"},"
                    + "\"stim\": {\"armOnStart\": \"DaemonStimProcessTest: closed loop\","
                    + " \"journalDir\": \"" + json(stimJournal) + "\","
                    + " \"udp\": \"127.0.0.1:" + monitor.getLocalPort() + "\","
                    + " \"threshold\": 0.05, \"hysteresis\": 0.02, \"refractoryMs\": 100,"
                    + " \"heartbeatTimeoutUs\": 1000000, \"decoderTimeoutUs\": 1000000,"
                    + " \"linkHeartbeatTimeoutMs\": 2000, \"ackTimeoutMs\": 2000}}");
            Process p = start(cfg);
            StringBuilder err = new StringBuilder();
            CompletableFuture<Void> errReader = CompletableFuture.runAsync(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        synchronized (err) {
                            err.append(line).append('\n');
                        }
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try {
                // The UDP monitor mirrors every accepted command: the first COMMAND frame means stimulation runs.
                byte[] buf = new byte[StimWire.MAX_FRAME];
                StimWire wire = new StimWire();
                int commands = 0;
                while (commands < 2) {
                    DatagramPacket d = new DatagramPacket(buf, buf.length);
                    monitor.receive(d);
                    ByteBuffer bb = ByteBuffer.wrap(buf, 0, d.getLength()).order(ByteOrder.LITTLE_ENDIAN);
                    if (wire.parse(bb) == StimWire.FRAME && wire.type() == StimWire.COMMAND) {
                        commands++;
                    }
                }
                assertThat(p.isAlive()).as("daemon stimulating; stderr:\n%s", err).isTrue();
                assertThat(new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor()).isZero();
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
                // A JVM ended by SIGTERM exits with 128 + 15 once its shutdown hooks (here: the clean stop) return.
                assertThat(p.exitValue()).as("stderr:\n%s", err).isEqualTo(143);
            } finally {
                p.destroyForcibly();
            }
            errReader.get(10, TimeUnit.SECONDS);
            String stdout = out.get(10, TimeUnit.SECONDS).strip();
            assertThat(stdout).as("stderr:\n%s", err).isNotEmpty();
            JsonNode report = Json.mapper().readTree(stdout);
            assertThat(report.get("ending").asText()).isEqualTo("stopped");
            long issued = report.get("stim_issued").asLong();
            assertThat(issued).isGreaterThanOrEqualTo(2);
            assertThat(report.get("unsafe_emitted").asLong()).isZero();
            assertThat(report.get("stim_simulator_received").asLong()).isEqualTo(issued);
            assertThat(report.get("stim_stop_all_received").asLong()).isPositive();
            assertThat(report.get("stim_fault").asText()).as("reason: %s", report.get("stim_fault_reason"))
                    .isEqualTo("none");
            assertThat(Path.of(report.get("stim_journal").asText())).isEqualTo(stimJournal.toAbsolutePath());

            long[] accepted = {0};
            List<String> events = new ArrayList<>();
            ChronicleStimJournal.read(stimJournal, new ChronicleStimJournal.Visitor() {
                @Override
                public void command(long sequence, long timeNs, int verdict, StimCommand command) {
                    if (verdict == StimVerdict.ACCEPTED) {
                        accepted[0]++;
                    }
                }

                @Override
                public void event(long timeNs, int event, int code, String reason) {
                    events.add(StimEvent.name(event) + ": " + reason);
                }
            });
            assertThat(accepted[0]).isEqualTo(issued);
            assertThat(events).contains("armed: DaemonStimProcessTest: closed loop");
            // The SIGTERM hook's disarm is the last word: nothing was armed or issued after it.
            int disarmed = events.indexOf("disarmed: SIGTERM: daemon shutting down");
            assertThat(disarmed).as("events: %s", events).isNotNegative();
            assertThat(events.subList(disarmed + 1, events.size())).noneMatch(e -> e.startsWith("armed")
                    || e.startsWith("active"));
        }
    }

    private static String json(Path p) {
        return p.toString().replace("\\", "\\\\");
    }

    private static Process start(Path cfg) throws java.io.IOException {
        List<String> cmd = new ArrayList<>(CliProcess.command(List.of()));
        cmd.add("daemon");
        cmd.add("--json");
        cmd.add("--config");
        cmd.add(cfg.toString());
        return new ProcessBuilder(cmd).start();
    }
}
