package io.reflex.runtime.pipeline;

import static io.reflex.runtime.TestClocks.clockAt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.runtime.agent.CountersFile;
import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.source.PacedSource;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class PipelineTest {
    private static final int CH = 4;
    private static final long MS = 1_000_000L;
    private static final long T0 = 1_000_000 * MS;

    private final CachedNanoClock clock = clockAt(T0);

    /** Sample n has every channel equal to 1, except NaN at sample {@code nanAt}; reference = (n, 2n). */
    private PacedSource source(int channels, long nanAt, long maxSamples) {
        long[] n = {0};
        return new PacedSource("test", channels, 1000.0, java.util.List.of("a", "b"), (values, ref) -> {
            for (int c = 0; c < values.length; c++) {
                values[c] = n[0] == nanAt ? Float.NaN : 1f;
            }
            ref[0] = n[0];
            ref[1] = 2 * n[0];
            n[0]++;
        }, clock, maxSamples);
    }

    private static void run(Agent agent, CachedNanoClock clock, int ms) throws Exception {
        for (int i = 0; i < ms; i++) {
            agent.doWork();
            clock.advance(MS);
        }
        agent.doWork();
    }

    @Test
    void binsDecodesAndEmitsEveryFrameWithStampsOnAFakeClock() throws Exception {
        CollectingSink sink = new CollectingSink(5);
        TestDecoders.Sum decoder = new TestDecoders.Sum(CH);
        try (Pipeline p = new Pipeline(new Pipeline.Context().source(source(CH, -1, Long.MAX_VALUE)).channels(CH)
                .binWidthUs(20_000).clock(clock).decoder(decoder).sink(sink))) {
            run(p.startManual(), clock, 99);
            assertThat(p.counters().framesOut.get()).isEqualTo(5);
            assertThat(p.counters().dropped.get()).isZero();
            assertThat(p.counters().deadlineMisses()).isZero();
            assertThat(p.context().samplesPerFrame()).isEqualTo(20);
        }
        assertThat(sink.sourceSequences).containsExactly(0L, 20L, 40L, 60L, 80L);
        for (int i = 0; i < 5; i++) {
            assertThat(sink.outputs.get(i)).containsExactly(20f * CH, 20f);
            assertThat(sink.flags.get(i)).isZero();
            // The bin is complete when its last sample arrives: (20 i + 19) ms after the start.
            assertThat(sink.acquisitionTimes.get(i)).isCloseTo((T0 + (20 * i + 19) * MS) * 1e-9, org.assertj.core.data.Offset.offset(1e-9));
            long[] st = sink.stamps.get(i);
            assertThat(st[Stage.INGEST.ordinal()]).isEqualTo(T0 + (20 * i + 19) * MS);
            // Sinks run inside the emit stage, so they see every stamp up to decode.
            assertThat(st[Stage.DECODE.ordinal()]).isEqualTo(st[Stage.INGEST.ordinal()]);
        }
    }

    @Test
    void countsInACountersFileAsEachFrameGoesThroughAndStartsAtZero(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("counters.dat");
        try (CountersFile f = CountersFile.create(file, PipelineCounters.COUNT)) {
            PipelineCounters shared = new PipelineCounters(f::counter);
            shared.framesOut.set(77); // left by an earlier pipeline
            try (Pipeline p = new Pipeline(new Pipeline.Context().source(source(CH, -1, Long.MAX_VALUE)).channels(CH)
                    .binWidthUs(20_000).clock(clock).decoder(new TestDecoders.Sum(CH)).sink(new CollectingSink(5))
                    .counters(shared))) {
                assertThat(p.counters()).isSameAs(shared);
                assertThat(CountersFile.read(file).counters())
                        .containsEntry("pipeline.frames_out", 0L);
                Agent a = p.startManual();
                for (int frame = 1; frame <= 3; frame++) {
                    run(a, clock, 20);
                    // read by another reader of the file, with nobody copying: the stages wrote it
                    Map<String, Long> m = CountersFile.read(file).counters();
                    assertThat(m).containsEntry("pipeline.frames_out", (long) frame)
                            .containsEntry("pipeline.frames_in", (long) frame)
                            .containsEntry("pipeline.dropped", 0L);
                    assertThat(m).hasSize(PipelineCounters.COUNT);
                }
            }
        }
    }

    @Test
    void targetsAreTheMeanReferenceOverTheBin() throws Exception {
        float[][] targets = new float[1][];
        try (Pipeline p = new Pipeline(new Pipeline.Context().source(source(CH, -1, 20)).channels(CH)
                .clock(clock).decoder(new TestDecoders.Sum(CH)).observer("t", f -> targets[0] = f.targets.clone()))) {
            run(p.startManual(), clock, 25);
        }
        assertThat(targets[0]).containsExactly(9.5f, 19f);
    }

    @Test
    void aDecodePastTheDeadlineEmitsTheSafeOutputAndCounts() throws Exception {
        CollectingSink sink = new CollectingSink(3);
        TestDecoders.Slow decoder = new TestDecoders.Slow(CH, clock, 0);
        try (Pipeline p = new Pipeline(new Pipeline.Context().source(source(CH, -1, Long.MAX_VALUE)).channels(CH)
                .deadlineUs(5_000).clock(clock).decoder(decoder).sink(sink))) {
            Agent agent = p.startManual();
            run(agent, clock, 19);
            decoder.decodeNs = 6 * MS;
            run(agent, clock, 20);
            decoder.decodeNs = 0;
            run(agent, clock, 20);
            assertThat(p.counters().deadlineMisses()).isEqualTo(1);
            assertThat(p.counters().framesOut.get()).isEqualTo(3);
        }
        assertThat(sink.outputs.get(0)).containsExactly(4f * 20, 20f);
        // Frame 1 decoded late: its output is the safe output (hold frame 0's), never the late decode.
        assertThat(sink.flags.get(1) & Frame.FLAG_DEADLINE_MISS).isNotZero();
        assertThat(sink.flags.get(1) & Frame.FLAG_SAFE_OUTPUT).isNotZero();
        assertThat(sink.outputs.get(1)).containsExactly(4f * 20, 20f);
        assertThat(sink.flags.get(2)).isZero();
    }

    @Test
    void aFrameAlreadyLateWhenDecodeStartsIsNotDecoded() throws Exception {
        CollectingSink sink = new CollectingSink(1);
        TestDecoders.Sum decoder = new TestDecoders.Sum(CH);
        try (Pipeline p = new Pipeline(new Pipeline.Context().source(source(CH, -1, 20)).channels(CH)
                .deadlineUs(5_000).clock(clock).decoder(decoder).sink(sink))) {
            run(p.ingestAgent(), clock, 19);
            assertThat(p.counters().framesIn.get()).isEqualTo(1);
            // The stages behind ingest get to the frame 6 ms after it was published.
            clock.advance(6 * MS);
            p.startManual().doWork();
            assertThat(p.counters().decodeDeadlineMisses.get()).isEqualTo(1);
        }
        assertThat(decoder.decodes).isZero();
        assertThat(sink.outputs.get(0)).containsExactly(0f, 0f);
        assertThat(sink.flags.get(0) & Frame.FLAG_DEADLINE_MISS).isNotZero();
    }

    @Test
    void binsDueWhileIngestWasHeldUpAndNeverTakenInAreCounted() throws Exception {
        try (Pipeline p = new Pipeline(new Pipeline.Context().source(source(CH, -1, Long.MAX_VALUE)).channels(CH)
                .binWidthUs(20_000).clock(clock).decoder(new TestDecoders.Sum(CH)))) {
            IngestAgent ingest = (IngestAgent) p.ingestAgent();
            run(ingest, clock, 99);
            assertThat(p.counters().framesIn.get()).isEqualTo(5);
            // The ingest thread is held up for 1 s (e.g. a stage on its thread blocked), then the run stops.
            clock.advance(1_000 * MS);
            ingest.requestStop();
            ingest.doWork();
            // 1.1 s of a 1 kHz source is 55 bins of 20 samples: 5 came in, the bin in progress at the stop is
            // allowed for, 49 never came in; neither published nor dropped.
            assertThat(p.counters().dropped.get()).isZero();
            assertThat(p.counters().notTakenIn.get()).isEqualTo(49);
            assertThat(p.counters().snapshot()).containsEntry("not_taken_in", 49L);
        }
    }

    @Test
    void aRunStoppedOnTimeCountsNoBinAsNotTakenIn() throws Exception {
        try (Pipeline p = new Pipeline(new Pipeline.Context().source(source(CH, -1, Long.MAX_VALUE)).channels(CH)
                .binWidthUs(20_000).clock(clock).decoder(new TestDecoders.Sum(CH)))) {
            IngestAgent ingest = (IngestAgent) p.ingestAgent();
            run(ingest, clock, 119);
            ingest.requestStop();
            ingest.doWork();
            assertThat(p.counters().framesIn.get()).isEqualTo(6);
            assertThat(p.counters().notTakenIn.get()).isZero();
        }
    }

    @Test
    void nanSamplesAreFlaggedAndYieldTheSafeOutput() throws Exception {
        CollectingSink sink = new CollectingSink(3);
        TestDecoders.Sum decoder = new TestDecoders.Sum(CH);
        try (Pipeline p = new Pipeline(new Pipeline.Context().source(source(CH, 25, Long.MAX_VALUE)).channels(CH)
                .clock(clock).decoder(decoder).sink(sink))) {
            run(p.startManual(), clock, 59);
            assertThat(p.counters().invalidInput.get()).isEqualTo(1);
            assertThat(p.counters().safeOutputs.get()).isEqualTo(1);
        }
        assertThat(decoder.decodes).as("the decoder never sees the bad bin").isEqualTo(2);
        assertThat(sink.flags.get(1) & Frame.FLAG_INVALID_INPUT).isNotZero();
        assertThat(sink.outputs.get(1)).containsExactly(80f, 20f);
        assertThat(sink.outputs.get(2)).containsExactly(80f, 20f);
        assertThat(sink.flags.get(2)).isZero();
    }

    @Test
    void aDecoderThatThrowsLeavesTheSafeOutputNotAHalfWrittenOne() throws Exception {
        CollectingSink sink = new CollectingSink(3);
        java.util.List<String> reported = new java.util.ArrayList<>();
        TestDecoders.Sum decoder = new TestDecoders.Sum(CH) {
            @Override
            public int decode(float[] features, float[] out) {
                if (decodes == 1) {
                    decodes++;
                    out[0] = -999f;
                    throw new IllegalStateException("decoder bug");
                }
                return super.decode(features, out);
            }
        };
        try (Pipeline p = new Pipeline(new Pipeline.Context().source(source(CH, -1, Long.MAX_VALUE)).channels(CH)
                .clock(clock).decoder(decoder).sink(sink)
                .errorHandler((where, e) -> reported.add(where + ": " + e.getMessage())))) {
            run(p.startManual(), clock, 59);
            assertThat(p.counters().decodeFaults.get()).isEqualTo(1);
            assertThat(p.counters().stageErrors.get()).isEqualTo(1);
            assertThat(p.counters().safeOutputs.get()).isEqualTo(1);
        }
        assertThat(reported).singleElement().asString().contains("decoder bug");
        assertThat(sink.flags.get(1) & Frame.FLAG_SAFE_OUTPUT).isNotZero();
        assertThat(sink.outputs.get(1)).as("the last good output, not the half-written one").containsExactly(80f, 20f);
        assertThat(sink.flags.get(2)).isZero();
    }

    @Test
    void infiniteSamplesAreFlaggedToo() throws Exception {
        CollectingSink sink = new CollectingSink(1);
        PacedSource inf = new PacedSource("inf", CH, 1000, java.util.List.of(), (v, r) -> java.util.Arrays.fill(v, Float.POSITIVE_INFINITY), clock, 20);
        try (Pipeline p = new Pipeline(new Pipeline.Context().source(inf).channels(CH).clock(clock)
                .decoder(new TestDecoders.Sum(CH)).sink(sink))) {
            run(p.startManual(), clock, 20);
        }
        assertThat(sink.flags.get(0) & Frame.FLAG_INVALID_INPUT).isNotZero();
        assertThat(sink.outputs.get(0)).containsExactly(0f, 0f);
    }

    @Test
    void aSourceWithTheWrongChannelCountIsRefusedAtStart() {
        assertThatThrownBy(() -> new Pipeline(new Pipeline.Context().source(source(64, -1, 10)).channels(96).clock(clock)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("source 'test' delivers 64 channels but 96 are configured");
    }

    @Test
    void aBinWidthThatSplitsASampleIsRefused() {
        assertThatThrownBy(() -> new Pipeline(new Pipeline.Context().source(source(CH, -1, 10)).channels(CH)
                .binWidthUs(1_500).clock(clock)))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("binWidthUs: 1500 is not allowed");
    }

    @Test
    void moreSpinningThreadsThanTheBudgetAreRefused() {
        assertThatThrownBy(() -> new Pipeline(new Pipeline.Context().source(source(CH, -1, 10)).channels(CH)
                .topology(Topology.PER_STAGE).hotIdle("busy-spin").idle("busy-spin").availableProcessors(2)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("would busy-spin 4 threads on 2 processors; at most 1 allowed");
    }

    @Test
    void withoutADecoderTheOutputIsZeroUntilOneIsInstalled() throws Exception {
        CollectingSink sink = new CollectingSink(2);
        try (Pipeline p = new Pipeline(new Pipeline.Context().source(source(CH, -1, Long.MAX_VALUE)).channels(CH)
                .clock(clock).sink(sink))) {
            Agent agent = p.startManual();
            run(agent, clock, 19);
            assertThat(p.decoderGeneration()).isZero();
            p.installDecoder(new TestDecoders.Sum(CH));
            run(agent, clock, 20);
            assertThat(p.decoderGeneration()).isEqualTo(1);
        }
        assertThat(sink.outputs.get(0)).containsExactly(0f, 0f);
        assertThat(sink.flags.get(0) & Frame.FLAG_SAFE_OUTPUT).isNotZero();
        assertThat(sink.outputs.get(1)).containsExactly(80f, 20f);
    }

    @Test
    void aDecoderWithdrawnBeforeItsFirstFrameNeverDecodesAndOneTakenUpCannotBeWithdrawn() throws Exception {
        TestDecoders.Sum first = new TestDecoders.Sum(CH);
        try (Pipeline p = new Pipeline(new Pipeline.Context().source(source(CH, -1, Long.MAX_VALUE)).channels(CH)
                .clock(clock))) {
            Agent agent = p.startManual();
            p.installDecoder(first);
            run(agent, clock, 20);
            assertThat(p.decoderGeneration()).isEqualTo(1);
            assertThat(p.withdrawDecoder(first)).as("taken up already").isFalse();
            TestDecoders.Sum withdrawn = new TestDecoders.Sum(CH);
            p.installDecoder(withdrawn);
            assertThat(p.withdrawDecoder(withdrawn)).isTrue();
            run(agent, clock, 40);
            assertThat(p.decoderGeneration()).as("the withdrawn decoder was never taken up").isEqualTo(1);
        }
    }

    @Test
    void aFullRingDropsWholeBinsAndCountsThem() throws Exception {
        try (Pipeline p = new Pipeline(new Pipeline.Context().source(source(CH, -1, Long.MAX_VALUE)).channels(CH)
                .ringSize(2).clock(clock).decoder(new TestDecoders.Sum(CH)))) {
            // Only ingest runs, so nothing frees ring slots: two bins fit, the next three are dropped.
            run(p.ingestAgent(), clock, 99);
            assertThat(p.counters().framesIn.get()).isEqualTo(2);
            assertThat(p.counters().dropped.get()).isEqualTo(3);
        }
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void runsOnThreadsInEveryTopology() throws Exception {
        for (Topology t : Topology.values()) {
            CollectingSink sink = new CollectingSink(5);
            PacedSource src = new PacedSource("rt", CH, 1000, java.util.List.of(), (v, r) -> java.util.Arrays.fill(v, 1f),
                    SystemNanoClock.INSTANCE, 100);
            long[] observed = {0};
            try (Pipeline p = new Pipeline(new Pipeline.Context().source(src).channels(CH).topology(t)
                    .decoder(new TestDecoders.Sum(CH)).sink(sink).observer("count", f -> observed[0]++))) {
                p.start();
                assertThat(sink.latch.await(10, TimeUnit.SECONDS)).as(t.key()).isTrue();
            }
            synchronized (sink) {
                assertThat(sink.outputs).as(t.key()).hasSize(5);
                assertThat(sink.outputs.get(4)).containsExactly(80f, 20f);
            }
            assertThat(observed[0]).as("observer saw every frame, " + t.key()).isEqualTo(5);
        }
    }
}
