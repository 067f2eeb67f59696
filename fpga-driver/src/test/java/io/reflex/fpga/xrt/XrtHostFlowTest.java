package io.reflex.fpga.xrt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.fpga.abi.KernelAbi;
import io.reflex.fpga.device.DeviceBuffer;
import io.reflex.fpga.device.DeviceException;
import io.reflex.fpga.device.KernelDevice;
import io.reflex.fpga.device.KernelRun;
import io.reflex.fpga.xclbin.MemBank;
import io.reflex.fpga.xclbin.Xclbin;
import io.reflex.fpga.xclbin.XclbinBuilder;
import io.reflex.fpga.xrt.XrtEnvironment.Shim;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The complete XRT host flow against the real libxrt_coreutil under XRT's noop shim, with xclbins this project
 * writes: device open, xclbin load, kernel open, argument offsets and memory groups, buffers, runs; and its error
 * paths. Runs in its own JVM with {@code XCL_EMULATION_MODE=noop} (see the Surefire execution "xrt-noop").
 */
class XrtHostFlowTest {

    /** The HDL's control-port layout, read from hdl/rtl (the file KernelAbiTest checks against the ABI too). */
    private static final Path HDL = Path.of("..", "hdl", "rtl");

    @TempDir
    static Path dir;
    static Path both;
    static Path lfadsOnly;

    @BeforeAll
    static void xclbins() throws Exception {
        both = XrtTestSupport.xclbin(dir, "snn_kernel", "lfads_kernel");
        lfadsOnly = XrtTestSupport.xclbin(dir, "lfads_kernel");
    }

    /** Per test, so that each one is reported skipped with the reason. */
    @BeforeEach
    void libxrt() {
        XrtTestSupport.assumeLibxrt();
    }

    static XrtDevice open(String kernel, Path xclbin) {
        return XrtDevice.open(new XrtDevice.Context().xclbin(xclbin).kernel(kernel).shim(Shim.NOOP));
    }

    @Test
    void xrtParsesTheProjectBuiltXclbinsWithoutADevice() throws Exception {
        XrtRuntime rt = XrtRuntime.load(Shim.NOOP);
        assertThat(rt.isNoop()).isTrue();
        XrtXclbinHandle x = XrtXclbinHandle.alloc(rt, both);
        try (XrtXclbinHandle y = XrtXclbinHandle.alloc(rt, lfadsOnly)) {
            assertThat(x.uuid()).isEqualTo(Xclbin.read(both).uuidBytes());
            assertThat(x.numKernels()).isEqualTo(2);
            assertThat(x.numComputeUnits()).isEqualTo(2);
            assertThat(y.uuid()).isEqualTo(Xclbin.read(lfadsOnly).uuidBytes()).isNotEqualTo(x.uuid());
            assertThat(y.numKernels()).isEqualTo(1);
            x.close();
            assertThat(x.isOpen()).isFalse();
            assertThatThrownBy(x::numKernels).isInstanceOf(DeviceException.class).hasMessageContaining("closed");
        } finally {
            x.close();
        }
    }

    @Test
    void theEnvironmentSelectsTheNoopShimInThisJvm() {
        org.junit.jupiter.api.Assumptions.assumeTrue("noop".equals(System.getenv("XCL_EMULATION_MODE")),
                "skipped: run by the xrt-noop Surefire execution");
        assertThat(XrtRuntime.load(Shim.AUTO).plan().shim()).isEqualTo(Shim.NOOP);
        // XRT keeps its first shim for the life of the process
        assertThatThrownBy(() -> XrtRuntime.load(Shim.HARDWARE)).isInstanceOf(DeviceException.class)
                .hasMessageContaining("XCL_EMULATION_MODE=noop");
    }

