package io.reflex.stim;

/** Source of monotonic time in nanoseconds; injected so that tests can drive time by hand. */
@FunctionalInterface
public interface NanoClock {
    /** Current monotonic time, ns. */
    long nanoTime();

    /** The system's monotonic clock ({@link System#nanoTime()}). */
    static NanoClock system() {
        return System::nanoTime;
    }
}
