package io.reflex.runtime.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.runtime.agent.ErrorHandler;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.pipeline.SampleBlock;
import io.reflex.runtime.pipeline.SampleSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Calibration that cannot collect its bins ends at {@code calibration.timeoutS} with the run failed and the cause
 * named, instead of waiting forever: every bin invalid, no bin at all (a stalled stream), or a source that throws on
 * every poll (whose errors are counted and shown rate-limited).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CalibrationTimeoutTest {
    private static final int CHANNELS = 8;
    private static final double RATE_HZ = 1000;

    /** What a source gives: NaN samples paced at 1 kHz, nothing at all, or an exception on every poll. */
    private enum Mode { NAN, STALLED, THROWING }

    private static final class BadSource implements SampleSource {
        private final Mode mode;
        private final float[] nan = new float[CHANNELS];
        private final double[] ref = new double[2];
        private final long t0 = System.nanoTime();
        private long emitted;

        BadSource(Mode mode) {
            this.mode = mode;
            java.util.Arrays.fill(nan, Float.NaN);
        }

        @Override
        public String name() {
            return "bad-" + mode;
        }

        @Override
        public int channels() {
            return CHANNELS;
        }

        @Override
        public double nominalRateHz() {
            return RATE_HZ;
        }

        @Override
        public List<String> referenceNames() {
            return List.of("vx", "vy");
        }

        @Override
        public int poll(SampleBlock block) {
            switch (mode) {
                case STALLED:
                    return 0;
                case THROWING:
                    throw new IllegalArgumentException("destination holds 100 values; the stream has 200 channels");
                default:
                    long due = (long) ((System.nanoTime() - t0) * 1e-9 * RATE_HZ);
                    int n = 0;
                    while (emitted < due && block.remaining() > 0) {
                        block.append(nan, 0, emitted / RATE_HZ, ref);
                        emitted++;
                        n++;
                    }
                    return n;
            }
        }
    }

    private static ReflexConfig config() {
        ReflexConfig c = new ReflexConfig();
        c.source.channels = CHANNELS;
        c.source.sampleRateHz = RATE_HZ;
        c.calibration.seconds = 0.2;
        c.calibration.timeoutS = 0.6;
        c.decoder.compare = new ArrayList<>();
        c.pipeline.deadlineUs = 60_000_000;
        c.journal.enabled = false;
        return c;
    }

    private static SessionReport run(Mode mode, ErrorHandler errors) throws InterruptedException {
        try (BadSource source = new BadSource(mode)) {
            return new ClosedLoopSession(new ClosedLoopSession.Context().config(config()).source(source).tickMs(10)
                    .errorHandler(errors)).run();
        }
    }

    @Test
    void everyBinInvalidFailsTheRunAtTheTimeoutNamingTheInvalidBins() throws Exception {
        SessionReport r = run(Mode.NAN, (s, e) -> { });
        assertThat(r.ending).isEqualTo("failed");
        assertThat(r.calibrationFrames).isZero();
        assertThat(r.calibrationSeconds).isGreaterThanOrEqualTo(0.6).isLessThan(5);
        assertThat(r.invalidInput).isGreaterThan(0);
        assertThat(r.failure).startsWith("calibration timed out after 0.6 s (calibration.timeoutS) with 0 of 10 bins")
                .containsPattern("[1-9][0-9]* bins arrived, every one invalid \\(NaN/Inf samples or targets\\)");
        assertThat(r.r2).isEmpty();
    }

    @Test
    void aStalledStreamFailsTheRunAtTheTimeoutNamingTheBinsThatNeverArrived() throws Exception {
        SessionReport r = run(Mode.STALLED, (s, e) -> { });
        assertThat(r.ending).isEqualTo("failed");
        assertThat(r.failure).startsWith("calibration timed out after 0.6 s (calibration.timeoutS) with 0 of 10 bins")
                .contains("no bin arrived from bad-STALLED");
    }

    @Test
    void aSourceThrowingOnEveryPollIsCountedShownRateLimitedAndFailsTheRun() throws Exception {
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        SessionReport r = run(Mode.THROWING, (s, e) -> lines.add(s + ": " + e.getMessage()));
        assertThat(r.ending).isEqualTo("failed");
        assertThat(r.sourceErrors).isGreaterThan(100);
        assertThat(r.errors()).isEqualTo(r.sourceErrors + r.stageErrors + r.observerErrors);
        assertThat(r.failure).contains("no bin arrived from bad-THROWING")
                .containsPattern("[1-9][0-9]* source errors, the last: .*IllegalArgumentException")
                .contains("200 channels");
        // the first few of a kind, then summaries: never one line per error
        assertThat(lines.size()).isLessThanOrEqualTo(ClosedLoopSession.ERRORS_SHOWN_PER_KIND + 2);
        assertThat(lines.get(0)).contains("200 channels");
        assertThat(lines.get(lines.size() - 1)).contains("more not shown");
    }
}
