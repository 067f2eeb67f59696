package io.reflex.fpga.rtlsim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.reflex.fpga.device.DeviceBuffer;
import io.reflex.fpga.device.DeviceException;
import io.reflex.fpga.device.KernelDevice;
import io.reflex.fpga.device.KernelRun;
import io.reflex.fpga.host.HostStatus;
import io.reflex.fpga.snn.LifNet;
import io.reflex.fpga.snn.SnnHost;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * RtlSimDevice over the small snn_kernel build: buffers, runs, registers, cycles and every way a library can be
 * unusable (each a DeviceException with its reason, never a crash).
 */
class RtlSimDeviceTest {
    static Path lib;

    @BeforeAll
    static void build() {
        TestLibraries.assumeTools();
        lib = TestLibraries.snnSmallLibrary();
    }

    static RtlSimDevice.Context ctx() {
        return new RtlSimDevice.Context().library(lib).kernel("snn_kernel").memBytes(1 << 20).seed(42).stallPct(20);
    }

    /** The hand-computed one-neuron network of hdl/tb/common/rtlsim_smoke.c. */
    static LifNet oneNeuron() {
        return new LifNet(1, 1, new int[] {0, 1}, new int[] {1}, new short[] {100}, new int[] {0}, 0, 0, 100, 0, 0,
                0, false);
    }

    @Test
    @Timeout(600)
    void reportsTheBuildAndRunsTheSmokeNetworkThroughTheHostProgram() {
        try (RtlSimDevice dev = RtlSimDevice.open(ctx().requiredParams(TestLibraries.SNN_SMALL));
                SnnHost host = new SnnHost(dev, 64, 64, 1024, 16, 10_000)) {
            assertThat(dev.params()).containsAllEntriesOf(TestLibraries.SNN_SMALL);
            assertThat(dev.description()).contains("librtlsim_snn_kernel.so").contains("MAX_N=64");
            assertThat(host.load(oneNeuron())).isEqualTo(HostStatus.OK);
            int[] out = new int[3];
            assertThat(host.run(SnnHost.FLAG_SAVE, new int[] {1, 0, 1}, 0, 3, out)).isEqualTo(HostStatus.OK);
            assertThat(out).containsExactly(1, 0, 1);
            int[] v = new int[1];
            int[] i = new int[1];
            int[] ref = new int[1];
            int[] spikes = new int[1];
            assertThat(host.readState(v, i, ref, spikes)).isEqualTo(HostStatus.OK);
            assertThat(new int[] {v[0], i[0], ref[0], spikes[0]}).containsExactly(0, 100, 0, 1);
            assertThat(dev.lastRunCycles()).isPositive().isLessThan(dev.totalCycles());
            int[] status = new int[1];
            assertThat(dev.readRegister(dev.abi().statusOffset(), status)).isEqualTo(KernelDevice.OK);
            assertThat(status[0]).isZero();
        }
    }

    @Test
    @Timeout(600)
    void kernelStatusesAreNamedAndPoisonedOutputStays() {
        try (RtlSimDevice dev = RtlSimDevice.open(ctx()); SnnHost host = new SnnHost(dev, 64, 64, 1024, 4, 10_000)) {
            assertThat(host.invokeRaw(0, 1)).isEqualTo(3);
            assertThat(host.describe(3)).isEqualTo("kernel status 3 (no network loaded)");
            int[] bad = new int[LifNet.HEADER_WORDS];
            bad[0] = 0x12345678;
            assertThat(host.writeNetwork(bad)).isEqualTo(HostStatus.OK);
            assertThat(host.poisonOutput()).isEqualTo(HostStatus.OK);
            assertThat(host.invokeRaw(SnnHost.FLAG_LOAD, 1)).isEqualTo(1);
            int[] raw = new int[4];
            assertThat(host.readRawOutput(raw, 4)).isEqualTo(HostStatus.OK);
            assertThat(raw).containsOnly(0xA5A5A5A5);
            assertThat(host.run(0, new int[1], 0, 1, new int[1])).isEqualTo(HostStatus.NOT_LOADED);
        }
    }

