package io.reflex.runtime.stim;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.decoders.DecodeStatus;
import io.reflex.runtime.journal.FreeSpaceGuard;
import io.reflex.runtime.journal.JournalFaults;
import io.reflex.runtime.journal.Tmpfs;
import io.reflex.runtime.pipeline.Frame;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimController;
import io.reflex.stim.StimFault;
import io.reflex.stim.StimVerdict;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The write-ahead stimulation journal on a real full disk (a small tmpfs mounted for the test): the guard's fault and
 * a write that faults anyway both stop stimulation with a stop-all to the stimulator, nothing is issued after, and
 * every record written before the fault reads back. A fault of the run's data journal stops stimulation too.
 */
class StimJournalDiskFullTest {
    private static final long MIB = 1L << 20;

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void theGuardFaultsTheStimJournalAndStimulationStopsWithAStopAll() throws Exception {
        try (Tmpfs fs = Tmpfs.mount(tmp.resolve("disk"), 24);
             FreeSpaceGuard guard = new FreeSpaceGuard(8 * MIB, System::nanoTime)) {
            List<String> told = Collections.synchronizedList(new ArrayList<>());
            JournalFaults faults = new JournalFaults();
            Path dir = fs.dir().resolve("stim");
            try (StimSystem s = StimSystem.start(config(), dir, 20_000, System::nanoTime, null, (src, e) -> { },
                    guard, faults)) {
                // Heard after the stimulation's own listener, which asks the controller to fault.
                faults.listener((journal, reason) -> told.add(journal + ": " + reason));
                StimController ctl = s.controller();
                long[] seq = {0};
                StimRuntimeTest.armThroughFrames(s, () -> frame(seq[0]++, 0f));
                // One command: a second would wait out the envelope's 1 s charge-rate window while every refused
                // crossing is journaled, and on a fast machine those refusals alone fill this small disk.
                stimulate(s, seq, 1);
                long issuedBefore = ctl.issued();
                awaitTrue(() -> s.simulator().commandsReceived() == issuedBefore, "the stimulator has every command");
                long stopAllsBefore = s.simulator().stopAllReceived();

                fs.fillLeaving(4 * MIB, "filler"); // another process fills the disk below the 8 MiB reserve
                awaitTrue(() -> !told.isEmpty(), "the guard faults the stimulation journal");
                long recordsAtFault = s.journal().records();
                long proposalsAtFault = s.stage().proposals();
                // the emit thread's next frame applies the fault: stop-all, then nothing more is issued, however many
                // crossings are proposed
                for (int i = 0; i < 6; i++) {
                    s.stage().emit(frame(seq[0]++, i % 2 == 0 ? 0.5f : 0f));
                }
                assertThat(ctl.faultCode()).isEqualTo(StimFault.JOURNAL);
                assertThat(ctl.faultReason()).startsWith("stim journal fault: disk full: stim journal directory "
                        + dir);
                assertThat(ctl.state()).isEqualTo(StimController.DISARMED);
                assertThat(ctl.issued()).isEqualTo(issuedBefore);
                assertThat(s.stage().proposals()).isGreaterThan(proposalsAtFault);
                // refused: a fault is latched, and the journal cannot record the refusal either
                assertThat(ctl.rejected(StimVerdict.JOURNAL_FAILED)).isPositive();
                awaitTrue(() -> s.simulator().stopAllReceived() > stopAllsBefore, "the stimulator gets a stop-all");
                assertThat(s.simulator().commandsReceived()).isEqualTo(issuedBefore);
                assertThat(s.simulator().violations()).isZero();
                assertThat(s.journal().records()).as("nothing written after the fault").isEqualTo(recordsAtFault);
                assertThat(told).singleElement().asString().startsWith("stim journal: disk full");
                assertThat(fs.usableBytes()).isGreaterThan(MIB);

                // every record before the fault reads back: the opening event, then all of them
                long[] accepted = {0};
                long read = ChronicleStimJournal.read(dir, visitor(accepted));
                assertThat(read).isEqualTo(recordsAtFault + 1);
                assertThat(accepted[0]).isEqualTo(issuedBefore);
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aWriteThatFaultsOnAFullDiskLatchesAJournalFaultAndSendsAStopAll() throws Exception {
        try (Tmpfs fs = Tmpfs.mount(tmp.resolve("disk"), 16)) {
            JournalFaults faults = new JournalFaults();
            Path dir = fs.dir().resolve("stim");
            // No guard: the disk fills between two checks, and the mapped write faults (SIGBUS -> InternalError).
            try (StimSystem s = StimSystem.start(config(), dir, 20_000, System::nanoTime, null, (src, e) -> { },
                    null, faults)) {
                StimController ctl = s.controller();
                long[] seq = {0};
                StimRuntimeTest.armThroughFrames(s, () -> frame(seq[0]++, 0f));
                stimulate(s, seq, 1);
                long stopAllsBefore = s.simulator().stopAllReceived();
                fs.fillUp("filler");
                // Commands (accepted or refused, each journaled) until the journal reaches a page the disk cannot
                // back. As on the pipeline's emit thread, an error that surfaces outside the journal is caught and
                // the next frame goes on.
                List<Throwable> escaped = new ArrayList<>();
                for (int i = 0; i < 20_000 && faults.stimFault() == null; i++) {
                    try {
                        s.stage().emit(frame(seq[0]++, i % 2 == 0 ? 0.5f : 0f));
                    } catch (RuntimeException | Error e) {
                        escaped.add(e);
                    }
                }
                assertThat(faults.stimFault()).as("escaped %s; records %d, failures %d, usable %d, proposals %d,"
                        + " rejected %s, fault %s", escaped, s.journal().records(), s.journal().failures(),
                        fs.usableBytes(), s.stage().proposals(), s.rejectedByReason(), ctl.faultReason())
                        .contains("java.lang.InternalError");
                long recordsAtFault = s.journal().records();
                long issuedAtFault = ctl.issued();
                for (int i = 0; i < 6; i++) {
                    s.stage().emit(frame(seq[0]++, i % 2 == 0 ? 0.5f : 0f));
                }
                assertThat(ctl.faultCode()).isEqualTo(StimFault.JOURNAL);
                assertThat(ctl.state()).isEqualTo(StimController.DISARMED);
                assertThat(ctl.issued()).isEqualTo(issuedAtFault);
                awaitTrue(() -> s.simulator().stopAllReceived() > stopAllsBefore, "the stimulator gets a stop-all");
                awaitTrue(() -> s.simulator().commandsReceived() == issuedAtFault, "every issued command arrived");
                assertThat(s.simulator().violations()).isZero();
                long[] accepted = {0};
                long read = ChronicleStimJournal.read(dir, visitor(accepted));
                // The opening event and every record counted, less at most the one whose store faulted (the JVM may
                // raise the fault after that record was closed).
                assertThat(read).isBetween(recordsAtFault, recordsAtFault + 1);
                assertThat(accepted[0]).isBetween(issuedAtFault - 1, issuedAtFault);
            }
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aDataJournalFaultStopsStimulationWithAStopAll() throws Exception {
        JournalFaults faults = new JournalFaults();
        try (StimSystem s = StimSystem.start(config(), tmp.resolve("stim"), 20_000, System::nanoTime, null,
                (src, e) -> { }, null, faults)) {
            StimController ctl = s.controller();
            long[] seq = {0};
            StimRuntimeTest.armThroughFrames(s, () -> frame(seq[0]++, 0f));
            stimulate(s, seq, 1);
            long issued = ctl.issued();
            long stopAllsBefore = s.simulator().stopAllReceived();
            faults.report(JournalFaults.DATA, "disk full: journal directory /x has 1 bytes free");
            for (int i = 0; i < 4; i++) {
                s.stage().emit(frame(seq[0]++, i % 2 == 0 ? 0.5f : 0f));
            }
            assertThat(ctl.faultCode()).isEqualTo(StimFault.JOURNAL);
            assertThat(ctl.faultReason()).isEqualTo("journal fault: disk full: journal directory /x has 1 bytes free");
            assertThat(ctl.issued()).isEqualTo(issued);
            awaitTrue(() -> s.simulator().stopAllReceived() > stopAllsBefore, "the stimulator gets a stop-all");
            assertThat(s.simulator().commandsReceived()).isEqualTo(issued);
        }
    }

    private static StimConfig config() {
        StimConfig cfg = new StimConfig();
        cfg.armOnStart = "test: closed loop started";
        // generous bounds: the test's pauses (filling the disk) must not trip the watchdog
        cfg.heartbeatTimeoutUs = 5_000_000;
        cfg.decoderTimeoutUs = 5_000_000;
        cfg.refractoryMs = 0; // every crossing proposes (most are refused by the envelope, all are journaled)
        cfg.maxTriggersPerSecond = 1_000_000;
        cfg.ackTimeoutMs = 2_000;
        cfg.linkHeartbeatTimeoutMs = 2_000;
        return cfg;
    }

    /** Emits frames that cross the threshold, up and down, until {@code n} are issued. */
    private static void stimulate(StimSystem s, long[] seq, int n) {
        long until = System.nanoTime() + 10_000_000_000L;
        int i = 0;
        while (s.controller().issued() < n) {
            assertThat(System.nanoTime()).as("%d issued within 10 s; rejected %s; journal fault %s", n,
                    s.rejectedByReason(), s.journal().fault())
                    .isLessThan(until);
            s.stage().emit(frame(seq[0]++, i++ % 2 == 0 ? 0.5f : 0f));
        }
    }

    private static Frame frame(long seq, float vx) {
        Frame f = new Frame(4, 2, 2, 2);
        long now = System.nanoTime();
        f.acquisitionTimeS = now * 1e-9;
        f.sequence = seq;
        f.decoderGeneration = 1;
        f.decodeStatus = DecodeStatus.OK;
        f.deadlineNs = now + 500_000_000L;
        f.output[0] = vx;
        return f;
    }

    private static ChronicleStimJournal.Visitor visitor(long[] accepted) {
        return new ChronicleStimJournal.Visitor() {
            @Override
            public void command(long sequence, long timeNs, int verdict, StimCommand command) {
                if (verdict == StimVerdict.ACCEPTED) {
                    accepted[0]++;
                }
            }

            @Override
            public void event(long timeNs, int event, int code, String reason) {
            }
        };
    }

    private static void awaitTrue(BooleanSupplier condition, String what) {
        long until = System.nanoTime() + 20_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what + " within 20 s").isLessThan(until);
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
        }
    }
}
