package io.reflex.tools;

import static io.reflex.tools.CliRunner.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.runtime.lsl.BroadbandLslPublisher;
import io.reflex.lsl.JavaLsl;
import io.reflex.lsl.LslConfig;
import io.reflex.runtime.lsl.SplitLslPublisher;
import io.reflex.runtime.source.BroadbandGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code reflex demo --broadband} and {@code reflex source --broadband}, end to end. */
class BroadbandDemoCliTest {

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theBroadbandDemoDecodesFromRawVoltageFindsTheSpikesAndNamesTheDeadChannels() throws Exception {
        Object[] r = run("demo", "--broadband", "--seconds", "14", "--calibration-seconds", "8", "--channels", "32",
                "--json", "--quiet");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        String stdout = ((String) r[1]).strip();
        assertThat(stdout.lines().count()).isEqualTo(1);
        JsonNode j = Json.mapper().readTree(stdout);
        System.out.println(stdout);
        assertThat(j.get("ending").asText()).isEqualTo("completed");
        assertThat(j.get("channels").asInt()).isEqualTo(32);
        assertThat(j.get("journal").isNull()).isTrue();
        assertThat(j.get("frames").asLong()).isGreaterThan(200);
        assertThat(j.get("dropped").asLong()).isZero();
        assertThat(j.get("invalid_input").asLong()).isZero();

        JsonNode fe = j.get("frontend");
        assertThat(fe.get("outputs").get(0).asText()).isEqualTo("crossings");
        assertThat(fe.get("features").asInt()).isEqualTo(32);
        assertThat(fe.get("car").asText()).isEqualTo("all");
        assertThat(fe.get("filter").asText()).isEqualTo("band-pass 250-5000 Hz, order 2 each side");
        assertThat(fe.get("calibrated").asBoolean()).isTrue();
        assertThat(fe.get("median_rms_uv").asDouble()).isBetween(4.0, 9.0);
        assertThat(fe.get("dead").asText()).isEqualTo("29 (non-finite), 30 (flat), 31 (clipped)");
        assertThat(fe.get("dead_channels").toString()).isEqualTo("[29,30,31]");
        assertThat(fe.get("crossings").asLong()).isPositive();

        JsonNode d = j.get("detection");
        assertThat(d.get("channels_scored").asInt()).isEqualTo(29);
        assertThat(d.get("true_spikes").asLong()).isGreaterThan(1_000);
        assertThat(d.get("hit_rate").asDouble()).isGreaterThanOrEqualTo(0.95);
        assertThat(d.get("false_positives_per_s").asDouble()).isLessThanOrEqualTo(1.0);
        assertThat(d.get("truth_lost").asLong()).isZero();
        assertThat(j.get("velocity_r2").asDouble()).isGreaterThan(0.5);
    }

