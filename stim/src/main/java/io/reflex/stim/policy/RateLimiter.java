package io.reflex.stim.policy;

/**
 * Refractory period plus "at most N triggers in any window of W ns", allocation-free (a ring of the last N trigger
 * times). Owned by one thread.
 */
public final class RateLimiter {
    private final long refractoryNs;
    private final long windowNs;
    private final long[] times;
    private int head;
    private int count;
    private long lastNs = Long.MIN_VALUE;
    private long refusedRefractory;
    private long refusedRate;

    /**
     * @param refractoryNs minimum time between two triggers (&ge; 0)
     * @param maxPerWindow most triggers in any window (&ge; 1)
     * @param windowNs     window length (&ge; 1)
     */
    public RateLimiter(long refractoryNs, int maxPerWindow, long windowNs) {
        if (refractoryNs < 0) {
            throw new IllegalArgumentException("refractoryNs must be >= 0, was " + refractoryNs);
        }
        if (maxPerWindow < 1 || maxPerWindow > 1_000_000) {
            throw new IllegalArgumentException("maxPerWindow must be in [1, 1000000], was " + maxPerWindow);
        }
        if (windowNs < 1) {
            throw new IllegalArgumentException("rateWindowNs must be >= 1, was " + windowNs);
        }
        this.refractoryNs = refractoryNs;
        this.windowNs = windowNs;
        this.times = new long[maxPerWindow];
    }

    /** True (and the trigger is recorded) when a trigger at {@code nowNs} is allowed. */
    public boolean tryAcquire(long nowNs) {
        if (lastNs != Long.MIN_VALUE && nowNs - lastNs < refractoryNs) {
            refusedRefractory++;
            return false;
        }
        if (count == times.length) {
            if (nowNs - times[head] < windowNs) {
                refusedRate++;
                return false;
            }
            head = (head + 1) % times.length;
            count--;
        }
        times[(head + count) % times.length] = nowNs;
        count++;
        lastNs = nowNs;
        return true;
    }

    /**
     * Whether {@link #tryAcquire} at {@code nowNs} would allow a trigger, without recording anything (a replay asks
     * this at the latest clock reading a frame allows). Later readings are never refused where an earlier one was
     * allowed.
     */
    public boolean allows(long nowNs) {
        if (lastNs != Long.MIN_VALUE && nowNs - lastNs < refractoryNs) {
            return false;
        }
        return count < times.length || nowNs - times[head] >= windowNs;
    }

    /** Triggers refused by the refractory period. */
    public long refusedRefractory() {
        return refusedRefractory;
    }

    /** Triggers refused by the rate limit. */
    public long refusedRate() {
        return refusedRate;
    }

    public void reset() {
        head = 0;
        count = 0;
        lastNs = Long.MIN_VALUE;
    }
}
