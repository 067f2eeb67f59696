package io.reflex.runtime.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

/**
 * Counters that another process can read while this one runs, as Aeron's are: Agrona counters in a memory-mapped
 * file. The file is a 64-byte header (magic {@code RFXCNT01}, layout version, the writer's pid, its start time, the
 * metadata and values lengths) followed by Agrona's metadata buffer (labels, type ids) and values buffer (one
 * 128-byte slot per counter). The writer registers counters once and sets them from its own threads; a reader maps
 * the file read-only ({@link #read}) and sees the values as they are written, also while the writer is stalled.
 *
 * <p>Agrona's buffers need {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED} (the launchers and the
 * build pass it); {@link #create} reports a JVM without it as an {@link IllegalStateException}, never an error
 * that ends the process.
 */
public final class CountersFile implements AutoCloseable {
    /** {@code RFXCNT01} as a little-endian long. */
    static final long MAGIC = 0x3130544E_43584652L;
    static final int VERSION = 1;
    static final int HEADER = 64;
    /** Most counters a file holds; a reader refuses a header that claims more. */
    public static final int MAX_COUNTERS = 1024;

    private final Path path;
    private final MappedByteBuffer mapped;
    private final CountersManager manager;
    private boolean closed;

    private CountersFile(Path path, MappedByteBuffer mapped, CountersManager manager) {
        this.path = path;
        this.mapped = mapped;
        this.manager = manager;
    }

    /**
     * Creates {@code path} with room for {@code capacity} counters. An existing file is replaced only when it is a
     * counters file whose writer no longer runs (left by a process that was killed); a file of a running writer, or
     * any other file, is refused and left as it is.
     *
     * @throws IllegalArgumentException for a capacity outside 1..{@value #MAX_COUNTERS}
     * @throws IllegalStateException    when the file cannot be made, is in use or is not a counters file, or this JVM
     *                                  cannot use Agrona's buffers
     */
    public static CountersFile create(Path path, int capacity) {
        if (capacity < 1 || capacity > MAX_COUNTERS) {
            throw new IllegalArgumentException("a counters file holds 1 to " + MAX_COUNTERS + " counters, not "
                    + capacity);
        }
        int metaLength = capacity * CountersReader.METADATA_LENGTH;
        int valuesLength = capacity * CountersReader.COUNTER_LENGTH;
        MappedByteBuffer mapped = null;
        try {
            Path dir = path.toAbsolutePath().getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            if (Files.exists(path)) {
                Snapshot old;
                try {
                    old = read(path);
                } catch (IllegalArgumentException e) {
                    throw new IllegalStateException("it exists and is not a Reflex counters file; it is left as it is");
                }
                if (old.writerAlive()) {
                    throw new IllegalStateException("it is in use by the running process " + old.pid());
                }
                Files.delete(path);
            }
            mapped = IoUtil.mapNewFile(path.toFile(), HEADER + (long) metaLength + valuesLength, true);
            UnsafeBuffer header = new UnsafeBuffer(mapped, 0, HEADER);
            UnsafeBuffer meta = new UnsafeBuffer(mapped, HEADER, metaLength);
            UnsafeBuffer values = new UnsafeBuffer(mapped, HEADER + metaLength, valuesLength);
            CountersManager m = new CountersManager(meta, values);
            header.putInt(8, VERSION);
            header.putLong(16, ProcessHandle.current().pid());
            header.putLong(24, System.currentTimeMillis());
            header.putInt(32, metaLength);
            header.putInt(36, valuesLength);
            // the magic last: a reader that sees it sees the rest of the header
            header.putLongVolatile(0, MAGIC);
            return new CountersFile(path, mapped, m);
        } catch (IOException | UncheckedIOException | IllegalStateException e) {
            unmap(mapped);
            throw new IllegalStateException("counters file " + path + " could not be created: " + e.getMessage(), e);
        } catch (IllegalAccessError | ExceptionInInitializerError | NoClassDefFoundError e) {
            unmap(mapped);
            throw new IllegalStateException("counters file " + path + ": this JVM cannot use Agrona's buffers ("
                    + e + "); start it with --add-exports java.base/jdk.internal.misc=ALL-UNNAMED (./reflex does)",
                    e);
        }
    }

