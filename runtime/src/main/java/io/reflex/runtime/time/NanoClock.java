package io.reflex.runtime.time;

/**
 * The pipeline's only time source: an Agrona {@link org.agrona.concurrent.NanoClock} that also reads as the LSL
 * clock. {@link #SYSTEM} is {@link System#nanoTime()}, which on Linux reads
 * CLOCK_MONOTONIC, the clock LSL timestamps use: {@code nanoTime() / 1e9} is the LSL clock in seconds.
 */
@FunctionalInterface
public interface NanoClock extends org.agrona.concurrent.NanoClock {

    /** The system monotonic clock. */
    NanoClock SYSTEM = System::nanoTime;

    /** Monotonic time in nanoseconds. */
    @Override
    long nanoTime();

    /** The same instant on the LSL clock (CLOCK_MONOTONIC seconds). */
    default double lslSeconds() {
        return nanoTime() * 1e-9;
    }
}
