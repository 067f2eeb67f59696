package io.reflex.tools;

import static io.reflex.tools.CliRunner.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.fpga.abi.KernelAbi;
import io.reflex.fpga.rtlsim.RtlSimBuilds;
import io.reflex.fpga.xclbin.XclbinBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code reflex fpga check}: on this machine there is no card, so the check says so and exits 3 (whether XRT is
 * installed or not); unusable files exit 2; {@code --rtl-sim} runs the vectors on the verilated kernel and exits 0.
 */
class FpgaCommandTest {
    static final String[] JSON_KEYS = {"xclbin", "uuid", "platform", "target", "device", "outcome", "reason",
        "kernels", "foreign_kernels"};
    static final String[] KERNEL_KEYS = {"kernel", "mode", "params", "params_source", "device", "verdict", "vectors",
        "mismatches", "p50_us", "max_us", "first_mismatch", "detail"};

    @Test
    void withoutACardItSaysSoAndExitsThree(@TempDir Path dir) throws Exception {
        assumeTrue(System.getenv("XCL_EMULATION_MODE") == null, "skipped: XCL_EMULATION_MODE is set in this shell");
        Path f = Files.write(dir.resolve("k.xclbin"), XclbinBuilder.forKernels("snn_kernel", "lfads_kernel"));
        Object[] t = run("fpga", "check", "--xclbin", f.toString());
        assertThat(t[0]).as("stdout %s stderr %s", t[1], t[2]).isEqualTo(3);
        assertThat((String) t[1]).contains("target   xrt device 0", "NOT-RUN  snn_kernel", "NOT-RUN  lfads_kernel",
                "verdict  NO-DEVICE: no card to check on");
        assertThat((String) t[2]).startsWith("reflex fpga check: no-device: no card to check on");

        Object[] j = run("fpga", "check", "--xclbin", f.toString(), "--json");
        assertThat(j[0]).isEqualTo(3);
        JsonNode o = Json.mapper().readTree(((String) j[1]).strip());
        for (String k : JSON_KEYS) {
            assertThat(o.has(k)).as(k).isTrue();
        }
        assertThat(o.get("outcome").asText()).isEqualTo("no-device");
        assertThat(o.get("target").asText()).isEqualTo("xrt");
        assertThat(o.get("reason").asText()).startsWith("no card to check on");
        assertThat(o.get("kernels")).hasSize(2);
        for (JsonNode k : o.get("kernels")) {
            for (String key : KERNEL_KEYS) {
                assertThat(k.has(key)).as(key).isTrue();
            }
            assertThat(k.get("verdict").asText()).isEqualTo("not-run");
            assertThat(k.get("p50_us").isNull()).isTrue();
        }
        assertThat(o.get("kernels").get(1).get("params").get("T_MAX").asInt()).isEqualTo(73);
    }

    @Test
    void unusableFilesAndOptionsExitTwo(@TempDir Path dir) throws Exception {
        Path text = Files.writeString(dir.resolve("notes.xclbin"), "hello\n".repeat(100));
        Object[] r = run("fpga", "check", "--xclbin", text.toString());
        assertThat(r[0]).isEqualTo(2);
        assertThat((String) r[1]).contains("verdict  BAD-INPUT: bad xclbin: ", "not an xclbin");

        Path bare = XclbinBuilder.create().kernel(KernelAbi.load("lfads_kernel")).withoutBuildParams()
                .write(dir.resolve("bare.xclbin"));
        Object[] u = run("fpga", "check", "--xclbin", bare.toString(), "--json");
        assertThat(u[0]).isEqualTo(2);
        assertThat(Json.mapper().readTree((String) u[1]).get("reason").asText())
                .contains("does not state the build parameters of lfads_kernel");

        Object[] p = run("fpga", "check", "--xclbin", bare.toString(), "--params", "lfads_kernel:D");
        assertThat(p[0]).isEqualTo(2);
        assertThat((String) p[2]).startsWith("reflex fpga check: ");
        Object[] v = run("fpga", "check", "--xclbin", bare.toString(), "--vectors", "0");
        assertThat(v[0]).isEqualTo(2);
        assertThat((String) v[2]).contains("vectors: must be in [1, 100000], was 0");
    }

    @Test
    @Timeout(1800)
    void rtlSimModeIsBitExact(@TempDir Path dir) throws Exception {
        String missing = RtlSimBuilds.missingTools();
        assumeTrue(missing == null, "skipped: " + missing);
        // a small SNN build of its own (its library is built once under hdl/target/verilator)
        Path f = XclbinBuilder.create().kernel(KernelAbi.load("snn_kernel"),
                Map.of("MAX_N", 32, "MAX_IN", 32, "MAX_NNZ", 512, "MAX_BEATS", 16)).write(dir.resolve("snn.xclbin"));
        Object[] j = run("fpga", "check", "--xclbin", f.toString(), "--rtl-sim", "--vectors", "20", "--json");
        assertThat(j[0]).as("stdout %s stderr %s", j[1], j[2]).isEqualTo(0);
        JsonNode o = Json.mapper().readTree(((String) j[1]).strip());
        assertThat(o.get("outcome").asText()).isEqualTo("pass");
        assertThat(o.get("target").asText()).isEqualTo("rtl-sim");
        assertThat(o.get("reason").isNull()).isTrue();
        JsonNode k = o.get("kernels").get(0);
        assertThat(k.get("verdict").asText()).isEqualTo("pass");
        assertThat(k.get("vectors").asInt()).isEqualTo(20);
        assertThat(k.get("mismatches").asInt()).isZero();
        assertThat(k.get("p50_us").asDouble()).isPositive().isLessThanOrEqualTo(k.get("max_us").asDouble());
    }
}
