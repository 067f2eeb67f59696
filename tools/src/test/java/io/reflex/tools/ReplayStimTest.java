package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.runtime.session.StimReplay;
import io.reflex.runtime.stim.ChronicleStimJournal;
import io.reflex.runtime.stim.StimConfig;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimVerdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code reflex replay} of a real demo run with stimulation: its decisions recomputed, and two mutations caught. */
class ReplayStimTest {
    @TempDir
    static Path shared;
    private static Path run;
    private static Path stim;

    @BeforeAll
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    static void recordADemoRunWithStimulation() throws Exception {
        // Deadline, watchdog, input-age and stimulator-link bounds at a second, as in StimDemoCliTest: on a busy 2-core
        // machine a frame delayed while the decoder is fitted, or a link heartbeat delayed past the simulated
        // stimulator's 300 ms default (it closes the link: a driver fault), would otherwise latch a fault and the run
        // would stimulate little or not at all. A fault latched all the same (exit 3) is journaled and replayed like
        // the rest.
        Path cfg = Files.writeString(shared.resolve("stim.json"),
                "{\"stim\": {\"heartbeatTimeoutUs\": 1000000, \"decoderTimeoutUs\": 1000000, \"maxInputAgeMs\": 1000,"
                        + " \"linkHeartbeatTimeoutMs\": 1000, \"ackTimeoutMs\": 1000, \"threshold\": 0.02, \"hysteresis\": 0.005, \"refractoryMs\": 100,"
                        + " \"maxTriggersPerSecond\": 5}}");
        Object[] r = CliRunner.run("demo", "--stim", "--seconds", "8", "--calibration-seconds", "3", "--channels",
                "16", "--deadline-us", "1000000", "--config", cfg.toString(), "--json", "--quiet", "--journal-dir",
                shared.resolve("journal").toString());
        assertThat(r[0]).as("stderr: %s", r[2]).isIn(0, StimRun.EXIT_STIM_FAULT);
        JsonNode j = Json.mapper().readTree(((String) r[1]).strip());
        run = Path.of(j.get("journal").asText());
        stim = Path.of(j.get("stim_journal").asText());
        assertThat(j.get("stim_issued").asLong()).as("the demo stimulated: %s", j).isPositive();
    }

    private static JsonNode json(Object[] r) throws Exception {
        return Json.mapper().readTree(((String) r[1]).strip()).get("stim");
    }

    @Test
    void everyRecordedCommandAndVerdictIsRecomputedFromTheRecordedOutputs() throws Exception {
        Object[] r = CliRunner.run("replay", run.toString(), "--json");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        JsonNode s = json(r);
        System.out.println("replay stim: " + s);
        assertThat(s.fieldNames()).toIterable().containsExactly("replayed", "stim_journal", "policy", "threshold",
                "threshold_overridden", "recorded_commands", "evaluated_frames", "arming_frames", "proposals",
                "matched", "proposals_not_recorded", "proposals_after_stop", "recorded_not_recomputed",
                "verdict_mismatches", "limiter_timing_tolerated", "refused_at_send", "verdicts",
                "max_trigger_offset_us", "policy_clock_after_decode_us", "policy_clock_before_emit_us",
                "policy_clock_outside_stamps", "first_mismatch", "agrees", "tail_fault");
        assertThat(s.get("replayed").asBoolean()).isTrue();
        assertThat(Path.of(s.get("stim_journal").asText())).isEqualTo(stim);
        long recorded = s.get("recorded_commands").asLong();
        assertThat(recorded).isPositive();
        assertThat(s.get("matched").asLong()).isEqualTo(recorded);
        assertThat(s.get("recorded_not_recomputed").asLong()).isZero();
        assertThat(s.get("verdict_mismatches").asLong()).isZero();
        assertThat(s.get("proposals_not_recorded").asLong()).isZero();
        assertThat(s.get("arming_frames").asLong()).isEqualTo(1);
        assertThat(s.get("verdicts").get("accepted").asLong()).isPositive();
        assertThat(s.get("agrees").asBoolean()).isTrue();
        assertThat(s.get("first_mismatch").isNull()).isTrue();
        assertThat(s.get("policy_clock_outside_stamps").asLong()).isZero();

        // named explicitly, and in the text summary
        Object[] t = CliRunner.run("replay", run.toString(), "--stim", stim.toString());
        assertThat(t[0]).as("stderr: %s", t[2]).isEqualTo(0);
        assertThat((String) t[1]).contains("stimulation (threshold policy, nothing sent): " + recorded
                + " recorded commands", recorded + " matched, 0 verdicts differ, 0 recorded not recomputed");
    }

    @Test
    void aChangedThresholdIsCaught() throws Exception {
        Object[] r = CliRunner.run("replay", run.toString(), "--stim-threshold", "1e9", "--json");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(1);
        JsonNode s = json(r);
        assertThat(s.get("threshold_overridden").asBoolean()).isTrue();
        assertThat(s.get("proposals").asLong()).isZero();
        assertThat(s.get("recorded_not_recomputed").asLong()).isEqualTo(s.get("recorded_commands").asLong())
                .isPositive();
        assertThat(s.get("agrees").asBoolean()).isFalse();
        assertThat(s.get("first_mismatch").asText()).contains("was not recomputed");
        assertThat((String) r[2]).contains("the recomputed stimulation decisions differ");
    }

