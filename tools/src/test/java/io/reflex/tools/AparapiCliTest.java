package io.reflex.tools;

import static io.reflex.tools.CliRunner.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.gpu.AparapiDevices;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code aparapi-fixed} through the CLI: listed by {@code engines}, and live in the demo (SNN and LFADS) with the golden
 * check.
 */
class AparapiCliTest {

    /** The execution mode the engine must report on this machine. */
    static String expectedMode() {
        return AparapiDevices.probe().openCl() != null ? "opencl" : "jtp";
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void enginesListsAparapiFixedWithItsDeviceAndModeForSnnCausalAndAcausalLfads() throws Exception {
        Object[] r = run("engines", "--decoder", "snn", "--engine", "aparapi-fixed,cpu-fixed", "--json");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        JsonNode e = Json.mapper().readTree(((String) r[1]).strip()).get("engines").get(0);
        assertThat(e.get("name").asText()).isEqualTo("aparapi-fixed");
        assertThat(e.get("usable").asBoolean()).isTrue();
        assertThat(e.get("first_usable").asBoolean()).isTrue();
        assertThat(e.get("arithmetic").asText()).isEqualTo("fixed");
        assertThat(e.get("device").asText()).contains(", " + expectedMode() + ": SNN integer LIF");

        r = run("engines", "--decoder", "lfads", "--engine", "aparapi-fixed,cpu-fixed", "--json");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        JsonNode l = Json.mapper().readTree(((String) r[1]).strip()).get("engines").get(0);
        assertThat(l.get("usable").asBoolean()).isTrue();
        assertThat(l.get("device").asText()).contains(", " + expectedMode() + ": LFADS causal step");

        r = run("engines", "--decoder", "lfads", "--model", "lfads-lorenz-small", "--engine",
                "aparapi-fixed,cpu-fixed", "--json");
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        JsonNode w = Json.mapper().readTree(((String) r[1]).strip()).get("engines");
        assertThat(w.get(0).get("usable").asBoolean()).isTrue();
        assertThat(w.get(0).get("first_usable").asBoolean()).isTrue();
        assertThat(w.get(0).get("device").asText())
                .contains(", " + expectedMode() + ": LFADS acausal trial and sliding window (fixed point)");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void snnDemoRunsLiveOnAparapiWithZeroGoldenMismatches(@TempDir Path dir) throws Exception {
        demoRunsLiveOnAparapiWithZeroGoldenMismatches("snn", dir);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void lfadsDemoRunsLiveOnAparapiWithZeroGoldenMismatches(@TempDir Path dir) throws Exception {
        demoRunsLiveOnAparapiWithZeroGoldenMismatches("lfads", dir);
    }

    private static void demoRunsLiveOnAparapiWithZeroGoldenMismatches(String decoder, Path dir) throws Exception {
        Object[] r = run("demo", "--decoder", decoder, "--engine", "aparapi-fixed", "--seconds", "5", "--json",
                "--quiet", "--journal-dir", dir.toString());
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        JsonNode j = Json.mapper().readTree(((String) r[1]).strip());
        assertThat(j.get("engine").asText()).isEqualTo("aparapi-fixed");
        JsonNode e = j.get("engine_chain").get(0);
        assertThat(e.get("name").asText()).isEqualTo("aparapi-fixed");
        assertThat(e.get("device").asText()).contains(", " + expectedMode() + ": ");
        assertThat(e.get("faults").asLong()).isZero();
        assertThat(e.get("frames").asLong()).isGreaterThan(20);
        assertThat(e.get("decode_latency_us").get("p50").isNumber()).isTrue();
        assertThat(j.get("golden").get("engine").asText()).isEqualTo("cpu-fixed");
        assertThat(j.get("golden").get("compared").asLong()).isEqualTo(e.get("frames").asLong());
        assertThat(j.get("golden").get("mismatches").asLong()).isZero();
    }
}
