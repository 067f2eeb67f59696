package io.reflex.runtime.journal;

import static io.reflex.runtime.TestClocks.clockAt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.config.ReflexConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.concurrent.CachedNanoClock;
import org.junit.jupiter.api.Test;

/** The free-space guard on a fake disk, driven with a manual clock: the start refusal, the interval, the trip. */
class FreeSpaceGuardTest {
    private static final long MIB = 1L << 20;
    private static final Path DIR = Path.of("/data/journal/run-1");

    @Test
    void startIsRefusedBelowTheReservePlusOneBlockNamingDirFreeBytesAndReserve() {
        FreeSpaceGuard guard = new FreeSpaceGuard(8 * MIB, clockAt(0), false);
        long free = 12 * MIB - 1;
        assertThatThrownBy(() -> guard.watch(JournalFaults.DATA, "journal.dir", DIR, () -> free, 4 * MIB, r -> { }))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).field()).isEqualTo("journal.dir"))
                .hasMessageContaining(DIR.toString())
                .hasMessageContaining(free + " bytes")
                .hasMessageContaining("journal.reserveMiB = 8 MiB")
                .hasMessageContaining("block of 4 MiB");
        assertThat(guard.watched()).isZero();
        // exactly the reserve plus one block is enough
        guard.watch(JournalFaults.DATA, "journal.dir", DIR, () -> 12 * MIB, 4 * MIB, r -> { });
        assertThat(guard.watched()).isEqualTo(1);
    }

    @Test
    void anUnreadableDiskIsRefusedAtStart() {
        FreeSpaceGuard guard = new FreeSpaceGuard(8 * MIB, clockAt(0), false);
        assertThatThrownBy(() -> guard.watch(JournalFaults.STIM, "stim.journal", DIR, () -> {
            throw new IOException("statvfs: EIO");
        }, 4 * MIB, r -> { })).isInstanceOf(ConfigException.class).hasMessageStartingWith("stim.journal: ")
                .hasMessageContaining("EIO");
    }

    @Test
    void readsTheSpaceOncePerIntervalAndTripsOnceBelowTheReserve() {
        CachedNanoClock clock = clockAt(1_000_000_000L);
        FreeSpaceGuard guard = new FreeSpaceGuard(8 * MIB, clock, false);
        AtomicLong free = new AtomicLong(64 * MIB);
        AtomicInteger reads = new AtomicInteger();
        List<String> reasons = new ArrayList<>();
        FreeSpaceGuard.Watch w = guard.watch(JournalFaults.DATA, "journal.dir", DIR, () -> {
            reads.incrementAndGet();
            return free.get();
        }, 4 * MIB, reasons::add);
        assertThat(reads.get()).isEqualTo(1); // the start check
        assertThat(guard.doWork()).isEqualTo(1);
        assertThat(reads.get()).isEqualTo(2);
        clock.advance(FreeSpaceGuard.CHECK_INTERVAL_NS - 1);
        assertThat(guard.doWork()).isZero();
        assertThat(reads.get()).isEqualTo(2);
        clock.advance(1);
        guard.doWork();
        assertThat(reads.get()).isEqualTo(3);
        assertThat(reasons).isEmpty();
        // at the reserve: still fine; one byte below: the journal faults, once
        free.set(8 * MIB);
        clock.advance(FreeSpaceGuard.CHECK_INTERVAL_NS);
        guard.doWork();
        assertThat(reasons).isEmpty();
        free.set(8 * MIB - 1);
        clock.advance(FreeSpaceGuard.CHECK_INTERVAL_NS);
        guard.doWork();
        assertThat(reasons).hasSize(1);
        assertThat(reasons.get(0)).contains("disk full", DIR.toString(), (8 * MIB - 1) + " bytes",
                "journal.reserveMiB = 8 MiB");
        assertThat(w.low()).isTrue();
        assertThat(w.check()).isFalse();
        clock.advance(FreeSpaceGuard.CHECK_INTERVAL_NS);
        guard.doWork();
        assertThat(reasons).hasSize(1);
    }

    @Test
    void aJournalsOwnCheckBeforeANewBlockTripsTooAndAClosedWatchIsNotRead() {
        CachedNanoClock clock = clockAt(0);
        FreeSpaceGuard guard = new FreeSpaceGuard(8 * MIB, clock, false);
        AtomicLong free = new AtomicLong(64 * MIB);
        List<String> reasons = new ArrayList<>();
        FreeSpaceGuard.Watch w = guard.watch(JournalFaults.DATA, "journal.dir", DIR, free::get, 4 * MIB,
                reasons::add);
        assertThat(w.check()).isTrue();
        assertThat(w.lastUsableBytes()).isEqualTo(64 * MIB);
        free.set(MIB);
        assertThat(w.check()).isFalse();
        assertThat(reasons).hasSize(1);

        AtomicInteger reads = new AtomicInteger();
        FreeSpaceGuard.Watch other = guard.watch(JournalFaults.STIM, "stim.journal", DIR, () -> {
            reads.incrementAndGet();
            return 64 * MIB;
        }, 4 * MIB, reasons::add);
        other.close();
        int before = reads.get();
        clock.advance(FreeSpaceGuard.CHECK_INTERVAL_NS);
        guard.doWork();
        assertThat(reads.get()).isEqualTo(before);
    }

    @Test
    void aDiskThatCannotBeReadWhileRunningFaultsTheJournal() {
        CachedNanoClock clock = clockAt(0);
        FreeSpaceGuard guard = new FreeSpaceGuard(8 * MIB, clock, false);
        boolean[] broken = {false};
        List<String> reasons = new ArrayList<>();
        guard.watch(JournalFaults.DATA, "journal.dir", DIR, () -> {
            if (broken[0]) {
                throw new IOException("statvfs: ENOENT");
            }
            return 64 * MIB;
        }, 4 * MIB, reasons::add);
        broken[0] = true;
        guard.doWork();
        assertThat(reasons).singleElement().asString().contains("cannot read the free space", "ENOENT");
    }

    @Test
    void blocksAreAtLeastFourMiBAndFourTimesTheLargestRecord() {
        assertThat(ChronicleSettings.blockBytes(0)).isEqualTo(4 * MIB);
        assertThat(ChronicleSettings.blockBytes(MIB)).isEqualTo(4 * MIB);
        assertThat(ChronicleSettings.blockBytes(MIB + 1)).isEqualTo(8 * MIB);
        assertThat(ChronicleSettings.blockBytes(3 * MIB)).isEqualTo(16 * MIB);
        assertThat(ChronicleSettings.blockBytes(Long.MAX_VALUE)).isEqualTo(ChronicleSettings.MAX_BLOCK_BYTES);
    }

    @Test
    void theReserveIsValidatedNamingTheFieldAndAtLeastOneBlock() {
        ReflexConfig c = new ReflexConfig();
        assertThat(c.journal.reserveMiB).isEqualTo(256);
        assertThat(c.validate().journalBlockBytes()).isEqualTo(4 * MIB);
        c.journal.reserveMiB = 0;
        assertThatThrownBy(c::validate).isInstanceOf(ConfigException.class)
                .hasMessage("journal.reserveMiB: 0 is not allowed; expected an integer in [1, 1048576]");
        c.journal.reserveMiB = 1_048_577;
        assertThatThrownBy(c::validate).hasMessageStartingWith("journal.reserveMiB: 1048577 is not allowed");
        c.journal.reserveMiB = 3;
        assertThatThrownBy(c::validate).hasMessageStartingWith("journal.reserveMiB: 3 is not allowed; expected at"
                + " least one journal block, 4 MiB");
        c.journal.reserveMiB = 4;
        c.validate();
        // 4096 channels of 1 s bins at 1 kHz: a 16.4 MB (15.7 MiB) frame record, so 64 MiB blocks and at least that reserve
        c.source.channels = 4096;
        c.pipeline.binWidthUs = 1_000_000;
        c.pipeline.ringSize = 2;
        c.calibration.seconds = 0;
        assertThat(c.journalBlockBytes()).isEqualTo(64 * MIB);
        assertThatThrownBy(c::validate).hasMessageStartingWith("journal.reserveMiB: 4 is not allowed; expected at"
                + " least one journal block, 64 MiB");
        c.journal.reserveMiB = 64;
        c.validate();
    }
}
