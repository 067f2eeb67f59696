package io.reflex.stim;

import static io.reflex.stim.TestClocks.clockAt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.CachedNanoClock;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, "a command decided on stale data went out": the process was stopped (SIGSTOP) for 2 s between the
 * decision and the send, and on resume the command went out, journaled as accepted, before the watchdog's thread
 * noticed. The send path itself must refuse a command whose input is older than the bound, right before the write
 * and after the journal record, without any watchdog. These tests stop time instead of the process: a manual clock
 * that jumps 2 s where the thread would have been stopped.
 */
class StaleInputTest {
    private static final long T0 = 50_000_000_000L;
    private static final long BOUND_NS = 65_000_000L;
    private final CachedNanoClock clock = clockAt(T0);
    private final RecordingDriver driver = new RecordingDriver();
    private final List<String> errors = new ArrayList<>();

    /** A journal in which the writing thread is stopped for {@code stallNs} during the next command record. */
    private static final class StallingJournal implements StimJournal {
        final InMemoryStimJournal records = new InMemoryStimJournal(100);
        final CachedNanoClock clock;
        long stallNs;

        StallingJournal(CachedNanoClock clock) {
            this.clock = clock;
        }

        @Override
        public int recordCommand(long sequence, long timeNs, StimCommand command, int verdict) {
            int rc = records.recordCommand(sequence, timeNs, command, verdict);
            clock.advance(stallNs);
            stallNs = 0;
            return rc;
        }

        @Override
        public int recordStopAll(long sequence, long timeNs) {
            return records.recordStopAll(sequence, timeNs);
        }

        @Override
        public int recordEvent(long timeNs, int event, int code, String reason) {
            return records.recordEvent(timeNs, event, code, reason);
        }
    }

    private StimController controller(StimJournal journal) {
        StimController c = new StimController.Context().envelope(TestEnvelopes.standard().conclude())
                .journal(journal).driver(driver).clock(clock).maxInputAgeNs(BOUND_NS)
                .errorHandler(e -> errors.add((StimAlarm.isFatal(e) ? "FATAL " : "") + e.getMessage())).conclude();
        assertThat(c.arm("stale input test")).isTrue();
        return c;
    }

    /** A command decided now on input acquired {@code ageNs} ago. */
    private StimCommand decided(long ageNs) {
        long now = clock.nanoTime();
        return TestEnvelopes.valid(now + 1_000_000).inputTimeNs(now - ageNs);
    }

    @Test
    void twoSecondStopBetweenJournalAndSendIsRefusedAtTheSendCheckWithoutAnyWatchdog() {
        StallingJournal journal = new StallingJournal(clock);
        StimController c = controller(journal);
        assertThat(c.submit(decided(1_000_000L))).isEqualTo(StimVerdict.ACCEPTED);
        assertThat(driver.sent).hasSize(1);

        // decided on 1 ms old input, journaled as accepted; then the thread is stopped for 2 s before the write
        StimCommand cmd = decided(1_000_000L);
        journal.stallNs = 2_000_000_000L;
        assertThat(c.submit(cmd)).isEqualTo(StimVerdict.STALE_INPUT);

        assertThat(driver.sent).as("nothing decided on 2 s old input reaches the driver").hasSize(1);
        assertThat(c.faultCode()).isEqualTo(StimFault.STALE_INPUT);
        assertThat(c.state()).isEqualTo(StimController.DISARMED);
        assertThat(c.faultReason()).contains("command 2 refused at the send check")
                .contains("input 2001000 us old").contains("bound 65000 us").contains("not sent");
        assertThat(c.rejected(StimVerdict.STALE_INPUT)).isEqualTo(1);
        assertThat(c.staleAtSend()).isEqualTo(1);
        assertThat(driver.stopAlls).as("stimulation stopped").isEqualTo(1);
        assertThat(errors).anyMatch(e -> e.startsWith("FATAL") && e.contains("stale_input"));
        // journaled: first as accepted (write-ahead), then the refusal with the same sequence; the last one holds
        InMemoryStimJournal r = journal.records;
        assertThat(r.size()).isEqualTo(3);
        assertThat(r.sequence(1)).isEqualTo(2);
        assertThat(r.verdict(1)).isEqualTo(StimVerdict.ACCEPTED);
        assertThat(r.sequence(2)).isEqualTo(2);
        assertThat(r.verdict(2)).isEqualTo(StimVerdict.STALE_INPUT);
        assertThat(r.command(2).inputTimeNs()).isEqualTo(cmd.inputTimeNs());
        assertThat(r.lastEvent()).isEqualTo(StimEvent.FAULT);
        assertThat(r.lastEventCode()).isEqualTo(StimFault.STALE_INPUT);
        // latched: later fresh commands are refused until an operator's reset
        assertThat(c.submit(decided(0))).isEqualTo(StimVerdict.FAULT_LATCHED);
        assertThat(driver.sent).hasSize(1);
    }

    @Test
    void twoSecondStopBetweenDecodeAndSubmitIsRefusedWhenJudged() {
        InMemoryStimJournal journal = new InMemoryStimJournal(100);
        StimController c = controller(journal);
        StimCommand cmd = decided(0);
        clock.advance(2_000_000_000L); // stopped after the decode, before the stimulation stage ran
        assertThat(c.submit(cmd)).isEqualTo(StimVerdict.STALE_INPUT);
        assertThat(driver.sent).isEmpty();
        assertThat(journal.size()).isEqualTo(1);
        assertThat(journal.verdict(0)).isEqualTo(StimVerdict.STALE_INPUT);
        assertThat(c.faultCode()).isEqualTo(StimFault.STALE_INPUT);
        assertThat(c.faultReason()).contains("refused when judged").contains("input 2000000 us old");
        assertThat(c.staleAtSend()).isZero();
    }

    @Test
    void theBoundIsInclusiveAndAppliesEitherWay() {
        StimController c = controller(new InMemoryStimJournal(100));
        assertThat(c.submit(decided(BOUND_NS))).isEqualTo(StimVerdict.ACCEPTED);
        clock.advance(1_000_000_000L);
        assertThat(c.submit(decided(BOUND_NS + 1))).isEqualTo(StimVerdict.STALE_INPUT);

        StimController future = controller(new InMemoryStimJournal(100));
        StimCommand ahead = decided(-(BOUND_NS + 1));
        assertThat(future.submit(ahead)).isEqualTo(StimVerdict.STALE_INPUT);
        assertThat(future.faultReason()).contains("65000 us ahead of the clock");
    }

    @Test
    void aCommandWithoutAnInputTimeIsNeverSent() {
        StimController c = controller(new InMemoryStimJournal(100));
        StimCommand cmd = decided(0).inputTimeNs(StimCommand.NO_INPUT_TIME);
        assertThat(c.submit(cmd)).isEqualTo(StimVerdict.STALE_INPUT);
        assertThat(c.faultReason()).contains("input time unknown");
        assertThat(driver.sent).isEmpty();
        assertThat(new StimCommand().inputTimeNs()).isEqualTo(StimCommand.NO_INPUT_TIME);
        assertThat(new StimCommand().copyFrom(decided(5)).inputTimeNs()).isEqualTo(clock.nanoTime() - 5);
    }

    @Test
    void theBoundIsValidated() {
        assertThatThrownBy(() -> new StimController.Context().envelope(TestEnvelopes.standard().conclude())
                .journal(new InMemoryStimJournal(1)).driver(driver).maxInputAgeNs(99_999L).conclude())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("stim controller: maxInputAgeNs must be in [100000, 10000000000], was 99999");
    }
}