    @Test
    @Timeout(600)
    void boundsAreReturnCodesAndSetUpMistakesThrow() {
        try (RtlSimDevice dev = RtlSimDevice.open(ctx())) {
            DeviceBuffer b = dev.alloc(0, 256);
            assertThat(b.deviceAddress() % 4096).isZero();
            assertThat(b.write(new byte[16], 0, 250, 16)).isEqualTo(KernelDevice.ERROR);
            assertThat(dev.lastError()).contains("bounds");
            assertThat(b.read(0, new byte[8], 4, 8)).isEqualTo(KernelDevice.ERROR);
            assertThat(b.sync(DeviceBuffer.TO_DEVICE, 0, 257)).isEqualTo(KernelDevice.ERROR);
            assertThat(b.sync(DeviceBuffer.TO_DEVICE, 0, 256)).isEqualTo(KernelDevice.OK);
            assertThatThrownBy(() -> dev.alloc(3, 16)).isInstanceOf(DeviceException.class).hasMessageContaining("buffer");
            assertThatThrownBy(() -> dev.alloc(1, 1L << 21)).isInstanceOf(DeviceException.class)
                    .hasMessageContaining("do not fit");
            KernelRun r = dev.newRun();
            assertThatThrownBy(() -> r.arg(3, b)).isInstanceOf(DeviceException.class);
            assertThatThrownBy(() -> r.arg(0, 5)).isInstanceOf(DeviceException.class);
            assertThat(r.await(1000)).isEqualTo(KernelDevice.ERROR);
            b.close();
            assertThat(b.write(new byte[1], 0, 0, 1)).isEqualTo(KernelDevice.ERROR);
            // buffers closed in reverse order give their space back
            DeviceBuffer again = dev.alloc(0, 256);
            assertThat(again.deviceAddress()).isEqualTo(b.deviceAddress());
        }
    }

    @Test
    @Timeout(600)
    void placementJitterMovesBuffersWithinTheirPageByWholeBeats() {
        try (RtlSimDevice dev = RtlSimDevice.open(ctx().placementJitter(true))) {
            long seen = 0;
            for (int k = 0; k < 16; k++) {
                long a = dev.alloc(1, 64).deviceAddress();
                assertThat(a % 4).isZero();
                seen |= a % 4096;
            }
            assertThat(seen).isNotZero();
        }
    }

    @Test
    @Timeout(600)
    void aRunOverItsCycleBudgetIsATimeoutNotAHang() {
        try (RtlSimDevice dev = RtlSimDevice.open(ctx().maxRunCycles(20));
                SnnHost host = new SnnHost(dev, 64, 64, 1024, 4, 10_000)) {
            assertThat(host.writeNetwork(oneNeuron().image())).isEqualTo(HostStatus.OK);
            assertThat(host.invokeRaw(SnnHost.FLAG_LOAD | SnnHost.FLAG_RESET, 4)).isEqualTo(HostStatus.TIMEOUT);
            assertThat(host.lastError()).contains("no ap_done within 20 cycles");
        }
    }

