package io.reflex.runtime.journal;

import static io.reflex.runtime.TestClocks.clockAt;
import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.decoders.CalibrationSet;
import io.reflex.decoders.TrainableDecoder;
import io.reflex.decoders.catalog.Decoders;
import io.reflex.decoders.synth.CenterOutSource;
import io.reflex.runtime.pipeline.Pipeline;
import io.reflex.runtime.pipeline.SampleSource;
import io.reflex.runtime.session.Sources;
import io.reflex.runtime.source.PacedSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.CachedNanoClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A journaled run replayed through a fresh pipeline gives back the same outputs, bit for bit. */
class ReplayTest {
    private static final int CH = 24;
    private static final int CALIBRATION = 300;
    private static final int LIVE = 150;

    /** Runs calibrate → fit → live on {@code source}; returns the emitted outputs of the live frames. */
    private static List<float[]> closedLoop(SampleSource source, CachedNanoClock clock, Journal journal)
            throws Exception {
        CalibrationSet set = new CalibrationSet(CALIBRATION, CH, 2);
        List<float[]> live = new ArrayList<>();
        Pipeline.Context ctx = new Pipeline.Context().source(source).channels(CH).clock(clock).deadlineUs(60_000_000)
                .observer("record", f -> {
                    if (f.decoderGeneration == 0) {
                        set.add(f.features, new float[] {f.targets[2], f.targets[3]});
                    } else {
                        live.add(f.output.clone());
                    }
                });
        if (journal != null) {
            ctx.observer("journal", journal);
        }
        try (Pipeline p = new Pipeline(ctx)) {
            Agent agent = p.startManual();
            while (p.counters().framesOut.get() < CALIBRATION) {
                clock.advance(1_000_000);
                agent.doWork();
            }
            TrainableDecoder kalman = Decoders.create("kalman", CH, null);
            kalman.fit(set);
            p.installDecoder(kalman);
            while (p.counters().framesOut.get() < CALIBRATION + LIVE && !p.ingestStopped()) {
                clock.advance(1_000_000);
                agent.doWork();
            }
        }
        return live;
    }

    @Test
    void aReplayedRunDecodesToTheSameOutputs(@TempDir Path dir) throws Exception {
        CachedNanoClock clock = clockAt(1_000_000_000L);
        CenterOutSource gen = new CenterOutSource(new CenterOutSource.Context().channels(CH).seed(5));
        PacedSource source = new PacedSource("center-out", CH, 1000, Sources.KINEMATICS, gen::nextSample, clock,
                (CALIBRATION + LIVE) * 20L);
        List<float[]> original;
        try (Journal journal = Journal.open(dir.resolve("run"), null)) {
            original = closedLoop(source, clock, journal);
        }
        assertThat(original).hasSize(LIVE);

        List<float[]> replayed;
        try (JournalSource replay = new JournalSource(dir.resolve("run"), 1000, Sources.KINEMATICS)) {
            replayed = closedLoop(replay, clockAt(0), null);
        }
        assertThat(replayed).hasSize(LIVE);
        for (int i = 0; i < LIVE; i++) {
            assertThat(replayed.get(i)).as("live frame %d", i).containsExactly(original.get(i));
        }
        assertThat(original.get(LIVE - 1)).as("a real decode, not a constant").isNotEqualTo(original.get(0));
    }
}
