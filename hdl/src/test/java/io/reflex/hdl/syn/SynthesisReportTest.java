package io.reflex.hdl.syn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.hdl.sim.Builds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Yosys synth_xilinx -family xcup resource reports per kernel (target/syn/resources.json) and the check that each
 * kernel, and all kernels together, fit an Alveo U55C (XCU55C).
 */
class SynthesisReportTest {
    /** XCU55C capacity: LUTs, FFs, DSP48E2, BRAM36 (RAMB36 equivalents), URAM288. */
    static final Map<String, Long> U55C = Map.of("lut", 1_303_680L, "ff", 2_607_360L, "dsp", 9_024L,
            "bram36", 2_016L, "uram", 960L);

    /**
     * One synthesis run: {@code mode} is synth.sh's flat or hier; {@code key} names it in resources.json;
     * {@code inTotal}: counted in the all-kernels fit check (one configuration per kernel).
     */
    record Config(String kernel, String tag, String params, String what, String mode, String key, boolean inTotal) {
    }

    static final List<Config> CONFIGS = List.of(
            new Config("snn_kernel", "full", "-set MAX_N 1024 -set MAX_IN 256 -set MAX_NNZ 32768",
                    "the published build: 1,024 neurons, 256 inputs, 32,768 synapses", "flat", "snn_kernel", true),
            new Config("lfads_kernel", "rep", "-set D 16 -set T_MAX 16 -set H 16 -set ICD 16 -set F 4 -set RO 16 -set P 8",
                    "a representative LFADS build (H 16, P 8: 48 lanes of 8 multipliers); the published-size build"
                            + " (H 64, P 32: 192 lanes of 32) scales lane multipliers by 16x, see hdl/README.md",
                    "flat", "lfads_kernel", false),
            new Config("lfads_kernel", "published", "-set D 70 -set T_MAX 73 -set H 64 -set ICD 64 -set F 4 -set RO 70"
                    + " -set P 32", "the published-size build (70 x 73, H 64, ic 64, 4 factors, 70 outputs, P 32: 192"
                    + " lanes of 32 multipliers), hierarchy kept: each lane synthesised once, counted 192 times",
                    "hier", "lfads_kernel_published", true));

    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void needYosys() {
        assumeTrue(Builds.onPath("yosys"), "skipped: yosys not installed");
    }

    /** Resource summary of a yosys stat -json report. */
    static ObjectNode summarise(JsonNode stat) {
        JsonNode cells = stat.path("design").path("num_cells_by_type");
        long lut = 0;
        long ff = 0;
        long dsp = 0;
        long bram18 = 0;
        long uram = 0;
        long lutram = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = cells.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            String t = e.getKey();
            long n = e.getValue().asLong();
            if (t.matches("LUT[1-6]")) {
                lut += n;
            } else if (t.matches("FD[RSCP]E")) {
                ff += n;
            } else if (t.startsWith("DSP48E2")) {
                dsp += n;
            } else if (t.equals("RAMB36E2")) {
                bram18 += 2 * n;
            } else if (t.equals("RAMB18E2")) {
                bram18 += n;
            } else if (t.equals("URAM288")) {
                uram += n;
            } else if (t.startsWith("RAM64M8") || t.startsWith("RAM32M16")) {
                lutram += 8 * n;
            } else if (t.startsWith("RAM64M") || t.startsWith("RAM32M")) {
                lutram += 4 * n;
            } else if (t.startsWith("RAM") && !t.startsWith("RAMB")) {
                lutram += n;
            } else if (t.startsWith("SRL")) {
                lutram += n;
            }
        }
        ObjectNode o = JSON.createObjectNode();
        o.put("lut", lut + lutram);
        o.put("lut_logic", lut);
        o.put("lut_memory", lutram);
        o.put("ff", ff);
        o.put("dsp", dsp);
        o.put("bram36", (bram18 + 1) / 2);
        o.put("uram", uram);
        return o;
    }

    @Test
    @Timeout(3600)
    void kernelsFitTheU55C() throws Exception {
        Path out = Files.createDirectories(Builds.HDL.resolve("target/syn"));
        ObjectNode all = JSON.createObjectNode();
        all.put("tool", "yosys 0.23 synth_xilinx -family xcup -noiopad (-flatten unless mode hier)");
        all.put("device", "xcu55c");
        ObjectNode cap = all.putObject("capacity");
        U55C.forEach(cap::put);
        ObjectNode total = JSON.createObjectNode();
        for (Config c : CONFIGS) {
            Process p = new ProcessBuilder("bash", Builds.HDL.resolve("syn/synth.sh").toString(), c.kernel(),
                    c.tag(), c.params(), out.toString(), c.mode()).redirectErrorStream(true)
                    .redirectOutput(out.resolve(c.kernel() + "_" + c.tag() + ".stdout").toFile()).start();
            assertThat(p.waitFor(3000, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("yosys on " + c.kernel()).isZero();
            JsonNode stat = JSON.readTree(out.resolve(c.kernel() + "_" + c.tag() + ".json").toFile());
            ObjectNode s = summarise(stat);
            s.put("configuration", c.what());
            s.put("parameters", c.params());
            s.put("mode", c.mode());
            all.set(c.key(), s);
            for (String k : U55C.keySet()) {
                assertThat(s.get(k).asLong()).as(c.key() + " " + k).isLessThanOrEqualTo(U55C.get(k));
                if (c.inTotal()) {
                    total.put(k, total.path(k).asLong() + s.get(k).asLong());
                }
            }
            assertThat(s.get("lut").asLong()).as(c.key() + " maps to LUTs").isPositive();
            assertThat(s.get("ff").asLong()).as(c.key() + " has registers").isPositive();
        }
        all.set("total", total);
        for (String k : U55C.keySet()) {
            assertThat(total.get(k).asLong()).as("all kernels " + k).isLessThanOrEqualTo(U55C.get(k));
        }
        Files.writeString(out.resolve("resources.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(all));
    }
}