    @Test
    void aDoctoredVerdictIsCaught(@TempDir Path dir) throws Exception {
        Path doctored = dir.resolve("stim-doctored");
        long[] flipped = {-1};
        try (ChronicleStimJournal out = ChronicleStimJournal.open(doctored)) {
            ChronicleStimJournal.read(stim, new ChronicleStimJournal.Visitor() {
                @Override
                public void command(long sequence, long timeNs, int verdict, StimCommand command) {
                    int v = verdict;
                    if (flipped[0] < 0 && verdict == StimVerdict.ACCEPTED) {
                        flipped[0] = sequence;
                        v = StimVerdict.AMPLITUDE_OVER_LIMIT;
                    }
                    out.recordCommand(sequence, timeNs, command, v);
                }

                @Override
                public void event(long timeNs, int event, int code, String reason) {
                    out.recordEvent(timeNs, event, code, reason);
                }

                @Override
                public void stopAll(long sequence, long timeNs) {
                    out.recordStopAll(sequence, timeNs);
                }
            });
        }
        assertThat(flipped[0]).isPositive();
        Object[] r = CliRunner.run("replay", run.toString(), "--stim", doctored.toString(), "--json");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(1);
        JsonNode s = json(r);
        assertThat(s.get("verdict_mismatches").asLong()).isEqualTo(1);
        assertThat(s.get("recorded_not_recomputed").asLong()).isZero();
        assertThat(s.get("first_mismatch").asText()).contains("command " + flipped[0] + ": recorded"
                + " amplitude_over_limit, recomputed accepted");
    }

    @Test
    void aRunWhoseStimulationJournalIsNotFoundSaysSoAndAMissingOneIsRefused(@TempDir Path dir) throws Exception {
        Path plain = RecordedRuns.copyRun(run, dir.resolve("run-x"));
        Object[] r = CliRunner.run("replay", plain.toString(), "--json");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        assertThat(json(r).get("replayed").asBoolean()).isFalse();
        assertThat(json(r).get("why_not").asText()).contains("no stimulation journal found");
        Object[] m = CliRunner.run("replay", plain.toString(), "--stim", dir.resolve("none").toString());
        assertThat(m[0]).isEqualTo(2);
        assertThat((String) m[2]).contains("no stimulation journal directory at");
    }

    /**
     * A run whose policy fires trains on a decoded state (the larger of vx, vy): its decisions recomputed as well,
     * every recorded command matched. Its state entries can fall a refractory period (5 bins) after a train, where
     * the live limiter's decision hung on its clock reading; the replay runs the policy on the recorded reading
     * ({@code StimReplayTest}), so no command is left to a tolerance. A policy changed by one bin of dwell is caught.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aStateTrainRunIsRecomputedToo(@TempDir Path dir) throws Exception {
        // state 1 (vy above vx) held for 2 bins fires a train; the same relaxed bounds as the threshold run
        String stimJson = "{\"stim\": {\"policy\": \"state-train\", \"stateCount\": 2, \"targetState\": 1,"
                + " \"dwellBins\": 2, \"heartbeatTimeoutUs\": 1000000, \"decoderTimeoutUs\": 1000000,"
                + " \"maxInputAgeMs\": 1000, \"linkHeartbeatTimeoutMs\": 1000, \"ackTimeoutMs\": 1000,"
                + " \"refractoryMs\": 100, \"maxTriggersPerSecond\": 5}}";
        Path cfg = Files.writeString(dir.resolve("state.json"), stimJson);
        Object[] r = CliRunner.run("demo", "--stim", "--seconds", "8", "--calibration-seconds", "3", "--channels",
                "16", "--deadline-us", "1000000", "--config", cfg.toString(), "--json", "--quiet", "--journal-dir",
                dir.resolve("journal").toString());
        assertThat(r[0]).as("stderr: %s", r[2]).isIn(0, StimRun.EXIT_STIM_FAULT);
        JsonNode j = Json.mapper().readTree(((String) r[1]).strip());
        assertThat(j.get("stim_issued").asLong()).as("the state policy fired: %s", j).isPositive();
        Object[] t = CliRunner.run("replay", j.get("journal").asText(), "--json");
        assertThat(t[0]).as("stderr: %s", t[2]).isEqualTo(0);
        JsonNode s = json(t);
        System.out.println("replay stim (state-train): " + s);
        assertThat(s.get("policy").asText()).isEqualTo("state-train");
        long recorded = s.get("recorded_commands").asLong();
        assertThat(recorded).isPositive();
        assertThat(s.get("matched").asLong()).as("%s", s).isEqualTo(recorded);
        assertThat(s.get("recorded_not_recomputed").asLong()).isZero();
        assertThat(s.get("verdict_mismatches").asLong()).isZero();
        assertThat(s.get("proposals_not_recorded").asLong()).isZero();
        assertThat(s.get("policy_clock_outside_stamps").asLong()).isZero();
        assertThat(s.get("max_trigger_offset_us").asDouble()).isZero();
        assertThat(s.get("agrees").asBoolean()).isTrue();

        // the same journals replayed with a dwell of 3 bins instead of 2: the trains the run made are not recomputed
        StimConfig three = StimReplay.config(Json.mapper().readTree("{\"config\": " + stimJson + "}"));
        three.dwellBins = 3;
        StimReplay.Result changed = StimReplay.replay(Path.of(j.get("journal").asText()),
                Path.of(j.get("stim_journal").asText()), three, null);
        assertThat(changed.recordedNotRecomputed).isPositive();
        assertThat(changed.agrees()).isFalse();
    }
}
