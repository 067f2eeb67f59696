package io.reflex.runtime;

import org.agrona.concurrent.CachedNanoClock;

/** Clocks for tests that drive agents by hand: Agrona's {@link CachedNanoClock}, moved only by the test. */
public final class TestClocks {
    private TestClocks() {
    }

    /** A clock that reads {@code startNs} until the test calls {@code update} or {@code advance}. */
    public static CachedNanoClock clockAt(long startNs) {
        CachedNanoClock clock = new CachedNanoClock();
        clock.update(startNs);
        return clock;
    }
}
