package io.reflex.fpga.xrt;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.reflex.fpga.abi.KernelAbi;
import io.reflex.fpga.check.FpgaCheck;
import io.reflex.fpga.device.DeviceBuffer;
import io.reflex.fpga.device.KernelDevice;
import io.reflex.fpga.device.KernelRun;
import io.reflex.fpga.rtlsim.RtlSimBuilds;
import io.reflex.fpga.rtlsim.RtlSimDevice;
import io.reflex.fpga.rtlsim.TestLibraries;
import io.reflex.fpga.xclbin.KernelBuild;
import io.reflex.fpga.xclbin.Xclbin;
import io.reflex.fpga.xclbin.XclbinBuilder;
import io.reflex.fpga.xrt.XrtEnvironment.Shim;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One control-port layout, four witnesses: the offsets of hdl/abi/&lt;kernel&gt;.json (read from the file, the
 * single source), the HDL's (axil_ctrl.v decodes argument k at ARG_BASE + 12·k and the status word after the last of
 * the top module's N_ARGS arguments), XRT's ({@code xrtKernelArgOffset} under the noop shim, for a project-built
 * xclbin), and the RTL simulation's: the verilated kernel, driven through {@link RtlSimDevice}, reads back at each
 * ABI offset the value written for that argument, and reports a known kernel status at the ABI's status offset. No
 * offset is written down here: adding an argument (the ABI, the RTL top, the packaged kernel.xml) keeps this test
 * valid, and moving one in only some of the four places fails it.
 */
class ArgumentOffsetsTest {
    private static final Path HDL = Path.of("..", "hdl");

    @TempDir
    static Path dir;
    static Path xclbin;

    @BeforeAll
    static void project() throws Exception {
        xclbin = XclbinBuilder.create().kernel(KernelAbi.load("snn_kernel"), TestLibraries.SNN_SMALL)
                .kernel(KernelAbi.load("lfads_kernel"), Map.of("CAUSAL", 1, "D", 5, "T_MAX", 6, "H", 8, "CO", 3,
                        "LAG_MAX", 2, "F", 3, "RO", 5, "P", 4))
                .write(dir.resolve("offsets.xclbin"));
    }

    /** The ABI JSON as the repository holds it. */
    static JsonNode abiFile(String kernel) throws Exception {
        return new ObjectMapper().readTree(Files.readString(HDL.resolve("abi").resolve(kernel + ".json")));
    }

    static int[] abiOffsets(JsonNode abi) {
        JsonNode args = abi.path("args");
        int[] o = new int[args.size()];
        for (int i = 0; i < o.length; i++) {
            assertThat(args.get(i).path("id").asInt()).as("argument ids in order").isEqualTo(i);
            o[i] = args.get(i).path("offset").asInt();
        }
        return o;
    }

    @ParameterizedTest
    @ValueSource(strings = {"snn_kernel", "lfads_kernel"})
    @Timeout(1800)
    void abiJsonHdlXrtAndRtlSimAgree(String kernel) throws Exception {
        JsonNode abi = abiFile(kernel);
        int[] expected = abiOffsets(abi);
        int status = abi.path("status").path("offset").asInt();
        assertThat(KernelAbi.load(kernel).json()).as("the packaged ABI is the file").isEqualTo(abi);

        // the HDL: the register decoder and the top module's argument count
        String ctrl = Files.readString(HDL.resolve("rtl/common/axil_ctrl.v"));
        int argBase = intParam(ctrl, "localparam integer ARG_BASE = (\\d+);");
        assertThat(ctrl).contains("ARG_BASE + 12 * k").contains("STATUS_ADDR = ARG_BASE + 12 * N_ARGS");
        String top = Files.readString(HDL.resolve("rtl").resolve(kernel.replace("_kernel", "")).resolve(kernel + ".v"));
        int nArgs = intParam(top, "localparam integer N_ARGS = (\\d+);");
        assertThat(expected).as("ABI arguments vs the RTL top's N_ARGS").hasSize(nArgs);
        for (int i = 0; i < nArgs; i++) {
            assertThat(expected[i]).as(kernel + " argument " + i + ": ABI vs HDL").isEqualTo(argBase + 12 * i);
        }
        assertThat(status).as("status word: ABI vs HDL").isEqualTo(argBase + 12 * nArgs);

        // XRT, under the noop shim, from the project-built xclbin
        XrtTestSupport.assumeLibxrt();
        try (XrtDevice d = XrtDevice.open(new XrtDevice.Context().xclbin(xclbin).kernel(kernel).shim(Shim.NOOP))) {
            assertThat(d.argOffsets()).as(kernel + ": XRT vs ABI").containsExactly(expected);
        }

        // the RTL simulation: what the verilated register file holds at each offset
        TestLibraries.assumeTools();
        KernelBuild b = KernelBuild.resolve(Xclbin.read(xclbin), Map.of()).stream()
                .filter(k -> k.kernel().equals(kernel)).findFirst().orElseThrow();
        Map<String, Integer> p = FpgaCheck.simParams(b);
        Path lib = TestLibraries.builds().library(kernel, RtlSimBuilds.tag("rt", p), p);
        try (RtlSimDevice d = RtlSimDevice.open(new RtlSimDevice.Context().library(lib).kernel(kernel))) {
            assertRtlSimLayout(d, abi, expected, status);
        }
    }

