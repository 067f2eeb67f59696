package io.reflex.tools.faults;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.LslConfig;
import io.reflex.lsl.StreamInfo;
import io.reflex.tools.faults.FaultDaemon.CommandMonitor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * 150 local consumers connect to the daemon's stimulation-marker outlet ({@code stim.lsl}), each asking for a
 * queue of a billion samples, and never read; a slow-loris client sends its request at one byte per second. The
 * daemon runs on a 160 MiB heap: it must survive, keep stimulating, cut off the slow client, refuse the consumers
 * beyond its cap, and report both in its summary, with its LSL error lines rate-limited.
 */
class NonReadingPeersFaultTest {
    private static final int PEERS = 150;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theDaemonSurvivesConsumersThatNeverReadAndASlowLoris(@TempDir Path dir) throws Exception {
        String stream = "reflex-stim-peers-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (CommandMonitor monitor = new CommandMonitor()) {
            Path cfg = Files.writeString(dir.resolve("daemon.json"), "{"
                    + "\"source\": {\"channels\": 16},"
                    + "\"pipeline\": {\"deadlineUs\": 200000},"
                    + "\"calibration\": {\"seconds\": 4},"
                    + "\"run\": {\"seconds\": 14},"
                    + "\"journal\": {\"dir\": \"" + FaultDaemon.json(dir.resolve("journal")) + "\"},"
                    + "\"stim\": {\"armOnStart\": \"NonReadingPeersFaultTest\","
                    + " \"journalDir\": \"" + FaultDaemon.json(dir.resolve("stim-journal")) + "\","
                    + " \"udp\": \"127.0.0.1:" + monitor.port() + "\","
                    + " \"lsl\": true, \"lslName\": \"" + stream + "\", \"lslNetwork\": \"loopback\","
                    + " \"threshold\": 0.05, \"hysteresis\": 0.02, \"refractoryMs\": 100,"
                    + " \"heartbeatTimeoutUs\": 1000000, \"decoderTimeoutUs\": 1000000,"
                    + " \"linkHeartbeatTimeoutMs\": 5000, \"ackTimeoutMs\": 5000}}");
            List<Socket> peers = new ArrayList<>();
            try (FaultDaemon d = FaultDaemon.start(cfg, "-Xmx160m")) {
                assertThat(monitor.awaitCommands(1, Duration.ofSeconds(60))).as("stimulating; stderr:\n%s",
                        d.stderr()).isTrue();
                LslBackend lsl = LslBackend.select("java", LslConfig.loopback(), e -> { });
                List<StreamInfo> found = lsl.resolve("name='" + stream + "'", 1, 20);
                assertThat(found).as("the stimulation outlet is discoverable").hasSize(1);
                StreamInfo info = found.get(0);
                CompletableFuture<Long> loris = CompletableFuture.supplyAsync(() -> slowLoris(info.v4dataPort()));
                byte[] request = ("LSL:streamfeed/110 " + info.uid() + "\r\nNative-Byte-Order: 1234\r\n"
                        + "Endian-Performance: 0\r\nHas-IEEE754-Floats: 1\r\nSupports-Subnormals: 1\r\n"
                        + "Value-Size: 8\r\nData-Protocol-Version: 110\r\nMax-Buffer-Length: 1000000000\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII);
                for (int i = 0; i < PEERS; i++) {
                    try {
                        Socket s = new Socket(InetAddress.getLoopbackAddress(), info.v4dataPort());
                        peers.add(s);
                        s.getOutputStream().write(request);
                    } catch (IOException e) {
                        throw new AssertionError("peer " + i + ": " + e + "; daemon alive: " + d.isAlive()
                                + "; stderr:\n" + d.stderr(), e);
                    }
                }
                long commandsWithPeers = monitor.commands();
                // The slow client is cut off at the handshake deadline (5 s), long before its request is complete.
                long heldMs = loris.get(60, TimeUnit.SECONDS);
                assertThat(heldMs).as("slow-loris connection held").isBetween(4_000L, 15_000L);
                assertThat(d.isAlive()).as("stderr:\n%s", d.stderr()).isTrue();
                // The loop kept running with every peer still connected: more commands left the process.
                assertThat(monitor.awaitCommands(commandsWithPeers + 2, Duration.ofSeconds(20)))
                        .as("still stimulating; stderr:\n%s", d.stderr()).isTrue();
                int exit = d.awaitExit(Duration.ofSeconds(60));
                String err = d.stderr();
                assertThat(exit).as("stderr:\n%s", err).isZero();
                assertThat(err).doesNotContain("OutOfMemoryError", "Exception in thread");
                JsonNode report = d.report();
                assertThat(report.get("stim_fault").asText()).as("reason %s", report.get("stim_fault_reason"))
                        .isEqualTo("none");
                JsonNode outlet = report.get("stim_lsl_outlet");
                assertThat(outlet).as("report: %s", report).isNotNull();
                System.out.println("NonReadingPeersFaultTest: " + outlet);
                assertThat(outlet.get("samples").asLong()).isPositive();
                assertThat(outlet.get("handshake_timeouts").asLong()).isGreaterThanOrEqualTo(1);
                // At most 32 feeds; every other consumer was refused (503) or shed while 64 were mid-handshake.
                assertThat(outlet.get("requests_refused").asLong() + outlet.get("connections_shed").asLong())
                        .isGreaterThanOrEqualTo(PEERS - 32);
                // Rate-limited: a few lines per kind and summaries, not one line per peer.
                long lslLines = err.lines().filter(l -> l.startsWith("reflex lsl:")).count();
                assertThat(lslLines).as("stderr:\n%s", err).isPositive().isLessThan(40);
                assertThat(outlet.get("errors_reported").asLong()).isGreaterThan(lslLines);
            } finally {
                for (Socket s : peers) {
                    s.close();
                }
            }
        }
    }

    /**
     * Sends an info request one byte per second (the read timeout of one second paces it) until the daemon closes
     * the connection; returns how long it was held, ms.
     */
    private static long slowLoris(int port) {
        byte[] request = "LSL:fullinfo\r\n".getBytes(StandardCharsets.US_ASCII);
        long t0 = System.nanoTime();
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(1_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            for (int i = 0; i < 60; i++) {
                out.write(request[i % request.length]);
                out.flush();
                try {
                    if (in.read() < 0) {
                        break;
                    }
                } catch (SocketTimeoutException stillOpen) {
                    // a second passed with the connection open: the next byte
                }
            }
        } catch (IOException reset) {
            // the daemon closed the connection while a byte was on its way
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
