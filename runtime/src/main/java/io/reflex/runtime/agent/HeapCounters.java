package io.reflex.runtime.agent;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;

/**
 * Agrona counters in this process's heap, for counters nobody outside reads (a pipeline without a counters file, the
 * journal's): the same {@link org.agrona.concurrent.status.AtomicCounter}s as a {@link CountersFile}'s, one
 * 128-byte slot each, so counters bumped by different threads never share a cache line.
 */
public final class HeapCounters {
    private HeapCounters() {
    }

    /**
     * A counters manager with room for {@code capacity} counters.
     *
     * @throws IllegalStateException when this JVM cannot use Agrona's buffers (started without
     *                               {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED})
     */
    public static CountersManager create(int capacity) {
        if (capacity < 1 || capacity > CountersFile.MAX_COUNTERS) {
            throw new IllegalArgumentException("1 to " + CountersFile.MAX_COUNTERS + " counters, not " + capacity);
        }
        try {
            return new CountersManager(
                    new UnsafeBuffer(new byte[capacity * CountersManager.METADATA_LENGTH]),
                    new UnsafeBuffer(new byte[capacity * CountersManager.COUNTER_LENGTH]));
        } catch (IllegalAccessError | ExceptionInInitializerError | NoClassDefFoundError e) {
            throw new IllegalStateException("this JVM cannot use Agrona's counters (" + e + "); start it with "
                    + "--add-exports java.base/jdk.internal.misc=ALL-UNNAMED (./reflex does)", e);
        }
    }
}
