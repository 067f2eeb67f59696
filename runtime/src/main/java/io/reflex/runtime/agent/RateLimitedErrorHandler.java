package io.reflex.runtime.agent;

import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Passes errors on to another handler, at most the first {@code shownPerKind} of each kind (the reporting agent or
 * stage and the exception's class) and then one summary per {@code intervalNs} with how many more came. A source
 * that fails on every poll would otherwise write the same line tens of thousands of times a second; the count
 * keeps every error, the log keeps the first ones and the rate. {@link #flush()} writes what is still untold, e.g.
 * when the run ends. Thread-safe: errors come from every pipeline thread; errors are rare, so a lock is fine.
 */
public final class RateLimitedErrorHandler implements ErrorHandler {
    /** Kinds tracked separately; beyond this every new kind shares one bucket, so the map stays bounded. */
    static final int MAX_KINDS = 64;

    private final ErrorHandler delegate;
    private final int shownPerKind;
    private final long intervalNs;
    private final LongSupplier nanoTime;
    private final Map<String, Kind> kinds = new HashMap<>();
    private long total;

    private static final class Kind {
        final String source;
        long count;
        long untold;
        long windowStartNs;
        Throwable last;

        Kind(String source) {
            this.source = source;
        }
    }

    /**
     * @param delegate receives the errors shown and the summaries
     * @param shownPerKind errors of one kind passed on before summaries take over (≥ 1)
     * @param intervalNs at most one summary per kind per this interval (> 0)
     * @param nanoTime the clock of the intervals, e.g. {@code System::nanoTime}
     */
    public RateLimitedErrorHandler(ErrorHandler delegate, int shownPerKind, long intervalNs, LongSupplier nanoTime) {
        if (delegate == null || shownPerKind < 1 || intervalNs <= 0 || nanoTime == null) {
            throw new IllegalArgumentException("a delegate, shownPerKind >= 1, intervalNs > 0 and a clock are needed");
        }
        this.delegate = delegate;
        this.shownPerKind = shownPerKind;
        this.intervalNs = intervalNs;
        this.nanoTime = nanoTime;
    }

    @Override
    public void onError(String source, Throwable error) {
        String summary = null;
        Throwable last = null;
        synchronized (this) {
            total++;
            String key = source + '\u0000' + error.getClass().getName();
            Kind k = kinds.get(key);
            if (k == null) {
                if (kinds.size() >= MAX_KINDS) {
                    key = "\u0000other";
                    k = kinds.computeIfAbsent(key, x -> new Kind("several"));
                } else {
                    k = new Kind(source);
                    kinds.put(key, k);
                }
            }
            k.count++;
            k.last = error;
            long now = nanoTime.getAsLong();
            if (k.count <= shownPerKind) {
                k.windowStartNs = now;
                last = error;
            } else {
                k.untold++;
                if (now - k.windowStartNs >= intervalNs) {
                    summary = summary(k, (now - k.windowStartNs) * 1e-9);
                    k.untold = 0;
                    k.windowStartNs = now;
                }
            }
        }
        // outside the lock: the delegate may block on its output
        if (last != null) {
            delegate.onError(source, last);
        } else if (summary != null) {
            delegate.onError(source, new RepeatedError(summary));
        }
    }

    /** Passes on a summary for every kind with errors not yet told. */
    public void flush() {
        java.util.List<String[]> summaries = new java.util.ArrayList<>();
        synchronized (this) {
            long now = nanoTime.getAsLong();
            for (Kind k : kinds.values()) {
                if (k.untold > 0) {
                    summaries.add(new String[] {k.source, summary(k, (now - k.windowStartNs) * 1e-9)});
                    k.untold = 0;
                    k.windowStartNs = now;
                }
            }
        }
        for (String[] s : summaries) {
            delegate.onError(s[0], new RepeatedError(s[1]));
        }
    }

    /** Every error received, shown or not. */
    public synchronized long total() {
        return total;
    }

    private String summary(Kind k, double seconds) {
        return String.format(java.util.Locale.ROOT, "%d more not shown in the last %.1f s (%d in all of this kind;"
                + " the last: %s)", k.untold, seconds, k.count, k.last);
    }

    /** Stands for errors that were counted but not shown one by one. */
    public static final class RepeatedError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RepeatedError(String message) {
            super(message, null, false, false);
        }

        @Override
        public String toString() {
            return getMessage();
        }
    }
}
