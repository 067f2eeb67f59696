package io.reflex.runtime.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.runtime.agent.CountersFile;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.pipeline.PipelineCounters;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.NanoClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A session's outside counters, read through the file while the run goes on, as another process reads them. */
class SessionCountersTest {
    private static final NanoClock FAST = () -> 40 * System.nanoTime();

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void eachPhaseShowsInTheFileAsItBeginsAndTheRunsCountUp(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("counters.dat");
        try (CountersFile f = CountersFile.create(file, SessionCounters.COUNT)) {
            SessionCounters counters = new SessionCounters(f);
            for (int run = 1; run <= 2; run++) {
                ReflexConfig c = new ReflexConfig();
                c.calibration.seconds = 4;
                c.run.seconds = 0.5;
                c.pipeline.deadlineUs = 60_000_000;
                c.journal.enabled = false;
                List<String> seen = new ArrayList<>();
                SessionReport r = new ClosedLoopSession(new ClosedLoopSession.Context().config(c).clock(FAST)
                        .counters(counters).listener(new ClosedLoopSession.Listener() {
                            @Override
                            public void onPhase(String phase, String detail) {
                                Map<String, Long> m = CountersFile.read(file).counters();
                                seen.add(phase + "=" + SessionCounters.phaseName(m.get(SessionCounters.PHASE))
                                        + "#" + m.get(SessionCounters.RUN));
                            }
                        })).run();
                assertThat(r.ending).isEqualTo("completed");
                assertThat(seen).containsExactly("calibration=calibration#" + run, "fit=fit#" + run,
                        "live=live#" + run, "drain=drain#" + run);
                Map<String, Long> end = CountersFile.read(file).counters();
                assertThat(end.get(SessionCounters.PHASE)).isEqualTo(SessionCounters.ENDED);
                assertThat(end.get(SessionCounters.RUN)).isEqualTo(run);
                assertThat(end.get(PipelineCounters.PREFIX + "frames_out")).as("calibration and live frames of this run only")
                        .isGreaterThanOrEqualTo(r.calibrationFrames + r.frames)
                        .isLessThan(2L * (r.calibrationFrames + r.frames) + 100);
                assertThat(end.get(PipelineCounters.PREFIX + "dropped")).isZero();
                assertThat(end.get(SessionCounters.HEARTBEAT)).isGreaterThan(System.currentTimeMillis() - 60_000);
            }
        }
    }
}
