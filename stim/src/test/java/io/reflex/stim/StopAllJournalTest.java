package io.reflex.stim;

import static io.reflex.stim.TestClocks.clockAt;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.CachedNanoClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12: "the STOP_ALL frames go out before their journal record and their sequence numbers are never
 * journaled". Every stop-all is now written ahead like a command, with the sequence number it carries on the wire,
 * so the journal holds every sequence number a stimulator can see.
 */
class StopAllJournalTest {
    private final CachedNanoClock clock = clockAt(10_000_000_000L);

    /** One ordered log of what was journaled and what was sent. */
    private final List<String> log = new ArrayList<>();

    private final class LoggingJournal implements StimJournal {
        boolean failStopAll;

        @Override
        public int recordCommand(long sequence, long timeNs, StimCommand command, int verdict) {
            log.add("journal command " + sequence + " " + StimVerdict.name(verdict));
            return OK;
        }

        @Override
        public int recordStopAll(long sequence, long timeNs) {
            if (failStopAll) {
                return FAILED;
            }
            log.add("journal stop-all " + sequence);
            return OK;
        }

        @Override
        public int recordEvent(long timeNs, int event, int code, String reason) {
            log.add("journal event " + StimEvent.name(event));
            return OK;
        }
    }

    private final class LoggingDriver implements StimulatorDriver {
        boolean connected = true;

        @Override
        public String name() {
            return "logging";
        }

        @Override
        public int send(long sequence, StimCommand command) {
            log.add("send command " + sequence);
            return OK;
        }

        @Override
        public int stopAll(long sequence) {
            log.add("send stop-all " + sequence);
            return OK;
        }

        @Override
        public int doWork(long nowNs) {
            return 0;
        }

        @Override
        public boolean isConnected() {
            return connected;
        }

        @Override
        public void abort() {
            connected = false;
        }

        @Override
        public String alarm() {
            return null;
        }

        @Override
        public void close() {
        }
    }

    private StimController controller(StimJournal journal, StimulatorDriver driver) {
        return new StimController.Context().envelope(TestEnvelopes.standard().conclude()).journal(journal)
                .driver(driver).clock(clock).errorHandler(e -> log.add("error " + e.getMessage())).conclude();
    }

    private StimCommand fresh() {
        return TestEnvelopes.valid(clock.nanoTime() + 1_000_000).inputTimeNs(clock.nanoTime());
    }

    @Test
    void stopAllsOnDisarmAndOnFaultAreJournaledWithTheirSequenceBeforeTheyAreSent() {
        StimController c = controller(new LoggingJournal(), new LoggingDriver());
        c.arm("test");
        assertThat(c.submit(fresh())).isEqualTo(StimVerdict.ACCEPTED);
        c.disarm("pause");
        c.arm("resume");
        assertThat(c.submit(fresh())).isEqualTo(StimVerdict.ACCEPTED);
        c.fault(StimFault.DEADLINE_MISS, "frame late");
        assertThat(log).containsSubsequence(
                "journal command 1 accepted", "send command 1",
                "journal stop-all 2", "send stop-all 2", "journal event disarmed",
                "journal command 3 accepted", "send command 3",
                "journal stop-all 4", "send stop-all 4", "journal event fault");
        // every sequence number that reached the driver was journaled before it
        for (int i = 0; i < log.size(); i++) {
            String e = log.get(i);
            if (e.startsWith("send ")) {
                String journaled = "journal " + e.substring("send ".length());
                assertThat(log.subList(0, i)).as("before '%s'", e)
                        .anyMatch(j -> j.startsWith(journaled));
            }
        }
    }

    @Test
    void aStopAllIsSentEvenWhenItsRecordFailsAndAJournalFaultLatches() {
        LoggingJournal journal = new LoggingJournal();
        StimController c = controller(journal, new LoggingDriver());
        c.arm("test");
        journal.failStopAll = true;
        c.disarm("operator");
        assertThat(log).contains("send stop-all 1");
        assertThat(c.faultCode()).isEqualTo(StimFault.JOURNAL);
        assertThat(c.faultReason()).isEqualTo("journal failed to record stop-all 1 (it was sent)");
        assertThat(c.journalFailures()).isPositive();
    }

    @Test
    void noStopAllIsJournaledWhenNoneCanBeSent() {
        LoggingDriver driver = new LoggingDriver();
        StimController c = controller(new LoggingJournal(), driver);
        c.arm("test");
        driver.connected = false;
        c.doWork();
        assertThat(c.faultCode()).isEqualTo(StimFault.DRIVER);
        assertThat(log).noneMatch(e -> e.contains("stop-all"));
    }

    @Test
    void theFileJournalReadsStopAllsBackWithTheirSequenceNumbers(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("stim.journal");
        LoggingDriver driver = new LoggingDriver();
        try (FileStimJournal journal = new FileStimJournal(f, false)) {
            StimController c = controller(journal, driver);
            c.arm("test");
            assertThat(c.submit(fresh())).isEqualTo(StimVerdict.ACCEPTED);
            c.fault(StimFault.DEADLINE_MISS, "frame late");
        }
        List<String> read = new ArrayList<>();
        FileStimJournal.read(f, new FileStimJournal.Visitor() {
            @Override
            public void command(long sequence, long timeNs, int verdict, StimCommand command) {
                read.add("command " + sequence + " " + StimVerdict.name(verdict) + " input "
                        + (timeNs - command.inputTimeNs()));
            }

            @Override
            public void event(long timeNs, int event, int code, String reason) {
                read.add("event " + StimEvent.name(event));
            }

            @Override
            public void stopAll(long sequence, long timeNs) {
                read.add("stop-all " + sequence);
            }
        });
        assertThat(read).containsExactly("event armed", "command 1 accepted input 0", "event active", "stop-all 2",
                "event fault");
    }
}
