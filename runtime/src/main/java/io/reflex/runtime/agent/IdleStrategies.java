package io.reflex.runtime.agent;

import java.util.List;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

/**
 * The idle strategies Reflex threads use, by the names users configure ({@code pipeline.hotIdle},
 * {@code pipeline.idle}, {@code --hot-idle}), each an Agrona {@link IdleStrategy}: {@code busy-spin}
 * ({@link BusySpinIdleStrategy}, never yields: at most one such thread on a 2-core machine), {@code yield}
 * ({@link YieldingIdleStrategy}), {@code backoff} ({@link BackoffIdleStrategy}: 100 spins, 10 yields, then parks
 * for periods doubling from 1 µs to 100 µs) and {@code park} ({@link SleepingIdleStrategy}: parks 100 µs whenever
 * idle, the quietest, for off-critical-path threads).
 */
public final class IdleStrategies {

    /** Names accepted by {@link #byName(String)}. */
    public static final List<String> NAMES = List.of("busy-spin", "yield", "backoff", "park");

    /** The park period of {@code park} and the longest of {@code backoff}, ns. */
    public static final long PARK_NS = 100_000;

    private IdleStrategies() {
    }

    /**
     * A new strategy for the given name.
     *
     * @throws IllegalArgumentException naming the allowed values when the name is unknown
     */
    public static IdleStrategy byName(String name) {
        switch (name) {
            case "busy-spin":
                return new BusySpinIdleStrategy();
            case "yield":
                return new YieldingIdleStrategy();
            case "backoff":
                return new BackoffIdleStrategy(100, 10, 1_000, PARK_NS);
            case "park":
                return new SleepingIdleStrategy(PARK_NS);
            default:
                throw new IllegalArgumentException("idle strategy '" + name + "' is not known; allowed: " + NAMES);
        }
    }

    /**
     * True if the named strategy never yields the CPU (counts against the busy-spinning thread budget).
     *
     * @throws IllegalArgumentException naming the allowed values when the name is unknown
     */
    public static boolean spins(String name) {
        return byName(name) instanceof BusySpinIdleStrategy;
    }
}
