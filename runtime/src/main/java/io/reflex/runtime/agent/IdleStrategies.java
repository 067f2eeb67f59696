package io.reflex.runtime.agent;

import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * The idle strategies Reflex threads use, by name: {@code busy-spin} (never yields: at most one such thread on a
 * 2-core machine), {@code yield}, {@code backoff} (spins, then yields, then parks for growing periods up to
 * 100 µs) and {@code park} (parks 100 µs whenever idle: the quietest, for off-critical-path threads).
 */
public final class IdleStrategies {

    /** Names accepted by {@link #byName(String)}. */
    public static final List<String> NAMES = List.of("busy-spin", "yield", "backoff", "park");

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
                return new BusySpin();
            case "yield":
                return new Yielding();
            case "backoff":
                return new Backoff(100, 10, 1_000, 100_000);
            case "park":
                return new Parking(100_000);
            default:
                throw new IllegalArgumentException("idle strategy '" + name + "' is not known; allowed: " + NAMES);
        }
    }

    /** Spins with {@link Thread#onSpinWait()}. */
    public static final class BusySpin implements IdleStrategy {
        @Override
        public void idle(int workCount) {
            if (workCount <= 0) {
                Thread.onSpinWait();
            }
        }

        @Override
        public void reset() {
        }

        @Override
        public boolean spins() {
            return true;
        }
    }

    /** Yields the CPU whenever idle. */
    public static final class Yielding implements IdleStrategy {
        @Override
        public void idle(int workCount) {
            if (workCount <= 0) {
                Thread.yield();
            }
        }

        @Override
        public void reset() {
        }
    }

    /** Parks for a fixed period whenever idle. */
    public static final class Parking implements IdleStrategy {
        private final long parkNs;

        public Parking(long parkNs) {
            this.parkNs = parkNs;
        }

        @Override
        public void idle(int workCount) {
            if (workCount <= 0) {
                LockSupport.parkNanos(parkNs);
            }
        }

        @Override
        public void reset() {
        }
    }

    /** Spins, then yields, then parks with a period doubling from {@code minParkNs} to {@code maxParkNs}. */
    public static final class Backoff implements IdleStrategy {
        private final int maxSpins;
        private final int maxYields;
        private final long minParkNs;
        private final long maxParkNs;
        private int spins;
        private int yields;
        private long parkNs;

        public Backoff(int maxSpins, int maxYields, long minParkNs, long maxParkNs) {
            this.maxSpins = maxSpins;
            this.maxYields = maxYields;
            this.minParkNs = minParkNs;
            this.maxParkNs = maxParkNs;
            reset();
        }

        @Override
        public void idle(int workCount) {
            if (workCount > 0) {
                reset();
            } else if (spins < maxSpins) {
                spins++;
                Thread.onSpinWait();
            } else if (yields < maxYields) {
                yields++;
                Thread.yield();
            } else {
                LockSupport.parkNanos(parkNs);
                parkNs = Math.min(parkNs << 1, maxParkNs);
            }
        }

        @Override
        public void reset() {
            spins = 0;
            yields = 0;
            parkNs = minParkNs;
        }
    }
}
