package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.lsl.LslError;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.lsl.JavaLsl;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.LslConfig;
import io.reflex.lsl.StreamInfo;
import io.reflex.runtime.session.ClosedLoopSession;
import io.reflex.runtime.session.SessionReport;
import io.reflex.runtime.xdf.XdfPlayback;
import io.reflex.runtime.xdf.XdfReader;
import io.reflex.runtime.xdf.XdfRecorder;
import io.reflex.runtime.xdf.XdfStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Export a real run, play the XDF back as LSL outlets, record them back to XDF: nothing lost or changed. */
class XdfRoundTripTest {
    /** Every sample of every stream of a file, by stream name. */
    private static final class Streams implements XdfReader.Visitor {
        final Map<Integer, XdfStream> headers = new LinkedHashMap<>();
        final Map<String, List<Double>> ts = new LinkedHashMap<>();
        final Map<String, List<Object>> values = new LinkedHashMap<>();
        final Map<String, List<double[]>> offsets = new LinkedHashMap<>();

        @Override
        public void streamHeader(int id, XdfStream s, String xml) {
            headers.put(id, s);
            ts.put(s.name, new ArrayList<>());
            values.put(s.name, new ArrayList<>());
            offsets.put(s.name, new ArrayList<>());
        }

        @Override
        public void samples(int id, int n, double[] t, double[] v, String[] str) {
            XdfStream s = headers.get(id);
            for (int i = 0; i < n; i++) {
                ts.get(s.name).add(t[i]);
                for (int k = 0; k < s.channelCount; k++) {
                    values.get(s.name).add(v != null ? (Object) v[i * s.channelCount + k]
                            : str[i * s.channelCount + k]);
                }
            }
        }

        @Override
        public void clockOffset(int id, double collectionTimeS, double offsetS) {
            offsets.get(headers.get(id).name).add(new double[] {collectionTimeS, offsetS});
        }
    }

    @TempDir
    static Path shared;
    private static Path exported;

