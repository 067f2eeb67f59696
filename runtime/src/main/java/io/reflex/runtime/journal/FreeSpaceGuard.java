package io.reflex.runtime.journal;

import io.reflex.runtime.agent.Agents;
import io.reflex.runtime.agent.ErrorHandler;
import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.check.MemoryFootprint;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SleepingIdleStrategy;

/**
 * Keeps the journals off a full disk. A Chronicle journal writes through memory-mapped files: on a full file system
 * the write faults (SIGBUS, which the JVM turns into an {@link InternalError}) instead of failing with an error
 * code, and nothing written after that can be trusted. So the free space is watched and the journal is stopped
 * while a reserve is still free:
 * <ul>
 *   <li>at start, {@link #watch} refuses (a {@link ConfigException}, exit 2) a directory with less than the reserve
 *       plus one journal block usable;</li>
 *   <li>while running, {@link #doWork()} reads every watched directory's usable space once per
 *       {@link #CHECK_INTERVAL_NS} on the guard's own thread (one {@code statvfs} each, off the pipeline's threads),
 *       and a journal checks its directory with {@link Watch#check()} before a write may enter a new block;</li>
 *   <li>below the reserve, the watch's callback is called once: the journal faults (see {@link JournalFaults}).</li>
 * </ul>
 * A journal whose writes fault anyway (another process filled the disk within the interval) catches the fault
 * itself; the guard makes that the rare case, not the way a full disk is noticed.
 */
public final class FreeSpaceGuard implements Agent, AutoCloseable {
    /** How often the guard thread reads the usable space of every watched directory. */
    public static final long CHECK_INTERVAL_NS = 100_000_000L;
    /** The guard thread parks this long between looks at the clock. */
    static final long PARK_NS = 10_000_000L;
    private static final long MIB = 1L << 20;

    /** Reads a file system's usable bytes (for tests: a fake disk). */
    @FunctionalInterface
    public interface Space {
        long usableBytes() throws IOException;
    }

    private final long reserveBytes;
    private final NanoClock clock;
    private final List<Watch> watches = new CopyOnWriteArrayList<>();
    private long nextCheckNs;
    private boolean checkedOnce;
    private final boolean ownThread;
    private AgentRunner runner;
    private boolean closed;

    /**
     * @param reserveBytes the space that must stay free on a journal's file system (journal.reserveMiB)
     * @param clock        the clock of the check interval
     */
    public FreeSpaceGuard(long reserveBytes, NanoClock clock) {
        this(reserveBytes, clock, true);
    }

    /** @param ownThread false for tests that call {@link #doWork()} themselves */
    FreeSpaceGuard(long reserveBytes, NanoClock clock, boolean ownThread) {
        if (reserveBytes <= 0 || clock == null) {
            throw new IllegalArgumentException("a free-space guard needs a reserve > 0 bytes and a clock");
        }
        this.reserveBytes = reserveBytes;
        this.clock = clock;
        this.ownThread = ownThread;
    }

    /** The reserve, bytes. */
    public long reserveBytes() {
        return reserveBytes;
    }

    /** The usable space of the file system holding {@code dir}, read through a {@link FileStore} opened once. */
    public static Space usableSpaceOf(Path dir) throws IOException {
        FileStore store = Files.getFileStore(dir);
        return store::getUsableSpace;
    }

