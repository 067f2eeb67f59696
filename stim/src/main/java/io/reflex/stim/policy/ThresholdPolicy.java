package io.reflex.stim.policy;

import io.reflex.stim.StimCommand;

/**
 * Stimulates when a decoded variable crosses a threshold: edge-triggered with hysteresis (after a trigger the
 * variable must fall back past {@code threshold - hysteresis}, or rise past {@code threshold + hysteresis} for
 * {@link Direction#BELOW}, before it can trigger again), then gated by a refractory period and a rate limit. The
 * command is the template with its trigger time set to {@code now + leadNs}. Non-finite values never trigger.
 */
public final class ThresholdPolicy implements StimPolicy {
    /** Which side of the threshold triggers. */
    public enum Direction {
        /** Trigger when the value rises to or above the threshold. */
        ABOVE,
        /** Trigger when the value falls to or below the threshold. */
        BELOW
    }

    private final Context ctx;
    private final RateLimiter limiter;
    private boolean armedEdge = true;
    private long triggers;
    private long nonFinite;

    private ThresholdPolicy(Context ctx) {
        this.ctx = ctx;
        this.limiter = new RateLimiter(ctx.refractoryNs, ctx.maxTriggersPerWindow, ctx.rateWindowNs);
    }

    @Override
    public String name() {
        return "threshold";
    }

    @Override
    public boolean evaluate(long nowNs, float[] decoded, int count, StimCommand out) {
        if (ctx.variableIndex >= count) {
            return false;
        }
        float x = decoded[ctx.variableIndex];
        if (!Float.isFinite(x)) {
            nonFinite++;
            return false;
        }
        boolean beyond = ctx.direction == Direction.ABOVE ? x >= ctx.threshold : x <= ctx.threshold;
        if (!armedEdge) {
            boolean back = ctx.direction == Direction.ABOVE ? x < ctx.threshold - ctx.hysteresis
                    : x > ctx.threshold + ctx.hysteresis;
            if (back) {
                armedEdge = true;
            }
            return false;
        }
        if (!beyond || !limiter.tryAcquire(nowNs)) {
            return false;
        }
        armedEdge = false;
        triggers++;
        out.copyFrom(ctx.template).triggerTimeNs(nowNs + ctx.leadNs);
        return true;
    }

    @Override
    public void reset() {
        armedEdge = true;
        limiter.reset();
    }

    /** Commands proposed. */
    public long triggers() {
        return triggers;
    }

    /** The limiter (for its refusal counters). */
    public RateLimiter limiter() {
        return limiter;
    }

    /** Non-finite values seen. */
    public long nonFinite() {
        return nonFinite;
    }

    /** Configuration of a {@link ThresholdPolicy}. */
    public static final class Context {
        private int variableIndex;
        private float threshold;
        private float hysteresis;
        private Direction direction = Direction.ABOVE;
        private long refractoryNs = 100_000_000L;
        private int maxTriggersPerWindow = 5;
        private long rateWindowNs = 1_000_000_000L;
        private long leadNs = 2_000_000L;
        private StimCommand template;

        /** Index of the decoded variable (&ge; 0). */
        public Context variableIndex(int v) {
            variableIndex = v;
            return this;
        }

        /** Threshold (finite). */
        public Context threshold(float v) {
            threshold = v;
            return this;
        }

        /** Re-arm hysteresis (finite, &ge; 0). */
        public Context hysteresis(float v) {
            hysteresis = v;
            return this;
        }

        public Context direction(Direction v) {
            direction = v;
            return this;
        }

        /** Minimum time between triggers (default 100 ms). */
        public Context refractoryNs(long v) {
            refractoryNs = v;
            return this;
        }

        /** Most triggers in any rate window (default 5). */
        public Context maxTriggersPerWindow(int v) {
            maxTriggersPerWindow = v;
            return this;
        }

        /** Rate window (default 1 s). */
        public Context rateWindowNs(long v) {
            rateWindowNs = v;
            return this;
        }

        /** Trigger time = decision time + leadNs (default 2 ms; 0 .. 1 s). */
        public Context leadNs(long v) {
            leadNs = v;
            return this;
        }

        /** The command to issue (copied; its trigger time is replaced). */
        public Context template(StimCommand v) {
            template = new StimCommand().copyFrom(v);
            return this;
        }

        /** Validates and builds the policy. */
        public ThresholdPolicy conclude() {
            if (variableIndex < 0) {
                throw new IllegalArgumentException("threshold policy: variableIndex must be >= 0, was "
                        + variableIndex);
            }
            if (!Float.isFinite(threshold)) {
                throw new IllegalArgumentException("threshold policy: threshold must be finite, was " + threshold);
            }
            if (!Float.isFinite(hysteresis) || hysteresis < 0) {
                throw new IllegalArgumentException("threshold policy: hysteresis must be finite and >= 0, was "
                        + hysteresis);
            }
            if (leadNs < 0 || leadNs > 1_000_000_000L) {
                throw new IllegalArgumentException("threshold policy: leadNs must be in [0, 1000000000], was "
                        + leadNs);
            }
            if (template == null || direction == null) {
                throw new IllegalArgumentException("threshold policy: template and direction must be set");
            }
            return new ThresholdPolicy(this);
        }
    }
}
