package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.runtime.stim.ChronicleStimJournal;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimEvent;
import io.reflex.stim.StimVerdict;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class StimDemoCliTest {

    private static Object[] run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = ReflexCli.commandLine().execute(args);
            return new Object[] {code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void demoStimJsonReportsStimulationAndNothingUnsafeLeaves(@TempDir Path dir) throws Exception {
        Object[] r = run("demo", "--stim", "--seconds", "8", "--calibration-seconds", "4", "--channels", "32",
                "--json", "--quiet", "--journal-dir", dir.toString());
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        String stdout = ((String) r[1]).strip();
        assertThat(stdout.lines().count()).isEqualTo(1);
        JsonNode j = Json.mapper().readTree(stdout);
        assertThat(j.has("frames")).isTrue();
        assertThat(j.get("stim_issued").isIntegralNumber()).isTrue();
        assertThat(j.get("stim_rejected").isObject()).isTrue();
        assertThat(j.get("unsafe_emitted").asLong()).isZero();
        assertThat(j.get("watchdog_bound_us").asLong()).isEqualTo(61_000L);
        long issued = j.get("stim_issued").asLong();
        assertThat(j.get("stim_simulator_received").asLong()).isEqualTo(issued);

        // The write-ahead journal holds every issued command, accepted, and the arming and disarming events.
        List<String> events = new ArrayList<>();
        long[] accepted = {0};
        ChronicleStimJournal.read(Path.of(j.get("stim_journal").asText()), new ChronicleStimJournal.Visitor() {
            @Override
            public void command(long sequence, long timeNs, int verdict, StimCommand command) {
                if (verdict == StimVerdict.ACCEPTED) {
                    accepted[0]++;
                }
            }

            @Override
            public void event(long timeNs, int event, int code, String reason) {
                events.add(StimEvent.name(event));
            }
        });
        assertThat(accepted[0]).isEqualTo(issued);
        assertThat(events).contains("armed");
        assertThat(events.get(events.size() - 1)).isIn("disarmed", "fault");
    }

    @Test
    void demoStimTextSummaryHasAStimulationLine(@TempDir Path dir) throws java.io.IOException {
        // This test is about the text summary: a one-bin deadline and a one-second watchdog and input-age bound, so
        // that a frame delayed while the decoder is fitted and saved on a busy 2-core machine latches no fault (those
        // faults have their own tests).
        Path cfg = java.nio.file.Files.writeString(dir.resolve("stim.json"),
                "{\"stim\": {\"heartbeatTimeoutUs\": 1000000, \"decoderTimeoutUs\": 1000000, \"maxInputAgeMs\": 1000}}");
        Object[] r = run("demo", "--stim", "--seconds", "3", "--calibration-seconds", "2", "--channels", "16",
                "--deadline-us", "20000", "--config", cfg.toString(), "--quiet", "--journal-dir", dir.toString());
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        assertThat((String) r[1]).contains("stimulation  ").contains("unsafe emitted 0").contains("stim journal: ");
    }

    /**
     * A stimulator that answers the start-up probe and the session HELLO like a real one, then hangs up at the
     * fifth heartbeat or the first command, whichever comes first (a stimulator crashing mid-run).
     */
    private static final class CrashesMidRun implements AutoCloseable {
        final java.net.ServerSocket server = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        final java.util.concurrent.CountDownLatch hungUp = new java.util.concurrent.CountDownLatch(1);
        final List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();

        CrashesMidRun() throws java.io.IOException {
            Thread t = new Thread(this::serve, "crashes-mid-run");
            t.setDaemon(true);
            t.start();
        }

        private void serve() {
            io.reflex.stim.driver.StimWire w = new io.reflex.stim.driver.StimWire();
            try {
                while (hungUp.getCount() > 0) {
                    try (java.net.Socket s = server.accept()) {
                        java.io.InputStream in = s.getInputStream();
                        java.nio.ByteBuffer rx = java.nio.ByteBuffer.allocate(1 << 16)
                                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
                        byte[] chunk = new byte[4096];
                        boolean session = true;
                        while (session) {
                            int n = in.read(chunk);
                            if (n < 0) {
                                break;
                            }
                            rx.put(chunk, 0, n).flip();
                            while (w.parse(rx) == io.reflex.stim.driver.StimWire.FRAME) {
                                seen.add(io.reflex.stim.driver.StimWire.typeName(w.type()) + "#" + w.sequence());
                                if (w.type() == io.reflex.stim.driver.StimWire.HELLO) {
                                    java.nio.ByteBuffer tx = java.nio.ByteBuffer.allocate(64)
                                            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
                                    w.begin(tx, io.reflex.stim.driver.StimWire.HELLO_ACK, 1);
                                    tx.putShort((short) io.reflex.stim.driver.StimWire.VERSION).putShort((short) 64);
                                    w.finish(tx, 0);
                                    s.getOutputStream().write(tx.array(), 0, tx.position());
                                } else if (w.type() == io.reflex.stim.driver.StimWire.HEARTBEAT
                                        && w.sequence() < 5) {
                                    java.nio.ByteBuffer tx = java.nio.ByteBuffer.allocate(64)
                                            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
                                    w.heartbeat(tx, 2, System.nanoTime());
                                    s.getOutputStream().write(tx.array(), 0, tx.position());
                                } else if (w.type() != io.reflex.stim.driver.StimWire.HELLO) {
                                    session = false;
                                    hungUp.countDown();
                                    break;
                                }
                            }
                            rx.compact();
                        }
                        seen.add("session end");
                    }
                }
            } catch (java.io.IOException e) {
                // server closed at the end of the test
            }
        }

        @Override
        public void close() throws java.io.IOException {
            server.close();
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aStimulationFaultIsToldWhenItHappensEvenQuietAndTheExitCodeSaysSo(@TempDir Path dir) throws Exception {
        try (CrashesMidRun stimulator = new CrashesMidRun()) {
            Path cfg = dir.resolve("stim.json");
            // the watchdog and input-age bounds at a second: this test is about the stimulator crashing, not about a
            // frame delayed on a busy machine (those faults have their own tests)
            java.nio.file.Files.writeString(cfg, "{\"stim\": {\"stimulator\": \"tcp:127.0.0.1:"
                    + stimulator.server.getLocalPort() + "\", \"heartbeatTimeoutUs\": 1000000,"
                    + " \"decoderTimeoutUs\": 1000000, \"maxInputAgeMs\": 1000}}");
            Object[] r = run("demo", "--stim", "--config", cfg.toString(), "--seconds", "4", "--calibration-seconds",
                    "2", "--channels", "16", "--json", "--quiet", "--journal-dir", dir.toString());
            assertThat(stimulator.hungUp.getCount()).as("stderr: %s, seen %s", r[2], stimulator.seen).isZero();
            assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(StimRun.EXIT_STIM_FAULT);
            String err = (String) r[2];
            assertThat(err).contains("reflex: STIMULATION FAULT: ").contains("stimulator link lost")
                    .contains("the run ended with a stimulation fault latched");
            // Told when it happened, during the run, not only at its end.
            assertThat(err.indexOf("STIMULATION FAULT")).isLessThan(err.indexOf("the run ended with"));
            JsonNode j = Json.mapper().readTree(((String) r[1]).strip());
            assertThat(j.get("stim_fault").asText()).isEqualTo("driver");
        }
    }
}
