package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.tools.ControlApiProcessTest.Daemon;
import io.reflex.tools.ControlApiProcessTest.Http;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code reflex console} as a real process against a real daemon process: the console's files, the status and the
 * telemetry come through the relay; a state change without the console's token (none, a wrong one, or the daemon's
 * own) is refused and never reaches the daemon; with it, arming and disarming reach the daemon. And the refusals at
 * start: a token file missing or readable by others, a daemon that is not there.
 */
class ConsoleCommandProcessTest {
    private static final Pattern URL = Pattern.compile("serving on http://127\\.0\\.0\\.1:(\\d+)/");
    private static final Pattern TOKEN = Pattern.compile("console token: ([0-9a-f]{64})");

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void statusTelemetryAndStateChangesGoThroughTheRelayWithTheConsolesTokenOnly(@TempDir Path dir)
            throws Exception {
        Path tokenFile = dir.resolve("control.token");
        Daemon d = Daemon.start(dir, "\"pipeline\": {\"deadlineUs\": 200000},"
                + "\"stim\": {\"threshold\": 0.05, \"hysteresis\": 0.02,"
                + " \"refractoryMs\": 100, \"heartbeatTimeoutUs\": 5000000, \"decoderTimeoutUs\": 5000000,"
                + " \"linkHeartbeatTimeoutMs\": 5000, \"ackTimeoutMs\": 5000},"
                + "\"control\": {\"enabled\": true, \"tokenFile\": \"" + tokenFile + "\"}");
        Console c = null;
        try {
            d.awaitLive();
            int daemonPort = d.port();
            String daemonHost = "127.0.0.1:" + daemonPort;
            c = Console.start("--daemon", "http://" + daemonHost, "--token-file", tokenFile.toString());
            c.awaitLine(TOKEN);
            int port = c.port();
            String host = "127.0.0.1:" + port;
            String token = c.token();
            assertThat(token).isNotEqualTo(d.token());
            assertThat(c.count(token)).as("the console's token is printed once").isEqualTo(1);
            assertThat(c.err()).contains("console: http://127.0.0.1:" + port + "/console/#token=" + token)
                    .doesNotContain(d.token());

            // a token file with another token: refused at start, naming the file
            Path other = Files.writeString(dir.resolve("other.token"), "ab".repeat(32) + "\n");
            Files.setPosixFilePermissions(other, PosixFilePermissions.fromString("rw-------"));
            assertThat(refused("--daemon", "http://" + daemonHost, "--token-file", other.toString()))
                    .contains("refused the token in " + other.toAbsolutePath() + " (403");

            // the console's files, from this process
            Http.Response page = Http.get(port, "/console/", host, Map.of());
            assertThat(page.status).isEqualTo(200);
            assertThat(page.body).contains("<html").contains("console.js");
            assertThat(page.header("content-security-policy")).contains("frame-ancestors 'none'");
            assertThat(Http.get(port, "/console/console.js", host, Map.of()).status).isEqualTo(200);
            assertThat(Http.get(port, "/console/uplot.js", host, Map.of()).status).isEqualTo(200);

            // the status and metrics through the relay, the daemon's own
            Http.Response st = Http.get(port, "/api/status", host, Map.of());
            assertThat(st.status).as(st.body).isEqualTo(200);
            assertThat(st.header("content-type")).startsWith("application/json");
            JsonNode s = Json.mapper().readTree(st.body);
            assertThat(s.get("phase").asText()).isEqualTo("live");
            assertThat(s.get("frames").asLong()).isPositive();
            assertThat(s.at("/stim/state").asText()).isEqualTo("disarmed");
            Http.Response metrics = Http.get(port, "/metrics", host, Map.of());
            assertThat(metrics.status).isEqualTo(200);
            assertThat(ControlApiProcessTest.PromText.parse(metrics.body).get("reflex_frames_total")).isPositive();
            assertThat(Http.get(port, "/api/log", host, Map.of()).body).contains("\"entries\"");

            // the same Host and Origin checks as the daemon's
            assertThat(Http.get(port, "/api/status", "evil.example:" + port, Map.of()).body)
                    .contains("DNS rebinding");
            assertThat(Http.get(port, "/console/", "evil.example:" + port, Map.of()).status).isEqualTo(403);
            assertThat(Http.get(port, "/api/status", host, Map.of("Origin", "http://evil.example")).status)
                    .isEqualTo(403);
            // the daemon's address is not this server's: a page on it cannot use the relay
            assertThat(Http.get(port, "/api/status", host, Map.of("Origin", "http://" + daemonHost)).status)
                    .isEqualTo(403);

            // telemetry through the relay, with the console's token as a browser gives it
            BlockingQueue<String> pushed = new LinkedBlockingQueue<>();
            WebSocket ws = telemetry(port, "?token=" + token, pushed).join();
            JsonNode t1 = Json.mapper().readTree(pushed.poll(30, TimeUnit.SECONDS));
            JsonNode t2 = Json.mapper().readTree(pushed.poll(30, TimeUnit.SECONDS));
            assertThat(t1.get("type").asText()).isEqualTo("telemetry");
            assertThat(t2.get("seq").asLong()).isGreaterThan(t1.get("seq").asLong());
            assertThat(t2.get("phase").asText()).isEqualTo("live");
            ws.abort();
            assertThat(handshakeStatus(telemetry(port, "", pushed))).isEqualTo(401);
            assertThat(handshakeStatus(telemetry(port, "?token=" + d.token(), pushed))).as("the daemon's token")
                    .isEqualTo(403);

            // state changes without the console's token: refused here, nothing reaches the daemon
            String arm = "{\"reason\": \"relay test\"}";
            assertThat(Http.post(port, "/api/stim/arm", host, Map.of(), arm).status).isEqualTo(401);
            assertThat(Http.post(port, "/api/stim/arm", host, auth("0".repeat(64)), arm).status).isEqualTo(403);
            Http.Response daemonsOwn = Http.post(port, "/api/stim/arm", host, auth(d.token()), arm);
            assertThat(daemonsOwn.status).as("the daemon's token is not the console's").isEqualTo(403);
            assertThat(daemonsOwn.body).contains("the console's token");
            assertThat(Http.post(port, "/api/stim/arm", host, with(auth(token), "Origin", "http://evil.example"),
                    arm).status).isEqualTo(403);
            Path controlLog = dir.resolve("journal").resolve("control.log");
            assertThat(Files.readString(controlLog)).doesNotContain("stim-arm");

            // with it: arming (reason, then confirmation) and disarming reach the daemon
            Http.Response asked = Http.post(port, "/api/stim/arm", host,
                    with(auth(token), "Origin", "http://" + host), arm);
            assertThat(asked.status).as(asked.body).isEqualTo(202);
            String id = Json.mapper().readTree(asked.body).get("confirmation").asText();
            Http.Response armed = Http.post(port, "/api/stim/arm/confirm", host, auth(token),
                    "{\"confirmation\": \"" + id + "\"}");
            assertThat(armed.status).as(armed.body).isEqualTo(200);
            assertThat(status(daemonPort).at("/stim/state").asText()).isIn("armed", "active");
            Http.Response disarm = Http.post(port, "/api/stim/disarm", host, auth(token),
                    "{\"reason\": \"relay disarm\"}");
            assertThat(disarm.status).as(disarm.body).isEqualTo(202);
            JsonNode now = status(daemonPort);
            // the disarm is applied at the emit thread's next frame: await it over progress lines, not a sleep
            for (int i = 0; i < 10 && !"disarmed".equals(now.at("/stim/state").asText()); i++) {
                d.awaitProgressLines(1);
                now = status(daemonPort);
            }
            assertThat(now.at("/stim/state").asText()).isEqualTo("disarmed");
            assertThat(Files.readString(controlLog))
                    .contains("token=ok\tstim-arm-confirm\tarmed with confirmation " + id.substring(0, 8))
                    .contains("token=ok\tstim-disarm\taccepted; reason \"relay disarm\"");
            // a refusal of the daemon's own passes through (a bad body)
            Http.Response bad = Http.post(port, "/api/stim/disarm", host, auth(token), "{\"why\": 1}");
            assertThat(bad.status).isEqualTo(400);
            assertThat(bad.body).contains("unknown field");

            // the daemon stops through the relay; then the relay says it is gone
            assertThat(Http.post(port, "/api/stop", host, auth(token), "{\"reason\": \"relay stop\"}").status)
                    .isEqualTo(202);
            assertThat(d.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(d.process.exitValue()).as("stderr:\n%s", d.err()).isZero();
            Http.Response gone = Http.get(port, "/api/status", host, Map.of());
            assertThat(gone.status).isEqualTo(502);
            assertThat(gone.body).contains("is not reachable");
            assertThat(c.process.isAlive()).as("the console outlives the daemon").isTrue();
        } finally {
            d.process.destroyForcibly();
            if (c != null) {
                c.process.destroy();
                assertThat(c.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void clearRefusalsAtStart(@TempDir Path dir) throws Exception {
        int free;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            free = s.getLocalPort();
        }
        String daemon = "http://127.0.0.1:" + free;
        Path missing = dir.resolve("none.token");
        assertThat(refused("--daemon", daemon, "--token-file", missing.toString()))
                .contains("token file " + missing.toAbsolutePath() + " does not exist");

        Path open = Files.writeString(dir.resolve("open.token"), "ab".repeat(32) + "\n");
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(refused("--daemon", daemon, "--token-file", open.toString()))
                .contains("has permissions rw-r--r--").contains("owner only");

        Path garbage = Files.writeString(dir.resolve("garbage.token"), "not a token\n");
        Files.setPosixFilePermissions(garbage, PosixFilePermissions.fromString("rw-------"));
        assertThat(refused("--daemon", daemon, "--token-file", garbage.toString()))
                .contains("does not hold a control token");

        Path good = Files.writeString(dir.resolve("good.token"), "ab".repeat(32) + "\n");
        Files.setPosixFilePermissions(good, PosixFilePermissions.fromString("rw-------"));
        assertThat(refused("--daemon", daemon, "--token-file", good.toString()))
                .contains("the daemon at " + daemon + " is not reachable: connection refused");
        assertThat(refused("--daemon", "127.0.0.1:" + free, "--token-file", good.toString()))
                .contains("must be http://ADDRESS:PORT");
        assertThat(refused("--daemon", daemon, "--token-file", good.toString(), "--bind", "0.0.0.0"))
                .contains("one specific address");
    }

    /** Runs {@code reflex console ARGS}, which must exit 2 at once; returns its stderr. */
    private static String refused(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(CliProcess.command(List.of()));
        cmd.add("console");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String text = out.get(10, TimeUnit.SECONDS);
        assertThat(p.exitValue()).as(text).isEqualTo(2);
        assertThat(text).startsWith("reflex console: ");
        return text;
    }

    private static Map<String, String> auth(String token) {
        return Map.of("Authorization", "Bearer " + token);
    }

    private static Map<String, String> with(Map<String, String> m, String k, String v) {
        Map<String, String> r = new java.util.LinkedHashMap<>(m);
        r.put(k, v);
        return r;
    }

    private static JsonNode status(int daemonPort) throws IOException {
        return Json.mapper().readTree(Http.get(daemonPort, "/api/status", "127.0.0.1:" + daemonPort, Map.of())
                .body);
    }

    private static CompletableFuture<WebSocket> telemetry(int port, String query, BlockingQueue<String> pushed) {
        return HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(
                URI.create("ws://127.0.0.1:" + port + "/api/telemetry" + query), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                        pushed.add(data.toString());
                        w.request(1);
                        return null;
                    }
                });
    }

    /** The HTTP status of a refused WebSocket upgrade. */
    private static int handshakeStatus(CompletableFuture<WebSocket> f) throws InterruptedException {
        try {
            f.get(30, TimeUnit.SECONDS).abort();
            throw new AssertionError("the upgrade was accepted");
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(WebSocketHandshakeException.class);
            return ((WebSocketHandshakeException) e.getCause()).getResponse().statusCode();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("no answer to the upgrade in 30 s", e);
        }
    }

    /** {@code reflex console} as a child process, its stderr collected line by line. */
    static final class Console {
        final Process process;
        private final List<String> lines = new ArrayList<>();
        private boolean ended;

        private Console(Process p) {
            this.process = p;
            CompletableFuture.runAsync(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        synchronized (this) {
                            lines.add(line);
                            notifyAll();
                        }
                    }
                } catch (IOException e) {
                    // the process is gone: the wait below sees "ended"
                } finally {
                    synchronized (this) {
                        ended = true;
                        notifyAll();
                    }
                }
            });
        }

        static Console start(String... args) throws IOException {
            List<String> cmd = new ArrayList<>(CliProcess.command(List.of()));
            cmd.add("console");
            cmd.addAll(List.of(args));
            return new Console(new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
        }

        synchronized void awaitLine(Pattern p) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (lines.stream().noneMatch(l -> p.matcher(l).find())) {
                long left = deadline - System.nanoTime();
                if (ended || left <= 0) {
                    throw new AssertionError("no line matching " + p + " (" + (ended ? "the console ended"
                            : "60 s") + "); stderr:\n" + err());
                }
                wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }

        synchronized int port() {
            return Integer.parseInt(match(URL));
        }

        synchronized String token() {
            return match(TOKEN);
        }

        synchronized long count(String s) {
            return lines.stream().filter(l -> l.contains(s)).count();
        }

        synchronized String err() {
            return String.join("\n", lines);
        }

        private String match(Pattern p) {
            for (String l : lines) {
                Matcher m = p.matcher(l);
                if (m.find()) {
                    return m.group(1);
                }
            }
            throw new AssertionError("no line matches " + p + " in stderr:\n" + err());
        }
    }
}
