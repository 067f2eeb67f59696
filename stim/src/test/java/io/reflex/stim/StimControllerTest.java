package io.reflex.stim;

import static io.reflex.stim.TestClocks.clockAt;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.CachedNanoClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class StimControllerTest {
    private static final long T0 = 50_000_000_000L;
    private final CachedNanoClock clock = clockAt(T0);
    private final InMemoryStimJournal journal = new InMemoryStimJournal(10_000);
    private final RecordingDriver driver = new RecordingDriver();
    private final List<String> errors = new ArrayList<>();

    private StimController controller(StimJournal j, ArmInterlock... interlocks) {
        return new StimController.Context().envelope(TestEnvelopes.standard().conclude()).journal(j).driver(driver)
                .clock(clock).errorHandler(e -> errors.add((StimAlarm.isFatal(e) ? "FATAL " : "") + e.getMessage()))
                .interlocks(interlocks).conclude();
    }

    @Test
    void armingIsExplicitWithAReasonAndStatesFollowTheTrains() {
        StimController c = controller(journal);
        assertThat(c.state()).isEqualTo(StimController.DISARMED);
        assertThat(c.submit(TestEnvelopes.valid(T0 + 1_000_000))).isEqualTo(StimVerdict.NOT_ARMED);
        assertThat(c.arm("  ")).isFalse();
        assertThat(c.lastRefusal()).isEqualTo("arming needs a reason");
        assertThat(c.arm("session 12 start")).isTrue();
        assertThat(c.state()).isEqualTo(StimController.ARMED);
        assertThat(journal.lastEvent()).isEqualTo(StimEvent.ARMED);
        assertThat(journal.lastEventReason()).isEqualTo("session 12 start");

        assertThat(c.submit(TestEnvelopes.valid(T0 + 1_000_000))).isEqualTo(StimVerdict.ACCEPTED);
        assertThat(c.state()).isEqualTo(StimController.ACTIVE);
        assertThat(driver.sent).hasSize(1);
        // 10 pulses at 100 Hz: ends 90.45 ms after the trigger
        clock.update(T0 + 1_000_000 + 90_000_000);
        c.doWork();
        assertThat(c.state()).isEqualTo(StimController.ACTIVE);
        clock.update(T0 + 1_000_000 + 90_450_000);
        c.doWork();
        assertThat(c.state()).isEqualTo(StimController.ARMED);

        c.disarm("session end");
        assertThat(c.state()).isEqualTo(StimController.DISARMED);
        assertThat(driver.stopAlls).isEqualTo(1);
        assertThat(c.submit(TestEnvelopes.valid(clock.nanoTime() + 1_000))).isEqualTo(StimVerdict.NOT_ARMED);
        assertThat(driver.sent).hasSize(1);
        assertThat(c.issued()).isEqualTo(1);
        assertThat(c.rejected(StimVerdict.NOT_ARMED)).isEqualTo(2);
    }

    @Test
    void everyCommandIsJournaledWithItsVerdictBeforeItIsSentAndRejectsAreCountedByReason() {
        StimController c = controller(journal);
        c.arm("test");
        StimCommand good = TestEnvelopes.valid(T0 + 1_000);
        StimCommand bad = TestEnvelopes.valid(T0 + 1_000).phase1AmplitudeNa(200_000);
        assertThat(c.submit(good)).isEqualTo(StimVerdict.ACCEPTED);
        assertThat(c.submit(bad)).isEqualTo(StimVerdict.AMPLITUDE_OVER_LIMIT);
        assertThat(journal.size()).isEqualTo(2);
        assertThat(journal.verdict(0)).isEqualTo(StimVerdict.ACCEPTED);
        assertThat(journal.command(0).sameAs(good)).isTrue();
        assertThat(journal.sequence(0)).isEqualTo(driver.sentSequences.get(0));
        assertThat(journal.verdict(1)).isEqualTo(StimVerdict.AMPLITUDE_OVER_LIMIT);
        assertThat(driver.sent).hasSize(1);
        assertThat(c.rejected(StimVerdict.AMPLITUDE_OVER_LIMIT)).isEqualTo(1);
        assertThat(c.rejectedTotal()).isEqualTo(1);
    }

    @Test
    void journalFailureDisarmsAndSendsNothing() {
        InMemoryStimJournal full = new InMemoryStimJournal(1);
        StimController c = controller(full);
        c.arm("test");
        assertThat(c.submit(TestEnvelopes.valid(T0 + 1_000))).isEqualTo(StimVerdict.ACCEPTED);
        clock.advance(500_000_000L);
        int sentBefore = driver.sent.size();
        assertThat(c.submit(TestEnvelopes.valid(clock.nanoTime() + 1_000))).isEqualTo(StimVerdict.JOURNAL_FAILED);
        assertThat(driver.sent).hasSize(sentBefore);
        assertThat(c.state()).isEqualTo(StimController.DISARMED);
        assertThat(c.faultCode()).isEqualTo(StimFault.JOURNAL);
        assertThat(c.faultReason()).contains("journal failed to record command").contains("nothing was sent");
        assertThat(driver.stopAlls).isEqualTo(1);
        assertThat(c.rejected(StimVerdict.JOURNAL_FAILED)).isEqualTo(1);
        assertThat(errors).anyMatch(e -> e.startsWith("FATAL") && e.contains("journal"));
        // latched: re-arming is refused until reset
        assertThat(c.arm("again")).isFalse();
        assertThat(c.lastRefusal()).contains("fault latched (journal");
    }

    @Test
    void sendFailureLatchesADriverFault() {
        StimController c = controller(journal);
        c.arm("test");
        driver.failSends = 1;
        assertThat(c.submit(TestEnvelopes.valid(T0 + 1_000))).isEqualTo(StimVerdict.FAULT_LATCHED);
        assertThat(c.faultCode()).isEqualTo(StimFault.DRIVER);
        assertThat(c.sendFailures()).isEqualTo(1);
        assertThat(c.issued()).isZero();
    }

    @Test
    @Timeout(10)
    void eStopFromAnotherThreadLatchesUntilExplicitReset() throws Exception {
        StimController c = controller(journal);
        c.arm("test");
        assertThat(c.submit(TestEnvelopes.valid(T0 + 1_000))).isEqualTo(StimVerdict.ACCEPTED);
        CountDownLatch done = new CountDownLatch(1);
        Thread operator = new Thread(() -> {
            c.estop("operator pressed e-stop");
            done.countDown();
        });
        operator.start();
        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        // the link was cut at once, from the operator's thread
        assertThat(driver.aborts.get()).isEqualTo(1);
        assertThat(driver.isConnected()).isFalse();
        clock.advance(200_000_000L);
        assertThat(c.submit(TestEnvelopes.valid(clock.nanoTime() + 1_000))).isEqualTo(StimVerdict.FAULT_LATCHED);
        assertThat(c.state()).isEqualTo(StimController.DISARMED);
        assertThat(c.faultCode()).isEqualTo(StimFault.ESTOP);
        assertThat(c.faultReason()).isEqualTo("operator pressed e-stop");
        assertThat(driver.sent).hasSize(1);

        driver.connected = true; // stimulator link restored
        assertThat(c.arm("try before reset")).isFalse();
        assertThat(c.lastRefusal()).contains("estop");
        assertThat(c.reset("")).isFalse();
        assertThat(c.reset("e-stop cleared by operator")).isTrue();
        assertThat(journal.lastEvent()).isEqualTo(StimEvent.RESET);
        assertThat(c.arm("resume")).isTrue();
        assertThat(c.submit(TestEnvelopes.valid(clock.nanoTime() + 1_000))).isEqualTo(StimVerdict.ACCEPTED);
    }

    @Test
    void crossThreadRequestsAreAppliedByTheOwner() throws Exception {
        StimController c = controller(journal);
        Thread other = new Thread(() -> c.requestArm("remote arm"));
        other.start();
        other.join();
        assertThat(c.state()).isEqualTo(StimController.DISARMED);
        c.doWork();
        assertThat(c.state()).isEqualTo(StimController.ARMED);
        Thread other2 = new Thread(() -> c.requestDisarm("remote disarm"));
        other2.start();
        other2.join();
        c.doWork();
        assertThat(c.state()).isEqualTo(StimController.DISARMED);
        assertThat(journal.lastEvent()).isEqualTo(StimEvent.DISARMED);
    }

    @Test
    void missedDeadlineRefusesTheCommandAndDisarms() {
        StimController c = controller(journal);
        c.arm("test");
        long deadline = clock.nanoTime() - 1;
        assertThat(c.submit(TestEnvelopes.valid(clock.nanoTime() + 1_000), deadline))
                .isEqualTo(StimVerdict.DEADLINE_MISSED);
        assertThat(driver.sent).isEmpty();
        assertThat(c.faultCode()).isEqualTo(StimFault.DEADLINE_MISS);
        assertThat(c.state()).isEqualTo(StimController.DISARMED);
    }

    @Test
    void decoderStallTripsTheWatchdogWithinItsBound() {
        StimWatchdog wd = new StimWatchdog.Context().clock(clock).heartbeatTimeoutNs(20_000_000L)
                .decoderTimeoutNs(30_000_000L).pollIntervalNs(1_000_000L).conclude();
        StimController c = controller(journal, wd);
        wd.controller(c);
        assertThat(c.arm("before any heartbeat")).isFalse();
        assertThat(c.lastRefusal()).contains("watchdog: no pipeline heartbeat yet");
        wd.onHeartbeat(clock.nanoTime());
        wd.onDecoderOutput(clock.nanoTime());
        assertThat(c.arm("pipeline running")).isTrue();

        // normal closed loop for 100 ms: heartbeat and decoder every 1 ms, a train every 25 ms
        long lastDecoderNs = 0;
        for (int ms = 0; ms < 100; ms++) {
            clock.advance(1_000_000L);
            long now = clock.nanoTime();
            wd.onHeartbeat(now);
            wd.onDecoderOutput(now);
            lastDecoderNs = now;
            assertThat(wd.doWork()).isZero();
            c.doWork();
            if (ms % 25 == 0) {
                assertThat(c.submit(TestEnvelopes.valid(now + 1_000).pulseCount(1))).isEqualTo(StimVerdict.ACCEPTED);
            }
        }
        int sentBeforeStall = driver.sent.size();
        // decoder stalls; the pipeline heartbeat continues; watchdog polled every 1 ms
        long trippedAt = -1;
        for (int ms = 0; ms < 200 && trippedAt < 0; ms++) {
            clock.advance(1_000_000L);
            long now = clock.nanoTime();
            wd.onHeartbeat(now);
            if (wd.doWork() == 1) {
                trippedAt = now;
            }
        }
        assertThat(trippedAt).isPositive();
        assertThat(trippedAt - lastDecoderNs).isLessThanOrEqualTo(wd.boundNs()).isGreaterThan(30_000_000L);
        assertThat(driver.aborts.get()).as("stimulation cut at the trip").isEqualTo(1);
        c.doWork();
        assertThat(c.state()).isEqualTo(StimController.DISARMED);
        assertThat(c.faultCode()).isEqualTo(StimFault.WATCHDOG);
        assertThat(c.faultReason()).startsWith("decoder output late: ").contains("bound 30000 us");
        assertThat(c.submit(TestEnvelopes.valid(clock.nanoTime() + 1_000))).isEqualTo(StimVerdict.FAULT_LATCHED);
        assertThat(driver.sent).hasSize(sentBeforeStall);
        assertThat(wd.trips()).isEqualTo(1);
        assertThat(wd.doWork()).as("trips once per stall").isZero();
    }

    @Test
    void pipelineStallTripsTheWatchdog() {
        StimWatchdog wd = new StimWatchdog.Context().clock(clock).heartbeatTimeoutNs(5_000_000L)
                .decoderTimeoutNs(50_000_000L).pollIntervalNs(500_000L).conclude();
        StimController c = controller(journal, wd);
        wd.controller(c);
        wd.onHeartbeat(clock.nanoTime());
        wd.onDecoderOutput(clock.nanoTime());
        assertThat(c.arm("go")).isTrue();
        long last = clock.nanoTime();
        long trippedAt = -1;
        for (int i = 0; i < 100 && trippedAt < 0; i++) {
            clock.advance(500_000L);
            long now = clock.nanoTime();
            if (wd.doWork() == 1) {
                trippedAt = now;
            }
        }
        assertThat(trippedAt - last).isGreaterThan(5_000_000L).isLessThanOrEqualTo(wd.boundNs());
        assertThat(wd.boundNs()).isEqualTo(50_500_000L);
        c.doWork();
        assertThat(c.faultReason()).startsWith("pipeline heartbeat late")
                .contains("the source sent no samples, or the pipeline stalled");
    }

    @Test
    void oneEventIsToldAsOneFaultAndWhatFollowsWhileLatchedAsWarnings() {
        StimController c = controller(journal);
        assertThat(c.arm("go")).isTrue();
        // the watchdog's thread trips: told at once
        c.trip(StimFault.WATCHDOG, "pipeline heartbeat late: 60000 us");
        // the owner latches it, then the pipeline thread sees the same gap, then a deadline miss behind it
        c.doWork();
        c.fault(StimFault.WATCHDOG, "pipeline heartbeat late: 61000 us (seen by the pipeline thread)");
        c.fault(StimFault.DEADLINE_MISS, "frame 7 missed its deadline");
        assertThat(errors.stream().filter(e -> e.startsWith("FATAL "))).containsExactly(
                "FATAL stimulation cut off (watchdog): pipeline heartbeat late: 60000 us");
        assertThat(errors).contains("stimulation already stopped (watchdog latched); also deadline_miss: frame 7"
                + " missed its deadline");
        // each was counted, the first fault stays the run's fault, and every one sent a stop-all
        assertThat(c.faultCode()).isEqualTo(StimFault.WATCHDOG);
        assertThat(c.faults(StimFault.WATCHDOG)).isEqualTo(2);
        assertThat(c.faults(StimFault.DEADLINE_MISS)).isEqualTo(1);
        // a fault latched directly (no trip before it) is told once as a fault
        errors.clear();
        StimController d = controller(new InMemoryStimJournal(100));
        d.fault(StimFault.DRIVER, "stimulator link lost");
        d.fault(StimFault.DRIVER, "stimulator link lost again");
        assertThat(errors.stream().filter(e -> e.startsWith("FATAL "))).hasSize(1);
    }

    @Test
    void aStallSeenByBothThreadsIsToldOnceWhicheverLatchesFirst() {
        // the pipeline thread latches the stall directly while the watchdog's trip is still pending: one fault line
        StimController p = controller(journal);
        assertThat(p.arm("go")).isTrue();
        p.trip(StimFault.WATCHDOG, "pipeline heartbeat late: 60000 us");
        p.fault(StimFault.WATCHDOG, "pipeline heartbeat late: 199000 us (seen by the pipeline thread)");
        p.doWork();
        assertThat(errors.stream().filter(m -> m.startsWith("FATAL "))).hasSize(1);
        assertThat(p.faultCode()).isEqualTo(StimFault.WATCHDOG);
        assertThat(p.faults(StimFault.WATCHDOG)).isEqualTo(2);
    }

    @Test
    void watchdogDoesNotTripWhileDisarmed() {
        StimWatchdog wd = new StimWatchdog.Context().clock(clock).conclude();
        StimController c = controller(journal, wd);
        wd.controller(c);
        clock.advance(10_000_000_000L);
        assertThat(wd.doWork()).isZero();
        assertThat(c.faultCode()).isEqualTo(StimFault.NONE);
        assertThat(wd.refusal(clock.nanoTime())).isNotNull();
    }
}
