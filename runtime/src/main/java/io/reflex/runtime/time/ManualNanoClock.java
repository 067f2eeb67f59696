package io.reflex.runtime.time;

/** A clock that moves only when told to: for tests and benchmarks that drive agents directly. */
public final class ManualNanoClock implements NanoClock {
    private volatile long nowNs;

    public ManualNanoClock(long startNs) {
        this.nowNs = startNs;
    }

    @Override
    public long nanoTime() {
        return nowNs;
    }

    /** Moves the clock forward by {@code deltaNs}. */
    public void advanceNs(long deltaNs) {
        nowNs += deltaNs;
    }

    /** Sets the clock. */
    public void setNs(long ns) {
        nowNs = ns;
    }
}
