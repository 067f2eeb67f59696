package io.reflex.runtime.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.decoders.TrainableDecoder;
import io.reflex.decoders.file.DecoderFile;
import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.config.SavedDecoder;
import io.reflex.runtime.journal.JournalReader;
import io.reflex.runtime.journal.JournalRecord;
import io.reflex.runtime.pipeline.Frame;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.NanoClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class SavedDecoderSessionTest {
    /** Synthetic time running 40 times faster than the wall clock. */
    private static final NanoClock FAST = () -> 40 * System.nanoTime();

    private static ReflexConfig config(Path journalDir, String decoder) {
        ReflexConfig c = new ReflexConfig();
        c.decoder.name = decoder;
        c.decoder.compare = new ArrayList<>();
        c.calibration.seconds = 10;
        c.run.seconds = 0.5;
        c.pipeline.deadlineUs = 60_000_000;
        c.journal.dir = journalDir.toString();
        return c;
    }

    private static SessionReport run(ReflexConfig c, List<String> phases) throws InterruptedException {
        return new ClosedLoopSession(new ClosedLoopSession.Context().config(c).clock(FAST)
                .listener(new ClosedLoopSession.Listener() {
                    @Override
                    public void onPhase(String phase, String detail) {
                        phases.add(phase);
                    }
                })).run();
    }

    /**
     * Decodes the journal's live frames (generation 1) with {@code d} as the decode stage did (reset when installed
     * and at trial starts, skipped frames skipped) and checks every output bit for bit; returns the frames compared.
     */
    private static int assertSameOutputs(Path journal, TrainableDecoder d) {
        int compared = 0;
        boolean first = true;
        float[] out = new float[d.outputCount()];
        try (JournalReader reader = new JournalReader(journal)) {
            JournalRecord r = new JournalRecord();
            while (reader.next(r)) {
                if (r.decoderGeneration != 1) {
                    continue;
                }
                if (first || (r.flags & Frame.FLAG_TRIAL_START) != 0) {
                    d.reset();
                    first = false;
                }
                if (r.decodeStatus == Frame.DECODE_SKIPPED || (r.flags & Frame.FLAG_INVALID_INPUT) != 0) {
                    continue;
                }
                d.decode(r.featuresCopy(), out);
                for (int k = 0; k < out.length; k++) {
                    assertThat(Float.floatToRawIntBits(r.output[k])).as("frame %d output %d", r.sequence, k)
                            .isEqualTo(Float.floatToRawIntBits(out[k]));
                }
                compared++;
            }
        }
        return compared;
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aCalibratedSessionSavesItsDecoderAndTheNextLoadsItAndGoesLiveAtOnce(@TempDir Path dir) throws Exception {
        for (String decoder : List.of("kalman", "wiener")) {
            List<String> phasesA = new ArrayList<>();
            SessionReport a = run(config(dir.resolve("a-" + decoder), decoder), phasesA);
            assertThat(phasesA).containsExactly("calibration", "fit", "live", "drain");
            assertThat(a.ending).isEqualTo("completed");
            assertThat(a.calibrationFrames).isEqualTo(500);
            assertThat(a.decoderLoaded).isNull();
            assertThat(a.decoderSaved).isEqualTo(a.journal.resolve(SavedDecoder.FILE_NAME).toString());
            assertThat(Files.isRegularFile(Path.of(a.decoderSaved))).isTrue();
            DecoderFile.Contents saved = DecoderFile.read(Path.of(a.decoderSaved));
            assertThat(saved.type()).isEqualTo(decoder);
            assertThat(saved.calibrationBins()).isEqualTo(500);
            assertThat(saved.provenance()).contains("\"created_by\":\"reflex session\"", "\"targets\":[\"vx\",\"vy\"]");
            // the file decodes A's live frames exactly as A's own decoder did
            assertThat(assertSameOutputs(a.journal, saved.decoder())).isGreaterThan(10);

            ReflexConfig cb = config(dir.resolve("b-" + decoder), decoder);
            cb.decoder.file = a.decoderSaved;
            List<String> phasesB = new ArrayList<>();
            SessionReport b = run(cb, phasesB);
            assertThat(phasesB).containsExactly("live", "drain");
            assertThat(b.ending).isEqualTo("completed");
            assertThat(b.calibrationFrames).isZero();
            assertThat(b.decoderLoaded).isEqualTo(a.decoderSaved);
            assertThat(b.decoderSaved).isNull();
            assertThat(b.decoder).isEqualTo(decoder);
            assertThat(b.r2.get(decoder)).isGreaterThan(0.5);
            // B decoded every live frame as A's decoder does on the same features
            assertThat(assertSameOutputs(b.journal, DecoderFile.read(Path.of(a.decoderSaved)).decoder()))
                    .isGreaterThan(10);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aCalibratedSnnSessionSavesItsModelDecoderAndTheNextLoadsItOnItsEngines(@TempDir Path dir) throws Exception {
        ReflexConfig ca = config(dir.resolve("a-snn"), "snn");
        ca.decoder.options.put("neurons", "256");
        List<String> phasesA = new ArrayList<>();
        SessionReport a = run(ca, phasesA);
        assertThat(phasesA).containsExactly("calibration", "fit", "live", "drain");
        assertThat(a.ending).isEqualTo("completed");
        assertThat(a.decoderSaved).isEqualTo(a.journal.resolve(SavedDecoder.FILE_NAME).toString());
        DecoderFile.Contents saved = DecoderFile.read(Path.of(a.decoderSaved));
        assertThat(saved.type()).isEqualTo("snn");
        assertThat(saved.isModel()).isTrue();
        assertThat(saved.model().features()).isEqualTo(256);
        assertThat(saved.calibrationBins()).isEqualTo(500);
        assertThat(saved.provenance()).contains("\"created_by\":\"reflex session\"");
        try (var d = saved.openModel(null)) {
            assertThat(assertSameOutputs(a.journal, d)).isGreaterThan(10);
        }

        ReflexConfig cb = config(dir.resolve("b-snn"), "snn");
        cb.decoder.file = a.decoderSaved;
        cb.decoder.engines = new ArrayList<>(List.of("cpu-fixed"));
        List<String> phasesB = new ArrayList<>();
        SessionReport b = run(cb, phasesB);
        assertThat(phasesB).containsExactly("live", "drain");
        assertThat(b.ending).isEqualTo("completed");
        assertThat(b.calibrationFrames).isZero();
        assertThat(b.decoderLoaded).isEqualTo(a.decoderSaved);
        assertThat(b.decoderSaved).isNull();
        assertThat(b.decoder).isEqualTo("snn");
        try (var d = DecoderFile.read(Path.of(a.decoderSaved)).openModel(null)) {
            assertThat(assertSameOutputs(b.journal, d)).isGreaterThan(10);
        }

        // a model file under another decoder.name, or on engines that cannot run it, is refused naming the field
        ReflexConfig wrongName = config(dir.resolve("c"), "kalman");
        wrongName.decoder.file = a.decoderSaved;
        assertThatThrownBy(wrongName::validate).hasMessageStartingWith("decoder.file: ")
                .hasMessageContaining("holds a snn decoder but decoder.name is \"kalman\"");
        ReflexConfig noEngine = config(dir.resolve("d"), "snn");
        noEngine.decoder.file = a.decoderSaved;
        noEngine.decoder.engines = new ArrayList<>(List.of("xrt"));
        assertThatThrownBy(() -> run(noEngine, new ArrayList<>())).hasMessageStartingWith("decoder.engines: ")
                .hasMessageContaining("cannot run on");
    }

    @Test
    void aMismatchedOrBadDecoderFileIsRefusedAtValidationNamingTheField(@TempDir Path dir) throws Exception {
        SessionReport a = run(config(dir.resolve("a"), "kalman"), new ArrayList<>());
        ReflexConfig wrongChannels = config(dir.resolve("b"), "kalman");
        wrongChannels.decoder.file = a.decoderSaved;
        wrongChannels.source.channels = 64;
        assertThatThrownBy(wrongChannels::validate).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("decoder.file: ")
                .hasMessageContainingAll("channels is 96", "source.channels is 64");
        ReflexConfig wrongBin = config(dir.resolve("b"), "kalman");
        wrongBin.decoder.file = a.decoderSaved;
        wrongBin.pipeline.binWidthUs = 10_000;
        assertThatThrownBy(wrongBin::validate).hasMessageContainingAll("binWidthUs is 20000",
                "pipeline.binWidthUs is 10000");
        ReflexConfig wrongName = config(dir.resolve("b"), "wiener");
        wrongName.decoder.file = a.decoderSaved;
        assertThatThrownBy(wrongName::validate).hasMessageContainingAll("holds a kalman decoder",
                "decoder.name is \"wiener\"");
        ReflexConfig compare = config(dir.resolve("b"), "kalman");
        compare.decoder.file = a.decoderSaved;
        compare.decoder.compare = new ArrayList<>(List.of("wiener"));
        assertThatThrownBy(compare::validate).hasMessageStartingWith("decoder.compare");
        Path bad = Files.write(dir.resolve("bad.rxdf"), new byte[] {'R', 'X', 'D', 'F', 9, 0});
        ReflexConfig corrupt = config(dir.resolve("b"), "kalman");
        corrupt.decoder.file = bad.toString();
        assertThatThrownBy(corrupt::validate).hasMessageStartingWith("decoder.file: decoder file " + bad)
                .hasMessageContaining("truncated");
        ReflexConfig missing = config(dir.resolve("b"), "kalman");
        missing.decoder.file = dir.resolve("none.rxdf").toString();
        assertThatThrownBy(missing::validate).hasMessageContaining("does not exist");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void withoutAJournalNothingIsSaved(@TempDir Path dir) throws Exception {
        ReflexConfig c = config(dir, "kalman");
        c.journal.enabled = false;
        SessionReport r = run(c, new ArrayList<>());
        assertThat(r.ending).isEqualTo("completed");
        assertThat(r.decoderSaved).isNull();
        try (var files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
    }
}