    @Test
    @Timeout(600)
    void runsAllocateNothing() {
        try (RtlSimDevice dev = RtlSimDevice.open(ctx().stallPct(0));
                SnnHost host = new SnnHost(dev, 64, 64, 1024, 4, 10_000)) {
            assertThat(host.load(oneNeuron())).isEqualTo(HostStatus.OK);
            int[] in = {1, 0, 1, 1};
            int[] out = new int[4];
            for (int k = 0; k < 2000; k++) {
                assertThat(host.run(0, in, 0, 4, out)).isEqualTo(HostStatus.OK);
            }
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long bytes = Long.MAX_VALUE;
            int bad = 0;
            for (int round = 0; round < 5; round++) {
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int k = 0; k < 2000; k++) {
                    bad += host.run(0, in, 0, 4, out);
                }
                // the least of several rounds: a JIT recompilation may allocate once (1 KiB seen in a first round)
                bytes = Math.min(bytes, mx.getCurrentThreadAllocatedBytes() - before);
            }
            assertThat(bad).isZero();
            assertThat(bytes).as("bytes allocated by 2,000 runs, warm").isLessThan(1024);
        }
    }

    @Test
    @Timeout(1800)
    void twoBuildsOfOneKernelLiveSideBySideInOneProcess() {
        // the same C++ classes (Vsnn_kernel, the Verilator runtime) in two libraries: each must keep its own
        Map<String, Integer> dflt = new java.util.LinkedHashMap<>();
        dflt.put("MAX_N", 1024);
        dflt.put("MAX_IN", 256);
        dflt.put("MAX_NNZ", 32768);
        Path big = new RtlSimBuilds(new RtlSimBuilds.Context()).library("snn_kernel", RtlSimBuilds.tag("rt", dflt),
                dflt);
        try (RtlSimDevice a = RtlSimDevice.open(ctx()); RtlSimDevice b = RtlSimDevice.open(ctx().library(big));
                SnnHost ha = new SnnHost(a, 1, 1, 1, 3, 10_000); SnnHost hb = new SnnHost(b, 1, 1, 1, 3, 10_000)) {
            assertThat(a.params().get("MAX_N")).isEqualTo(64);
            assertThat(b.params().get("MAX_N")).isEqualTo(1024);
            assertThat(ha.load(oneNeuron())).isEqualTo(HostStatus.OK);
            assertThat(hb.load(oneNeuron())).isEqualTo(HostStatus.OK);
            for (int k = 0; k < 5; k++) {
                int[] oa = new int[3];
                int[] ob = new int[3];
                assertThat(ha.run(SnnHost.FLAG_RESET, new int[] {1, 0, 1}, 0, 3, oa)).isEqualTo(HostStatus.OK);
                assertThat(hb.run(SnnHost.FLAG_RESET, new int[] {1, 0, 1}, 0, 3, ob)).isEqualTo(HostStatus.OK);
                assertThat(oa).containsExactly(1, 0, 1);
                assertThat(ob).containsExactly(1, 0, 1);
            }
        }
    }

    @Test
    void aMissingLibraryIsAClearReason(@TempDir Path dir) {
        assertThatThrownBy(() -> RtlSimDevice.open(new RtlSimDevice.Context().library(dir.resolve("librtlsim_x.so"))
                .kernel("snn_kernel"))).isInstanceOf(DeviceException.class).hasMessageContaining("no RTL-sim library at")
                .hasMessageContaining("librtlsim_x.so");
    }

    @Test
    void aFileThatIsNotALibraryIsAClearReason(@TempDir Path dir) throws Exception {
        Path junk = Files.writeString(dir.resolve("librtlsim_snn_kernel.so"), "not an ELF file");
        assertThatThrownBy(() -> RtlSimDevice.open(new RtlSimDevice.Context().library(junk).kernel("snn_kernel")))
                .isInstanceOf(DeviceException.class).hasMessageContaining("cannot load the RTL-sim library");
    }

    @Test
    void aLibraryOfAnotherKernelOrOtherDimensionsIsRefused() {
        assertThatThrownBy(() -> RtlSimDevice.open(ctx().kernel("lfads_kernel"))).isInstanceOf(DeviceException.class)
                .hasMessageContaining("simulates snn_kernel, not lfads_kernel");
        assertThatThrownBy(() -> RtlSimDevice.open(ctx().requiredParams(Map.of("MAX_N", 1024))))
                .isInstanceOf(DeviceException.class).hasMessageContaining("was built with MAX_N=64")
                .hasMessageContaining("needs MAX_N=1024");
        assertThatThrownBy(() -> RtlSimDevice.open(ctx().memBytes(1L << 40))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("memBytes");
    }

    @Test
    @Timeout(120)
    void aLibraryWithoutTheCurrentAbiIsRefused(@TempDir Path dir) throws Exception {
        assumeTrue(RtlSimBuilds.onPath("cc"), "skipped: no C compiler");
        // an older library: every function but rtlsim_params
        Path src = Files.writeString(dir.resolve("old.c"), String.join("\n",
                "#include <stdint.h>",
                "void *rtlsim_create(const char *k, uint64_t m, uint32_t s, uint32_t p) { return 0; }",
                "void rtlsim_destroy(void *s) {}",
                "const char *rtlsim_kernel_name(void) { return \"snn_kernel\"; }",
                "int rtlsim_write_reg(void *s, uint32_t o, uint32_t v) { return -1; }",
                "int rtlsim_read_reg(void *s, uint32_t o, uint32_t *v) { return -1; }",
                "int rtlsim_mem_write(void *s, uint64_t a, const void *p, uint64_t n) { return -1; }",
                "int rtlsim_mem_read(void *s, uint64_t a, void *p, uint64_t n) { return -1; }",
                "int rtlsim_run_until_done(void *s, uint64_t c) { return -1; }",
                "uint64_t rtlsim_cycles(void *s) { return 0; }",
                "uint64_t rtlsim_total_cycles(void *s) { return 0; }",
                "const char *rtlsim_error(void *s) { return \"\"; }", ""));
        Path so = dir.resolve("librtlsim_old.so");
        Process p = new ProcessBuilder(List.of("cc", "-shared", "-fPIC", "-o", so.toString(), src.toString()))
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();
        assertThatThrownBy(() -> RtlSimDevice.open(new RtlSimDevice.Context().library(so).kernel("snn_kernel")))
                .isInstanceOf(DeviceException.class).hasMessageContaining("not an rtlsim library of this version")
                .hasMessageContaining("rtlsim_params");
    }
}
