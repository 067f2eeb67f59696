package io.reflex.fpga.xrt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.engine.Engine;
import io.reflex.decoders.engine.EngineChain;
import io.reflex.decoders.engine.EngineException;
import io.reflex.decoders.engine.EngineSpec;
import io.reflex.decoders.engine.EngineStatus;
import io.reflex.fpga.abi.KernelAbi;
import io.reflex.fpga.xclbin.XclbinBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The xrt engine against the real libxrt under XRT's noop shim (the xrt-noop Surefire execution): created from a
 * project-built xclbin, it goes through the whole device open at load — device, xclbin load, exclusive kernel open,
 * offsets — and then refuses the device because the noop shim computes nothing; in a chain the next engine decodes.
 */
class XrtEngineTest {
    static final Map<String, Integer> LORENZ_CAUSAL = Map.of("CAUSAL", 1, "D", 70, "T_MAX", 73, "H", 64, "CO", 4,
            "LAG_MAX", 4, "F", 4, "RO", 70, "P", 16);

    @TempDir
    static Path dir;
    static Path causal;
    static Path bare;

    @BeforeAll
    static void xclbins() throws Exception {
        causal = XclbinBuilder.create().kernel(KernelAbi.load("snn_kernel"))
                .kernel(KernelAbi.load("lfads_kernel"), LORENZ_CAUSAL).write(dir.resolve("causal.xclbin"));
        bare = XclbinBuilder.create().kernel(KernelAbi.load("lfads_kernel")).withoutBuildParams()
                .write(dir.resolve("bare.xclbin"));
    }

    @BeforeEach
    void libxrt() {
        XrtTestSupport.assumeLibxrt();
        org.junit.jupiter.api.Assumptions.assumeTrue("noop".equals(System.getenv("XCL_EMULATION_MODE")),
                "skipped: run by the xrt-noop Surefire execution");
    }

    static ModelBundle lorenz() {
        return ModelBundle.fromResource("/models/lfads-lorenz-causal.rbundle");
    }

    @Test
    void theNoopShimOpensEverythingAndIsRefusedAsADeviceThatComputesNothing() {
        try (Engine e = new XrtEngineFactory().create(Map.of("xclbin", causal.toString(), "timeout_ms", "500"))) {
            assertThat(e.name()).isEqualTo("xrt");
            assertThat(e.arithmetic()).isEqualTo("fixed");
            assertThatThrownBy(() -> e.load(lorenz())).isInstanceOf(EngineException.class)
                    .hasMessageStartingWith("xrt: xrt device 0 lfads_kernel (noop shim: computes nothing")
                    .hasMessageContaining(causal.toString())
                    .hasMessageContaining("computes nothing (XRT's noop shim); an engine needs a card or the RTL"
                            + " simulation");
            assertThat(e.health().healthy()).isFalse();
            float[] out = new float[4];
            assertThat(e.step(new float[70], out)).isEqualTo(DecodeStatus.NOT_READY);
        }
        assertThat(XrtRuntime.loadedOrNull()).isNotNull();
        assertThat(XrtRuntime.loadedOrNull().isNoop()).isTrue();
    }

    @Test
    void statedParametersLetAnXclbinWithoutThemThrough() {
        try (Engine e = new XrtEngineFactory().create(Map.of("xclbin", bare.toString(), "params",
                "lfads_kernel:" + "CAUSAL=1,D=70,T_MAX=73,H=64,CO=4,LAG_MAX=4,F=4,RO=70,P=16"))) {
            // the model fits the stated build, so the refusal is the device's, after XRT opened the kernel
            assertThatThrownBy(() -> e.load(lorenz())).hasMessageContaining("computes nothing");
        }
    }

    @Test
    void inAChainTheNextEngineDecodesAndTheReasonIsKept() {
        List<EngineSpec> specs = List.of(EngineSpec.of("xrt", Map.of("xclbin", causal.toString())),
                EngineSpec.of("cpu-fixed"));
        try (EngineChain c = EngineChain.create(specs)) {
            c.load(lorenz());
            List<EngineStatus> s = c.statuses();
            assertThat(s.get(0).name()).isEqualTo("xrt");
            assertThat(s.get(0).usable()).isFalse();
            assertThat(s.get(0).reason()).contains("computes nothing");
            assertThat(s.get(1).active()).isTrue();
            float[] out = new float[c.outputCount()];
            assertThat(c.step(new float[70], out)).isEqualTo(DecodeStatus.OK);
        }
    }
}
