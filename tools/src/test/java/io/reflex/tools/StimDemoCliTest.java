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
    void demoStimTextSummaryHasAStimulationLine(@TempDir Path dir) {
        Object[] r = run("demo", "--stim", "--seconds", "3", "--calibration-seconds", "2", "--channels", "16",
                "--quiet", "--journal-dir", dir.toString());
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        assertThat((String) r[1]).contains("stimulation  ").contains("unsafe emitted 0").contains("stim journal: ");
    }
}
