package io.reflex.runtime.time;

/**
 * The pipeline's only time source. {@link #SYSTEM} is {@link System#nanoTime()}, which on Linux reads
 * CLOCK_MONOTONIC, the clock LSL timestamps use: {@code nanoTime() / 1e9} is the LSL clock in seconds.
 */
@FunctionalInterface
public interface NanoClock {

    /** The system monotonic clock. */
    NanoClock SYSTEM = System::nanoTime;

    /** Monotonic time in nanoseconds. */
    long nanoTime();

    /** The same instant on the LSL clock (CLOCK_MONOTONIC seconds). */
    default double lslSeconds() {
        return nanoTime() * 1e-9;
    }
}
