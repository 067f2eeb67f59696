package io.reflex.runtime.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.decoders.linear.DecoderFile;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.journal.JournalFormat;
import io.reflex.runtime.journal.JournalReader;
import io.reflex.runtime.journal.JournalRecord;
import io.reflex.runtime.lsl.JavaLsl;
import io.reflex.runtime.lsl.LslConfig;
import io.reflex.runtime.lsl.LslErrorHandler;
import io.reflex.runtime.lsl.SplitLslPublisher;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A session whose kinematics came from a separate LSL stream journals the paired velocity (journal format 2), and
 * {@link JournalFit} fits a decoder from it.
 */
class JournalFitTest {
    private static final LslErrorHandler QUIET = (w, m, c) -> { };

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void thePairedKinematicsAreJournaledAndAFitUsesThem(@TempDir Path dir) throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        String neural = "amp-" + id;
        String kin = "task-" + id;
        ReflexConfig cfg = ReflexConfig.parse("{\"source\":{\"type\":\"lsl\",\"channels\":16,\"sampleRateHz\":1000,"
                + "\"lsl\":{\"name\":\"" + neural + "\",\"sourceId\":\"" + neural + "\",\"network\":\"loopback\","
                + "\"resolveTimeoutS\":10,"
                + "\"kinematics\":{\"name\":\"" + kin + "\",\"type\":\"Kinematics\",\"maxWaitMs\":1000}}},"
                + "\"pipeline\":{\"binWidthUs\":20000},"
                + "\"decoder\":{\"name\":\"kalman\",\"compare\":[]},"
                + "\"calibration\":{\"seconds\":3,\"timeoutS\":60},\"run\":{\"seconds\":2},"
                + "\"journal\":{\"dir\":\"" + dir.toString().replace("\\", "\\\\") + "\"},"
                + "\"decodedOutlet\":{\"enabled\":false}}");
        LslConfig net = LslConfig.loopback().conclude();
        AtomicBoolean stop = new AtomicBoolean();
        SessionReport r;
        try (SplitLslPublisher pub = new SplitLslPublisher(new JavaLsl(net, QUIET), neural, kin, 16, 1000, 10, 1)) {
            Thread publisher = new Thread(() -> pub.run(0, stop::get), "test-publisher");
            publisher.start();
            try {
                r = new ClosedLoopSession(new ClosedLoopSession.Context().config(cfg)).run();
            } finally {
                stop.set(true);
                publisher.join(10_000);
            }
        }
        assertThat(r.ending).as("failure: %s", r.failure).isEqualTo("completed");
        assertThat(r.calibrationFrames).isEqualTo(150);
        // the neural stream carries no reference: the targets are journaled as paired-targets records
        Set<Long> frames = new HashSet<>();
        int paired = 0;
        try (JournalReader reader = new JournalReader(r.journal)) {
            JournalRecord rec = new JournalRecord();
            for (byte t = reader.nextRecord(rec); t != 0; t = reader.nextRecord(rec)) {
                if (t == JournalFormat.TYPE_FRAME) {
                    assertThat(rec.referenceCount).isZero();
                    frames.add(rec.sequence);
                } else {
                    assertThat(t).isEqualTo(JournalFormat.TYPE_PAIRED_TARGETS);
                    assertThat(frames).as("a paired record follows its frame").contains(rec.sequence);
                    assertThat(rec.pairedCount).isEqualTo(2);
                    assertThat(Float.isFinite(rec.pairedTargets[0])).isTrue();
                    paired++;
                }
            }
            assertThat(reader.metadataJson()).contains("\"version\":2", "\"references\":[]",
                    "\"paired_targets\":[\"vx\",\"vy\"]");
        }
        assertThat(paired).isGreaterThanOrEqualTo(150).isLessThanOrEqualTo(frames.size());
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
    }

    @Test
    void aJournalThatIsNotThereIsRefused(@TempDir Path dir) {
        assertThatThrownBy(() -> JournalFit.fit(dir.resolve("none"), null, dir.resolve("x.rxdf")))
                .hasMessageContaining("no journal directory");
    }
}
