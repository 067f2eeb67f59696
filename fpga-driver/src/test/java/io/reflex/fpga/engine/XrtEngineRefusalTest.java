package io.reflex.fpga.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.engine.Engine;
import io.reflex.decoders.engine.EngineChain;
import io.reflex.decoders.engine.EngineException;
import io.reflex.decoders.engine.EngineFactory;
import io.reflex.decoders.engine.EngineSpec;
import io.reflex.decoders.engine.EngineStatus;
import io.reflex.decoders.snn.SnnDecoder;
import io.reflex.fpga.abi.KernelAbi;
import io.reflex.fpga.xclbin.XclbinBuilder;
import io.reflex.fpga.xrt.XrtEngineFactory;
import io.reflex.fpga.xrt.XrtEnvironment.Shim;
import io.reflex.fpga.xrt.XrtProvider;
import io.reflex.fpga.xrt.XrtRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The xrt engine's refusals that need no XRT: no xclbin (the default chain's case, which must cost nothing and never
 * load libxrt), bad options, corrupt and foreign xclbins, missing build parameters, and models of other dimensions
 * or another core than the xclbin's kernels, refused before any device is opened. These run in the module's main
 * test JVM, which never loads XRT: the last check is that it still has not.
 */
class XrtEngineRefusalTest {
    /** The build of the Lorenz causal demo model (as the rtl-sim engine chooses it). */
    static final Map<String, Integer> LORENZ_CAUSAL = Map.of("CAUSAL", 1, "D", 70, "T_MAX", 73, "H", 64, "CO", 4,
            "LAG_MAX", 4, "F", 4, "RO", 70, "P", 16);

    @TempDir
    Path dir;

    static ModelBundle demo(String name) {
        return ModelBundle.fromResource("/models/" + name + ".rbundle");
    }

    static Engine xrt(Map<String, String> options) {
        return new XrtEngineFactory().create(options);
    }

    Path causalXclbin(Map<String, Integer> lfads) throws Exception {
        return XclbinBuilder.create().kernel(KernelAbi.load("lfads_kernel"), lfads)
                .write(dir.resolve("causal.xclbin"));
    }

    /** The engine over a provider of this xclbin, without the factory's check of the XRT installation. */
    static DeviceEngine engineOn(Path xclbin) {
        return new DeviceEngine("xrt", XrtProvider.of(xclbin, 0, Map.of(), Shim.AUTO), EngineOptions.defaults());
    }

    /** The SNN decoder's default reservoir for 96 channels (512 neurons). */
    static ModelBundle reservoir() {
        SnnDecoder.Context ctx = new SnnDecoder.Context().inputCount(96).seed(7).conclude();
        return SnnRtlSimEngineTest.reservoir(ctx, ctx.recipe().generate());
    }

    @Test
    void isFoundByTheServiceLoader() {
        assertThat(ServiceLoader.load(EngineFactory.class).stream().map(p -> p.get().name()))
                .contains("xrt", "rtl-sim");
    }

    @Test
    void withoutAnXclbinItIsRefusedAtOnceAndTheChainGoesOn() {
        assertThatThrownBy(() -> xrt(Map.of())).isInstanceOf(EngineException.class)
                .hasMessageStartingWith("xrt: no xclbin configured (engine option xclbin");
        assertThatThrownBy(() -> new XrtEngineFactory().create()).hasMessageContaining("no xclbin configured");
        // the default chain of the runtime, as every demo creates it
        long t0 = System.nanoTime();
        for (int i = 0; i < 1000; i++) {
            try (EngineChain c = EngineChain.create(EngineSpec.names("xrt", "cpu-fixed"))) {
                assertThat(c.engineCount()).isEqualTo(2);
            }
        }
        long perChainUs = (System.nanoTime() - t0) / 1000 / 1000;
        try (EngineChain c = EngineChain.create(EngineSpec.names("xrt", "cpu-fixed"))) {
            c.load(demo("lfads-lorenz-causal"));
            List<EngineStatus> s = c.statuses();
            assertThat(s.get(0).usable()).isFalse();
            assertThat(s.get(0).reason()).startsWith("xrt: no xclbin configured");
            assertThat(s.get(1).active()).isTrue();
        }
        // a generous bound (a shared machine): creating the chain is a service lookup and a map lookup for xrt
        assertThat(perChainUs).as("µs per chain").isLessThan(5_000);
        assertThat(XrtRuntime.loadedOrNull()).as("libxrt untouched").isNull();
    }

    @Test
    void optionsAreCheckedBeforeTheFileIsRead() throws Exception {
        Path f = causalXclbin(LORENZ_CAUSAL);
        assertThatThrownBy(() -> xrt(Map.of("xclbin", f.toString(), "colour", "red")))
                .hasMessageContaining("xrt: unknown option 'colour'").hasMessageContaining("xclbin");
        assertThatThrownBy(() -> xrt(Map.of("xclbin", f.toString(), "p", "8")))
                .hasMessageContaining("option p is a build choice, and the xclbin fixes the build");
        assertThatThrownBy(() -> xrt(Map.of("xclbin", f.toString(), "device", "-1")))
                .hasMessageContaining("option device must be in [0, 63]");
        assertThatThrownBy(() -> xrt(Map.of("xclbin", f.toString(), "params", "lfads_kernel:D=x")))
                .hasMessageContaining("xrt: option params: lfads_kernel: 'D=x' is not NAME=INTEGER");
    }

