package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.runtime.journal.JournalReader;
import io.reflex.runtime.journal.JournalRecord;
import io.reflex.runtime.stim.ChronicleStimJournal;
import io.reflex.stim.StimCommand;
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
 * {@code reflex daemon} as a real process with its journals on a small tmpfs: refused with exit 2 when the disk is
 * nearly full at start (and by {@code --check}); when the disk fills while it runs, one FATAL line, stimulation
 * stopped with a stop-all, the run failed, exit 4, the journal keys in the JSON summary, and every record written
 * before the fault readable.
 */
class DaemonJournalDiskFullProcessTest {
    private static final long MIB = 1L << 20;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aNearlyFullDiskIsRefusedAtStartWithExit2(@TempDir Path tmp) throws Exception {
        try (Tmpfs fs = Tmpfs.mount(tmp.resolve("disk"), 32)) {
            fs.fillLeaving(12 * MIB, "filler"); // below the 16 MiB reserve plus a 4 MiB block
            Path cfg = Files.writeString(tmp.resolve("daemon.json"), "{"
                    + "\"source\": {\"channels\": 16},"
                    + "\"calibration\": {\"seconds\": 2},"
                    + "\"run\": {\"seconds\": 5},"
                    + "\"journal\": {\"dir\": \"" + json(fs.dir()) + "\", \"reserveMiB\": 16}}");
            for (boolean check : new boolean[] {true, false}) {
                Process p = start(cfg, check);
                CompletableFuture<String> out = drain(p, false);
                CompletableFuture<String> err = drain(p, true);
                assertThat(p.waitFor(90, TimeUnit.SECONDS)).isTrue();
                String stderr = err.get(10, TimeUnit.SECONDS);
                assertThat(p.exitValue()).as("--check %s; stderr:\n%s", check, stderr).isEqualTo(2);
                assertThat(stderr).contains("journal.dir: journal directory " + fs.dir())
                        .contains("bytes").contains("free").contains("journal.reserveMiB = 16 MiB")
                        .doesNotContain("Exception").doesNotContain("\tat ");
                out.get(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void aDiskThatFillsWhileRunningStopsStimulationFailsTheRunAndExits4(@TempDir Path tmp) throws Exception {
        try (Tmpfs fs = Tmpfs.mount(tmp.resolve("disk"), 64);
             DatagramSocket monitor = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            monitor.setSoTimeout(150_000);
            Path stimJournal = fs.dir().resolve("stim-journal");
            // Generous deadline and watchdog bounds: a loaded 2-core CI machine must not turn this into a fault test.
            Path cfg = Files.writeString(tmp.resolve("daemon.json"), "{"
                    + "\"source\": {\"channels\": 16},"
                    + "\"pipeline\": {\"deadlineUs\": 200000},"
                    + "\"calibration\": {\"seconds\": 4},"
                    + "\"run\": {\"seconds\": 0},"
                    + "\"journal\": {\"dir\": \"" + json(fs.dir()) + "\", \"reserveMiB\": 16},"
                    + "\"stim\": {\"armOnStart\": \"disk-full test\","
                    + " \"journalDir\": \"" + json(stimJournal) + "\","
                    + " \"udp\": \"127.0.0.1:" + monitor.getLocalPort() + "\","
                    + " \"threshold\": 0.05, \"hysteresis\": 0.02, \"refractoryMs\": 100,"
                    + " \"heartbeatTimeoutUs\": 1000000, \"decoderTimeoutUs\": 1000000,"
                    + " \"linkHeartbeatTimeoutMs\": 2000, \"ackTimeoutMs\": 2000}}");
            Process p = start(cfg, false);
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
            CompletableFuture<String> out = drain(p, false);
            try {
                // The UDP monitor mirrors every accepted command: the first COMMAND frame means stimulation runs.
                byte[] buf = new byte[StimWire.MAX_FRAME];
                StimWire wire = new StimWire();
                boolean commanded = false;
                while (!commanded) {
                    DatagramPacket d = new DatagramPacket(buf, buf.length);
                    monitor.receive(d);
                    ByteBuffer bb = ByteBuffer.wrap(buf, 0, d.getLength()).order(ByteOrder.LITTLE_ENDIAN);
                    commanded = wire.parse(bb) == StimWire.FRAME && wire.type() == StimWire.COMMAND;
                }
                assertThat(p.isAlive()).as("daemon stimulating; stderr:\n%s", err).isTrue();
                fs.fillLeaving(8 * MIB, "filler"); // another process fills the disk below the reserve
                assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("the daemon ends by itself; stderr:\n%s", err)
                        .isTrue();
                assertThat(p.exitValue()).as("stderr:\n%s", err).isEqualTo(4);
            } finally {
                p.destroyForcibly();
            }
            errReader.get(10, TimeUnit.SECONDS);
            String stderr = err.toString();
            assertThat(stderr.lines().filter(l -> l.contains("FATAL"))).as(stderr).singleElement().asString()
                    .contains("FATAL: ").contains("disk full").contains("journal.reserveMiB = 16 MiB")
                    .contains("stimulation stopped");
            assertThat(stderr).doesNotContain("\tat ");
            JsonNode report = Json.mapper().readTree(out.get(10, TimeUnit.SECONDS).strip());
            assertThat(report.get("ending").asText()).isEqualTo("failed");
            assertThat(report.get("failure").asText()).contains("journal fault").contains("disk full");
            assertThat(report.get("journal_fault").asText()).contains("disk full: journal directory " + fs.dir());
            assertThat(report.get("stim_journal_fault").asText()).contains("disk full: stim journal directory "
                    + stimJournal);
            assertThat(report.get("journal_frames_not_written").isIntegralNumber()).isTrue();
            assertThat(report.get("stim_fault").asText()).isEqualTo("journal");
            assertThat(report.get("stim_stop_all_received").asLong()).isPositive();
            long issued = report.get("stim_issued").asLong();
            assertThat(issued).isPositive();
            assertThat(report.get("stim_simulator_received").asLong()).isEqualTo(issued);
            assertThat(report.get("unsafe_emitted").asLong()).isZero();

            // Every frame the journal counted reads back, in order.
            Path journal = Path.of(report.get("journal").asText());
            long frames = report.get("journal_frames").asLong();
            assertThat(frames).isPositive();
            try (JournalReader reader = new JournalReader(journal)) {
                JournalRecord r = new JournalRecord();
                long n = 0;
                while (reader.next(r)) {
                    assertThat(r.sequence).isEqualTo(n++);
                }
                assertThat(n).as("tail: %s", reader.tailFault()).isEqualTo(frames);
            }
            // Every command issued was journaled first; none was issued after the fault (the journal refuses all).
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
                    events.add(reason);
                }
            });
            assertThat(accepted[0]).isEqualTo(issued);
            assertThat(events).contains("disk-full test");
        }
    }

    private static CompletableFuture<String> drain(Process p, boolean stderr) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return new String((stderr ? p.getErrorStream() : p.getInputStream()).readAllBytes(),
                        StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    private static String json(Path p) {
        return p.toString().replace("\\", "\\\\");
    }

    private static Process start(Path cfg, boolean check) throws java.io.IOException {
        List<String> cmd = new ArrayList<>(CliProcess.command(List.of()));
        cmd.add("daemon");
        cmd.add("--json");
        if (check) {
            cmd.add("--check");
        }
        cmd.add("--config");
        cmd.add(cfg.toString());
        return new ProcessBuilder(cmd).start();
    }
}
