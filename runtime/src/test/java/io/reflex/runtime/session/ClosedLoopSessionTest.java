package io.reflex.runtime.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.config.ReflexConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.NanoClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class ClosedLoopSessionTest {

    /** Synthetic time running 40 times faster than the wall clock: 10 s of data in a quarter of a second. */
    private static final NanoClock FAST = () -> 40 * System.nanoTime();

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void calibratesFitsAndDecodesLiveWithEveryFrameJournaled(@TempDir Path dir) throws Exception {
        ReflexConfig c = new ReflexConfig();
        c.decoder.compare = new ArrayList<>(List.of("wiener"));
        c.calibration.seconds = 10;
        c.run.seconds = 0.5;
        c.pipeline.deadlineUs = 60_000_000;
        c.journal.dir = dir.toString();
        List<String> phases = new ArrayList<>();
        SessionReport r = new ClosedLoopSession(new ClosedLoopSession.Context().config(c).clock(FAST)
                .listener(new ClosedLoopSession.Listener() {
                    @Override
                    public void onPhase(String phase, String detail) {
                        phases.add(phase);
                    }
                })).run();
        assertThat(phases).containsExactly("calibration", "fit", "live", "drain");
        assertThat(r.ending).isEqualTo("completed");
        assertThat(r.calibrationFrames).isEqualTo(500);
        assertThat(r.frames).isGreaterThan(100);
        assertThat(r.dropped).isZero();
        assertThat(r.r2).containsOnlyKeys("kalman", "wiener");
        assertThat(r.r2.get("kalman")).isGreaterThan(0.8);
        assertThat(r.latencyNs).containsKeys("ingest", "features", "decode", "emit", "ingest_to_emit", "journal");
        assertThat(r.journal).startsWith(dir);
        assertThat(r.journalFrames).isGreaterThanOrEqualTo(r.calibrationFrames + r.frames);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void theLorenzSourceGivesLatentTargetsAndMarksEveryTrialStart(@TempDir Path dir) throws Exception {
        ReflexConfig c = new ReflexConfig();
        c.source.type = "lorenz";
        c.source.channels = 70;
        c.decoder.compare = new ArrayList<>();
        c.calibration.seconds = 6;
        c.run.seconds = 0.5;
        c.pipeline.deadlineUs = 60_000_000;
        c.journal.enabled = false;
        List<Long> starts = java.util.Collections.synchronizedList(new ArrayList<>());
        io.reflex.runtime.pipeline.FrameHandler marks = f -> {
            if (f.hasFlag(io.reflex.runtime.pipeline.Frame.FLAG_TRIAL_START)) {
                starts.add(f.sequence);
            }
        };
        SessionReport r = new ClosedLoopSession(new ClosedLoopSession.Context().config(c).clock(FAST)
                .observer("marks", marks)).run();
        assertThat(r.targetKind).isEqualTo(DecodeTargets.LATENT);
        assertThat(r.r2).containsOnlyKeys("kalman");
        // a linear decoder of the Lorenz state from one bin of 70 Poisson counts: far from perfect, far from nothing
        assertThat(r.r2.get("kalman")).isGreaterThan(0.3);
        assertThat(starts).hasSizeGreaterThan(5);
        for (int i = 0; i < starts.size(); i++) {
            assertThat(starts.get(i)).isEqualTo(73L * i);
        }
    }

    @Test
    void aStopDuringCalibrationEndsTheRunCleanly(@TempDir Path dir) throws Exception {
        ReflexConfig c = new ReflexConfig();
        c.journal.dir = dir.toString();
        ClosedLoopSession[] s = new ClosedLoopSession[1];
        s[0] = new ClosedLoopSession(new ClosedLoopSession.Context().config(c).tickMs(10)
                .listener(new ClosedLoopSession.Listener() {
                    @Override
                    public void onTick(ClosedLoopSession.Progress p) {
                        s[0].requestStop();
                    }
                }));
        SessionReport r = s[0].run();
        assertThat(r.ending).isEqualTo("stopped");
        assertThat(r.r2).isEmpty();
        assertThat(Files.isDirectory(r.journal)).isTrue();
    }

    @Test
    void anUnwritableJournalDirectoryStopsStartUp(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("f"), "x");
        ReflexConfig c = new ReflexConfig();
        c.journal.dir = file.toString();
        assertThatThrownBy(() -> new ClosedLoopSession(new ClosedLoopSession.Context().config(c)).run())
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("journal.dir: cannot create journal directory");
    }
}
