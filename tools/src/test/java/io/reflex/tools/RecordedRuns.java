package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.session.ClosedLoopSession;
import io.reflex.runtime.session.SessionReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.agrona.concurrent.NanoClock;

/** Short recorded runs and journal-file handling shared by the tests of the journal tools. */
final class RecordedRuns {
    /** Synthetic time running 40 times faster than the wall clock. */
    static final NanoClock FAST = () -> 40 * System.nanoTime();

    private RecordedRuns() {
    }

    /**
     * A completed in-process run on the synthetic source: 32 channels, 4 s of calibration at 20 ms bins (on the fast
     * clock), then the fitted Kalman decoder live for 1.5 s of wall time (the live phase is timed on the wall clock;
     * a shorter one can end before a loaded machine's decode stage takes the decoder up), journaled under
     * {@code journalDir}.
     */
    static SessionReport shortKalmanRun(Path journalDir) throws Exception {
        ReflexConfig c = new ReflexConfig();
        c.source.channels = 32;
        c.decoder.compare = new ArrayList<>();
        c.calibration.seconds = 4;
        c.run.seconds = 1.5;
        c.pipeline.deadlineUs = 60_000_000;
        c.journal.dir = journalDir.toString();
        SessionReport run = new ClosedLoopSession(new ClosedLoopSession.Context().config(c).clock(FAST)).run();
        assertThat(run.ending).isEqualTo("completed");
        return run;
    }

    /** Synthetic time running 20 times faster than the wall clock (an LFADS step is slower than a Kalman one). */
    static final NanoClock FAST20 = () -> 20 * System.nanoTime();

    /**
     * A completed run of LFADS (the shipped causal Lorenz model on cpu-fixed) on the Lorenz source: 70 channels, 6 s
     * of calibration at 20 ms bins on the 20-times clock, then the fitted decoder live for 1 s of wall time, journaled
     * under {@code journalDir} (which then holds the fitted decoder as decoder.rxdf).
     */
    static SessionReport shortLfadsRun(Path journalDir) throws Exception {
        ReflexConfig c = new ReflexConfig();
        c.source.type = "lorenz";
        c.source.channels = 70;
        c.decoder.name = "lfads";
        c.decoder.compare = new ArrayList<>();
        c.calibration.seconds = 6;
        c.run.seconds = 1.0;
        c.pipeline.deadlineUs = 60_000_000;
        c.journal.dir = journalDir.toString();
        return completed(c, FAST20);
    }

    /**
     * A completed run of a 256-neuron SNN reservoir (cpu-fixed) on the synthetic source: 32 channels, 4 s of
     * calibration, then 1 s of wall time live, journaled under {@code journalDir}.
     */
    static SessionReport shortSnnRun(Path journalDir) throws Exception {
        ReflexConfig c = new ReflexConfig();
        c.source.channels = 32;
        c.decoder.name = "snn";
        c.decoder.options.put("neurons", "256");
        c.decoder.compare = new ArrayList<>();
        c.calibration.seconds = 4;
        c.run.seconds = 1.0;
        c.pipeline.deadlineUs = 60_000_000;
        c.journal.dir = journalDir.toString();
        return completed(c, FAST20);
    }

    private static SessionReport completed(ReflexConfig c, NanoClock clock) throws Exception {
        SessionReport run = new ClosedLoopSession(new ClosedLoopSession.Context().config(c).clock(clock)).run();
        assertThat(run.ending).as("failure: %s", run.failure).isEqualTo("completed");
        return run;
    }

    /** Copies the files of a run directory (not recursive) into {@code to}. */
    static Path copyRun(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : s.toList()) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
        return to;
    }

    /** The one Chronicle queue file of a journal directory. */
    static Path queueFile(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> q = s.filter(p -> p.getFileName().toString().endsWith(".cq4")).toList();
            assertThat(q).hasSize(1);
            return q.get(0);
        }
    }
}
