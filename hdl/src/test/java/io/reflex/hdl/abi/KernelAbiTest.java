package io.reflex.hdl.abi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.fpga.abi.KernelAbi;
import io.reflex.hdl.sim.Builds;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The ABI JSON is the single source of truth: its offsets follow the register layout axil_ctrl implements, the
 * kernel's RTL has as many argument registers and the same data width, its build parameters and their defaults are
 * the top module's (RtlSimDevice completes a library's rtlsim_params() with them), the host programs read the same
 * offsets through KernelAbi, and hdl/vitis/&lt;kernel&gt;/kernel.xml is exactly the file generated from it (run with
 * -Dreflex.hdl.regen=true to rewrite it after changing the JSON).
 */
class KernelAbiTest {

    @ParameterizedTest
    @ValueSource(strings = {"snn_kernel", "lfads_kernel"})
    void abiMatchesRtlTestbenchAndKernelXml(String kernel) throws Exception {
        Path hdl = Builds.HDL;
        KernelAbi abi = KernelAbi.read(hdl.resolve("abi/" + kernel + ".json"));
        assertThat(abi.name()).isEqualTo(kernel);
        JsonNode args = abi.json().path("args");
        int n = args.size();
        for (int i = 0; i < n; i++) {
            JsonNode a = args.get(i);
            assertThat(a.path("id").asInt()).as("argument order").isEqualTo(i);
            assertThat(a.path("offset").asInt()).as(a.path("name").asText() + " offset")
                    .isEqualTo(KernelAbi.ARG_BASE + KernelAbi.ARG_STRIDE * i);
            String kind = a.path("kind").asText();
            assertThat(kind).isIn("buffer", "scalar");
            if (kind.equals("buffer")) {
                assertThat(a.path("size").asInt()).isEqualTo(8);
                assertThat(a.path("port").asText()).startsWith("m_axi_");
            } else {
                assertThat(a.path("size").asInt()).isIn(4, 8);
                assertThat(a.path("port").asText()).isEqualTo("s_axi_control");
            }
        }
        assertThat(abi.json().path("status").path("offset").asInt())
                .isEqualTo(KernelAbi.ARG_BASE + KernelAbi.ARG_STRIDE * n);

        // RTL: argument count and memory data width of the kernel top
        String rtl = Files.readString(hdl.resolve("rtl/" + kernel.replace("_kernel", "") + "/" + kernel + ".v"));
        Matcher m = Pattern.compile("localparam integer N_ARGS = (\\d+);").matcher(rtl);
        assertThat(m.find()).as("N_ARGS in " + kernel + ".v").isTrue();
        assertThat(Integer.parseInt(m.group(1))).isEqualTo(n);
        Matcher w = Pattern.compile("C_M_AXI_GMEM_DATA_WIDTH\\s*=\\s*(\\d+)").matcher(rtl);
        assertThat(w.find()).isTrue();
        assertThat(Integer.parseInt(w.group(1))).isEqualTo(abi.json().path("memory_ports").get(0).path("data_width").asInt());
        // the control slave lays arguments out at ARG_BASE + 12 k and the status word after them
        String ctrl = Files.readString(hdl.resolve("rtl/common/axil_ctrl.v"));
        assertThat(ctrl).contains("localparam integer ARG_BASE = " + KernelAbi.ARG_BASE + ";")
                .contains("ARG_BASE + 12 * k").contains("STATUS_ADDR = ARG_BASE + 12 * N_ARGS");
        // the host side (RtlSimDevice, the host programs) takes its offsets from this JSON through KernelAbi
        for (int i = 0; i < n; i++) {
            assertThat(abi.argOffset(i)).isEqualTo(args.get(i).path("offset").asInt());
            assertThat(abi.isBuffer(i)).isEqualTo(args.get(i).path("kind").asText().equals("buffer"));
        }
        assertThat(abi.statusOffset()).isEqualTo(abi.json().path("status").path("offset").asInt());
        // build parameters: every Verilog parameter of the top module but the fixed AXI widths, same defaults
        Map<String, Integer> rtlParams = new LinkedHashMap<>();
        Matcher pm = Pattern.compile("parameter integer (\\w+)\\s*=\\s*(\\d+)").matcher(rtl);
        while (pm.find()) {
            if (!pm.group(1).startsWith("C_")) {
                rtlParams.put(pm.group(1), Integer.parseInt(pm.group(2)));
            }
        }
        assertThat(rtlParams).isNotEmpty();
        assertThat(abi.buildParameters()).as("build_parameters of abi/" + kernel + ".json").isEqualTo(rtlParams);
        assertThat(KernelAbi.load(kernel).buildParameters()).as("the packaged copy").isEqualTo(rtlParams);

        Path xml = hdl.resolve("vitis/" + kernel + "/kernel.xml");
        String want = abi.kernelXml();
        if (Boolean.getBoolean("reflex.hdl.regen")) {
            Files.createDirectories(xml.getParent());
            Files.writeString(xml, want, StandardCharsets.UTF_8);
        }
        assertThat(xml).as("hdl/vitis/" + kernel + "/kernel.xml (regenerate with -Dreflex.hdl.regen=true)").exists();
        assertThat(Files.readString(xml)).isEqualTo(want);
    }
}
