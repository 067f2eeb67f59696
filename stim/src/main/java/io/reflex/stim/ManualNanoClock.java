package io.reflex.stim;

import org.agrona.concurrent.NanoClock;

/** A {@link NanoClock} that only moves when told to (tests, deterministic replay). Thread-safe reads. */
public final class ManualNanoClock implements NanoClock {
    private volatile long nowNs;

    public ManualNanoClock(long startNs) {
        this.nowNs = startNs;
    }

    @Override
    public long nanoTime() {
        return nowNs;
    }

    /** Sets the time. */
    public void set(long ns) {
        nowNs = ns;
    }

    /** Moves the time forward by {@code deltaNs} and returns the new time. */
    public long advance(long deltaNs) {
        long t = nowNs + deltaNs;
        nowNs = t;
        return t;
    }
}