    /** Troughs of 25–45 µV in 10 µV of noise: many spikes stay under -4.5 × RMS, and the scorer says so. */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void weakerUnitsLowerTheHitRateAndTheReportShowsIt(@TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path cfg = java.nio.file.Files.writeString(dir.resolve("weak.json"),
                "{\"source\": {\"broadband\": {\"spikeMinUv\": 25, \"spikeMaxUv\": 45}}}");
        Object[] r = run("demo", "--broadband", "--seconds", "10", "--calibration-seconds", "6", "--channels", "32",
                "--config", cfg.toString(), "--json", "--quiet");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        JsonNode j = Json.mapper().readTree(((String) r[1]).strip());
        JsonNode d = j.get("detection");
        assertThat(d.get("true_spikes").asLong()).isGreaterThan(500);
        assertThat(d.get("hit_rate").asDouble()).isBetween(0.2, 0.85);
        assertThat(d.get("min_channel_hit_rate").asDouble()).isLessThan(d.get("hit_rate").asDouble());
        assertThat(d.get("false_positives_per_s").asDouble()).isLessThanOrEqualTo(0.5);
        assertThat(j.get("frontend").get("median_rms_uv").asDouble()).isBetween(4.0, 9.0);
        r = run("source", "--loopback", "--spike-uv", "20,40", "--quiet");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("--spike-uv and --noise-uv need --broadband");
        r = run("source", "--loopback", "--broadband", "--spike-uv", "40,20", "--quiet");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("MIN,MAX with 0 <= MIN <= MAX");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theDaemonRunsTheBroadbandExampleConfig() throws Exception {
        String cfg = java.nio.file.Path.of("..", "config", "broadband-example.json").toString();
        Object[] r = run("daemon", "--check", "--config", cfg);
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        assertThat((String) r[1]).contains("\"frontend\"", "\"inputScaleUv\" : 1.0");
        r = run("daemon", "--config", cfg, "--json");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        JsonNode j = Json.mapper().readTree(((String) r[1]).strip());
        assertThat(j.get("ending").asText()).isEqualTo("completed");
        assertThat(j.get("frontend").get("calibrated").asBoolean()).isTrue();
        assertThat(j.get("frontend").get("dead").asText()).isEmpty();
        assertThat(j.get("frontend").get("crossings").asLong()).isPositive();
        assertThat(j.has("detection")).isFalse();
        assertThat(j.get("frames").asLong()).isGreaterThan(150);
        assertThat(j.get("velocity_r2").asDouble()).isGreaterThan(0.3);
    }

    @Test
    void broadbandRefusesOptionsItCannotHonour() {
        Object[] r = run("demo", "--broadband", "--lsl", "--quiet");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("--broadband");
        r = run("demo", "--broadband", "--seconds", "2", "--channels", "0", "--quiet");
        assertThat(r[0]).isEqualTo(2);
        r = run("source", "--loopback", "--broadband", "--rate", "500", "--quiet");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("--broadband");
        r = run("source", "--loopback", "--broadband", "--chunk-samples", "0", "--quiet");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("--chunk-samples");
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void sourceBroadbandPublishesChunksForItsSeconds() throws Exception {
        String name = "cli-bb-" + UUID.randomUUID().toString().substring(0, 8);
        Object[] r = run("source", "--loopback", "--broadband", "--json", "--quiet", "--seconds", "0.5",
                "--channels", "8", "--chunk-samples", "7", "--name", name);
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        JsonNode j = Json.mapper().readTree(((String) r[1]).strip());
        assertThat(j.get("type").asText()).isEqualTo("Broadband");
        assertThat(j.get("rate_hz").asDouble()).isEqualTo(30_000);
        // every chunk whose last sample is due within 0.5 s: 2142 chunks of 7 (14,994 samples)
        assertThat(j.get("chunks").asLong()).isEqualTo(2_142);
        assertThat(j.get("samples").asLong()).isEqualTo(14_994);
        assertThat(j.get("true_spikes").asLong()).isPositive();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void sourceBroadbandInt16PublishesCountsAndAKinematicsStream() throws Exception {
        String name = "cli-bb16-" + UUID.randomUUID().toString().substring(0, 8);
        Object[] r = run("source", "--loopback", "--broadband", "--int16", "--json", "--quiet", "--seconds", "0.5",
                "--channels", "8", "--chunk-samples", "7", "--name", name);
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        JsonNode j = Json.mapper().readTree(((String) r[1]).strip());
        assertThat(j.get("format").asText()).isEqualTo("int16");
        assertThat(j.get("count_uv").asDouble()).isEqualTo(0.25);
        assertThat(j.get("kinematics_stream").asText()).isEqualTo(name + "-kinematics");
        assertThat(j.get("samples").asLong()).isEqualTo(14_994);
        r = run("source", "--loopback", "--broadband", "--json", "--quiet", "--seconds", "0.1", "--name", name);
        assertThat(r[0]).isEqualTo(0);
        j = Json.mapper().readTree(((String) r[1]).strip());
        assertThat(j.get("format").asText()).isEqualTo("float32");
        assertThat(j.get("kinematics_stream").isNull()).isTrue();
        r = run("source", "--loopback", "--int16", "--quiet");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("--int16 needs --broadband");
        r = run("source", "--loopback", "--broadband", "--int16=0", "--quiet");
        assertThat(r[0]).isEqualTo(2);
        r = run("source", "--loopback", "--broadband", "--kinematics-stream", "k", "--quiet");
        assertThat(r[0]).as("float32 broadband carries its kinematics itself").isEqualTo(2);
        // a loop: 0.1 s of 8 channels in chunks of 7 is 429 chunks, generated once, published for 0.5 s
        r = run("source", "--loopback", "--broadband", "--int16", "--json", "--quiet", "--seconds", "0.5",
                "--channels", "8", "--chunk-samples", "7", "--loop-seconds", "0.1", "--name", name);
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        j = Json.mapper().readTree(((String) r[1]).strip());
        assertThat(j.get("loop_chunks").asInt()).isEqualTo(429);
        assertThat(j.get("samples").asLong()).isEqualTo(14_994);
        r = run("source", "--loopback", "--loop-seconds", "1", "--quiet");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("--loop-seconds needs --broadband");
        r = run("source", "--loopback", "--broadband", "--channels", "65536", "--quiet");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("at most 65532 channels");
        r = run("source", "--loopback", "--broadband", "--int16", "--channels", "65536", "--loop-seconds", "3600",
                "--quiet");
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[2]).contains("--loop-seconds: a loop of").contains("raise -Xmx");
    }

    /**
     * An amplifier's int16 broadband stream and a task's kinematics stream on loopback LSL, decoded by the daemon:
     * counts scaled by frontend.inputScaleUv, dead channels found in counts, the loop closed on the paired kinematics.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void theDaemonDecodesAnInt16BroadbandStreamWithItsKinematicsStream(@TempDir Path dir) throws Exception {
        String amp = "amp16-" + UUID.randomUUID().toString().substring(0, 8);
        String task = amp + "-kin";
        String cfg = """
                {"source": {"type": "lsl", "channels": 32, "sampleRateHz": 30000,
                  "lsl": {"name": "%s", "type": "Broadband", "sourceId": "%s", "backend": "java",
                    "network": "loopback", "resolveTimeoutS": 30,
                    "kinematics": {"name": "%s", "type": "%s", "sourceId": "%s"}}},
                 "pipeline": {"binWidthUs": 20000, "deadlineUs": 5000},
                 "frontend": {"car": "all", "filter": {"order": 2, "highPassHz": 250, "lowPassHz": 5000},
                   "threshold": {"k": 4.5, "refractoryMs": 1.0}, "rmsSeconds": 2, "outputs": ["crossings"],
                   "health": {"flatUv": 0.5, "clipUv": 8000, "clippedFraction": 0.01}, "inputScaleUv": 0.25},
                 "decoder": {"name": "kalman"},
                 "calibration": {"seconds": 6, "timeoutS": 60},
                 "run": {"seconds": 4},
                 "journal": {"enabled": false}}
                """.formatted(amp, amp, task, SplitLslPublisher.KINEMATICS_TYPE, task);
        Path file = Files.writeString(dir.resolve("int16.json"), cfg);
        AtomicBoolean stop = new AtomicBoolean();
        BroadbandGenerator gen = new BroadbandGenerator(new BroadbandGenerator.Context().channels(32)
                .sampleRateHz(30_000).seed(1).deadChannels(29, 30, 31));
        try (BroadbandLslPublisher pub = BroadbandLslPublisher.int16(new JavaLsl(LslConfig.loopback(),
                e -> { }), amp, amp, gen, 30, 0.25, task, 30)) {
            Thread t = new Thread(() -> pub.run(0, stop::get), "test-int16-amplifier");
            t.start();
            Object[] r;
            try {
                r = run("daemon", "--json", "--config", file.toString());
            } finally {
                stop.set(true);
                t.join(10_000);
            }
            assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
            JsonNode j = Json.mapper().readTree(((String) r[1]).strip());
            assertThat(j.get("ending").asText()).as("failure: %s", j.get("failure")).isEqualTo("completed");
            assertThat(j.get("dropped").asLong()).isZero();
            JsonNode fe = j.get("frontend");
            assertThat(fe.get("calibrated").asBoolean()).isTrue();
            // int16 cannot carry NaN: channel 29's one NaN sample in 1,000 arrives as a 0 count, so that channel is
            // live here; the flat and the clipped channel are found in counts scaled to µV
            assertThat(fe.get("dead").asText()).isEqualTo("30 (flat), 31 (clipped)");
            // the RMS of the noise in µV, not in counts (which would be four times as large)
            assertThat(fe.get("median_rms_uv").asDouble()).isBetween(4.0, 9.0);
            assertThat(fe.get("crossings").asLong()).isPositive();
            assertThat(j.get("kinematics").get("paired").asLong()).isGreaterThanOrEqualTo(300);
            assertThat(j.get("velocity_r2").asDouble()).isGreaterThan(0.3);
        }
    }

    /**
     * Both front-end outputs (threshold crossings and spike-band power) with the journal on: every frame's 2 ×
     * channels features are journaled (frame layout 2), the saved decoder replays them bit for bit, `fit` fits on
     * them and `export` writes them as one XDF features stream of 2 × channels labelled by output.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void bothOutputsWithTheJournalOnAreJournaledReplayedFittedAndExported(@TempDir Path dir) throws Exception {
        Path cfg = Files.writeString(dir.resolve("both.json"),
                "{\"source\": {\"type\": \"broadband\", \"sampleRateHz\": 30000},"
                        + " \"frontend\": {\"outputs\": [\"crossings\", \"power\"]}}");
        Path journals = dir.resolve("journal");
        Object[] r = run("demo", "--broadband", "--seconds", "10", "--calibration-seconds", "6", "--channels", "16",
                "--config", cfg.toString(), "--journal-dir", journals.toString(), "--json", "--quiet");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        JsonNode j = Json.mapper().readTree(((String) r[1]).strip());
        assertThat(j.get("frontend").get("features").asInt()).isEqualTo(32);
        assertThat(j.get("journal_frames_not_written").asLong()).isZero();
        long frames = j.get("journal_frames").asLong();
        assertThat(frames).isGreaterThan(100);
        Path run;
        try (var runs = Files.list(journals)) {
            run = runs.filter(p -> p.getFileName().toString().startsWith("run-")).findFirst().orElseThrow();
        }

        int[] featureCounts = {Integer.MAX_VALUE, Integer.MIN_VALUE};
        long read = 0;
        try (io.reflex.runtime.journal.JournalReader jr = new io.reflex.runtime.journal.JournalReader(run)) {
            io.reflex.runtime.journal.JournalRecord rec = new io.reflex.runtime.journal.JournalRecord();
            while (jr.next(rec)) {
                read++;
                assertThat(rec.channels).isEqualTo(16);
                featureCounts[0] = Math.min(featureCounts[0], rec.featureCount);
                featureCounts[1] = Math.max(featureCounts[1], rec.featureCount);
            }
            assertThat(jr.tailFault()).isNull();
        }
        assertThat(read).isEqualTo(frames);
        assertThat(featureCounts).containsExactly(32, 32);

        r = run("journal", "info", run.toString(), "--json");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        JsonNode info = Json.mapper().readTree(((String) r[1]).strip()).get("runs").get(0);
        assertThat(info.get("channels").asInt()).isEqualTo(16);
        assertThat(info.get("features").asInt()).isEqualTo(32);
        assertThat(info.get("frames").asLong()).isEqualTo(frames);

        r = run("replay", run.toString(), "--json");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        JsonNode rp = Json.mapper().readTree(((String) r[1]).strip());
        assertThat(rp.get("channels").asInt()).isEqualTo(16);
        assertThat(rp.get("compared").asLong()).isGreaterThan(50);
        assertThat(rp.get("mismatches").asLong()).isZero();
        assertThat(rp.get("reproduced").asBoolean()).isTrue();

        r = run("fit", "--journal", run.toString(), "--decoder", "wiener", "--out", dir.resolve("w.rxdf").toString(),
                "--json");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        JsonNode fit = Json.mapper().readTree(((String) r[1]).strip());
        assertThat(fit.get("channels").asInt()).isEqualTo(16);
        assertThat(fit.get("bins").asInt()).isPositive();

        Path xdf = dir.resolve("both.xdf");
        r = run("export", run.toString(), "--xdf", xdf.toString(), "--streams", "features", "--json");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        io.reflex.runtime.xdf.XdfReader.Result x = io.reflex.runtime.xdf.XdfReader.read(xdf,
                new io.reflex.runtime.xdf.XdfReader.Visitor() { });
        assertThat(x.error).isNull();
        io.reflex.runtime.xdf.XdfStream features = x.streams.get(1).stream;
        assertThat(features.channelCount).isEqualTo(32);
        assertThat(features.labels.get(0)).isEqualTo("ch0:crossings");
        assertThat(features.labels.get(16)).isEqualTo("ch0:power");
        assertThat(features.labels.get(31)).isEqualTo("ch15:power");
        assertThat(x.streams.get(1).samples).isEqualTo(frames);
    }
}