    /** XRT's offsets = the ABI JSON's = the HDL's (0x10 + 12·index, status after the last argument). */
    @ParameterizedTest
    @ValueSource(strings = {"snn_kernel", "lfads_kernel"})
    void argumentOffsetsAndGroupsAgreeWithAbiAndHdl(String kernel) throws Exception {
        String ctrl = Files.readString(HDL.resolve("common/axil_ctrl.v"));
        int argBase = intParam(ctrl, "localparam integer ARG_BASE = (\\d+);");
        assertThat(ctrl).contains("ARG_BASE + 12 * k").contains("STATUS_ADDR = ARG_BASE + 12 * N_ARGS");
        String top = Files.readString(HDL.resolve(kernel.replace("_kernel", "") + "/" + kernel + ".v"));
        int nArgs = intParam(top, "localparam integer N_ARGS = (\\d+);");

        KernelAbi abi = KernelAbi.load(kernel);
        JsonNode args = abi.json().path("args");
        try (XrtDevice d = open(kernel, both)) {
            int[] offsets = d.argOffsets();
            assertThat(offsets).hasSize(args.size()).hasSize(nArgs);
            for (int i = 0; i < nArgs; i++) {
                assertThat(offsets[i]).as(kernel + " argument " + i + " (XRT)")
                        .isEqualTo(args.get(i).path("offset").asInt())
                        .isEqualTo(argBase + 12 * i);
            }
            assertThat(abi.json().path("status").path("offset").asInt()).as("status word")
                    .isEqualTo(argBase + 12 * nArgs);

            String hbm = abi.json().path("memory_ports").get(0).path("hbm").asText();
            int[] groups = d.argGroups();
            for (int i = 0; i < nArgs; i++) {
                if (args.get(i).path("kind").asText().equals("buffer")) {
                    MemBank bank = d.xclbin().memBanks().get(groups[i]);
                    assertThat(bank.tag()).as(kernel + " argument " + i + " bank").isEqualTo(hbm);
                    assertThat(d.xclbin().memoryOf(kernel, i)).containsExactly(bank);
                } else {
                    assertThat(groups[i]).isEqualTo(-1);
                }
            }
            assertThat(d.computesResults()).isFalse();
            assertThat(d.description()).startsWith("xrt device 0 " + kernel + " (noop shim: computes nothing");
            assertThat(d.abi().name()).isEqualTo(kernel);
            assertThat(d.lastRunCycles()).isEqualTo(-1);
        }
    }

    private static int intParam(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as(regex).isTrue();
        return Integer.parseInt(m.group(1));
    }

    @Test
    void completeHostFlowRunsUnderTheNoopShim() {
        try (XrtDevice lfads = open("lfads_kernel", both); XrtDevice snn = open("snn_kernel", both)) {
            DeviceBuffer model = lfads.alloc(0, 64 << 10);
            DeviceBuffer counts = lfads.alloc(1, 256);
            DeviceBuffer out = lfads.alloc(2, 512);
            assertThat(model.size()).isEqualTo(64 << 10);
            assertThat(model.deviceAddress()).isNotZero();
            byte[] weights = new byte[64 << 10];
            Arrays.fill(weights, (byte) 7);
            assertThat(model.write(weights, 0, 0, weights.length)).isEqualTo(KernelDevice.OK);
            assertThat(model.sync(DeviceBuffer.TO_DEVICE, 0, model.size())).isEqualTo(KernelDevice.OK);
            // what the output buffer holds before the runs: the noop shim leaves it as it is
            byte[] before = "not a result".getBytes(StandardCharsets.US_ASCII);
            assertThat(out.write(before, 0, 0, before.length)).isEqualTo(KernelDevice.OK);
            assertThat(out.sync(DeviceBuffer.TO_DEVICE, 0, out.size())).isEqualTo(KernelDevice.OK);

            KernelRun run = lfads.newRun().arg(0, model).arg(1, counts).arg(2, out).arg(3, 1).arg(4, 2);
            KernelRun snnRun = snn.newRun().arg(0, snn.alloc(0, 1024)).arg(1, snn.alloc(1, 64))
                    .arg(2, snn.alloc(2, 64)).arg(3, 20).arg(4, 0);
            byte[] bin = new byte[256];
            byte[] got = new byte[before.length];
            for (int i = 0; i < 5; i++) {
                bin[0] = (byte) i;
                assertThat(counts.write(bin, 0, 0, bin.length)).isEqualTo(KernelDevice.OK);
                assertThat(counts.sync(DeviceBuffer.TO_DEVICE, 0, bin.length)).isEqualTo(KernelDevice.OK);
                assertThat(run.start()).isEqualTo(KernelDevice.OK);
                assertThat(run.await(1000)).as(lfads.lastError()).isEqualTo(KernelDevice.OK);
                assertThat(out.sync(DeviceBuffer.FROM_DEVICE, 0, out.size())).isEqualTo(KernelDevice.OK);
                assertThat(out.read(0, got, 0, got.length)).isEqualTo(KernelDevice.OK);
                assertThat(got).as("the noop shim computes nothing").isEqualTo(before);
                assertThat(snnRun.start()).isEqualTo(KernelDevice.OK);
                assertThat(snnRun.await(1000)).isEqualTo(KernelDevice.OK);
            }
            byte[] back = new byte[16];
            assertThat(counts.read(0, back, 0, 16)).isEqualTo(KernelDevice.OK);
            assertThat(back[0]).isEqualTo((byte) 4);

            // status word: the noop shim has no registers; the driver says so without calling XRT
            int status = lfads.abi().json().path("status").path("offset").asInt();
            int[] v = {-7};
            assertThat(lfads.readRegister(status, v)).isEqualTo(KernelDevice.ERROR);
            assertThat(lfads.lastError()).isEqualTo("register read at " + status + ": XRT's noop shim has no registers");
            assertThat(v[0]).isEqualTo(-7);
        }
    }

