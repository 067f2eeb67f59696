package io.reflex.tools.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.LslConfig;
import io.reflex.lsl.StreamInfo;
import io.reflex.tools.faults.FaultDaemon.CommandMonitor;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The running daemon's open-file limit is lowered with {@code prlimit --pid} to a few descriptors above what it
 * holds, and peers open many connections to its stimulation-marker outlet: accepts fail with "Too many open files"
 * (EMFILE). The acceptor must report it once, back off, and serve again when the peers leave; no thread may die
 * (a class loaded lazily on the error path would fail with no descriptor left), the loop keeps stimulating, and
 * the summary counts the failed accepts. The soft limit only is lowered, so that it can be raised back.
 */
class FdLimitFaultTest {
    private static final Path PRLIMIT = Path.of("/usr/bin/prlimit");

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theAcceptorRecoversFromEmfileAndTheLoopKeepsRunning(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(PRLIMIT), "skipped: prlimit (util-linux) is not installed");
        String stream = "reflex-stim-fd-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (CommandMonitor monitor = new CommandMonitor()) {
            Path cfg = Files.writeString(dir.resolve("daemon.json"), "{"
                    + "\"source\": {\"channels\": 16},"
                    + "\"pipeline\": {\"deadlineUs\": 200000},"
                    + "\"calibration\": {\"seconds\": 4},"
                    + "\"run\": {\"seconds\": 14},"
                    + "\"journal\": {\"dir\": \"" + FaultDaemon.json(dir.resolve("journal")) + "\"},"
                    + "\"stim\": {\"armOnStart\": \"FdLimitFaultTest\","
                    + " \"journalDir\": \"" + FaultDaemon.json(dir.resolve("stim-journal")) + "\","
                    + " \"udp\": \"127.0.0.1:" + monitor.port() + "\","
                    + " \"lsl\": true, \"lslName\": \"" + stream + "\", \"lslNetwork\": \"loopback\","
                    + " \"threshold\": 0.05, \"hysteresis\": 0.02, \"refractoryMs\": 100,"
                    + " \"heartbeatTimeoutUs\": 1000000, \"decoderTimeoutUs\": 1000000,"
                    + " \"linkHeartbeatTimeoutMs\": 5000, \"ackTimeoutMs\": 5000}}");
            List<Socket> peers = new ArrayList<>();
            try (FaultDaemon d = FaultDaemon.start(cfg)) {
                assertThat(monitor.awaitCommands(1, Duration.ofSeconds(60))).as("stimulating; stderr:\n%s",
                        d.stderr()).isTrue();
                LslBackend lsl = LslBackend.select("java", LslConfig.loopback(), e -> { });
                List<StreamInfo> found = lsl.resolve("name='" + stream + "'", 1, 20);
                assertThat(found).as("the stimulation outlet is discoverable").hasSize(1);
                StreamInfo info = found.get(0);
                assertThat(fullInfo(info.v4dataPort())).as("served before the fault").contains(info.uid());

                String originalSoft = softLimit(d.pid());
                long open = openFiles(d.pid());
                prlimit(d.pid(), (open + 6) + ":");
                try {
                    // Consumers that ask for no samples hold a descriptor each until they leave.
                    byte[] request = ("LSL:streamfeed/110 " + info.uid() + "\r\nNative-Byte-Order: 1234\r\n"
                            + "Value-Size: 8\r\nData-Protocol-Version: 110\r\nMax-Buffer-Length: 0\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII);
                    for (int i = 0; i < 40; i++) {
                        Socket s = new Socket(InetAddress.getLoopbackAddress(), info.v4dataPort());
                        peers.add(s);
                        s.getOutputStream().write(request);
                    }
                    assertThat(d.awaitStderr(l -> l.contains("accept failed: Too many open files"),
                            Duration.ofSeconds(20))).as("EMFILE reported; stderr:\n%s", d.stderr()).isTrue();
                    long commandsAtFault = monitor.commands();
                    // The peers leave; their descriptors come back and the acceptor, backing off, serves again.
                    for (Socket s : peers) {
                        s.close();
                    }
                    peers.clear();
                    String[] served = {""};
                    assertThat(FaultDaemon.poll(() -> {
                        served[0] = tryFullInfo(info.v4dataPort());
                        return served[0].contains(info.uid());
                    }, Duration.ofSeconds(30))).as("served again after EMFILE; stderr:\n%s", d.stderr()).isTrue();
                    assertThat(d.awaitStderr(l -> l.contains("accepting again after"), Duration.ofSeconds(10)))
                            .isTrue();
                    // The loop kept running at the lowered limit.
                    assertThat(monitor.awaitCommands(commandsAtFault + 1, Duration.ofSeconds(20)))
                            .as("still stimulating; stderr:\n%s", d.stderr()).isTrue();
                } finally {
                    prlimit(d.pid(), originalSoft + ":");
                }
                int exit = d.awaitExit(Duration.ofSeconds(60));
                String err = d.stderr();
                assertThat(exit).as("stderr:\n%s", err).isZero();
                assertThat(err).doesNotContain("NoClassDefFoundError", "Exception in thread", "OutOfMemoryError");
                // One line per episode of failed accepts (the peers' leaving and the backlog may make a few
                // episodes), each ended by "accepting again" (the last of which may fall past the 5 lines of a
                // kind the daemon shows before it summarises), never one line per failed accept.
                long failedLines = err.lines().filter(l -> l.contains("accept failed")).count();
                long againLines = err.lines().filter(l -> l.contains("accepting again after")).count();
                assertThat(failedLines).as("stderr:\n%s", err).isBetween(1L, 3L)
                        .isLessThanOrEqualTo(againLines + 1);
                JsonNode report = d.report();
                assertThat(report.get("stim_fault").asText()).as("reason %s", report.get("stim_fault_reason"))
                        .isEqualTo("none");
                JsonNode outlet = report.get("stim_lsl_outlet");
                System.out.println("FdLimitFaultTest: " + outlet);
                assertThat(outlet.get("accept_failures").asLong()).isPositive();
                assertThat(outlet.get("samples").asLong()).isPositive();
            } finally {
                for (Socket s : peers) {
                    s.close();
                }
            }
        }
    }

    private static long openFiles(long pid) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return fds.count();
        }
    }

    /** The soft "Max open files" limit of {@code pid}. */
    private static String softLimit(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "limits"))) {
            if (line.startsWith("Max open files")) {
                return line.substring("Max open files".length()).trim().split("\\s+")[0];
            }
        }
        throw new AssertionError("no 'Max open files' in /proc/" + pid + "/limits");
    }

    private static void prlimit(long pid, String nofile) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(PRLIMIT.toString(), "--pid", Long.toString(pid), "--nofile=" + nofile)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("prlimit --nofile=%s: %s", nofile, out).isZero();
    }

    private static String fullInfo(int port) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(5_000);
            s.getOutputStream().write("LSL:fullinfo\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** One attempt: the full info, or "" when the connection failed or timed out. */
    private static String tryFullInfo(int port) {
        try {
            return fullInfo(port);
        } catch (IOException e) {
            return "";
        }
    }
}
