package io.reflex.tools.rig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The in-process rig end to end, with real threads: Reflex's pipeline and the baselines on one schedule. */
class RigRunTest {
    private static RigRun.Options quick() {
        RigRun.Options o = new RigRun.Options();
        o.rateHz = 1000;
        o.channels = 16;
        o.binWidthUs = 10_000;
        o.seconds = 1;
        o.segmentSeconds = 0.5;
        o.warmupSeconds = 0.2;
        o.deadlineUs = 1_000_000;
        return o;
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void everySeriesMatchesEveryBinAndTheReportHasTheDocumentedKeys() throws Exception {
        List<String> progress = new ArrayList<>();
        ObjectNode r = new RigRun(quick()).run(progress::add);
        assertThat(r.get("path").asText()).isEqualTo("inprocess");
        assertThat(r.get("series")).hasSize(3);
        List<String> names = new ArrayList<>();
        for (JsonNode s : r.get("series")) {
            names.add(s.get("name").asText());
            // 1 s at 100 bins/s per series, every bin matched once
            assertThat(s.get("expected").asLong()).isEqualTo(100);
            assertThat(s.get("frames").asLong()).as(s.get("name").asText()).isEqualTo(100);
            assertThat(s.get("drops").asLong()).isZero();
            assertThat(s.get("duplicates").asLong()).isZero();
            assertThat(s.get("unmatched").asLong()).isZero();
            JsonNode l = s.get("latency_us");
            assertThat(l.get("p50").asDouble()).isPositive();
            assertThat(l.get("p50").asDouble()).isLessThanOrEqualTo(l.get("p99").asDouble());
            assertThat(l.get("p99").asDouble()).isLessThanOrEqualTo(l.get("max").asDouble());
            assertThat(s.get("percentiles").size()).isGreaterThan(5);
            assertThat(s.get("histogram").size()).isPositive();
            assertThat(s.get("timeline").size()).isBetween(8, 12);
        }
        assertThat(names).containsExactly("reflex", "plain_loop", "abq_pipeline");
        assertThat(r.get("ratios").has("p50_vs_plain_loop")).isTrue();
        assertThat(r.get("ratios").has("p50_vs_abq_pipeline")).isTrue();
        assertThat(r.get("stages_us").get("decode").get("count").asLong()).isEqualTo(100);
        assertThat(r.get("machine").get("cpus").asInt()).isPositive();
        assertThat(progress).anyMatch(p -> p.startsWith("rig: round 2/2"));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aDelayInjectedInTheSinkIsRecoveredFromTheSchedule() throws Exception {
        RigRun.Options o = quick();
        o.baselines = false;
        o.seconds = 2;
        o.segmentSeconds = 1;
        o.warmupSeconds = 0; // the injected hold would apply to the warm-up's bins too, which come 100 times faster
        RigRun run = new RigRun(o);
        // uniform 2..8 ms after the bin was due (shorter than the 10 ms bin, so nothing queues behind it)
        run.reflexTarget().injectDelay(b -> 2_000_000L + (b * 7919 % 61) * 100_000L);
        JsonNode s = run.run(line -> { }).get("series").get(0);
        assertThat(s.get("frames").asLong()).isEqualTo(200);
        JsonNode l = s.get("latency_us");
        // the injected delays' own median is 5 ms; the pipeline adds tens of µs on an idle machine, up to ~0.5 ms on a
        // 2-core one running other builds: within 1 ms
        assertThat(l.get("p50").asDouble()).isBetween(5_000.0, 6_000.0);
        // nothing can come back sooner than it was held (2 ms), and the longest hold (8 ms) must show; a busy machine
        // can only add to these, so they are one-sided
        assertThat(s.get("percentiles").get(0).get(1).asDouble()).isGreaterThanOrEqualTo(2_000.0);
        assertThat(l.get("max").asDouble()).isGreaterThanOrEqualTo(8_000.0);
        // from the actual hand-over the figure can only be smaller (the hand-over is never before the schedule)
        assertThat(s.get("latency_uncorrected_us").get("p50").asDouble()).isLessThanOrEqualTo(l.get("p50").asDouble());
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aStalledSinkShowsAsLatencyOfEveryBinItHeldUpAndNothingIsLost() throws Exception {
        RigRun.Options o = quick();
        o.baselines = false;
        o.seconds = 1;
        o.segmentSeconds = 1;
        o.warmupSeconds = 0;
        RigRun run = new RigRun(o);
        // the sink stalls 150 ms on bin 40 of each segment (bins are 10 ms): bins 41..54 wait behind it
        run.reflexTarget().injectDelay(b -> b == 40 ? 150_000_000L : 0);
        JsonNode s = run.run(line -> { }).get("series").get(0);
        assertThat(s.get("frames").asLong()).isEqualTo(100);
        assertThat(s.get("drops").asLong()).isZero();
        JsonNode l = s.get("latency_us");
        assertThat(l.get("max").asDouble()).isGreaterThanOrEqualTo(150_000.0);
        // ~15 of 100 bins were held up: p90 sees it, the median does not
        assertThat(l.get("p90").asDouble()).isGreaterThan(10_000.0);
        assertThat(l.get("p50").asDouble()).isLessThan(5_000.0);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void anEngineDecoderRunsOnTheNamedEngineInEverySeries() throws Exception {
        RigRun.Options o = quick();
        o.decoder = "snn";
        o.engines = "cpu-fixed";
        ObjectNode r;
        try (RigRun run = new RigRun(o)) {
            r = run.run(line -> { });
        }
        assertThat(r.get("decoder").asText()).isEqualTo("snn");
        assertThat(r.get("engine").asText()).isEqualTo("cpu-fixed");
        for (JsonNode s : r.get("series")) {
            assertThat(s.get("frames").asLong()).as(s.get("name").asText()).isEqualTo(100);
        }
    }

    @Test
    void optionsAreBoundedBeforeAnythingIsAllocated() {
        RigRun.Options o = quick();
        o.channels = 100_000;
        assertThatThrownBy(() -> new RigRun(o)).hasMessageContaining("--channels");
        RigRun.Options b = quick();
        b.binWidthUs = 1_500;
        assertThatThrownBy(() -> new RigRun(b)).hasMessageContaining("whole number of samples");
        RigRun.Options t = quick();
        t.seconds = 3600;
        t.rateHz = 1_000_000;
        t.binWidthUs = 100;
        assertThatThrownBy(() -> new RigRun(t)).hasMessageContaining("at most 20000000");
        RigRun.Options d = quick();
        d.decoder = "lfads";
        assertThatThrownBy(() -> new RigRun(d)).hasMessageContaining("encod_data_dim");
        RigRun.Options e = quick();
        e.engines = "cpu-fixed";
        assertThatThrownBy(() -> new RigRun(e)).hasMessageContaining("--engine is for the lfads and snn decoders");
    }
}