    /** A new counter with {@code label} (ASCII, at most Agrona's label length), starting at 0. */
    public synchronized AtomicCounter counter(String label) {
        if (closed) {
            throw new IllegalStateException("counters file " + path + " is closed");
        }
        return manager.newCounter(label);
    }

    public Path path() {
        return path;
    }

    /**
     * Deletes the file: a reader then finds no writer. The mapping is left to the garbage collector rather than
     * unmapped here: the pipeline's threads write their counters into it, and a thread that outlived its pipeline's
     * close (a stage stuck in a decoder) must find memory there, not a hole that would crash the process.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // a leftover file says pid and start time; a later writer replaces it
        }
    }

    private static void unmap(MappedByteBuffer b) {
        if (b != null) {
            IoUtil.unmap(b);
        }
    }

    /**
     * What a reader found: the writer's pid and start time and every allocated counter by label, in order.
     *
     * @param pid         the process that writes the file
     * @param startEpochMs when it created the file
     * @param counters    label → value
     */
    public record Snapshot(long pid, long startEpochMs, Map<String, Long> counters) {
        /** Whether the writer still runs on this machine. */
        public boolean writerAlive() {
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }
    }

    /**
     * Reads {@code path} as another process sees it.
     *
     * @throws IllegalArgumentException when the file is not a counters file of this layout (wrong magic or version,
     *                                  lengths that do not fit the file or exceed {@value #MAX_COUNTERS} counters)
     * @throws IllegalStateException    when it cannot be read (absent, unreadable) or mapped in this JVM
     */
    public static Snapshot read(Path path) {
        long size;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            size = ch.size();
            if (size < HEADER) {
                throw new IllegalArgumentException(path + " is not a Reflex counters file (" + size + " bytes)");
            }
            if (size > HEADER + (long) MAX_COUNTERS * (CountersReader.METADATA_LENGTH + CountersReader.COUNTER_LENGTH)) {
                throw new IllegalArgumentException(path + " is not a Reflex counters file (" + size
                        + " bytes, more than " + MAX_COUNTERS + " counters need)");
            }
            MappedByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            try {
                return read(path, mapped, size);
            } finally {
                IoUtil.unmap(mapped);
            }
        } catch (IOException e) {
            throw new IllegalStateException("counters file " + path + " cannot be read: " + e, e);
        } catch (IllegalAccessError | ExceptionInInitializerError | NoClassDefFoundError e) {
            throw new IllegalStateException("reading " + path + ": this JVM cannot use Agrona's buffers (" + e
                    + "); start it with --add-exports java.base/jdk.internal.misc=ALL-UNNAMED (./reflex does)", e);
        }
    }

    private static Snapshot read(Path path, MappedByteBuffer mapped, long size) {
        UnsafeBuffer header = new UnsafeBuffer(mapped, 0, HEADER);
        if (header.getLongVolatile(0) != MAGIC) {
            throw new IllegalArgumentException(path + " is not a Reflex counters file (no RFXCNT01 header)");
        }
        int version = header.getInt(8);
        if (version != VERSION) {
            throw new IllegalArgumentException(path + " is a counters file of layout " + version + "; this reader "
                    + "knows layout " + VERSION);
        }
        int metaLength = header.getInt(32);
        int valuesLength = header.getInt(36);
        if (metaLength <= 0 || valuesLength <= 0 || metaLength % CountersReader.METADATA_LENGTH != 0
                || valuesLength % CountersReader.COUNTER_LENGTH != 0
                || metaLength / CountersReader.METADATA_LENGTH != valuesLength / CountersReader.COUNTER_LENGTH
                || HEADER + (long) metaLength + valuesLength != size) {
            throw new IllegalArgumentException(path + ": the header's lengths (" + metaLength + " + " + valuesLength
                    + ") do not fit a " + size + "-byte counters file");
        }
        CountersReader reader = new CountersReader(new UnsafeBuffer(mapped, HEADER, metaLength),
                new UnsafeBuffer(mapped, HEADER + metaLength, valuesLength));
        Map<String, Long> counters = new LinkedHashMap<>();
        reader.forEach((value, id, label) -> counters.put(label, value));
        return new Snapshot(header.getLong(16), header.getLong(24), counters);
    }
}
