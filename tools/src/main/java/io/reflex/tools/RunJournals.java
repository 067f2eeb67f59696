package io.reflex.tools;

import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.check.MemoryFootprint;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.journal.FreeSpaceGuard;
import io.reflex.runtime.journal.JournalFaults;
import io.reflex.runtime.session.SessionReport;
import io.reflex.runtime.stim.ChronicleStimJournal;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.agrona.concurrent.SystemNanoClock;

/**
 * The journal protection of one demo or daemon run: one {@link FreeSpaceGuard} with the config's
 * {@code journal.reserveMiB} for both journals, and the run's {@link JournalFaults}, whose first fault is told as one
 * FATAL line when it happens. The session and the stimulation share both: a fault of either journal stops
 * stimulation, ends the run as failed and makes the exit code {@link #EXIT_JOURNAL_FAULT}.
 */
final class RunJournals implements AutoCloseable {
    /**
     * Exit code of a run whose data or stimulation journal faulted (e.g. the disk filled up). It comes before
     * {@link StimRun#EXIT_STIM_FAULT}: a journal fault also latches a stimulation fault.
     */
    static final int EXIT_JOURNAL_FAULT = 4;
    private static final long MIB = 1L << 20;

    final FreeSpaceGuard guard;
    final JournalFaults faults;

    /** @param fatal receives the one FATAL line, on the thread that saw the fault */
    RunJournals(ReflexConfig c, Consumer<String> fatal) {
        guard = new FreeSpaceGuard(c.journalReserveBytes(), SystemNanoClock.INSTANCE);
        AtomicBoolean told = new AtomicBoolean();
        // One line per run: with both journals on one disk both fault; the summary names each.
        faults = new JournalFaults().listener((journal, reason) -> {
            if (told.compareAndSet(false, true)) {
                fatal.accept("FATAL: " + journal + " fault: " + reason + "; stimulation stopped, the run ends as"
                        + " failed (exit " + EXIT_JOURNAL_FAULT + ")");
            }
        });
    }

    /** True when the run ended with a journal fault. */
    static boolean faulted(SessionReport r) {
        return r.journalFault != null || r.stimJournalFault != null;
    }

    /**
     * For {@code --check}: the journal directories' usable space against the reserve plus one block, one line each.
     *
     * @throws ConfigException naming the directory when a run would be refused now
     */
    static String check(ReflexConfig c) {
        StringBuilder sb = new StringBuilder();
        long reserve = c.journalReserveBytes();
        if (c.journal.enabled) {
            sb.append(line(c, "journal.dir", "journal", Path.of(c.journal.dir), c.journalBlockBytes(), reserve));
        }
        if (c.stim != null) {
            Path stimDir = c.stim.journalDir != null ? Path.of(c.stim.journalDir) : Path.of(c.journal.dir);
            sb.append(line(c, "stim.journal", "stim journal", stimDir, ChronicleStimJournal.BLOCK_BYTES, reserve));
        }
        return sb.toString();
    }

    private static String line(ReflexConfig c, String field, String name, Path dir, long block, long reserve) {
        Path abs = dir.toAbsolutePath().normalize();
        long usable;
        try {
            usable = FreeSpaceGuard.usableBytesFor(abs);
        } catch (IOException e) {
            throw new ConfigException(field, "cannot read the free space of journal directory " + abs + " (" + e
                    + ")");
        }
        FreeSpaceGuard.checkAtStart(field, abs, usable, reserve, block);
        return String.format(Locale.ROOT, "  %-22s %12s free in %s (needs journal.reserveMiB %d MiB + one %d MiB"
                + " block)%n", name + " disk", MemoryFootprint.human(usable), abs, reserve / MIB, block / MIB);
    }

    /** Stops the guard thread. */
    @Override
    public void close() {
        guard.close();
    }
}