    /**
     * The usable space where a journal directory is or will be created: of {@code dir}, or of its nearest existing
     * parent (for {@code --check}, before the run creates it).
     */
    public static long usableBytesFor(Path dir) throws IOException {
        Path p = dir.toAbsolutePath().normalize();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IOException("no existing parent of " + dir);
        }
        return Files.getFileStore(p).getUsableSpace();
    }

    /**
     * Refuses a journal directory with less than {@code reserveBytes + blockBytes} usable.
     *
     * @param field the config key to name (e.g. {@code journal.dir}, {@code stim.journal})
     * @throws ConfigException naming the directory, the free bytes, the reserve and the block
     */
    public static void checkAtStart(String field, Path dir, long usableBytes, long reserveBytes, long blockBytes) {
        long needed = reserveBytes + blockBytes;
        if (usableBytes < needed) {
            throw new ConfigException(field, "journal directory " + dir + " has " + usableBytes + " bytes ("
                    + MemoryFootprint.human(usableBytes) + ") free; a run needs at least " + needed + " bytes: the"
                    + " reserve journal.reserveMiB = " + reserveBytes / MIB + " MiB plus one journal block of "
                    + blockBytes / MIB + " MiB. Free disk space, choose another directory or lower"
                    + " journal.reserveMiB");
        }
    }

    /**
     * Checks {@code dir} now (refusing it as {@link #checkAtStart} does) and watches it from then on; the first watch
     * starts the guard thread.
     *
     * @param journal    {@link JournalFaults#DATA} or {@link JournalFaults#STIM}, for the messages
     * @param field      the config key named when the directory is refused at start
     * @param blockBytes the journal's Chronicle block size
     * @param onLow      called once, with the reason, when the usable space falls below the reserve
     * @throws ConfigException when the space is short now or cannot be read
     */
    public Watch watch(String journal, String field, Path dir, long blockBytes, Consumer<String> onLow) {
        Space space;
        try {
            space = usableSpaceOf(dir);
        } catch (IOException e) {
            throw new ConfigException(field, "cannot read the free space of journal directory " + dir + " (" + e
                    + ")");
        }
        return watch(journal, field, dir, space, blockBytes, onLow);
    }

    /** {@link #watch(String, String, Path, long, Consumer)} on a given {@link Space}. */
    public Watch watch(String journal, String field, Path dir, Space space, long blockBytes, Consumer<String> onLow) {
        long usable;
        try {
            usable = space.usableBytes();
        } catch (IOException e) {
            throw new ConfigException(field, "cannot read the free space of journal directory " + dir + " (" + e
                    + ")");
        }
        checkAtStart(field, dir, usable, reserveBytes, blockBytes);
        Watch w = new Watch(journal, dir, space, onLow);
        w.lastUsableBytes = usable;
        watches.add(w);
        startThread();
        return w;
    }

    private synchronized void startThread() {
        if (ownThread && runner == null && !closed) {
            runner = Agents.start(this, new SleepingIdleStrategy(PARK_NS), ErrorHandler.stderr());
        }
    }

    /** Reads every watched directory's usable space when the interval has passed. Guard thread (or a test). */
    @Override
    public int doWork() {
        long now = clock.nanoTime();
        if (checkedOnce && now - nextCheckNs < 0) {
            return 0;
        }
        checkedOnce = true;
        nextCheckNs = now + CHECK_INTERVAL_NS;
        int n = 0;
        for (Watch w : watches) {
            w.check();
            n++;
        }
        return n;
    }

    @Override
    public String roleName() {
        return "journal-space";
    }

    /** Directories watched now. */
    public int watched() {
        return watches.size();
    }

    /** Stops the guard thread; watches end with it. Idempotent. */
    @Override
    public void close() {
        AgentRunner r;
        synchronized (this) {
            closed = true;
            r = runner;
            runner = null;
        }
        if (r != null) {
            Agents.close(r, ErrorHandler.stderr());
        }
        watches.clear();
    }

    /** One watched journal directory. */
    public final class Watch implements AutoCloseable {
        private final String journal;
        private final Path dir;
        private final Space space;
        private final Consumer<String> onLow;
        private final AtomicBoolean low = new AtomicBoolean();
        private volatile long lastUsableBytes;

        private Watch(String journal, Path dir, Space space, Consumer<String> onLow) {
            this.journal = journal;
            this.dir = dir;
            this.space = space;
            this.onLow = onLow;
        }

        /**
         * Reads the usable space now (one {@code statvfs}); below the reserve, or unreadable, calls the callback
         * (once) and returns false. Any thread: the guard's, or the journal's before a write that may enter a new
         * block.
         */
        public boolean check() {
            if (low.get()) {
                return false;
            }
            long usable;
            try {
                usable = space.usableBytes();
            } catch (IOException | RuntimeException e) {
                trip("cannot read the free space of " + journal + " directory " + dir + ": " + e);
                return false;
            }
            lastUsableBytes = usable;
            if (usable < reserveBytes) {
                trip("disk full: " + journal + " directory " + dir + " has " + usable + " bytes ("
                        + MemoryFootprint.human(usable) + ") free, below the reserve journal.reserveMiB = "
                        + reserveBytes / MIB + " MiB (" + reserveBytes + " bytes)");
                return false;
            }
            return true;
        }

        private void trip(String reason) {
            if (low.compareAndSet(false, true)) {
                onLow.accept(reason);
            }
        }

        /** True once the space fell below the reserve (or could not be read). */
        public boolean low() {
            return low.get();
        }

        /** The usable bytes the last check read. */
        public long lastUsableBytes() {
            return lastUsableBytes;
        }

        /** Stops watching (the journal closed). */
        @Override
        public void close() {
            watches.remove(this);
        }
    }
}
