package io.reflex.stim.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.stim.StimCommand;
import org.junit.jupiter.api.Test;

class PolicyTest {
    private static final long MS = 1_000_000L;

    private static StimCommand template() {
        StimCommand c = new StimCommand();
        c.addChannel(0);
        return c.symmetric(10_000, 100_000, 0).pulseCount(5).frequencyMilliHz(100_000);
    }

    @Test
    void thresholdTriggersOnTheEdgeWithHysteresisRefractoryAndRate() {
        ThresholdPolicy p = new ThresholdPolicy.Context().variableIndex(1).threshold(1f).hysteresis(0.2f)
                .refractoryNs(100 * MS).maxTriggersPerWindow(2).rateWindowNs(1000 * MS).leadNs(3 * MS)
                .template(template()).conclude();
        StimCommand out = new StimCommand();
        float[] x = new float[2];
        long t = 0;
        x[1] = 0.5f;
        assertThat(p.evaluate(t, x, 2, out)).isFalse();
        x[1] = 1f;
        assertThat(p.evaluate(t += 10 * MS, x, 2, out)).isTrue();
        assertThat(out.triggerTimeNs()).isEqualTo(t + 3 * MS);
        assertThat(out.pulseCount()).isEqualTo(5);
        // stays above: no new trigger; dips inside the hysteresis band: still none
        assertThat(p.evaluate(t += 200 * MS, x, 2, out)).isFalse();
        x[1] = 0.9f;
        assertThat(p.evaluate(t += 10 * MS, x, 2, out)).isFalse();
        x[1] = 1.1f;
        assertThat(p.evaluate(t += 10 * MS, x, 2, out)).isFalse();
        // falls below threshold - hysteresis, rises again: triggers (second in the window)
        x[1] = 0.7f;
        assertThat(p.evaluate(t += 10 * MS, x, 2, out)).isFalse();
        x[1] = 1.2f;
        assertThat(p.evaluate(t += 10 * MS, x, 2, out)).isTrue();
        // a third crossing within 1 s is refused by the rate limit
        x[1] = 0f;
        p.evaluate(t += 150 * MS, x, 2, out);
        x[1] = 2f;
        assertThat(p.evaluate(t += 150 * MS, x, 2, out)).isFalse();
        assertThat(p.limiter().refusedRate()).isEqualTo(1);
        // non-finite values never trigger
        x[1] = Float.NaN;
        assertThat(p.evaluate(t += 2000 * MS, x, 2, out)).isFalse();
        assertThat(p.nonFinite()).isEqualTo(1);
        assertThat(p.triggers()).isEqualTo(2);
    }

    @Test
    void thresholdRefractoryRefusesTooSoon() {
        ThresholdPolicy p = new ThresholdPolicy.Context().threshold(0f).direction(ThresholdPolicy.Direction.BELOW)
                .refractoryNs(100 * MS).maxTriggersPerWindow(100).template(template()).conclude();
        StimCommand out = new StimCommand();
        float[] x = {-1f};
        assertThat(p.evaluate(0, x, 1, out)).isTrue();
        x[0] = 1f;
        p.evaluate(10 * MS, x, 1, out);
        x[0] = -1f;
        assertThat(p.evaluate(50 * MS, x, 1, out)).isFalse();
        assertThat(p.limiter().refusedRefractory()).isEqualTo(1);
    }

    @Test
    void stateTrainFiresOncePerEntryAfterTheDwell() {
        StateTrainPolicy p = new StateTrainPolicy.Context().firstStateIndex(0).stateCount(3).targetState(2)
                .dwellBins(3).minConfidence(0.5f).refractoryNs(0).maxTrainsPerWindow(10).template(template())
                .conclude();
        StimCommand out = new StimCommand();
        float[] in2 = {0.1f, 0.1f, 0.8f};
        float[] in0 = {0.8f, 0.1f, 0.1f};
        float[] unsure = {0.3f, 0.3f, 0.4f};
        long t = 0;
        assertThat(p.evaluate(t += MS, in2, 3, out)).isFalse();
        assertThat(p.evaluate(t += MS, in2, 3, out)).isFalse();
        assertThat(p.evaluate(t += MS, in2, 3, out)).isTrue();
        assertThat(p.evaluate(t += MS, in2, 3, out)).isFalse();
        assertThat(p.evaluate(t += MS, unsure, 3, out)).isFalse();
        assertThat(p.evaluate(t += MS, in2, 3, out)).isFalse();
        assertThat(p.evaluate(t += MS, in0, 3, out)).isFalse();
        for (int i = 0; i < 2; i++) {
            assertThat(p.evaluate(t += MS, in2, 3, out)).isFalse();
        }
        assertThat(p.evaluate(t += MS, in2, 3, out)).isTrue();
        assertThat(p.trains()).isEqualTo(2);
        assertThat(p.evaluate(t += MS, new float[] {Float.NaN, 0f, 1f}, 3, out)).isFalse();
    }

    @Test
    void rateLimiterAllowsAtMostNInAnyWindow() {
        RateLimiter r = new RateLimiter(0, 3, 1000 * MS);
        int ok = 0;
        for (long t = 0; t < 10_000 * MS; t += 100 * MS) {
            if (r.tryAcquire(t)) {
                ok++;
            }
        }
        assertThat(ok).isEqualTo(30);
        assertThatThrownBy(() -> new RateLimiter(-1, 1, 1)).hasMessageContaining("refractoryNs must be >= 0");
    }

    @Test
    void badPolicyConfigIsRefused() {
        assertThatThrownBy(() -> new StateTrainPolicy.Context().stateCount(2).targetState(2).template(template())
                .conclude()).hasMessageContaining("targetState must be in [0, 1], was 2");
        assertThatThrownBy(() -> new ThresholdPolicy.Context().threshold(Float.NaN).template(template()).conclude())
                .hasMessageContaining("threshold must be finite");
    }

    @Test
    void rateLimiterAllowsAnswersAsTryAcquireWithoutRecording() {
        RateLimiter r = new RateLimiter(100 * MS, 2, 1000 * MS);
        assertThat(r.allows(0)).isTrue();
        assertThat(r.allows(0)).as("nothing recorded by allows").isTrue();
        assertThat(r.tryAcquire(0)).isTrue();
        assertThat(r.allows(100 * MS - 1)).isFalse();
        assertThat(r.allows(100 * MS)).isTrue();
        assertThat(r.refusedRefractory()).as("allows counts nothing").isZero();
        assertThat(r.tryAcquire(100 * MS)).isTrue();
        // two in the window: refused until the first leaves it, later readings never refused where earlier allowed
        assertThat(r.allows(999 * MS)).isFalse();
        assertThat(r.tryAcquire(999 * MS)).isFalse();
        assertThat(r.allows(1000 * MS)).isTrue();
        assertThat(r.allows(1500 * MS)).isTrue();
        assertThat(r.tryAcquire(1000 * MS)).isTrue();
    }
}
