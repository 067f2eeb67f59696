package io.reflex.tools.faults;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.LslConfig;
import io.reflex.runtime.lsl.SyntheticLslPublisher;
import io.reflex.runtime.stim.StimConfig;
import io.reflex.stim.driver.SimulatedStimulator;
import io.reflex.tools.faults.FaultDaemon.CommandMonitor;
import io.reflex.tools.faults.FaultDaemon.StimJournalContents;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Peers that stall while the daemon stimulates: the amplifier (an LSL outlet in this process) stops sending
 * samples but keeps its connection; the stimulator (a simulated one behind a proxy in this process) stops
 * answering. Either way stimulation stops, the fault is reported when it happens and in the summary, nothing is
 * accepted after it, and the run exits non-zero. The live phase (15 s) outlasts the stall's detection by far: with
 * 6 s, a CI run whose second command came late in the live phase ended "completed" before the stall could be told.
 */
class StallFaultTest {

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void anAmplifierThatStallsStopsStimulation(@TempDir Path dir) throws Exception {
        String stream = "reflex-stall-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        LslBackend lsl = LslBackend.select("java", LslConfig.loopback(), e -> { });
        try (CommandMonitor monitor = new CommandMonitor();
                SyntheticLslPublisher amp = new SyntheticLslPublisher(lsl, stream, stream, 16, 1000, 7)) {
            Amplifier amplifier = new Amplifier(amp);
            amplifier.start();
            Path stimJournal = dir.resolve("stim-journal");
            Path cfg = Files.writeString(dir.resolve("daemon.json"), "{"
                    + "\"source\": {\"type\": \"lsl\", \"channels\": 16, \"sampleRateHz\": 1000,"
                    + " \"lsl\": {\"name\": \"" + stream + "\", \"network\": \"loopback\", \"resolveTimeoutS\": 30}},"
                    + "\"pipeline\": {\"deadlineUs\": 200000},"
                    + "\"calibration\": {\"seconds\": 4},"
                    + "\"run\": {\"seconds\": 15},"
                    + "\"journal\": {\"dir\": \"" + FaultDaemon.json(dir.resolve("journal")) + "\"},"
                    // Over loopback LSL on a loaded machine a bin's input is 100-150 ms old when judged: a wider
                    // freshness bound (here and below), so that these tests are about the stalls.
                    + stim(stimJournal, monitor.port(), "simulated", 1000) + "}");
            try (FaultDaemon d = FaultDaemon.start(cfg)) {
                assertThat(monitor.awaitCommands(2, Duration.ofSeconds(60))).as("stimulating; stderr:\n%s",
                        d.stderr()).isTrue();
                amplifier.stall();
                assertThat(d.awaitStderr(l -> l.contains("STIMULATION FAULT"), Duration.ofSeconds(20)))
                        .as("the stall is told when it happens; stderr:\n%s", d.stderr()).isTrue();
                int exit = d.awaitExit(Duration.ofSeconds(60));
                JsonNode report = d.report();
                assertThat(exit).as("stderr:\n%s", d.stderr()).isEqualTo(3);
                assertThat(report.get("stim_fault").asText()).as("reason: %s", report.get("stim_fault_reason"))
                        .isEqualTo("watchdog");
                assertThat(report.get("unsafe_emitted").asLong()).isZero();
                // The watchdog cuts the link: the stimulator stops on the link's loss (or on a stop-all).
                assertThat(report.get("stim_simulator_link_loss_stops").asLong()
                        + report.get("stim_stop_all_received").asLong()).isPositive();
                StimJournalContents j = StimJournalContents.read(stimJournal);
                assertThat(j.events).anyMatch(e -> e.startsWith("fault: "));
                assertThat(j.acceptedAfterFault).isZero();
                assertThat((long) j.sent().size()).isEqualTo(report.get("stim_issued").asLong()).isPositive();
                System.out.println("StallFaultTest amplifier: " + report.get("stim_fault_reason").asText()
                        + "; link-loss stops " + report.get("stim_simulator_link_loss_stops").asLong());
            } finally {
                amplifier.close();
            }
        }
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void aStimulatorThatStopsAnsweringStopsStimulation(@TempDir Path dir) throws Exception {
        StimConfig defaults = new StimConfig();
        try (CommandMonitor monitor = new CommandMonitor();
                SimulatedStimulator sim = new SimulatedStimulator(defaults.envelope(), 0, null);
                StallingProxy proxy = new StallingProxy(sim.port())) {
            Path stimJournal = dir.resolve("stim-journal");
            Path cfg = Files.writeString(dir.resolve("daemon.json"), "{"
                    + "\"source\": {\"channels\": 16},"
                    + "\"pipeline\": {\"deadlineUs\": 200000},"
                    + "\"calibration\": {\"seconds\": 4},"
                    + "\"run\": {\"seconds\": 15},"
                    + "\"journal\": {\"dir\": \"" + FaultDaemon.json(dir.resolve("journal")) + "\"},"
                    + stim(stimJournal, monitor.port(), "tcp:127.0.0.1:" + proxy.port(), 1000) + "}");
            try (FaultDaemon d = FaultDaemon.start(cfg)) {
                assertThat(monitor.awaitCommands(2, Duration.ofSeconds(60))).as("stimulating; stderr:\n%s",
                        d.stderr()).isTrue();
                proxy.stall();
                assertThat(d.awaitStderr(l -> l.contains("STIMULATION FAULT"), Duration.ofSeconds(20)))
                        .as("the stall is told when it happens; stderr:\n%s", d.stderr()).isTrue();
                int exit = d.awaitExit(Duration.ofSeconds(60));
                JsonNode report = d.report();
                assertThat(exit).as("stderr:\n%s", d.stderr()).isEqualTo(3);
                assertThat(report.get("stim_fault").asText()).as("reason: %s", report.get("stim_fault_reason"))
                        .isEqualTo("driver");
                assertThat(report.get("stim_fault_reason").asText()).contains("stimulator link lost");
                StimJournalContents j = StimJournalContents.read(stimJournal);
                assertThat(j.events).anyMatch(e -> e.startsWith("fault: "));
                assertThat(j.acceptedAfterFault).isZero();
                // The stimulator judged every command it got: none unsafe, none beyond what the daemon issued.
                assertThat(sim.violations()).isZero();
                assertThat(sim.commandsReceived()).isPositive()
                        .isLessThanOrEqualTo(report.get("stim_issued").asLong());
                System.out.println("StallFaultTest stimulator: " + report.get("stim_fault").asText() + ": "
                        + report.get("stim_fault_reason").asText());
            }
        }
    }

    private static String stim(Path journal, int udpPort, String stimulator, long maxInputAgeMs) {
        return "\"stim\": {\"armOnStart\": \"StallFaultTest\", \"maxInputAgeMs\": " + maxInputAgeMs + ","
                + " \"stimulator\": \"" + stimulator + "\","
                + " \"journalDir\": \"" + FaultDaemon.json(journal) + "\","
                + " \"udp\": \"127.0.0.1:" + udpPort + "\","
                + " \"threshold\": 0.05, \"hysteresis\": 0.02, \"refractoryMs\": 100,"
                + " \"heartbeatTimeoutUs\": 1000000, \"decoderTimeoutUs\": 1000000,"
                + " \"linkHeartbeatIntervalMs\": 100, \"linkHeartbeatTimeoutMs\": 3000, \"ackTimeoutMs\": 1000}";
    }

    /** Publishes the synthetic source in real time until stalled: the outlet stays open, samples stop. */
    private static final class Amplifier implements AutoCloseable {
        private final SyntheticLslPublisher pub;
        private final Thread thread;
        private volatile boolean stalled;
        private volatile boolean closed;

        Amplifier(SyntheticLslPublisher pub) {
            this.pub = pub;
            this.thread = new Thread(() -> pub.run(0, () -> stalled || closed), "fault-test-amplifier");
            thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        void stall() throws InterruptedException {
            stalled = true;
            thread.join(5_000);
        }

        @Override
        public void close() throws InterruptedException {
            closed = true;
            thread.join(5_000);
        }
    }

    /**
     * A TCP proxy in front of the stimulator that, once stalled, forwards nothing more in either direction and
     * reads nothing more (the connections stay open): a stimulator that stopped answering.
     */
    private static final class StallingProxy implements AutoCloseable {
        private final ServerSocket server;
        private final int target;
        private final List<Socket> sockets = new ArrayList<>();
        private final CountDownLatch released = new CountDownLatch(1);
        private volatile boolean stalled;

        StallingProxy(int target) throws IOException {
            this.target = target;
            this.server = new ServerSocket();
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Thread t = new Thread(this::acceptLoop, "fault-test-proxy-accept");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return server.getLocalPort();
        }

        void stall() {
            stalled = true;
        }

        private void acceptLoop() {
            try {
                while (true) {
                    Socket a = server.accept();
                    Socket b = new Socket(InetAddress.getLoopbackAddress(), target);
                    synchronized (sockets) {
                        sockets.add(a);
                        sockets.add(b);
                    }
                    pump(a, b);
                    pump(b, a);
                }
            } catch (IOException closed) {
                // the proxy was closed
            }
        }

        private void pump(Socket from, Socket to) throws IOException {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            Thread t = new Thread(() -> {
                byte[] buf = new byte[4096];
                try {
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        if (stalled) {
                            // Hold everything: nothing forwarded, nothing more read, the connection left open.
                            released.await();
                            return;
                        }
                        out.write(buf, 0, n);
                    }
                } catch (IOException | InterruptedException e) {
                    // a side closed, or the test is over
                }
            }, "fault-test-proxy-pump");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() throws IOException {
            released.countDown();
            server.close();
            synchronized (sockets) {
                for (Socket s : sockets) {
                    s.close();
                }
            }
        }
    }
}