    @Test
    void corruptForeignAndUnstatedXclbinsAreRefusedWithTheReason() throws Exception {
        Path missing = dir.resolve("none.xclbin");
        assertThatThrownBy(() -> xrt(Map.of("xclbin", missing.toString())))
                .hasMessageStartingWith("xrt: bad xclbin: " + missing + ": no such file");
        Path text = Files.writeString(dir.resolve("notes.xclbin"), "hello\n".repeat(100));
        assertThatThrownBy(() -> xrt(Map.of("xclbin", text.toString()))).hasMessageContaining("not an xclbin");
        byte[] good = Files.readAllBytes(causalXclbin(LORENZ_CAUSAL));
        Path cut = Files.write(dir.resolve("cut.xclbin"), Arrays.copyOf(good, good.length / 2));
        assertThatThrownBy(() -> xrt(Map.of("xclbin", cut.toString()))).hasMessageContaining("truncated");

        Path bare = XclbinBuilder.create().kernel(KernelAbi.load("lfads_kernel")).withoutBuildParams()
                .write(dir.resolve("bare.xclbin"));
        assertThatThrownBy(() -> xrt(Map.of("xclbin", bare.toString())))
                .hasMessageContaining("does not state the build parameters of lfads_kernel")
                .hasMessageContaining("no Reflex build-parameter section")
                .hasMessageContaining("lfads_kernel:CAUSAL=0,D=70");
        Path causal = causalXclbin(LORENZ_CAUSAL);
        assertThatThrownBy(() -> xrt(Map.of("xclbin", causal.toString(), "params", "lfads_kernel:CAUSAL=0")))
                .hasMessageContaining("states lfads_kernel CAUSAL=1 D=70").hasMessageContaining("drop the statement");
        assertThatThrownBy(() -> xrt(Map.of("xclbin", causal.toString(), "params", "snn_kernel:")))
                .hasMessageContaining("parameters are stated for snn_kernel, which").hasMessageContaining("does not hold");
        assertThat(XrtRuntime.loadedOrNull()).isNull();
    }

    @Test
    void modelsOfOtherDimensionsOrCoresAreRefusedBeforeAnyDeviceOpens() throws Exception {
        ModelBundle causal = demo("lfads-lorenz-causal");
        // the published trial build (CAUSAL=0, the ABI's defaults) cannot run a causal model
        Path trial = XclbinBuilder.create().kernel(KernelAbi.load("lfads_kernel")).write(dir.resolve("trial.xclbin"));
        try (DeviceEngine e = engineOn(trial)) {
            assertThatThrownBy(() -> e.load(causal)).isInstanceOf(EngineException.class)
                    .hasMessageContaining("model lorenz-causal needs the causal-step build of lfads_kernel"
                            + " (CAUSAL=1)")
                    .hasMessageContaining("lfads_kernel of " + trial + " is built with CAUSAL=0 D=70 T_MAX=73");
        }
        // a causal build of other dimensions: both sets named
        Map<String, Integer> small = new java.util.HashMap<>(LORENZ_CAUSAL);
        small.put("D", 5);
        small.put("H", 8);
        small.put("P", 4);
        try (DeviceEngine e = engineOn(causalXclbin(small))) {
            assertThatThrownBy(() -> e.load(causal))
                    .hasMessageContaining("the model (D=70 H=64 CO=4 F=4 RO=70")
                    .hasMessageContaining("does not fit the build {CAUSAL=1, D=5, T_MAX=73, H=8,");
        }
        // the trial model on the causal build, and a kernel the xclbin does not hold
        try (DeviceEngine e = engineOn(causalXclbin(LORENZ_CAUSAL))) {
            assertThatThrownBy(() -> e.load(demo("lfads-lorenz-small")))
                    .hasMessageContaining("needs the trial build of lfads_kernel (CAUSAL=0)")
                    .hasMessageContaining("is built with CAUSAL=1");
            assertThatThrownBy(() -> e.load(reservoir()))
                    .hasMessageContaining("has no snn_kernel (its Reflex kernels: lfads_kernel)");
        }
        // an SNN reservoir larger than the xclbin's snn_kernel
        Path snn = XclbinBuilder.create().kernel(KernelAbi.load("snn_kernel"), Map.of("MAX_N", 64, "MAX_IN", 64,
                "MAX_NNZ", 1024)).write(dir.resolve("snn.xclbin"));
        try (DeviceEngine e = engineOn(snn)) {
            assertThatThrownBy(() -> e.load(reservoir()))
                    .hasMessageContaining("the reservoir (N 512, 96 inputs")
                    .hasMessageContaining("exceeds the build (MAX_N 64, MAX_IN 64, MAX_NNZ 1024)");
        }
        assertThat(XrtRuntime.loadedOrNull()).as("refused before XRT was loaded").isNull();
    }

    @AfterAll
    static void neverLoadedXrt() {
        assertThat(XrtRuntime.loadedOrNull()).isNull();
    }
}
