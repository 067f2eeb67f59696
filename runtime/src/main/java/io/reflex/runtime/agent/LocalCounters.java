package io.reflex.runtime.agent;

import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;

/**
 * Agrona counters in this process's memory, for counters nobody outside reads (a pipeline without a counters file,
 * the journal's): the same {@link org.agrona.concurrent.status.AtomicCounter}s as a {@link CountersFile}'s, one
 * 128-byte slot each, so counters bumped by different threads never share a cache line. The buffers are direct and
 * aligned: a {@code byte[]} is not guaranteed the 8-byte alignment Agrona's atomic operations check for.
 */
public final class LocalCounters {
    private LocalCounters() {
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
                    new UnsafeBuffer(BufferUtil.allocateDirectAligned(capacity * CountersManager.METADATA_LENGTH,
                            BitUtil.CACHE_LINE_LENGTH)),
                    new UnsafeBuffer(BufferUtil.allocateDirectAligned(capacity * CountersManager.COUNTER_LENGTH,
                            BitUtil.CACHE_LINE_LENGTH)));
        } catch (IllegalAccessError | ExceptionInInitializerError | NoClassDefFoundError e) {
            throw new IllegalStateException("this JVM cannot use Agrona's counters (" + e + "); start it with "
                    + "--add-exports java.base/jdk.internal.misc=ALL-UNNAMED (./reflex does)", e);
        }
    }
}
