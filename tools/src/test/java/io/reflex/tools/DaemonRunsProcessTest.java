package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.runtime.journal.Journal;
import io.reflex.runtime.journal.JournalFormat;
import io.reflex.runtime.journal.JournalReader;
import io.reflex.runtime.journal.JournalRecord;
import io.reflex.runtime.stim.ChronicleStimJournal;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimEvent;
import io.reflex.tools.ControlApiProcessTest.Daemon;
import io.reflex.tools.ControlApiProcessTest.Http;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code reflex daemon --serve} as a real process on an ephemeral loopback port: a run is stopped over the API
 * (its journal complete, the daemon still serving, idle), a second is started (a new journal, frames flowing,
 * stimulation disarmed although {@code armOnStart} armed the first), starts and stops at the wrong time are refused
 * (409) and so are requests without the token; SIGTERM ends the daemon with the highest exit code of its runs.
 */
class DaemonRunsProcessTest {
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void stopOverTheApiThenStartASecondRunWithItsOwnJournal(@TempDir Path dir) throws Exception {
        Path logFile = dir.resolve("control.log");
        Daemon d = Daemon.start(dir, "\"control\": {\"enabled\": true, \"port\": 0, \"logFile\": \""
                + json(logFile) + "\"}", "--serve");
        try {
            d.awaitLive();
            int port = d.port();
            String host = "127.0.0.1:" + port;
            Map<String, String> auth = Map.of("Authorization", "Bearer " + d.token());
            JsonNode run = status(port).get("run");
            assertThat(run.get("state").asText()).isEqualTo("running");
            assertThat(run.get("number").asInt()).isEqualTo(1);
            assertThat(run.get("serve").asBoolean()).isTrue();
            assertThat(run.get("last_exit").isNull()).isTrue();
            String journal1 = run.get("journal").asText();

            // Refused while run 1 is live: a start (409), and any stop without the right token, Host or Origin.
            Http.Response twice = Http.post(port, "/api/run/start", host, auth, "{\"reason\": \"too early\"}");
            assertThat(twice.status).as(twice.body).isEqualTo(409);
            assertThat(twice.body).contains("run 1 is live");
            String stop = "/api/run/stop";
            String body = "{\"reason\": \"end of block 1\"}";
            assertThat(Http.post(port, stop, host, Map.of(), body).status).isEqualTo(401);
            assertThat(Http.post(port, stop, host, Map.of("Authorization", "Bearer " + "0".repeat(64)), body)
                    .status).isEqualTo(403);
            assertThat(Http.post(port, stop, host, with(auth, "Origin", "http://evil.example"), body).status)
                    .isEqualTo(403);
            assertThat(Http.post(port, stop, "evil.example:" + port, auth, body).status).isEqualTo(403);
            Http.Response noReason = Http.post(port, stop, host, auth, "");
            assertThat(noReason.status).isEqualTo(400);
            assertThat(noReason.body).contains("reason is required");
            assertThat(Http.post(port, stop, host, auth, "{\"reason\": ").status).isEqualTo(400);
            assertThat(Http.post(port, stop, host, auth, "{\"reason\": \"x\", \"run\": 2}").status).isEqualTo(400);
            assertThat(Http.get(port, stop, host, auth).status).isEqualTo(405);
            d.awaitProgressLines(1);
            assertThat(status(port).get("phase").asText()).as("the refusals changed nothing").isEqualTo("live");

            int mark = d.lineCount();
            Http.Response stopped = Http.post(port, stop, host, auth, body);
            assertThat(stopped.status).as(stopped.body).isEqualTo(202);
            assertThat(Json.mapper().readTree(stopped.body).get("run").asInt()).isEqualTo(1);
            int ended = d.awaitLine(mark, l -> l.contains("run 1 ended, exit 0; serving on"), "the end of run 1");
            JsonNode idle = status(port);
            assertThat(idle.get("phase").asText()).isEqualTo("idle");
            assertThat(idle.get("run").get("state").asText()).isEqualTo("idle");
            assertThat(idle.get("run").get("last_exit").asInt()).isZero();
            assertThat(idle.get("run").get("last_fault").isNull()).isTrue();
            assertThat(d.process.isAlive()).isTrue();
            Http.Response again = Http.post(port, stop, host, auth, body);
            assertThat(again.status).as("stopping while idle").isEqualTo(409);
            assertThat(again.body).contains("no run is live");
            assertThat(Http.post(port, "/api/run/start", host, Map.of(), "{\"reason\": \"block 2\"}").status)
                    .isEqualTo(401);

            Http.Response started = Http.post(port, "/api/run/start", host, auth, "{\"reason\": \"block 2\"}");
            assertThat(started.status).as(started.body).isEqualTo(202);
            assertThat(Json.mapper().readTree(started.body).get("run").asInt()).isEqualTo(2);
            assertThat(Http.post(port, "/api/run/start", host, auth, "{\"reason\": \"block 3\"}").status)
                    .as("starting while run 2 starts").isEqualTo(409);
            d.awaitLine(ended, l -> l.startsWith("  live ") && l.contains("frames") && !l.contains("frames 0 "),
                    "live frames of run 2");
            JsonNode live2 = status(port);
            assertThat(live2.get("run").get("number").asInt()).isEqualTo(2);
            assertThat(live2.get("run").get("state").asText()).isEqualTo("running");
            assertThat(live2.get("run").get("last_exit").asInt()).isZero();
            String journal2 = live2.get("run").get("journal").asText();
            assertThat(journal2).isNotEqualTo(journal1);
            d.awaitProgressLines(1);
            JsonNode later = status(port);
            assertThat(later.get("phase").asText()).isEqualTo("live");
            assertThat(later.get("frames").asLong()).as("frames flowing in run 2")
                    .isGreaterThan(live2.get("frames").asLong());

            assertThat(new ProcessBuilder("kill", "-TERM", Long.toString(d.process.pid())).start().waitFor())
                    .isZero();
            assertThat(d.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(d.process.exitValue()).as("every run ended with 0: SIGTERM's 143; stderr:\n%s", d.err())
                    .isEqualTo(143);

            List<JsonNode> reports = summaries(d);
            assertThat(reports).hasSize(2);
            for (int i = 0; i < 2; i++) {
                JsonNode r = reports.get(i);
                assertThat(r.get("run_number").asInt()).isEqualTo(i + 1);
                assertThat(r.get("ending").asText()).isEqualTo("stopped");
                Path journal = Path.of(i == 0 ? journal1 : journal2);
                assertThat(Path.of(r.get("journal").asText()).toAbsolutePath().normalize()).isEqualTo(journal);
                assertThat(frames(journal)).as("the journal of run %d is complete", i + 1)
                        .isEqualTo(r.get("journal_frames").asLong()).isPositive();
            }
            assertThat(controlActions(Path.of(journal1))).anySatisfy(a -> assertThat(a)
                    .contains("token=ok\trun-stop\taccepted; reason \"end of block 1\""));
            assertThat(controlActions(Path.of(journal2))).anySatisfy(a -> assertThat(a)
                    .contains("token=ok\trun-start\trun 2 started; reason \"block 2\""));
            List<String> log = Files.readAllLines(logFile);
            assertThat(log).anyMatch(l -> l.contains("token=ok\trun-stop\taccepted; reason \"end of block 1\""))
                    .anyMatch(l -> l.contains("token=ok\trun-start\taccepted, run 2; reason \"block 2\""))
                    .anyMatch(l -> l.contains("token=ok\trun-start\trefused 409: run 1 is live"))
                    .anyMatch(l -> l.contains("token=ok\trun-stop\trefused 409: no run is live"))
                    .anyMatch(l -> l.contains("token=none\tPOST /api/run/stop\trefused 401"));
        } finally {
            d.process.destroyForcibly();
        }
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aRestartNeverArmsAndAFaultedRunSetsTheExitCode(@TempDir Path dir) throws Exception {
        Path stimJournal = dir.resolve("stim-journal");
        Daemon d = Daemon.start(dir, "\"pipeline\": {\"deadlineUs\": 200000},"
                + "\"stim\": {\"armOnStart\": \"DaemonRunsProcessTest: closed loop\", \"journalDir\": \""
                + json(stimJournal) + "\", \"threshold\": 0.05, \"hysteresis\": 0.02, \"refractoryMs\": 100,"
                // bounds far above a loaded machine's stalls: the fault here is the e-stop, not the watchdog's
                + " \"heartbeatTimeoutUs\": 5000000, \"decoderTimeoutUs\": 5000000, \"linkHeartbeatTimeoutMs\": 5000,"
                + " \"ackTimeoutMs\": 5000, \"maxInputAgeMs\": 5000},"
                + "\"control\": {\"enabled\": true, \"port\": 0}", "--serve");
        try {
            d.awaitLive();
            int port = d.port();
            String host = "127.0.0.1:" + port;
            Map<String, String> auth = Map.of("Authorization", "Bearer " + d.token());
            // armOnStart arms run 1 at its first fresh decode
            JsonNode s = status(port);
            for (int i = 0; i < 10 && "disarmed".equals(s.get("stim").get("state").asText()); i++) {
                d.awaitProgressLines(1);
                s = status(port);
            }
            assertThat(s.get("stim").get("state").asText()).as("stderr:\n%s", d.err()).isIn("armed", "active");
            assertThat(Http.post(port, "/api/stim/estop", host, auth, "{\"reason\": \"test e-stop\"}").status)
                    .isEqualTo(202);
            for (int i = 0; i < 10 && "none".equals(s.get("stim").get("fault").asText()); i++) {
                d.awaitProgressLines(1);
                s = status(port);
            }
            // the e-stop's fault, unless a stall on a loaded machine latched another first: either ends run 1 with 3
            String fault = s.get("stim").get("fault").asText();
            assertThat(fault).as("stderr:\n%s", d.err()).isNotEqualTo("none");

            int mark = d.lineCount();
            assertThat(Http.post(port, "/api/run/stop", host, auth, "{\"reason\": \"after the e-stop\"}").status)
                    .isEqualTo(202);
            int ended = d.awaitLine(mark, l -> l.contains("run 1 ended, exit 3: stimulation fault latched"),
                    "the end of run 1 with its fault told");
            assertThat(d.err()).contains("SIGTERM exits 3");
            JsonNode idle = status(port).get("run");
            assertThat(idle.get("state").asText()).isEqualTo("idle");
            assertThat(idle.get("last_exit").asInt()).isEqualTo(StimRun.EXIT_STIM_FAULT);
            assertThat(idle.get("last_fault").asText()).contains("stimulation fault latched");
            assertThat(idle.get("exit_code").asInt()).isEqualTo(StimRun.EXIT_STIM_FAULT);
            // between runs nothing can be armed
            Http.Response asked = Http.post(port, "/api/stim/arm", host, auth, "{\"reason\": \"between runs\"}");
            assertThat(asked.status).as(asked.body).isEqualTo(202);
            String id = Json.mapper().readTree(asked.body).get("confirmation").asText();
            Http.Response confirmIdle = Http.post(port, "/api/stim/arm/confirm", host, auth,
                    "{\"confirmation\": \"" + id + "\"}");
            assertThat(confirmIdle.status).as(confirmIdle.body).isEqualTo(409);
            assertThat(confirmIdle.body).contains("no run is live");
            // a confirmation issued before a start cannot arm the new run
            String stale = Json.mapper().readTree(Http.post(port, "/api/stim/arm", host, auth,
                    "{\"reason\": \"issued before run 2\"}").body).get("confirmation").asText();

            assertThat(Http.post(port, "/api/run/start", host, auth, "{\"reason\": \"run 2\"}").status)
                    .isEqualTo(202);
            d.awaitLine(ended, l -> l.startsWith("  live ") && l.contains("frames") && !l.contains("frames 0 "),
                    "live frames of run 2");
            d.awaitProgressLines(2);
            JsonNode s2 = status(port);
            assertThat(s2.get("run").get("number").asInt()).isEqualTo(2);
            assertThat(s2.get("stim").get("fault").asText()).as("run 2 has its own stimulation").isEqualTo("none");
            assertThat(s2.get("stim").get("state").asText()).as("a restart never arms by itself")
                    .isEqualTo("disarmed");
            assertThat(s2.get("stim").get("issued").asLong()).isZero();
            Http.Response staleConfirm = Http.post(port, "/api/stim/arm/confirm", host, auth,
                    "{\"confirmation\": \"" + stale + "\"}");
            assertThat(staleConfirm.status).as(staleConfirm.body).isEqualTo(409);
            assertThat(staleConfirm.body).contains("used already");
            assertThat(status(port).get("stim").get("state").asText()).isEqualTo("disarmed");

            assertThat(new ProcessBuilder("kill", "-TERM", Long.toString(d.process.pid())).start().waitFor())
                    .isZero();
            assertThat(d.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(d.process.exitValue()).as("the worst run's code; stderr:\n%s", d.err())
                    .isEqualTo(StimRun.EXIT_STIM_FAULT);
            List<JsonNode> reports = summaries(d);
            assertThat(reports).hasSize(2);
            assertThat(reports.get(0).get("stim_fault").asText()).isEqualTo(fault);
            assertThat(reports.get(1).get("stim_fault").asText()).isEqualTo("none");
            assertThat(reports.get(1).get("stim_issued").asLong()).isZero();
            Path stimJournal2 = Path.of(stimJournal + "-run-2");
            assertThat(Path.of(reports.get(1).get("stim_journal").asText())).isEqualTo(stimJournal2.toAbsolutePath());
            assertThat(stimEvents(stimJournal)).contains("armed: DaemonRunsProcessTest: closed loop");
            assertThat(stimEvents(stimJournal2)).as("run 2's stimulation journal").isNotEmpty()
                    .noneMatch(e -> e.startsWith("armed"));
        } finally {
            d.process.destroyForcibly();
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void withoutServeOneRunAndARunStopEndsTheDaemon(@TempDir Path dir) throws Exception {
        Daemon d = Daemon.start(dir, "\"control\": {\"enabled\": true, \"port\": 0}");
        try {
            d.awaitLive();
            int port = d.port();
            String host = "127.0.0.1:" + port;
            Map<String, String> auth = Map.of("Authorization", "Bearer " + d.token());
            assertThat(status(port).get("run").get("serve").asBoolean()).isFalse();
            Http.Response start = Http.post(port, "/api/run/start", host, auth, "{\"reason\": \"another\"}");
            assertThat(start.status).isEqualTo(409);
            assertThat(start.body).contains("without --serve");
            assertThat(Http.post(port, "/api/run/stop", host, auth, "{\"reason\": \"done\"}").status)
                    .isEqualTo(202);
            assertThat(d.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(d.process.exitValue()).as("stderr:\n%s", d.err()).isZero();
            List<JsonNode> reports = summaries(d);
            assertThat(reports).hasSize(1);
            assertThat(reports.get(0).get("ending").asText()).isEqualTo("stopped");
            assertThat(reports.get(0).has("run_number")).as("the summary as without the option").isFalse();
            assertThat(d.err()).doesNotContain("serving on");
        } finally {
            d.process.destroyForcibly();
        }
    }

    private static JsonNode status(int port) throws Exception {
        Http.Response r = Http.get(port, "/api/status", "127.0.0.1:" + port, Map.of());
        assertThat(r.status).as(r.body).isEqualTo(200);
        return Json.mapper().readTree(r.body);
    }

    /** The summaries on stdout, one JSON object a line. */
    private static List<JsonNode> summaries(Daemon d) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : d.stdout().split("\n")) {
            if (!line.isBlank()) {
                out.add(Json.mapper().readTree(line));
            }
        }
        return out;
    }

    /** The frames in a journal, checked to be contiguous from sequence 0. */
    private static long frames(Path journal) throws Exception {
        long n = 0;
        try (JournalReader r = new JournalReader(journal)) {
            JournalRecord rec = new JournalRecord();
            while (r.next(rec)) {
                assertThat(rec.sequence).isEqualTo(n);
                n++;
            }
        }
        return n;
    }

    private static List<String> controlActions(Path journal) throws Exception {
        List<String> actions = new ArrayList<>();
        try (JournalReader r = new JournalReader(journal)) {
            JournalRecord rec = new JournalRecord();
            for (int type; (type = r.nextRecord(rec)) != 0; ) {
                if (type == JournalFormat.TYPE_MARKER && rec.markerText.startsWith(Journal.CONTROL_PREFIX)) {
                    actions.add(rec.markerText);
                }
            }
        }
        return actions;
    }

    private static List<String> stimEvents(Path journal) {
        List<String> events = new ArrayList<>();
        ChronicleStimJournal.read(journal, new ChronicleStimJournal.Visitor() {
            @Override
            public void command(long sequence, long timeNs, int verdict, StimCommand command) {
            }

            @Override
            public void event(long timeNs, int event, int code, String reason) {
                events.add(StimEvent.name(event) + ": " + reason);
            }
        });
        return events;
    }

    private static Map<String, String> with(Map<String, String> m, String k, String v) {
        Map<String, String> r = new LinkedHashMap<>(m);
        r.put(k, v);
        return r;
    }

    private static String json(Path p) {
        return p.toString().replace("\\", "\\\\");
    }
}
