package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.decoders.CalibrationSet;
import io.reflex.decoders.catalog.Decoders;
import io.reflex.decoders.TrainableDecoder;
import io.reflex.decoders.file.DecoderFile;
import io.reflex.decoders.synth.CenterOutSource;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.session.ClosedLoopSession;
import io.reflex.runtime.config.DecoderCatalog;
import io.reflex.runtime.session.SessionReport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /api/decoder} with a decoder by name ({@code {"decoder": "lfads", "options": {"model": ...}}}) against a
 * real session decoding live in this process: malformed bodies are refused (400) with the reason, a swap at the wrong
 * time is 409, the file form still works, and every swap and refusal is in the control log.
 */
class ModelSwapApiTest {
    private static final int CHANNELS = 96;
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream(), true,
            StandardCharsets.UTF_8);

    @Test
    void theBodyIsAFileOrADecoderWithStringOptions() {
        ControlServer.SwapRequest f = ControlServer.swapRequest("{\"file\": \"/d.rxdf\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(f.file()).isEqualTo("/d.rxdf");
        assertThat(f.decoder()).isNull();
        ControlServer.SwapRequest m = ControlServer.swapRequest(
                "{\"decoder\": \"lfads\", \"options\": {\"model\": \"x\", \"mode\": \"causal\"}}"
                        .getBytes(StandardCharsets.UTF_8));
        assertThat(m.decoder()).isEqualTo("lfads");
        assertThat(m.options()).containsExactly(java.util.Map.entry("model", "x"), java.util.Map.entry("mode", "causal"));
        assertThat(ControlServer.swapRequest("{\"decoder\": \"snn\"}".getBytes(StandardCharsets.UTF_8)).options())
                .isEmpty();
        for (String[] bad : new String[][] {
                {"", "empty body"},
                {"{}", "neither file nor decoder"},
                {"x", "not JSON"},
                {"[1]", "must be a JSON object"},
                {"{\"decoder\": \"lfads\"} x", "not JSON"},
                {"{\"file\": \"/a\", \"decoder\": \"lfads\"}", "both given"},
                {"{\"file\": \"/a\", \"options\": {}}", "options go with decoder"},
                {"{\"decoder\": \"\"}", "decoder must be a non-empty string"},
                {"{\"decoder\": 3}", "decoder must be a non-empty string"},
                {"{\"decoder\": \"lfads\", \"model\": \"x\"}", "unknown field \"model\""},
                {"{\"decoder\": \"lfads\", \"options\": \"x\"}", "options must be an object"},
                {"{\"decoder\": \"lfads\", \"options\": {\"model\": 1}}", "option \"model\" must be a string"},
                {"{\"decoder\": \"lfads\", \"options\": {\"model\": \"" + "m".repeat(1025) + "\"}}", "longer than"},
        }) {
            assertThatThrownBy(() -> ControlServer.swapRequest(bad[0].getBytes(StandardCharsets.UTF_8)))
                    .as(bad[0]).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(bad[1]);
        }
        StringBuilder many = new StringBuilder("{\"decoder\": \"snn\", \"options\": {");
        for (int i = 0; i < ControlServer.MAX_SWAP_OPTIONS + 1; i++) {
            many.append(i == 0 ? "" : ", ").append("\"o").append(i).append("\": \"1\"");
        }
        assertThatThrownBy(() -> ControlServer.swapRequest((many + "}}").getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("at most " + ControlServer.MAX_SWAP_OPTIONS);
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void aLiveRunSwapsToLfadsAndSnnOverTheApiAndRefusesWhatItCannotDo(@TempDir Path dir) throws Exception {
        ReflexConfig c = ReflexConfig.parse("{\"journal\": {\"dir\": \"" + dir.toString().replace("\\", "\\\\")
                + "\"}, \"control\": {\"enabled\": true, \"port\": 0}}");
        c.source.channels = CHANNELS;
        c.pipeline.binWidthUs = 5_000;
        c.pipeline.deadlineUs = 50_000;
        c.decoder.name = "kalman";
        c.decoder.compare = new ArrayList<>();
        c.calibration.seconds = 2;
        c.run.seconds = 120;
        CountDownLatch live = new CountDownLatch(1);
        ClosedLoopSession session = new ClosedLoopSession(new ClosedLoopSession.Context().config(c)
                .listener(new ClosedLoopSession.Listener() {
                    @Override
                    public void onPhase(String phase, String detail) {
                        if (phase.equals("live")) {
                            live.countDown();
                        }
                    }
                }));
        ControlServer s = new ControlServer(c, new ControlState(new ClosedLoopSession.Listener() {
        }, null), r -> {
        }, null);
        s.decoderSwap(DaemonCommand.decoderSwap(c, () -> session));
        s.dataJournal((who, act) -> session.journalControlAction(who, act[0], act[1]));
        CompletableFuture<SessionReport> run = null;
        try {
            s.start(QUIET);
            ControlServerTest.Client api = new ControlServerTest.Client(s.port(),
                    Files.readString(dir.resolve("control.token")).strip());
            String lfads = "{\"decoder\": \"lfads\", \"options\": {\"model\": \""
                    + DecoderCatalog.CENTER_OUT_LFADS_MODEL + "\"}}";

            HttpResponse<String> early = api.post("/api/decoder", lfads);
            assertThat(early.statusCode()).as(early.body()).isEqualTo(409);
            assertThat(early.body()).contains("not live yet");

            run = CompletableFuture.supplyAsync(() -> {
                try {
                    return session.run();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!live.await(50, TimeUnit.MILLISECONDS)) {
                if (run.isDone()) {
                    run.get(); // the run ended before its live phase: its exception fails the test
                }
                assertThat(System.nanoTime()).as("live within 60 s").isLessThan(until);
            }

            // malformed or impossible: 400 with the reason, the live decoder untouched
            String[][] bad = {
                    {"{\"decoder\": \"lfads\", \"file\": \"/x.rxdf\"}", "both given"},
                    {"{\"decoder\": \"lfads\", \"options\": [1]}", "options must be an object"},
                    {"not json", "not JSON"},
                    {"{\"decoder\": \"lstm\"}", "is not one of"},
                    {"{\"decoder\": \"lfads\", \"options\": {\"model\": \"no-such-model\"}}", "no-such-model"},
                    {"{\"decoder\": \"lfads\", \"options\": {\"model\": \"" + DecoderCatalog.LORENZ_LFADS_MODEL
                            + "\"}}", "input dimension"},
                    {"{\"decoder\": \"snn\", \"options\": {\"colour\": \"red\"}}", "unknown option 'colour'"},
            };
            for (String[] b : bad) {
                HttpResponse<String> r = api.post("/api/decoder", b[0]);
                assertThat(r.statusCode()).as(b[0] + " -> " + r.body()).isEqualTo(400);
                assertThat(r.body()).as(b[0]).contains(b[1]);
            }

            HttpResponse<String> toLfads = api.post("/api/decoder", lfads);
            assertThat(toLfads.statusCode()).as(toLfads.body()).isEqualTo(200);
            JsonNode j = Json.mapper().readTree(toLfads.body());
            assertThat(j.get("swapped").asBoolean()).isTrue();
            assertThat(j.get("decoder").asText()).isEqualTo("lfads");
            assertThat(j.get("generation").asInt()).isEqualTo(2);
            assertThat(j.get("engine").asText()).isEqualTo("cpu-fixed");
            assertThat(j.get("model").asText())
                    .isEqualTo(Decoders.lfadsModel(DecoderCatalog.CENTER_OUT_LFADS_MODEL).name());

            HttpResponse<String> toSnn = api.post("/api/decoder", "{\"decoder\": \"snn\"}");
            assertThat(toSnn.statusCode()).as(toSnn.body()).isEqualTo(200);
            assertThat(Json.mapper().readTree(toSnn.body()).get("generation").asInt()).isEqualTo(3);

            // the file form still works, from a model decoder back to a linear one
            Path wiener = wienerFile(dir);
            HttpResponse<String> toFile = api.post("/api/decoder", "{\"file\": \"" + wiener + "\"}");
            assertThat(toFile.statusCode()).as(toFile.body()).isEqualTo(200);
            JsonNode f = Json.mapper().readTree(toFile.body());
            assertThat(f.get("decoder").asText()).isEqualTo("wiener");
            assertThat(f.get("generation").asInt()).isEqualTo(4);

            // a saved LFADS decoder file swaps in through the file form, opened on the run's engine chain
            Path lfadsFile = lfadsFile(dir);
            HttpResponse<String> toModelFile = api.post("/api/decoder", "{\"file\": \"" + lfadsFile + "\"}");
            assertThat(toModelFile.statusCode()).as(toModelFile.body()).isEqualTo(200);
            JsonNode mf = Json.mapper().readTree(toModelFile.body());
            assertThat(mf.get("decoder").asText()).isEqualTo("lfads");
            assertThat(mf.get("generation").asInt()).isEqualTo(5);

            session.requestStop();
            SessionReport r = run.get(60, TimeUnit.SECONDS);
            assertThat(r.decoderSwaps).isEqualTo(4);
            assertThat(r.decoderFinal).isEqualTo("lfads");
            assertThat(r.dropped).isZero();
            assertThat(r.deadlineMisses).isZero();
            assertThat(r.engineGenerations).extracting(g -> g.decoder).containsExactly("lfads", "snn", "lfads");
            assertThat(r.engineGenerations).extracting(g -> g.generation).containsExactly(2, 3, 5);
            assertThat(r.engineGenerations).allSatisfy(g -> {
                assertThat(g.goldenCompared).isPositive();
                assertThat(g.goldenMismatches).isZero();
            });
            JsonNode report = Json.mapper().readTree(Reports.json(r).toJson());
            assertThat(report.get("decoder_final_generation").asInt()).isEqualTo(5);
            assertThat(report.get("engine_generations")).hasSize(3);
            assertThat(report.at("/golden/mismatches").asLong()).isZero();
            assertThat(report.at("/engine_generations/1/decoder").asText()).isEqualTo("snn");
            assertThat(report.at("/engine_generations/1/golden/mismatches").asLong()).isZero();

            HttpResponse<String> late = api.post("/api/decoder", "{\"decoder\": \"snn\"}");
            assertThat(late.statusCode()).as(late.body()).isEqualTo(409);
        } finally {
            if (run != null && !run.isDone()) {
                session.requestStop();
                run.get(60, TimeUnit.SECONDS);
            }
            s.close();
        }
        List<String> log = Files.readAllLines(dir.resolve("control.log"));
        assertThat(log).anyMatch(l -> l.contains("\tdecoder-swap\tswapped to lfads {model="
                + DecoderCatalog.CENTER_OUT_LFADS_MODEL + "}: "));
        assertThat(log).anyMatch(l -> l.contains("\tdecoder-swap\tswapped to snn: "));
        assertThat(log).anyMatch(l -> l.contains("\tdecoder-swap\trefused 400: lstm: "));
        assertThat(log).anyMatch(l -> l.contains("\tdecoder-swap\trefused 409: lfads {model="));
    }

    /** An LFADS decoder (the shipped center-out model, readout fitted here) for the run's 96 channels, in a file. */
    private static Path lfadsFile(Path dir) throws Exception {
        CenterOutSource gen = new CenterOutSource(new CenterOutSource.Context().channels(CHANNELS).seed(1));
        CalibrationSet set = new CalibrationSet(400, CHANNELS, 2);
        gen.fillVelocityCalibration(set, 20);
        TrainableDecoder d = Decoders.create("lfads", CHANNELS,
                java.util.Map.of("model", DecoderCatalog.CENTER_OUT_LFADS_MODEL));
        try {
            d.fit(set);
            Path f = dir.resolve("lfads.rxdf");
            DecoderFile.write(f, d, 5_000, 1000, 400, "{\"fitted_by\": \"ModelSwapApiTest\"}");
            return f;
        } finally {
            ((AutoCloseable) d).close();
        }
    }

    /** A Wiener decoder for the run's 96 channels, 5 ms bins at 1 kHz, in a decoder file. */
    private static Path wienerFile(Path dir) {
        CenterOutSource gen = new CenterOutSource(new CenterOutSource.Context().channels(CHANNELS).seed(1));
        CalibrationSet set = new CalibrationSet(1000, CHANNELS, 2);
        gen.fillVelocityCalibration(set, 20);
        TrainableDecoder d = Decoders.create("wiener", CHANNELS, null);
        d.fit(set);
        Path f = dir.resolve("swap.rxdf");
        DecoderFile.write(f, d, 5_000, 1000, 1000, "{\"fitted_by\": \"ModelSwapApiTest\"}");
        return f;
    }
}