    /** A real-time run (4 s of calibration, 4 s live, 32 channels at 1 kHz) exported to XDF. */
    @BeforeAll
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    static void recordAndExportARun() throws Exception {
        ReflexConfig c = new ReflexConfig();
        c.source.channels = 32;
        c.decoder.compare = new ArrayList<>();
        c.calibration.seconds = 4;
        c.run.seconds = 4;
        c.journal.dir = shared.resolve("journal").toString();
        SessionReport run = new ClosedLoopSession(new ClosedLoopSession.Context().config(c)).run();
        assertThat(run.ending).isEqualTo("completed");
        exported = shared.resolve("run.xdf");
        JournalExport.Result ex = JournalExport.export(run.journal, null, exported,
                EnumSet.allOf(JournalExport.Kind.class), null);
        assertThat(ex.journalDamage).isNull();
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void exportImportRecordKeepsEverySampleTimestampAndHeaderField(@TempDir Path dir) throws Exception {
        Streams original = new Streams();
        assertThat(XdfReader.read(exported, original).error).isNull();
        assertThat(original.headers).hasSizeGreaterThanOrEqualTo(5);

        LslConfig cfg = LslConfig.loopback().conclude();
        LslBackend lsl = new JavaLsl(cfg, LslError.logging());
        // the streams of this export only (other tests may publish on loopback at the same time)
        StringBuilder query = new StringBuilder();
        for (XdfStream s : original.headers.values()) {
            query.append(query.length() == 0 ? "" : " or ").append("source_id='").append(s.sourceId).append('\'');
        }
        int streams = original.headers.size();
        Map<String, Integer> expected = new LinkedHashMap<>();
        original.ts.forEach((name, list) -> expected.put(name, list.size()));

        AtomicBoolean played = new AtomicBoolean();
        CompletableFuture<XdfPlayback.Result> playback = CompletableFuture.supplyAsync(() -> {
            try {
                return XdfPlayback.play(exported, lsl, List.of(), 1.0, 3.0, () -> false);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            } finally {
                played.set(true);
            }
        });
        List<StreamInfo> found = new ArrayList<>();
        Map<String, StreamInfo> unique = new LinkedHashMap<>();
        for (StreamInfo s : lsl.resolve(query.toString(), streams, 10.0)) {
            unique.putIfAbsent(s.uid(), s);
        }
        found.addAll(unique.values());
        assertThat(found).hasSize(streams);
        Path recorded = dir.resolve("recorded.xdf");
        long deadline = System.nanoTime() + 60_000_000_000L;
        XdfRecorder.Result rec = XdfRecorder.record(recorded, lsl, found, r -> {
            boolean all = r.streams.stream().allMatch(s -> s.samples >= expected.get(s.info.name()));
            return (played.get() && all) || System.nanoTime() > deadline;
        }, null);
        XdfPlayback.Result play = playback.get(60, TimeUnit.SECONDS);
        assertThat(play.error).isNull();
        assertThat(play.stopped).isFalse();
        assertThat(rec.streams).allSatisfy(s -> assertThat(s.dropped).isZero());

        Streams back = new Streams();
        assertThat(XdfReader.read(recorded, back).error).isNull();
        assertThat(back.headers).hasSize(streams);
        for (XdfStream o : original.headers.values()) {
            XdfStream r = back.headers.values().stream().filter(s -> s.name.equals(o.name)).findFirst()
                    .orElseThrow();
            // every header field
            assertThat(r.type).isEqualTo(o.type);
            assertThat(r.channelCount).isEqualTo(o.channelCount);
            assertThat(r.nominalSrateHz).isEqualTo(o.nominalSrateHz);
            assertThat(r.format).isEqualTo(o.format);
            assertThat(r.sourceId).isEqualTo(o.sourceId);
            assertThat(r.labels).isEqualTo(o.labels);
            assertThat(r.units).isEqualTo(o.units);
            assertThat(r.channelTypes).isEqualTo(o.channelTypes);
            assertThat(r.note).isEqualTo(o.note);
            // every sample, value for value
            assertThat(back.values.get(o.name)).as(o.name).isEqualTo(original.values.get(o.name));
            // every timestamp: the recorded one is the original moved by the playback's shift, and the stream's
            // clock offset (one machine: near zero) maps it onto the recording clock
            List<Double> t0 = original.ts.get(o.name);
            List<Double> t1 = back.ts.get(o.name);
            assertThat(t1).hasSameSizeAs(t0);
            for (int i = 0; i < t0.size(); i++) {
                assertThat(t1.get(i) - play.shiftS).as("%s sample %d", o.name, i).isCloseTo(t0.get(i), within(1e-6));
            }
            List<double[]> off = back.offsets.get(o.name);
            assertThat(off).isNotEmpty();
            for (double[] x : off) {
                assertThat(Math.abs(x[1])).as("clock offset of %s", o.name).isLessThan(0.005);
            }
        }
        assertThat(Files.list(dir).map(p -> p.getFileName().toString()).toList()).noneMatch(n -> n.endsWith(".part"));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aRecordedSessionIsCalibratedAndDecodedFromItsXdfAsIfLive() throws Exception {
        Object[] r = CliRunner.run("demo", "--xdf", exported.toString(), "--seconds", "7", "--calibration-seconds",
                "3.5", "--no-journal", "--json", "--quiet");
        assertThat(r[0]).as("stderr %s", r[2]).isEqualTo(0);
        JsonNode j = Json.mapper().readTree(((String) r[1]).strip());
        assertThat(j.get("ending").asText()).isEqualTo("completed");
        JsonNode x = j.get("xdf");
        assertThat(x.fieldNames()).toIterable().containsExactly("file", "input_stream", "kinematics_stream", "span_s",
                "played", "max_late_ms");
        assertThat(x.get("input_stream").asText()).isEqualTo("Reflex input");
        assertThat(x.get("kinematics_stream").asText()).isEqualTo("Reflex targets");
        assertThat(j.get("channels").asInt()).isEqualTo(32);
        assertThat(j.get("dropped").asLong()).isZero();
        // the recorded spikes decode against the recorded kinematics as they did live
        assertThat(j.get("velocity_r2").asDouble()).isGreaterThan(0.3);
    }
}