    /**
     * Sets every argument to a distinct value (count 1; flags RUN where the kernel has it, no model loaded), starts
     * the run and reads each ABI offset back from the simulated control port; then lets the kernel refuse the run and
     * reads its "no model/network loaded" status at the ABI's status offset.
     */
    static void assertRtlSimLayout(RtlSimDevice d, JsonNode abi, int[] offsets, int statusOffset) {
        JsonNode args = abi.path("args");
        int runFlag = abi.path("flags").path("run").asInt(0);
        List<DeviceBuffer> buffers = new ArrayList<>();
        KernelRun run = d.newRun();
        long[] want = new long[offsets.length];
        for (int i = 0; i < offsets.length; i++) {
            JsonNode a = args.get(i);
            if (a.path("kind").asText().equals("buffer")) {
                DeviceBuffer buf = d.alloc(i, 4096L * (i + 1));
                buffers.add(buf);
                run.arg(i, buf);
                want[i] = buf.deviceAddress();
            } else {
                int v = a.path("name").asText().equals("flags") ? runFlag : 1;
                run.arg(i, v);
                want[i] = v;
            }
        }
        assertThat(run.start()).isEqualTo(KernelDevice.OK);
        int[] w = new int[1];
        for (int i = 0; i < offsets.length; i++) {
            assertThat(d.readRegister(offsets[i], w)).isEqualTo(KernelDevice.OK);
            long lo = w[0] & 0xFFFF_FFFFL;
            assertThat(d.readRegister(offsets[i] + 4, w)).isEqualTo(KernelDevice.OK);
            long got = lo | ((long) w[0] << 32);
            assertThat(got).as(abi.path("kernel").asText() + " argument " + i + " ('" + args.get(i).path("name")
                    .asText() + "') read back at the ABI offset 0x" + Integer.toHexString(offsets[i])).isEqualTo(want[i]);
        }
        assertThat(run.await(60_000)).as(d.lastError()).isEqualTo(KernelDevice.OK);
        int notLoaded = -1;
        for (Iterator<Map.Entry<String, JsonNode>> it = abi.path("status").path("codes").fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().asText().matches("no (model|network) loaded")) {
                notLoaded = Integer.parseInt(e.getKey());
            }
        }
        assertThat(notLoaded).as("the ABI names a 'not loaded' status").isPositive();
        assertThat(d.readRegister(statusOffset, w)).isEqualTo(KernelDevice.OK);
        assertThat(w[0]).as("status at the ABI's status offset 0x" + Integer.toHexString(statusOffset))
                .isEqualTo(notLoaded);
        run.close();
        for (int i = buffers.size() - 1; i >= 0; i--) {
            buffers.get(i).close();
        }
    }

    private static int intParam(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as(regex).isTrue();
        return Integer.parseInt(m.group(1));
    }
}