    @Test
    void xrtsOwnAnswersOnTheRawFacade() {
        XrtRuntime rt = XrtRuntime.load(Shim.NOOP);
        XrtDeviceHandle dev = XrtDeviceHandle.open(rt, 0);
        try {
            dev.loadXclbin(both);
            byte[] uuid = dev.xclbinUuid();
            assertThatThrownBy(() -> dev.openKernel(uuid, "no_such_kernel", false)).isInstanceOf(DeviceException.class)
                    .hasMessageContaining("cannot open kernel 'no_such_kernel'");
            XrtKernelHandle k = dev.openKernel(uuid, "lfads_kernel", true);
            assertThat(k.argOffset(9)).as("XRT's answer for an unknown argument").isEqualTo(-1);
            assertThat(k.argGroupId(3)).as("a scalar has no memory group").isNegative();
            int[] v = new int[1];
            assertThat(k.readRegister(0x58, v)).as("register reads fail under the noop shim").isNotZero();

            XrtBoHandle bo = dev.allocBo(4096, k.argGroupId(0));
            assertThat(bo.xrtSize()).isEqualTo(4096);
            byte[] b = new byte[64];
            assertThat(bo.write(b, 0, 4090, 64)).as("XRT refuses a write past the end").isEqualTo(-1);
            assertThat(bo.read(4090, b, 0, 64)).as("and a read past the end").isEqualTo(-1);
            assertThat(bo.write(b, 0, 4032, 64)).isZero();
            XrtRunHandle run = k.openRun();
            assertThatThrownBy(() -> run.setArg(9, 1)).isInstanceOf(DeviceException.class)
                    .hasMessageContaining("XRT refused argument 9");
            run.setArg(0, bo);
            run.setArg(3, 1);
            assertThat(run.state()).isEqualTo(XrtRunHandle.STATE_NEW);
            assertThat(run.start()).isZero();
            assertThat(run.waitFor(100)).isEqualTo(XrtRunHandle.STATE_COMPLETED);
            assertThat(run.waitFor(0)).as("0 ms would mean no timeout to XRT").isEqualTo(-1);

            // closing the device closes its children first; afterwards every call is refused, none reaches XRT
            dev.close();
            assertThat(run.isOpen()).isFalse();
            assertThat(k.isOpen()).isFalse();
            assertThat(bo.isOpen()).isFalse();
            assertThat(new int[] {run.releaseCode(), k.releaseCode(), bo.releaseCode(), dev.releaseCode()})
                    .as("xrtRunClose, xrtKernelClose, xrtBOFree, xrtDeviceClose").containsOnly(0);
            assertThat(run.start()).isEqualTo(-1);
            assertThat(bo.write(b, 0, 0, 8)).isEqualTo(-1);
            assertThat(k.readRegister(0x58, v)).isEqualTo(-1);
        } finally {
            dev.close();
        }
    }

