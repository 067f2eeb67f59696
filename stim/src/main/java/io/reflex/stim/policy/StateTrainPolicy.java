package io.reflex.stim.policy;

import io.reflex.stim.StimCommand;

/**
 * Issues a pulse train when the decoded state enters a target state and stays there for {@code dwellBins}
 * consecutive bins. The state is the index of the largest value among {@code stateCount} decoded outputs starting
 * at {@code firstStateIndex} (e.g. class probabilities), and is "unknown" when that value is below
 * {@code minConfidence} or any value is non-finite. One train per entry into the state, gated by a refractory
 * period and a rate limit. The command is the template (a multi-pulse train) triggered at {@code now + leadNs}.
 */
public final class StateTrainPolicy implements StimPolicy {
    private final Context ctx;
    private final RateLimiter limiter;
    private int dwell;
    private boolean firedThisEntry;
    private long trains;

    private StateTrainPolicy(Context ctx) {
        this.ctx = ctx;
        this.limiter = new RateLimiter(ctx.refractoryNs, ctx.maxTrainsPerWindow, ctx.rateWindowNs);
    }

    @Override
    public String name() {
        return "state-train";
    }

    @Override
    public boolean evaluate(long nowNs, float[] decoded, int count, StimCommand out) {
        int state = state(decoded, count);
        if (state != ctx.targetState) {
            dwell = 0;
            firedThisEntry = false;
            return false;
        }
        if (dwell < Integer.MAX_VALUE) {
            dwell++;
        }
        if (firedThisEntry || dwell < ctx.dwellBins || !limiter.tryAcquire(nowNs)) {
            return false;
        }
        firedThisEntry = true;
        trains++;
        out.copyFrom(ctx.template).triggerTimeNs(nowNs + ctx.leadNs);
        return true;
    }

    private int state(float[] decoded, int count) {
        int end = ctx.firstStateIndex + ctx.stateCount;
        if (end > count) {
            return -1;
        }
        int best = -1;
        float bestValue = Float.NEGATIVE_INFINITY;
        for (int i = ctx.firstStateIndex; i < end; i++) {
            float v = decoded[i];
            if (!Float.isFinite(v)) {
                return -1;
            }
            if (v > bestValue) {
                bestValue = v;
                best = i - ctx.firstStateIndex;
            }
        }
        return bestValue >= ctx.minConfidence ? best : -1;
    }

    @Override
    public void reset() {
        dwell = 0;
        firedThisEntry = false;
        limiter.reset();
    }

    /** Trains proposed. */
    public long trains() {
        return trains;
    }

    public RateLimiter limiter() {
        return limiter;
    }

    /** Configuration of a {@link StateTrainPolicy}. */
    public static final class Context {
        private int firstStateIndex;
        private int stateCount = 2;
        private int targetState = 1;
        private float minConfidence = Float.NEGATIVE_INFINITY;
        private int dwellBins = 1;
        private long refractoryNs = 500_000_000L;
        private int maxTrainsPerWindow = 2;
        private long rateWindowNs = 1_000_000_000L;
        private long leadNs = 2_000_000L;
        private StimCommand template;

        public Context firstStateIndex(int v) {
            firstStateIndex = v;
            return this;
        }

        /** Number of state outputs (1..1024). */
        public Context stateCount(int v) {
            stateCount = v;
            return this;
        }

        /** State that triggers a train (0..stateCount-1). */
        public Context targetState(int v) {
            targetState = v;
            return this;
        }

        /** Smallest winning value for the state to count as known. */
        public Context minConfidence(float v) {
            minConfidence = v;
            return this;
        }

        /** Consecutive bins in the target state before the train (1..100000). */
        public Context dwellBins(int v) {
            dwellBins = v;
            return this;
        }

        public Context refractoryNs(long v) {
            refractoryNs = v;
            return this;
        }

        public Context maxTrainsPerWindow(int v) {
            maxTrainsPerWindow = v;
            return this;
        }

        public Context rateWindowNs(long v) {
            rateWindowNs = v;
            return this;
        }

        public Context leadNs(long v) {
            leadNs = v;
            return this;
        }

        /** The train to issue (copied; its trigger time is replaced). */
        public Context template(StimCommand v) {
            template = new StimCommand().copyFrom(v);
            return this;
        }

        /** Validates and builds the policy. */
        public StateTrainPolicy conclude() {
            if (firstStateIndex < 0) {
                throw new IllegalArgumentException("state policy: firstStateIndex must be >= 0, was "
                        + firstStateIndex);
            }
            if (stateCount < 1 || stateCount > 1024) {
                throw new IllegalArgumentException("state policy: stateCount must be in [1, 1024], was "
                        + stateCount);
            }
            if (targetState < 0 || targetState >= stateCount) {
                throw new IllegalArgumentException("state policy: targetState must be in [0, " + (stateCount - 1)
                        + "], was " + targetState);
            }
            if (dwellBins < 1 || dwellBins > 100_000) {
                throw new IllegalArgumentException("state policy: dwellBins must be in [1, 100000], was "
                        + dwellBins);
            }
            if (leadNs < 0 || leadNs > 1_000_000_000L) {
                throw new IllegalArgumentException("state policy: leadNs must be in [0, 1000000000], was " + leadNs);
            }
            if (template == null) {
                throw new IllegalArgumentException("state policy: template must be set");
            }
            return new StateTrainPolicy(this);
        }
    }
}
