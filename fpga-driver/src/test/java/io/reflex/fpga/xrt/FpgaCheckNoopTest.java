package io.reflex.fpga.xrt;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reflex.fpga.abi.KernelAbi;
import io.reflex.fpga.check.FpgaCheck;
import io.reflex.fpga.check.FpgaCheck.Outcome;
import io.reflex.fpga.check.KernelCheck;
import io.reflex.fpga.check.KernelCheck.Verdict;
import io.reflex.fpga.xclbin.BuildParams;
import io.reflex.fpga.xclbin.Xclbin;
import io.reflex.fpga.xclbin.XclbinBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fpga check} on XRT's noop shim (the xrt-noop Surefire execution): every kernel's host flow runs (device
 * open, xclbin load, kernel open, offsets and groups against the ABI) and the check then says there is no card to
 * compute on; the file and parameter refusals; a kernel the device refuses is a failure, not "no device".
 */
class FpgaCheckNoopTest {
    @TempDir
    Path dir;

    @BeforeEach
    void libxrt() {
        XrtTestSupport.assumeLibxrt();
        org.junit.jupiter.api.Assumptions.assumeTrue("noop".equals(System.getenv("XCL_EMULATION_MODE")),
                "skipped: run by the xrt-noop Surefire execution");
    }

    static FpgaCheck.Report check(Path xclbin) {
        return FpgaCheck.run(new FpgaCheck.Context().xclbin(xclbin));
    }

    @Test
    void theNoopShimRunsEveryKernelsHostFlowAndReportsNoCard() throws Exception {
        Path f = XrtTestSupport.xclbin(dir, "snn_kernel", "lfads_kernel");
        FpgaCheck.Report r = check(f);
        assertThat(r.outcome()).isEqualTo(Outcome.NO_DEVICE);
        assertThat(r.reason()).isEqualTo("no card to check on: XRT's noop shim computes nothing: no vector can be"
                + " checked without a card");
        assertThat(r.target()).isEqualTo("xrt");
        assertThat(r.device()).isZero();
        assertThat(r.uuid()).isEqualTo(Xclbin.read(f).uuid().toString());
        assertThat(r.platform()).isEqualTo(XclbinBuilder.U55C_PLATFORM);
        assertThat(r.foreign()).isEmpty();
        assertThat(r.kernels()).extracting(KernelCheck.Result::kernel).containsExactly("snn_kernel", "lfads_kernel");
        assertThat(r.kernels()).extracting(KernelCheck.Result::mode).containsExactly("snn", "trial");
        for (KernelCheck.Result k : r.kernels()) {
            // each kernel was opened through XRT: the device description comes from the open device
            assertThat(k.device()).startsWith("xrt device 0 " + k.kernel() + " (noop shim: computes nothing");
            assertThat(k.verdict()).isEqualTo(Verdict.NOT_RUN);
            assertThat(k.vectors()).isZero();
            assertThat(k.p50Ns()).isEqualTo(-1);
            assertThat(k.detail()).startsWith("host flow only: device opened, xclbin loaded, kernel opened, argument"
                    + " offsets and memory groups equal to the ABI's");
            assertThat(k.params()).isEqualTo(KernelAbi.load(k.kernel()).buildParameters());
            assertThat(k.paramsSource()).isEqualTo("xclbin");
        }
    }

    @Test
    void unusableFilesAndParametersAreBadInput() throws Exception {
        FpgaCheck.Report missing = check(dir.resolve("none.xclbin"));
        assertThat(missing.outcome()).isEqualTo(Outcome.BAD_INPUT);
        assertThat(missing.reason()).contains("no such file");
        assertThat(missing.uuid()).isNull();

        Path text = Files.writeString(dir.resolve("notes.xclbin"), "hello\n".repeat(100));
        assertThat(check(text).reason()).startsWith("bad xclbin: ").contains("not an xclbin");

        Path good = XrtTestSupport.xclbin(dir, "lfads_kernel");
        byte[] b = Files.readAllBytes(good);
        Path cut = Files.write(dir.resolve("cut.xclbin"), Arrays.copyOf(b, b.length / 2));
        FpgaCheck.Report c = check(cut);
        assertThat(c.outcome()).isEqualTo(Outcome.BAD_INPUT);
        assertThat(c.reason()).contains("truncated");
        assertThat(c.kernels()).isEmpty();

        Path bare = XclbinBuilder.create().kernel(KernelAbi.load("lfads_kernel")).withoutBuildParams()
                .write(dir.resolve("bare.xclbin"));
        FpgaCheck.Report u = check(bare);
        assertThat(u.outcome()).isEqualTo(Outcome.BAD_INPUT);
        assertThat(u.reason()).contains("does not state the build parameters of lfads_kernel");
        // stated, the same file passes the host flow
        FpgaCheck.Report s = FpgaCheck.run(new FpgaCheck.Context().xclbin(bare).stated(BuildParams.parseSpec(
                "lfads_kernel:CAUSAL=1,D=70,T_MAX=73,H=64,ICD=64,CO=4,LAG_MAX=4,F=4,RO=70,P=16,MAX_BEATS=64")));
        assertThat(s.outcome()).as(s.reason()).isEqualTo(Outcome.NO_DEVICE);
        assertThat(s.kernels()).singleElement().satisfies(k -> {
            assertThat(k.mode()).isEqualTo("causal");
            assertThat(k.paramsSource()).isEqualTo("stated");
        });
    }

    @Test
    void aKernelTheDeviceRefusesIsAFailureWithTheReason() throws Exception {
        // an lfads_kernel with one argument more than the packaged ABI: the xclbin of another RTL version
        ObjectNode json = KernelAbi.load("lfads_kernel").json().deepCopy();
        int n = json.path("args").size();
        ((ArrayNode) json.path("args")).addObject().put("id", n).put("name", "extra").put("kind", "buffer")
                .put("offset", KernelAbi.ARG_BASE + 12 * n).put("size", 8).put("port", "m_axi_gmem")
                .put("type", "short*");
        Path abiFile = Files.writeString(dir.resolve("lfads-more.json"), new ObjectMapper().writeValueAsString(json));
        Path other = XclbinBuilder.create().kernel(KernelAbi.load("snn_kernel")).kernel(KernelAbi.read(abiFile))
                .write(dir.resolve("lfads-more.xclbin"));
        FpgaCheck.Report r = check(other);
        assertThat(r.outcome()).isEqualTo(Outcome.FAIL);
        assertThat(r.reason()).startsWith("lfads_kernel: ").contains("built from another ABI");
        assertThat(r.kernels().get(0).verdict()).isEqualTo(Verdict.NOT_RUN);
        assertThat(r.kernels().get(1).verdict()).isEqualTo(Verdict.FAIL);
        assertThat(r.kernels().get(1).device()).isNull();
    }
}
