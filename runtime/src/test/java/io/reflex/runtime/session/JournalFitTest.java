package io.reflex.runtime.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.reflex.decoders.file.DecoderFile;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.journal.JournalFormat;
import io.reflex.runtime.journal.JournalReader;
import io.reflex.runtime.journal.JournalRecord;
import io.reflex.lsl.ChannelFormat;
import io.reflex.lsl.JavaLsl;
import io.reflex.lsl.LslClock;
import io.reflex.lsl.LslConfig;
import io.reflex.runtime.lsl.SplitLslPublisher;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamOutlet;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.agrona.ErrorHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A session whose kinematics came from a separate LSL stream journals the paired velocity (journal format 2) and the
 * task's markers (format 3), and {@link JournalFit} fits a decoder from it.
 */
class JournalFitTest {
    private static final ErrorHandler QUIET = e -> { };

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void thePairedKinematicsAndTheMarkersAreJournaledAndAFitUsesThem(@TempDir Path dir) throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        String neural = "amp-" + id;
        String kin = "task-" + id;
        String markerName = "markers-" + id;
        ReflexConfig cfg = ReflexConfig.parse("{\"source\":{\"type\":\"lsl\",\"channels\":16,\"sampleRateHz\":1000,"
                + "\"lsl\":{\"name\":\"" + neural + "\",\"sourceId\":\"" + neural + "\",\"network\":\"loopback\","
                + "\"resolveTimeoutS\":10,"
                + "\"kinematics\":{\"name\":\"" + kin + "\",\"type\":\"Kinematics\",\"maxWaitMs\":1000},"
                + "\"markers\":{\"name\":\"" + markerName + "\"}}},"
                + "\"pipeline\":{\"binWidthUs\":20000},"
                + "\"decoder\":{\"name\":\"kalman\",\"compare\":[]},"
                + "\"calibration\":{\"seconds\":3,\"timeoutS\":60},\"run\":{\"seconds\":2},"
                + "\"journal\":{\"dir\":\"" + dir.toString().replace("\\", "\\\\") + "\"},"
                + "\"decodedOutlet\":{\"enabled\":false}}");
        LslConfig net = LslConfig.loopback().conclude();
        AtomicBoolean stop = new AtomicBoolean();
        SessionReport r;
        String[] markerTexts = {"block_start 1", "trial_start 1", "target_on 1 0.1000 0.0000", "target_reached 1 420",
            "block_end 1"};
        double[] markerTimes = new double[markerTexts.length];
        JavaLsl lsl = new JavaLsl(net, QUIET);
        try (SplitLslPublisher pub = new SplitLslPublisher(lsl, neural, kin, 16, 1000, 10, 1);
             StreamOutlet markers = lsl.createOutlet(StreamInfo.builder(markerName, "Markers", 1, 0,
                     ChannelFormat.STRING, markerName).build())) {
            Thread publisher = new Thread(() -> pub.run(0, stop::get), "test-publisher");
            publisher.start();
            // the task sends its markers once decoding is live (the marker reader has had the calibration to connect)
            ClosedLoopSession.Listener task = new ClosedLoopSession.Listener() {
                @Override
                public void onPhase(String phase, String detail) {
                    if (phase.equals("live")) {
                        assertThat(markers.waitForConsumers(10)).as("the daemon's marker reader connected").isTrue();
                        double t0 = LslClock.now();
                        for (int i = 0; i < markerTexts.length; i++) {
                            markerTimes[i] = t0 + 0.001 * i;
                            markers.pushSample(new String[] {markerTexts[i]}, markerTimes[i]);
                        }
                    }
                }
            };
            try {
                r = new ClosedLoopSession(new ClosedLoopSession.Context().config(cfg).listener(task)).run();
            } finally {
                stop.set(true);
                publisher.join(10_000);
            }
        }
        assertThat(r.ending).as("failure: %s", r.failure).isEqualTo("completed");
        assertThat(r.calibrationFrames).isEqualTo(150);
        // the neural stream carries no reference: the targets are journaled as paired-targets records
        Set<Long> frames = new HashSet<>();
        Set<Long> pairedSequences = new HashSet<>();
        List<String> journaledTexts = new ArrayList<>();
        List<Double> journaledTimes = new ArrayList<>();
        int paired = 0;
        try (JournalReader reader = new JournalReader(r.journal)) {
            JournalRecord rec = new JournalRecord();
            for (byte t = reader.nextRecord(rec); t != 0; t = reader.nextRecord(rec)) {
                if (t == JournalFormat.TYPE_FRAME) {
                    assertThat(rec.referenceCount).isZero();
                    frames.add(rec.sequence);
                } else if (t == JournalFormat.TYPE_MARKER) {
                    journaledTexts.add(rec.markerText);
                    journaledTimes.add(rec.markerTimeS);
                    assertThat(frames).as("the frame journaled before the marker").contains(rec.markerAfterSequence);
                } else {
                    assertThat(t).isEqualTo(JournalFormat.TYPE_PAIRED_TARGETS);
                    assertThat(pairedSequences.add(rec.sequence)).as("one record per frame").isTrue();
                    assertThat(rec.pairedCount).isEqualTo(2);
                    assertThat(Float.isFinite(rec.pairedTargets[0])).isTrue();
                    paired++;
                }
            }
            assertThat(reader.metadataJson()).contains("\"version\":3", "\"references\":[]",
                    "\"paired_targets\":[\"vx\",\"vy\"]");
        }
        assertThat(paired).isGreaterThanOrEqualTo(150).isLessThanOrEqualTo(frames.size());
        // every marker the daemon received is in the journal, in order, with its time-corrected timestamp
        assertThat(r.markers.received).isEqualTo(markerTexts.length);
        assertThat(r.markers.journaled).isEqualTo(markerTexts.length);
        assertThat(r.markers.notJournaled).isZero();
        assertThat(journaledTexts).containsExactly(markerTexts);
        for (int i = 0; i < markerTexts.length; i++) {
            // one machine: the corrected time is the pushed one within the time correction's error
            assertThat(journaledTimes.get(i)).isCloseTo(markerTimes[i], within(0.005));
        }
        assertThat(frames).containsAll(pairedSequences);
        assertThat((long) paired).isEqualTo(r.kinematics.paired);
        // next() still returns only the frames
        int plain = 0;
        try (JournalReader reader = new JournalReader(r.journal)) {
            JournalRecord rec = new JournalRecord();
            while (reader.next(rec)) {
                plain++;
            }
        }
        assertThat(plain).isEqualTo(frames.size());

