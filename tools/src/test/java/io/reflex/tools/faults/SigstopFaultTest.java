package io.reflex.tools.faults;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.tools.faults.FaultDaemon.CommandMonitor;
import io.reflex.tools.faults.FaultDaemon.StimJournalContents;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon is stopped (SIGSTOP) for 2 s while it stimulates, then continued (SIGCONT): every thread resumes at
 * once with old data in flight. No command decided on stale data may leave the process (judged here, outside it,
 * from the UDP mirror's arrival times against the input times in the journal), the fault is reported when it
 * happens and in the summary, the run exits non-zero, and both journals read back whole.
 */
class SigstopFaultTest {
    private static final long MAX_INPUT_AGE_MS = 100;

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aStoppedDaemonSendsNothingStaleReportsTheFaultAndExitsNonZero(@TempDir Path dir) throws Exception {
        try (CommandMonitor monitor = new CommandMonitor()) {
            Path stimJournal = dir.resolve("stim-journal");
            // Deadline and watchdog bounds wider than a loaded 2-core machine's hiccups, far below the 2 s stop.
            Path cfg = Files.writeString(dir.resolve("daemon.json"), "{"
                    + "\"source\": {\"channels\": 16},"
                    + "\"pipeline\": {\"deadlineUs\": 200000},"
                    + "\"calibration\": {\"seconds\": 4},"
                    + "\"run\": {\"seconds\": 8},"
                    + "\"journal\": {\"dir\": \"" + FaultDaemon.json(dir.resolve("journal")) + "\"},"
                    + "\"stim\": {\"armOnStart\": \"SigstopFaultTest\","
                    + " \"journalDir\": \"" + FaultDaemon.json(stimJournal) + "\","
                    + " \"udp\": \"127.0.0.1:" + monitor.port() + "\","
                    + " \"threshold\": 0.05, \"hysteresis\": 0.02, \"refractoryMs\": 100,"
                    + " \"maxInputAgeMs\": " + MAX_INPUT_AGE_MS + ","
                    + " \"heartbeatTimeoutUs\": 1000000, \"decoderTimeoutUs\": 1000000,"
                    + " \"linkHeartbeatTimeoutMs\": 5000, \"ackTimeoutMs\": 5000}}");
            try (FaultDaemon d = FaultDaemon.start(cfg)) {
                assertThat(monitor.awaitCommands(2, Duration.ofSeconds(60))).as("stimulating; stderr:\n%s",
                        d.stderr()).isTrue();
                d.signal("STOP");
                // The fault itself: the process stays stopped for 2 s (not a wait for a condition).
                LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(2));
                long resumedNs = System.nanoTime();
                d.signal("CONT");
                assertThat(d.awaitStderr(l -> l.contains("STIMULATION FAULT"), Duration.ofSeconds(20)))
                        .as("the fault is told when it happens; stderr:\n%s", d.stderr()).isTrue();
                int exit = d.awaitExit(Duration.ofSeconds(60));
                String err = d.stderr();
                assertThat(exit).as("stderr:\n%s", err).isEqualTo(3);
                assertThat(err).contains("the run ended with a stimulation fault latched");
                JsonNode report = d.report();
                assertThat(report.get("stim_fault").asText()).isNotEqualTo("none");
                assertThat(report.get("unsafe_emitted").asLong()).isZero();

                StimJournalContents j = StimJournalContents.read(stimJournal);
                List<Long> sent = j.sent();
                assertThat(sent).hasSizeGreaterThanOrEqualTo(2);
                assertThat((long) sent.size()).isEqualTo(report.get("stim_issued").asLong())
                        .isEqualTo(report.get("stim_simulator_received").asLong());
                for (long seq : sent) {
                    assertThat(j.inputAgeNs.get(seq)).as("input age of sent command %d", seq)
                            .isBetween(0L, MAX_INPUT_AGE_MS * 1_000_000L);
                }
                // Outside the process: each mirrored command arrived within the bound of its input (plus the
                // loopback hop and this thread's scheduling), never seconds later as a command from before the
                // stop would.
                Map<Long, Long> arrived = monitor.receivedNs();
                assertThat(arrived.keySet()).as("mirrored commands are the ones journaled as sent")
                        .isSubsetOf(sent);
                for (Map.Entry<Long, Long> e : arrived.entrySet()) {
                    long ageAtArrivalNs = e.getValue() - j.inputTimeNs.get(e.getKey());
                    assertThat(ageAtArrivalNs).as("command %d arrived %d ms after its input", e.getKey(),
                            ageAtArrivalNs / 1_000_000).isLessThan((MAX_INPUT_AGE_MS + 400) * 1_000_000L);
                }
                // The fault is in the journal, after the commands sent before the stop.
                assertThat(j.events).anyMatch(ev -> ev.startsWith("fault: "));
                assertThat(j.events).contains("armed: SigstopFaultTest");
                System.out.println("SigstopFaultTest: fault " + report.get("stim_fault").asText() + " ("
                        + report.get("stim_fault_reason").asText() + "); sent " + sent.size() + ", resumed at "
                        + resumedNs);
                // Every frame journaled before (and after) the stop reads back in sequence.
                long frames = FaultDaemon.readRunJournal(Path.of(report.get("journal").asText()));
                assertThat(frames).isEqualTo(report.get("journal_frames").asLong()).isPositive();
            }
        }
    }
}