    @Test
    void badXclbinsAreRefusedBeforeXrtSeesThem() throws Exception {
        Path garbage = Files.writeString(dir.resolve("garbage.xclbin"), "this is not an xclbin\n".repeat(40));
        assertThatThrownBy(() -> open("lfads_kernel", garbage)).isInstanceOf(DeviceException.class)
                .hasMessageStartingWith("bad xclbin: " + garbage + ": not an xclbin");
        byte[] good = Files.readAllBytes(both);
        Path truncated = Files.write(dir.resolve("truncated.xclbin"), Arrays.copyOf(good, good.length / 2));
        assertThatThrownBy(() -> open("lfads_kernel", truncated)).hasMessageContainingAll("bad xclbin", "truncated");
        assertThatThrownBy(() -> open("lfads_kernel", dir.resolve("missing.xclbin")))
                .hasMessageContainingAll("bad xclbin", "no such file");

        // XRT's own check, on a file that passes none of ours
        XrtRuntime rt = XrtRuntime.load(Shim.NOOP);
        try (XrtDeviceHandle dev = XrtDeviceHandle.open(rt, 0)) {
            assertThatThrownBy(() -> dev.loadXclbin(garbage)).isInstanceOf(DeviceException.class)
                    .hasMessageContaining("XRT refused to load " + garbage);
        }
        assertThatThrownBy(() -> XrtXclbinHandle.alloc(rt, garbage)).hasMessageContaining("cannot read");
    }

