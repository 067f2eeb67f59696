package io.reflex.runtime.session;

import io.reflex.runtime.pipeline.PipelineCounters;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;

/**
 * What the live report subtracts: the pipeline's counters, the collectors' counts and time and the pipeline threads'
 * allocation at the start of the live phase, and when it started ({@link #NONE}: no live phase).
 */
record LiveBaseline(long startNs, long frames, long dropped, long deadlineMisses, long invalidInput, long safeOutputs,
                    long decodeFaults, long gcCount, long gcTimeMs, long allocatedBytes) {
    static final LiveBaseline NONE = new LiveBaseline(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    static LiveBaseline of(PipelineCounters c, long gcCount, long gcTimeMs, long allocatedBytes) {
        return new LiveBaseline(0, c.framesOut.get(), c.dropped.get(), c.deadlineMisses(), c.invalidInput.get(),
                c.safeOutputs.get(), c.decodeFaults.get(), gcCount, gcTimeMs, allocatedBytes);
    }

    LiveBaseline startingAt(long nanoTime) {
        return new LiveBaseline(nanoTime, frames, dropped, deadlineMisses, invalidInput, safeOutputs, decodeFaults,
                gcCount, gcTimeMs, allocatedBytes);
    }

    boolean live() {
        return startNs != 0;
    }

    static long gcCount(List<GarbageCollectorMXBean> gcs) {
        long n = 0;
        for (GarbageCollectorMXBean gc : gcs) {
            n += Math.max(0, gc.getCollectionCount());
        }
        return n;
    }

    static long gcTime(List<GarbageCollectorMXBean> gcs) {
        long n = 0;
        for (GarbageCollectorMXBean gc : gcs) {
            n += Math.max(0, gc.getCollectionTime());
        }
        return n;
    }

    /** Bytes allocated so far by {@code threads}, or -1 when the JVM does not measure it. */
    static long allocated(List<Thread> threads) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (!(mx instanceof com.sun.management.ThreadMXBean)) {
            return -1;
        }
        com.sun.management.ThreadMXBean sun = (com.sun.management.ThreadMXBean) mx;
        if (!sun.isThreadAllocatedMemorySupported() || !sun.isThreadAllocatedMemoryEnabled()) {
            return -1;
        }
        long sum = 0;
        for (Thread t : threads) {
            long b = sun.getThreadAllocatedBytes(t.getId());
            if (b < 0) {
                return -1;
            }
            sum += b;
        }
        return sum;
    }
}