        Path out = dir.resolve("fitted.rxdf");
        JournalFit.Result f = JournalFit.fit(r.journal, "kalman", out);
        assertThat(f.targetsFrom).isEqualTo("paired");
        assertThat(f.targetNames).containsExactly("vx", "vy");
        assertThat(f.bins).isEqualTo(paired);
        assertThat(f.framesRead).isEqualTo(frames.size());
        assertThat(f.skipped).isEqualTo(frames.size() - paired);
        assertThat(f.heldOutR2).isFinite();
        DecoderFile.Contents c = DecoderFile.read(out);
        assertThat(c.channels()).isEqualTo(16);
        c.requireMatches(16, 20_000, 1000);

        // the lab session replays through its saved decoder bit for bit, scored on the paired kinematics
        JournalReplay.Result replay = JournalReplay.replay(r.journal, null);
        assertThat(replay.decoderSource).isEqualTo("saved");
        assertThat(replay.compared).isPositive();
        assertThat(replay.mismatches).isZero();
        assertThat(replay.reproduced()).isTrue();
        assertThat(replay.targetsFrom).isEqualTo("paired");
        assertThat(replay.targetNames).containsExactly("vx", "vy");
        assertThat(replay.scored).isPositive().isLessThanOrEqualTo(replay.compared);
        assertThat(replay.replayedR2).isFinite().isEqualTo(replay.recordedR2);
    }

    /**
     * The journal writer and the pairing poll the ring independently, so a paired record may be written before its
     * frame's: the fit joins them by sequence either way.
     */
    @Test
    void pairedRecordsBeforeTheirFramesAreJoinedBySequence(@TempDir Path dir) throws Exception {
        int channels = 4;
        Path run = dir.resolve("run");
        io.reflex.runtime.journal.Journal j = io.reflex.runtime.journal.Journal.open(run, "{\"format\":"
                + "\"reflex-journal\",\"version\":2,\"references\":[],\"paired_targets\":[\"vx\",\"vy\"],"
                + "\"config\":{\"source\":{\"type\":\"lsl\",\"sampleRateHz\":1000.0},"
                + "\"pipeline\":{\"binWidthUs\":20000}}}");
        io.reflex.runtime.pipeline.FrameHandler pairedOut = j.pairedTargets(2);
        j.onStart();
        java.util.Random rnd = new java.util.Random(5);
        // as in a session: the journal sees the pipeline's frame (no references), the pairing its copy with targets
        io.reflex.runtime.pipeline.Frame f = new io.reflex.runtime.pipeline.Frame(channels, 1, 0, 2);
        io.reflex.runtime.pipeline.Frame p = new io.reflex.runtime.pipeline.Frame(channels, 1, 2, 2);
        int n = 200;
        for (int t = 0; t < n; t++) {
            f.sequence = t;
            double vx = Math.sin(t * 0.1);
            double vy = Math.cos(t * 0.13);
            for (int c = 0; c < channels; c++) {
                f.features[c] = (float) Math.max(0, Math.round(4 + 2 * (c % 2 == 0 ? vx : vy) + rnd.nextGaussian()));
            }
            p.sequence = t;
            p.targets[0] = (float) vx;
            p.targets[1] = (float) vy;
            if (t % 2 == 0) {
                pairedOut.onFrame(p);   // the pairing ran ahead
                j.onFrame(f);
            } else if (t % 3 != 0) {
                j.onFrame(f);
                pairedOut.onFrame(p);
            } else {
                j.onFrame(f);           // never paired
            }
        }
        j.close();
        int pairedCount = 0;
        for (int t = 0; t < n; t++) {
            pairedCount += t % 2 == 0 || t % 3 != 0 ? 1 : 0;
        }
        JournalFit.Result r = JournalFit.fit(run, "kalman", dir.resolve("k.rxdf"));
        assertThat(r.framesRead).isEqualTo(n);
        assertThat(r.bins).isEqualTo(pairedCount);
        assertThat(r.skipped).isEqualTo(n - pairedCount);
        assertThat(r.heldOutR2).isGreaterThan(0.3);
        assertThat(DecoderFile.read(dir.resolve("k.rxdf")).calibrationBins()).isEqualTo(pairedCount);
    }

    /**
     * An SNN fit resets the reservoir's stream at the journal's trial starts as a session's calibration does (a start
     * on a frame left out moves to the next bin fitted on), with the recorded run's options for the same decoder: its
     * readout is the one a calibration set marked that way gives, and not the one of an unmarked set.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void anSnnFitResetsAtTheJournalsTrialStartsWithTheRunsOptions(@TempDir Path dir) throws Exception {
        int channels = 8;
        Path run = dir.resolve("run");
        io.reflex.runtime.journal.Journal j = io.reflex.runtime.journal.Journal.open(run, "{\"format\":"
                + "\"reflex-journal\",\"version\":2,\"references\":[],\"paired_targets\":[\"vx\",\"vy\"],"
                + "\"config\":{\"source\":{\"type\":\"lsl\",\"sampleRateHz\":1000.0},"
                + "\"decoder\":{\"name\":\"snn\",\"options\":{\"neurons\":\"256\",\"outputs\":\"7\"},"
                + "\"engines\":[\"cpu-fixed\"]},\"pipeline\":{\"binWidthUs\":20000}}}");
        io.reflex.runtime.pipeline.FrameHandler pairedOut = j.pairedTargets(2);
        j.onStart();
        java.util.Random rnd = new java.util.Random(7);
        io.reflex.runtime.pipeline.Frame f = new io.reflex.runtime.pipeline.Frame(channels, 1, 0, 2);
        io.reflex.runtime.pipeline.Frame p = new io.reflex.runtime.pipeline.Frame(channels, 1, 2, 2);
        int n = 300;
        io.reflex.decoders.CalibrationSet marked = new io.reflex.decoders.CalibrationSet(n, channels, 2);
        io.reflex.decoders.CalibrationSet unmarked = new io.reflex.decoders.CalibrationSet(n, channels, 2);
        boolean pending = false;
        for (int t = 0; t < n; t++) {
            f.sequence = t;
            f.flags = t % 30 == 0 ? io.reflex.runtime.pipeline.Frame.FLAG_TRIAL_START : 0;
            double phase = (t % 30) * 0.2; // every trial the same movement from rest
            double vx = Math.sin(phase);
            double vy = Math.cos(phase) - 1;
            for (int c = 0; c < channels; c++) {
                f.features[c] = (float) Math.max(0, Math.round(4 + 3 * (c % 2 == 0 ? vx : vy) + rnd.nextGaussian()));
            }
            p.sequence = t;
            p.targets[0] = (float) vx;
            p.targets[1] = (float) vy;
            j.onFrame(f);
            pending |= f.flags != 0;
            if (t == 60) {
                continue; // a trial start never paired: the next bin starts the trial
            }
            pairedOut.onFrame(p);
            if (pending) {
                marked.markTrialStart();
                pending = false;
            }
            marked.add(f.features, p.targets);
            unmarked.add(f.features, p.targets);
        }
        j.close();
        Path out = dir.resolve("snn.rxdf");
        JournalFit.Result r = JournalFit.fit(run, "snn", out);
        assertThat(r.bins).isEqualTo(n - 1);
        assertThat(r.options).containsExactly(java.util.Map.entry("neurons", "256"));
        assertThat(r.engines).containsExactly("cpu-fixed");
        assertThat(r.heldOutR2).isGreaterThan(0.5);

        java.util.Map<String, String> opts = java.util.Map.of("neurons", "256", "outputs", "2");
        io.reflex.decoders.engine.EngineDecoder withStarts = (io.reflex.decoders.engine.EngineDecoder)
                io.reflex.decoders.catalog.Decoders.create("snn", channels, opts);
        io.reflex.decoders.engine.EngineDecoder without = (io.reflex.decoders.engine.EngineDecoder)
                io.reflex.decoders.catalog.Decoders.create("snn", channels, opts);
        io.reflex.decoders.engine.EngineDecoder saved = DecoderFile.read(out).openModel(null);
        try {
            withStarts.fit(marked);
            without.fit(unmarked);
            assertThat(saved.readoutWeights()).containsExactly(withStarts.readoutWeights());
            assertThat(saved.readoutIntercepts()).containsExactly(withStarts.readoutIntercepts());
            assertThat(saved.readoutWeights()).isNotEqualTo(without.readoutWeights());
        } finally {
            withStarts.close();
            without.close();
            saved.close();
        }
    }

    @Test
    void aJournalThatIsNotThereIsRefused(@TempDir Path dir) {
        assertThatThrownBy(() -> JournalFit.fit(dir.resolve("none"), null, dir.resolve("x.rxdf")))
                .hasMessageContaining("no journal directory");
    }
}