    @Test
    void unknownKernelsAndKernelsBuiltForAnotherAbiAreRefused() throws Exception {
        assertThatThrownBy(() -> open("snn_kernel", lfadsOnly)).isInstanceOf(DeviceException.class)
                .hasMessage(lfadsOnly + " has no kernel 'snn_kernel' (it has: lfads_kernel)");
        assertThatThrownBy(() -> XrtDevice.open(new XrtDevice.Context().xclbin(both).kernel("no_such_kernel")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("kernel: no kernel ABI named");

        // an xclbin whose lfads_kernel has one argument more than the packaged ABI
        ObjectNode json = KernelAbi.load("lfads_kernel").json().deepCopy();
        int n = json.path("args").size();
        ObjectNode extra = ((ArrayNode) json.path("args")).addObject();
        extra.put("id", n).put("name", "extra").put("kind", "buffer").put("offset", KernelAbi.ARG_BASE + 12 * n)
                .put("size", 8).put("port", "m_axi_gmem").put("type", "short*");
        Path abiFile = Files.writeString(dir.resolve("lfads-more.json"), new ObjectMapper().writeValueAsString(json));
        Path other = XclbinBuilder.create().kernel(KernelAbi.read(abiFile)).write(dir.resolve("lfads-more.xclbin"));
        assertThatThrownBy(() -> open("lfads_kernel", other)).isInstanceOf(DeviceException.class)
                .hasMessageContainingAll("has " + (n + 1) + " arguments, its ABI " + n, "built from another ABI");
        // and the same xclbin opens with its own ABI
        try (XrtDevice d = XrtDevice.open(new XrtDevice.Context().xclbin(other).abi(KernelAbi.read(abiFile))
                .shim(Shim.NOOP))) {
            assertThat(d.argOffsets()).hasSize(n + 1).endsWith(KernelAbi.ARG_BASE + 12 * n);
            assertThat(d.argGroups()[n]).isEqualTo(1);
        }
    }

    @Test
    void outOfRangeAccessesFailWithAReasonAndReachNoMemory() {
        try (XrtDevice d = open("lfads_kernel", both)) {
            DeviceBuffer buf = d.alloc(1, 4096);
            byte[] src = new byte[64];
            assertThat(buf.write(src, 0, 4090, 64)).isEqualTo(KernelDevice.ERROR);
            assertThat(d.lastError()).isEqualTo("write: 64 bytes at offset 4090 run past the end of the buffer");
            assertThat(buf.write(src, 0, -1, 8)).isEqualTo(KernelDevice.ERROR);
            assertThat(buf.write(src, 60, 0, 8)).isEqualTo(KernelDevice.ERROR);
            assertThat(d.lastError()).contains("outside the source array of 64 bytes");
            assertThat(buf.read(4095, src, 0, 2)).isEqualTo(KernelDevice.ERROR);
            assertThat(d.lastError()).contains("run past the end");
            assertThat(buf.read(0, src, 63, 2)).isEqualTo(KernelDevice.ERROR);
            // the noop shim would accept this sync; a card's DMA would not
            assertThat(buf.sync(DeviceBuffer.TO_DEVICE, 4000, 200)).isEqualTo(KernelDevice.ERROR);
            assertThat(buf.sync(2, 0, 8)).isEqualTo(KernelDevice.ERROR);
            assertThat(d.lastError()).contains("direction 2");
            assertThat(buf.write(src, 0, 4032, 64)).isEqualTo(KernelDevice.OK);
            assertThat(d.readRegister(0x4E, new int[1])).isEqualTo(KernelDevice.ERROR);
            assertThat(d.lastError()).contains("not word-aligned");
            assertThat(d.readRegister(4096, new int[1])).isEqualTo(KernelDevice.ERROR);

            assertThatThrownBy(() -> d.alloc(1, 0)).isInstanceOf(DeviceException.class).hasMessageContaining("[1, ");
            assertThatThrownBy(() -> d.alloc(1, (512L << 20) + 1)).hasMessageContaining("HBM[1]");
            assertThatThrownBy(() -> d.alloc(3, 64)).hasMessageContaining("argument 3 of lfads_kernel is not a buffer");
            assertThatThrownBy(() -> d.alloc(7, 64)).hasMessageContaining("is not a buffer");

            KernelRun run = d.newRun();
            assertThatThrownBy(() -> run.arg(3, buf)).hasMessageContaining("not a buffer");
            assertThatThrownBy(() -> run.arg(0, 5)).hasMessageContaining("not a scalar");
            try (XrtDevice other = open("snn_kernel", both)) {
                DeviceBuffer foreign = other.alloc(0, 64);
                assertThatThrownBy(() -> run.arg(0, foreign)).hasMessageContaining("not allocated by this device");
            }
        }
    }

    @Test
    void runsAreNeverWaitedForUnlessStartedAndTimeoutsAreBounded() {
        try (XrtDevice d = open("lfads_kernel", both)) {
            KernelRun run = d.newRun().arg(0, d.alloc(0, 64)).arg(3, 1);
            // XRT's noop shim spins forever in xrtRunWaitFor on a run that was never started, whatever the timeout
            assertThat(run.await(10)).isEqualTo(KernelDevice.ERROR);
            assertThat(d.lastError()).isEqualTo("await: the run was not started");
            assertThat(run.start()).isEqualTo(KernelDevice.OK);
            assertThat(run.start()).as("a second start over one not awaited").isEqualTo(KernelDevice.ERROR);
            assertThat(run.await(0)).as("XRT reads 0 ms as forever").isEqualTo(KernelDevice.ERROR);
            assertThat(d.lastError()).contains("below 1 ms");
            assertThat(run.await(Long.MAX_VALUE)).isEqualTo(KernelDevice.OK);
            run.close();
            assertThat(run.start()).as("closed run").isEqualTo(KernelDevice.ERROR);
            assertThat(d.lastError()).isEqualTo("xrtRunStart returned -1");
        }
    }

    @Test
    void registerReadsNeedExclusiveAccess() {
        try (XrtDevice d = XrtDevice.open(new XrtDevice.Context().xclbin(both).kernel("snn_kernel").exclusive(false)
                .shim(Shim.NOOP))) {
            assertThat(d.readRegister(0x58, new int[1])).isEqualTo(KernelDevice.ERROR);
            assertThat(d.lastError()).contains("opened shared");
        }
    }

    @Test
    void closingTheDeviceClosesItsBuffersAndRuns() {
        XrtDevice d = open("snn_kernel", both);
        DeviceBuffer b = d.alloc(0, 128);
        KernelRun run = d.newRun().arg(0, b);
        d.close();
        d.close();
        assertThat(b.write(new byte[8], 0, 0, 8)).isEqualTo(KernelDevice.ERROR);
        assertThat(b.sync(DeviceBuffer.TO_DEVICE, 0, 8)).isEqualTo(KernelDevice.ERROR);
        assertThat(run.start()).isEqualTo(KernelDevice.ERROR);
        assertThatThrownBy(d::newRun).isInstanceOf(DeviceException.class).hasMessageContaining("closed");
    }

    @Test
    void contextNamesTheFieldThatIsWrong() {
        assertThatThrownBy(() -> new XrtDevice.Context().kernel("lfads_kernel").conclude())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("xclbin: required");
        assertThatThrownBy(() -> new XrtDevice.Context().xclbin(both).conclude()).hasMessageStartingWith("kernel: required");
        assertThatThrownBy(() -> new XrtDevice.Context().xclbin(both).deviceIndex(-1).kernel("snn_kernel").conclude())
                .hasMessageStartingWith("deviceIndex: must be >= 0");
        assertThatThrownBy(() -> new XrtDevice.Context().xclbin(both).kernel("snn_kernel")
                .abi(KernelAbi.load("lfads_kernel")).conclude()).hasMessageStartingWith("kernel: 'snn_kernel' but");
    }
}
