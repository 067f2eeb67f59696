package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.decoders.DecodeStatus;
import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.config.ReflexConfig;
import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.session.ClosedLoopSession;
import io.reflex.stim.StimController;
import io.reflex.stim.StimFault;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control server without a daemon: start-up refusals, request-body rules, and arming with a confirmation
 * against a real stimulation system (simulated stimulator, write-ahead journal, controller) whose emit thread is
 * played by a test thread feeding frames.
 */
class ControlServerTest {
    private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream(), true,
            StandardCharsets.UTF_8);

    private static ReflexConfig config(Path dir, int port) {
        ReflexConfig c = ReflexConfig.parse("{\"journal\": {\"dir\": \"" + dir.toString().replace("\\", "\\\\")
                + "\"}, \"control\": {\"enabled\": true, \"port\": " + port + "}}");
        return c;
    }

    private static ControlServer server(ReflexConfig c) {
        return new ControlServer(c, new ControlState(new ClosedLoopSession.Listener() {
        }, null), reason -> {
        }, null);
    }

    @Test
    void aTakenPortIsRefusedNamingTheField(@TempDir Path dir) throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            ControlServer s = server(config(dir, taken.getLocalPort()));
            try {
                assertThatThrownBy(() -> s.start(new PrintStream(new ByteArrayOutputStream(), true,
                        StandardCharsets.UTF_8)))
                        .isInstanceOf(ConfigException.class)
                        .hasMessageStartingWith("control.port: cannot listen on 127.0.0.1:" + taken.getLocalPort());
            } finally {
                s.close();
            }
            assertThat(dir.resolve("control.token")).as("no token left behind").doesNotExist();
        }
    }

    @Test
    void aTokenFileThatCannotBeWrittenIsRefused(@TempDir Path dir) throws Exception {
        Path notADir = Files.writeString(dir.resolve("plain-file"), "x");
        ReflexConfig c = config(dir, 0);
        c.control.tokenFile = notADir.resolve("control.token").toString();
        ControlServer s = server(c);
        try {
            assertThatThrownBy(() -> s.start(new PrintStream(new ByteArrayOutputStream(), true,
                    StandardCharsets.UTF_8)))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("control.tokenFile: cannot write");
        } finally {
            s.close();
        }
    }

    @Test
    void theBodyIsOptionalJsonWithOneBoundedReason() {
        assertThat(ControlServer.reason(new byte[0])).isEmpty();
        assertThat(ControlServer.reason(" {} ".getBytes(StandardCharsets.UTF_8))).isEmpty();
        assertThat(ControlServer.reason("{\"reason\": \"end of block\"}".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("end of block");
        assertThatThrownBy(() -> ControlServer.reason("[1]".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("must be a JSON object");
        assertThatThrownBy(() -> ControlServer.reason("{\"reason\": \"x\"} x".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ControlServer.reason(("{\"reason\": \"" + "y".repeat(201) + "\"}")
                .getBytes(StandardCharsets.UTF_8))).hasMessageContaining("longer than 200");
        assertThatThrownBy(() -> ControlServer.reason(new byte[ControlServer.MAX_BODY_BYTES + 1]))
                .hasMessageContaining("at most " + ControlServer.MAX_BODY_BYTES);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void armingNeedsAConfirmationWhichArmsOnceThroughTheEmitThread(@TempDir Path dir) throws Exception {
        ReflexConfig c = ReflexConfig.parse("{\"journal\": {\"dir\": \"" + json(dir) + "\"},"
                + " \"stim\": {\"heartbeatTimeoutUs\": 5000000, \"decoderTimeoutUs\": 5000000,"
                + " \"linkHeartbeatTimeoutMs\": 5000, \"ackTimeoutMs\": 5000},"
                + " \"control\": {\"enabled\": true}}");
        AtomicLong clock = new AtomicLong(System.nanoTime());
        try (StimRun stim = StimRun.start(c, c.stim, m -> { }, null, null);
             Emitter emitter = new Emitter(stim)) {
            StimController ctl = stim.system().controller();
            ControlServer s = new ControlServer(c, new ControlState(new ClosedLoopSession.Listener() {
            }, stim), r -> { }, stim.control()).clockNs(clock::get);
            String id;
            try {
                s.start(QUIET);
                Client api = new Client(s.port(), Files.readString(dir.resolve("control.token")).strip());

                // Refused before anything is looked at: no token, a foreign origin.
                assertThat(api.post("/api/stim/arm", null, null, "{\"reason\": \"x\"}").statusCode()).isEqualTo(401);
                assertThat(api.post("/api/stim/arm", api.token, "http://evil.example", "{\"reason\": \"x\"}")
                        .statusCode()).isEqualTo(403);
                assertThat(api.post("/api/stim/arm/confirm", null, null, "{\"confirmation\": \"00\"}")
                        .statusCode()).isEqualTo(401);
                // A reason is required.
                assertThat(api.post("/api/stim/arm", "").statusCode()).isEqualTo(400);
                assertThat(api.post("/api/stim/arm", "{\"reason\": \"  \"}").body()).contains("needs a reason");
                assertThat(api.post("/api/stim/arm", "{\"reason\": \"" + "r".repeat(201) + "\"}").statusCode())
                        .isEqualTo(400);

                // The first step arms nothing, however many frames pass.
                HttpResponse<String> asked = api.post("/api/stim/arm", "{\"reason\": \"block 3, monkey awake\"}");
                assertThat(asked.statusCode()).as(asked.body()).isEqualTo(202);
                JsonNode a = Json.mapper().readTree(asked.body());
                id = a.get("confirmation").asText();
                assertThat(id).matches("[0-9a-f]{32}");
                assertThat(a.get("expires_in_s").asInt()).isEqualTo(ControlServer.CONFIRM_TTL_S);
                emitter.awaitFrames(20);
                assertThat(ctl.isArmed()).as("armed without confirmation").isFalse();

                // A wrong id and a malformed body are refused; still not armed.
                HttpResponse<String> wrong = api.post("/api/stim/arm/confirm", "{\"confirmation\": \"" + "0"
                        .repeat(32) + "\"}");
                assertThat(wrong.statusCode()).isEqualTo(409);
                assertThat(wrong.body()).contains("unknown confirmation");
                assertThat(api.post("/api/stim/arm/confirm", "{\"id\": \"" + id + "\"}").statusCode())
                        .isEqualTo(400);
                assertThat(api.post("/api/stim/arm/confirm", "{}").statusCode()).isEqualTo(400);
                assertThat(ctl.isArmed()).isFalse();

                // The confirmation arms through the emit thread (which opens the stimulator link first).
                HttpResponse<String> ok = api.post("/api/stim/arm/confirm", "{\"confirmation\": \"" + id + "\"}");
                assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
                assertThat(Json.mapper().readTree(ok.body()).get("armed").asBoolean()).isTrue();
                assertThat(ctl.isArmed()).isTrue();
                assertThat(emitter.failure).isNull();

                // One use only.
                HttpResponse<String> again = api.post("/api/stim/arm/confirm", "{\"confirmation\": \"" + id
                        + "\"}");
                assertThat(again.statusCode()).isEqualTo(409);
                assertThat(again.body()).contains("used already");
                // Asking to arm while armed is refused.
                assertThat(api.post("/api/stim/arm", "{\"reason\": \"x\"}").body()).contains("armed already");

                // Disarm: a reason is required; then the next frame disarms.
                assertThat(api.post("/api/stim/disarm", "{}").statusCode()).isEqualTo(400);
                HttpResponse<String> off = api.post("/api/stim/disarm", "{\"reason\": \"end of block 3\"}");
                assertThat(off.statusCode()).as(off.body()).isEqualTo(202);
                await(() -> !ctl.isArmed(), "disarmed");

                // An id past its time is refused.
                String late = Json.mapper().readTree(api.post("/api/stim/arm", "{\"reason\": \"block 4\"}").body())
                        .get("confirmation").asText();
                clock.addAndGet(TimeUnit.SECONDS.toNanos(ControlServer.CONFIRM_TTL_S + 1));
                HttpResponse<String> expired = api.post("/api/stim/arm/confirm", "{\"confirmation\": \"" + late
                        + "\"}");
                assertThat(expired.statusCode()).isEqualTo(409);
                assertThat(expired.body()).contains("expired");
                assertThat(ctl.isArmed()).isFalse();

                // A disarm voids a confirmation issued before it.
                String voided = Json.mapper().readTree(api.post("/api/stim/arm", "{\"reason\": \"block 5\"}")
                        .body()).get("confirmation").asText();
                assertThat(api.post("/api/stim/disarm", "{\"reason\": \"changed my mind\"}").statusCode())
                        .isEqualTo(202);
                assertThat(api.post("/api/stim/arm/confirm", "{\"confirmation\": \"" + voided + "\"}").statusCode())
                        .isEqualTo(409);

                // The controller's own refusal (a fault latched after the id was issued) comes back as 409.
                String doomed = Json.mapper().readTree(api.post("/api/stim/arm", "{\"reason\": \"block 6\"}")
                        .body()).get("confirmation").asText();
                ctl.requestFault(StimFault.JOURNAL, "test: journal fault");
                await(() -> ctl.faultCode() != StimFault.NONE, "the fault latched");
                HttpResponse<String> refused = api.post("/api/stim/arm/confirm", "{\"confirmation\": \"" + doomed
                        + "\"}");
                assertThat(refused.statusCode()).as(refused.body()).isEqualTo(409);
                assertThat(refused.body()).contains("arming refused: fault latched (journal: test: journal fault)");
                assertThat(ctl.isArmed()).isFalse();
                // With the fault latched the first step refuses at once.
                HttpResponse<String> faulted = api.post("/api/stim/arm", "{\"reason\": \"block 7\"}");
                assertThat(faulted.statusCode()).isEqualTo(409);
                assertThat(faulted.body()).contains("fault is latched");
                assertThat(emitter.failure).isNull();
            } finally {
                s.close();
            }
            List<String> log = Files.readAllLines(dir.resolve("control.log"));
            assertThat(log).anyMatch(l -> l.contains("token=none") && l.contains("/api/stim/arm")
                    && l.contains("refused 401"));
            assertThat(log).anyMatch(l -> l.contains("refused 403: cross-origin"));
            assertThat(log).anyMatch(l -> l.contains("127.0.0.1 token=ok\tstim-arm\tconfirmation "
                    + id.substring(0, 8) + "... issued, valid 30 s; reason \"block 3, monkey awake\"; not armed"));
            assertThat(log).anyMatch(l -> l.contains("\tstim-arm-confirm\trefused 409: unknown confirmation"));
            assertThat(log).anyMatch(l -> l.contains("\tstim-arm-confirm\tarmed with confirmation "
                    + id.substring(0, 8) + "...; reason \"block 3, monkey awake\""));
            assertThat(log).anyMatch(l -> l.contains("\tstim-arm-confirm\trefused 409: confirmation \""
                    + id.substring(0, 8) + "...\" was used already"));
            assertThat(log).anyMatch(l -> l.contains("\tstim-arm-confirm\trefused 409:") && l.contains("expired"));
            assertThat(log).anyMatch(l -> l.contains("\tstim-disarm\taccepted; reason \"end of block 3\""));
            assertThat(log).anyMatch(l -> l.contains("\tstim-arm-confirm\trefused 409: arming refused: fault"));
        }
    }

    @Test
    void withoutAStimSectionTheStimRoutesAre404(@TempDir Path dir) throws Exception {
        ControlServer s = server(config(dir, 0));
        try {
            s.start(QUIET);
            Client api = new Client(s.port(), Files.readString(dir.resolve("control.token")).strip());
            for (String path : List.of("/api/stim/arm", "/api/stim/arm/confirm", "/api/stim/disarm",
                    "/api/stim/estop")) {
                HttpResponse<String> r = api.post(path, "{}");
                assertThat(r.statusCode()).as(path).isEqualTo(404);
                assertThat(r.body()).as(path).contains("without a stim section");
            }
        } finally {
            s.close();
        }
    }

    private static String json(Path p) {
        return p.toString().replace("\\", "\\\\");
    }

    private static void await(BooleanSupplier done, String what) {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("%s within 20 s", what).isLessThan(until);
            // Polls the condition; a short park keeps the poll from taking a core of a 2-core machine.
            LockSupport.parkNanos(200_000L);
        }
    }

    /** Plays the pipeline's emit thread: fresh frames to the stimulation stage every 2 ms, quiet output. */
    static final class Emitter implements AutoCloseable {
        private final Thread thread;
        private volatile boolean stop;
        private final AtomicLong frames = new AtomicLong();
        volatile Throwable failure;

        Emitter(StimRun stim) {
            thread = new Thread(() -> {
                Frame f = new Frame(4, 2, 2, 2);
                f.decoderGeneration = 1;
                f.decodeStatus = DecodeStatus.OK;
                try {
                    for (long seq = 0; !stop; seq++) {
                        long now = System.nanoTime();
                        f.sequence = seq;
                        f.acquisitionTimeS = now * 1e-9;
                        f.deadlineNs = now + 1_000_000_000L;
                        stim.system().stage().emit(f);
                        frames.incrementAndGet();
                        LockSupport.parkNanos(2_000_000L);
                    }
                } catch (Throwable t) {
                    failure = t;
                }
            }, "test-emit");
            thread.setDaemon(true);
            thread.start();
        }

        void awaitFrames(long n) {
            long target = frames.get() + n;
            await(() -> frames.get() >= target || failure != null, n + " frames");
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(10_000);
        }
    }

    /** Requests with the token unless told otherwise; Host is 127.0.0.1:port as the server expects. */
    static final class Client {
        final int port;
        final String token;
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

        Client(int port, String token) {
            this.port = port;
            this.token = token;
        }

        HttpResponse<String> post(String path, String body) throws Exception {
            return post(path, token, null, body);
        }

        HttpResponse<String> post(String path, String bearer, String origin, String body) throws Exception {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body));
            if (bearer != null) {
                b.header("Authorization", "Bearer " + bearer);
            }
            if (origin != null) {
                b.header("Origin", origin);
            }
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    private static ReflexConfig telemetryConfig(Path dir, int hz, int maxClients) {
        return ReflexConfig.parse("{\"journal\": {\"dir\": \"" + json(dir) + "\"}, \"control\": {\"enabled\": true,"
                + " \"telemetryHz\": " + hz + ", \"telemetryMaxClients\": " + maxClients + "}}");
    }

    /** A session thread's progress ticks: frames grow by 7 every 5 ms until closed. */
    static final class Ticker implements AutoCloseable {
        private final Thread thread;
        private volatile boolean stop;

        Ticker(ControlState state) {
            thread = new Thread(() -> {
                for (long frames = 1; !stop; frames += 7) {
                    ClosedLoopSession.Progress p = new ClosedLoopSession.Progress();
                    p.phase = "live";
                    p.frames = frames;
                    p.totalFrames = frames;
                    state.onTick(p);
                    LockSupport.parkNanos(5_000_000L);
                }
            }, "test-session");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(10_000);
        }
    }

    /** Collects a WebSocket's text messages. */
    static final class Collector implements WebSocket.Listener {
        final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        private final StringBuilder part = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            part.append(data);
            if (last) {
                messages.add(part.toString());
                part.setLength(0);
            }
            ws.request(1);
            return null;
        }

        JsonNode next() throws Exception {
            String m = messages.poll(20, TimeUnit.SECONDS);
            assertThat(m).as("a telemetry message within 20 s").isNotNull();
            return Json.mapper().readTree(m);
        }
    }

    private static WebSocket connect(HttpClient http, int port, String query, String origin, Collector c) {
        WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        if (origin != null) {
            b.header("Origin", origin);
        }
        return b.buildAsync(URI.create("ws://127.0.0.1:" + port + "/api/telemetry" + query), c).join();
    }

    private static int refusedStatus(HttpClient http, int port, String query, String origin) {
        try {
            connect(http, port, query, origin, new Collector()).abort();
        } catch (CompletionException e) {
            assertThat(e.getCause()).isInstanceOf(WebSocketHandshakeException.class);
            return ((WebSocketHandshakeException) e.getCause()).getResponse().statusCode();
        }
        throw new AssertionError("the WebSocket upgrade was accepted");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void telemetryStreamsTheStatusToTokenHoldersAndRefusesTheRest(@TempDir Path dir) throws Exception {
        ReflexConfig c = telemetryConfig(dir, 50, 2);
        ControlState state = new ControlState(new ClosedLoopSession.Listener() {
        }, null);
        ControlServer s = new ControlServer(c, state, r -> { }, null);
        HttpClient http = HttpClient.newHttpClient();
        String token;
        try (Ticker ticker = new Ticker(state)) {
            s.start(QUIET);
            int port = s.port();
            token = Files.readString(dir.resolve("control.token")).strip();

            assertThat(refusedStatus(http, port, "", null)).as("no token").isEqualTo(401);
            assertThat(refusedStatus(http, port, "?token=" + "0".repeat(64), null)).as("wrong token").isEqualTo(403);
            assertThat(refusedStatus(http, port, "?token=" + token, "http://evil.example")).as("cross-origin")
                    .isEqualTo(403);
            assertThat(s.telemetry().clients()).isZero();

            Collector first = new Collector();
            WebSocket ws = connect(http, port, "?token=" + token, "http://127.0.0.1:" + port, first);
            JsonNode m = first.next();
            assertThat(m.get("type").asText()).isEqualTo("telemetry");
            assertThat(m.get("phase").asText()).isEqualTo("starting");
            assertThat(m.get("progress_phase").asText()).isEqualTo("live");
            for (String key : List.of("frames", "dropped", "deadline_misses", "safe_outputs", "total_frames",
                    "latency_us", "decoder", "engine", "stim", "output", "output_frame", "output_safe", "channels",
                    "channel_features", "time_ms", "seq", "clients")) {
                assertThat(m.has(key)).as("%s in %s", key, m).isTrue();
            }
            long seq = m.get("seq").asLong();
            long frames = m.get("frames").asLong();
            for (int i = 0; i < 10; i++) {
                JsonNode n = first.next();
                assertThat(n.get("seq").asLong()).isGreaterThan(seq);
                assertThat(n.get("frames").asLong()).isGreaterThanOrEqualTo(frames);
                seq = n.get("seq").asLong();
                frames = n.get("frames").asLong();
            }
            assertThat(frames).as("frame counts increase").isGreaterThan(m.get("frames").asLong());

            // The token as a header works too (non-browser clients); a third client is one too many.
            Collector second = new Collector();
            WebSocket ws2 = http.newWebSocketBuilder().header("Authorization", "Bearer " + token)
                    .buildAsync(URI.create("ws://127.0.0.1:" + port + "/api/telemetry"), second).join();
            second.next();
            await(() -> s.telemetry().clients() == 2, "two clients");
            assertThat(refusedStatus(http, port, "?token=" + token, null)).as("over telemetryMaxClients")
                    .isEqualTo(503);
            ws2.abort();
            await(() -> s.telemetry().clients() == 1, "the aborted client forgotten");
            // A message built before the removal may still be on its way: within a few ticks they say 1.
            int clients = 0;
            for (int i = 0; i < 10 && clients != 1; i++) {
                clients = first.next().get("clients").asInt();
            }
            assertThat(clients).isEqualTo(1);
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
            await(() -> s.telemetry().clients() == 0, "the closed client forgotten");
        } finally {
            s.close();
        }
        List<String> log = Files.readAllLines(dir.resolve("control.log"));
        assertThat(log).anyMatch(l -> l.contains("token=none\tGET /api/telemetry (WebSocket)\trefused 401"));
        assertThat(log).anyMatch(l -> l.contains("token=wrong\tGET /api/telemetry (WebSocket)\trefused 403: wrong"));
        assertThat(log).anyMatch(l -> l.contains("token=ok\tGET /api/telemetry (WebSocket)\trefused 403: cross-origin"));
        assertThat(log).anyMatch(l -> l.contains("refused 503: at most 2 telemetry clients"));
        assertThat(String.join("\n", log)).as("the token never reaches the log").doesNotContain(token);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aThousandClientsComingAndVanishingLeaveNoSessionBehind(@TempDir Path dir) throws Exception {
        ReflexConfig c = telemetryConfig(dir, 20, 2_000);
        ControlState state = new ControlState(new ClosedLoopSession.Listener() {
        }, null);
        ControlServer s = new ControlServer(c, state, r -> { }, null);
        HttpClient http = HttpClient.newHttpClient();
        try (Ticker ticker = new Ticker(state)) {
            s.start(QUIET);
            int port = s.port();
            String token = Files.readString(dir.resolve("control.token")).strip();
            Collector good = new Collector();
            WebSocket ws = connect(http, port, "?token=" + token, null, good);
            good.next();
            await(() -> s.telemetry().clients() == 1, "the good client served");
            int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();

            byte[] upgrade = ("GET /api/telemetry?token=" + token + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="
                    + "\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
            int upgraded = 0;
            for (int batch = 0; batch < 10; batch++) {
                List<Socket> open = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    Socket k = new Socket(InetAddress.getByName("127.0.0.1"), port);
                    k.setSoTimeout(20_000);
                    OutputStream o = k.getOutputStream();
                    o.write(upgrade);
                    o.flush();
                    open.add(k);
                }
                for (int i = 0; i < open.size(); i++) {
                    Socket k = open.get(i);
                    // A third vanish mid-handshake, a third after the upgrade with a reset, a third with a FIN.
                    if (i % 3 != 0) {
                        assertThat(readHead(k.getInputStream())).startsWith("HTTP/1.1 101");
                        upgraded++;
                    }
                    if (i % 3 == 1) {
                        k.setSoLinger(true, 0);
                    }
                    k.close();
                }
            }
            assertThat(upgraded).isEqualTo(660);
            await(() -> s.telemetry().clients() == 1, "every vanished client forgotten (" + s.telemetry().clients()
                    + " served)");
            assertThat(s.telemetry().accepted()).as("the upgraded ones were served").isGreaterThanOrEqualTo(
                    upgraded + 1);
            // The good client is still served, with fresh messages.
            good.messages.clear();
            long seq = good.next().get("seq").asLong();
            JsonNode after = good.next();
            assertThat(after.get("seq").asLong()).isGreaterThan(seq);
            // A message built before the last removal may still be on its way: within a few ticks they say 1.
            for (int i = 0; i < 10 && after.get("clients").asInt() != 1; i++) {
                after = good.next();
            }
            assertThat(after.get("clients").asInt()).isEqualTo(1);
            // And new clients are too.
            Collector late = new Collector();
            WebSocket ws2 = connect(http, port, "?token=" + token, null, late);
            late.next();
            ws2.abort();
            ws.abort();
            await(() -> s.telemetry().clients() == 0, "no client left");
            int threadsAfter = ManagementFactory.getThreadMXBean().getThreadCount();
            // Pools may grow to their bounds (Jetty's 8, the client's executor); a leak would scale with the 660.
            assertThat(threadsAfter).as("threads before %d, after %d", threadsBefore, threadsAfter)
                    .isLessThanOrEqualTo(threadsBefore + 16);
        } finally {
            s.close();
        }
    }

    private static String readHead(InputStream in) throws java.io.IOException {
        StringBuilder b = new StringBuilder();
        while (b.length() < 4 || !b.substring(b.length() - 4).equals("\r\n\r\n")) {
            int ch = in.read();
            if (ch < 0) {
                break;
            }
            b.append((char) ch);
        }
        return b.toString();
    }
}
