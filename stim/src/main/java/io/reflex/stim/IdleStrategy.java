package io.reflex.stim;

import java.util.concurrent.locks.LockSupport;

/** How an agent's loop waits when {@code doWork()} found nothing to do. */
@FunctionalInterface
public interface IdleStrategy {
    /** Called after each duty cycle with the work count it returned. */
    void idle(int workCount);

    /** Parks for {@code parkNs} when there was no work (no busy spinning). */
    static IdleStrategy parking(long parkNs) {
        return workCount -> {
            if (workCount == 0) {
                LockSupport.parkNanos(parkNs);
            }
        };
    }
}
