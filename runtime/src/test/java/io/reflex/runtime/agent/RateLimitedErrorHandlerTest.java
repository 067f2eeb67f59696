package io.reflex.runtime.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RateLimitedErrorHandlerTest {
    private final List<String> lines = new ArrayList<>();
    private final long[] nowNs = {0};
    private final RateLimitedErrorHandler h = new RateLimitedErrorHandler((s, e) -> lines.add(s + ": " + e), 3,
            10_000_000_000L, () -> nowNs[0]);

    @Test
    void showsTheFirstOfAKindThenOneSummaryPerIntervalAndCountsEveryError() {
        for (int i = 0; i < 100_005; i++) {
            nowNs[0] += 100_000; // 10 kHz: the third is shown at 0.3 ms, the summary comes 10 s later
            h.onError("pipeline", new IllegalArgumentException("destination holds 100 values"));
        }
        assertThat(h.total()).isEqualTo(100_005);
        assertThat(lines).hasSize(4);
        assertThat(lines.subList(0, 3)).allMatch(l -> l.contains("destination holds 100 values"));
        assertThat(lines.get(3)).startsWith("pipeline: 100000 more not shown in the last 10.0 s (100003 in all");
        h.flush();
        assertThat(lines).hasSize(5);
        assertThat(lines.get(4)).contains("2 more not shown");
        h.flush();
        assertThat(lines).hasSize(5);
    }

    @Test
    void kindsAreKeptApartByWhereAndClassAndBounded() {
        h.onError("a", new IllegalStateException("x"));
        h.onError("b", new IllegalStateException("x"));
        h.onError("a", new IllegalArgumentException("y"));
        assertThat(lines).hasSize(3);
        for (int i = 0; i < 3 * RateLimitedErrorHandler.MAX_KINDS; i++) {
            h.onError("src" + i, new RuntimeException("z"));
        }
        // beyond MAX_KINDS new kinds share one bucket: its first three are shown, the rest only counted
        assertThat(lines).hasSize(RateLimitedErrorHandler.MAX_KINDS + 3);
        assertThat(h.total()).isEqualTo(3 + 3 * RateLimitedErrorHandler.MAX_KINDS);
    }

    @Test
    void refusesNonsenseSettings() {
        assertThatThrownBy(() -> new RateLimitedErrorHandler((s, e) -> { }, 0, 1, System::nanoTime))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
