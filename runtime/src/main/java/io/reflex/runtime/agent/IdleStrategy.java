package io.reflex.runtime.agent;

/** What a loop does when a {@link Agent#doWork()} call found nothing to do. Implementations allocate nothing. */
public interface IdleStrategy {

    /** Idles (or not) given the work count of the last duty cycle; a positive count resets any back-off. */
    void idle(int workCount);

    /** Forgets back-off state. */
    void reset();

    /** True if this strategy never yields the CPU (counts against the busy-spinning thread budget). */
    default boolean spins() {
        return false;
    }
}
