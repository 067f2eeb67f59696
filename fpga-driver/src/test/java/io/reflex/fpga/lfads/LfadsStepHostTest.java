package io.reflex.fpga.lfads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.lfads.LfadsFixed;
import io.reflex.fpga.device.DeviceException;
import io.reflex.fpga.host.HostStatus;
import io.reflex.fpga.rtlsim.RtlSimDevice;
import io.reflex.fpga.rtlsim.TestLibraries;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The causal-step host program on the demo build: its own refusals (named codes, nothing run), a load, single-bin
 * and multi-bin calls and a reset against {@link LfadsFixed#stepQ}. hdl's LfadsStepRtlTest drives the same host
 * program through 1,000 random invocations.
 */
class LfadsStepHostTest {
    static Path lib;

    @BeforeAll
    static void build() {
        TestLibraries.assumeTools();
        lib = TestLibraries.stepFullLibrary();
    }

    @Test
    @Timeout(900)
    void stepsMatchTheGoldenModelAndRefusalsAreNamedCodes() {
        LfadsStepImage.Build k = TestLibraries.STEP_FULL;
        ModelBundle demo = ModelBundle.fromResource("/models/lfads-lorenz-causal.rbundle");
        LfadsFixed golden = new LfadsFixed(demo);
        try (RtlSimDevice dev = RtlSimDevice.open(new RtlSimDevice.Context().library(lib).kernel("lfads_kernel")
                .requiredParams(k.params()).stallPct(30).seed(3));
                LfadsStepHost host = new LfadsStepHost(dev, k, 60_000)) {
            short[] counts = new short[8 * k.d()];
            short[] fac = new short[8 * k.f()];
            short[] lr = new short[8 * k.ro()];
            assertThat(host.step(LfadsStepHost.FLAG_RUN, counts, 0, 1, fac, lr)).isEqualTo(HostStatus.NOT_LOADED);
            assertThat(host.step(LfadsStepHost.FLAG_RUN, counts, 0, 0, fac, lr)).isEqualTo(HostStatus.BAD_ARGUMENT);
            assertThat(host.step(LfadsStepHost.FLAG_RUN, counts, 0, 74, fac, lr)).isEqualTo(HostStatus.BAD_ARGUMENT);
            assertThat(host.step(0, counts, 0, 1, fac, lr)).isEqualTo(HostStatus.BAD_ARGUMENT);
            assertThat(host.step(LfadsStepHost.FLAG_RUN, counts, 0, 8, new short[3], lr))
                    .isEqualTo(HostStatus.BAD_ARGUMENT);
            assertThat(host.writeModel(new byte[LfadsStepImage.modelBytes(k) + 64])).isEqualTo(HostStatus.BAD_ARGUMENT);
            assertThat(host.describe(HostStatus.BAD_ARGUMENT)).isEqualTo("bad argument");
            assertThat(host.describe(4)).contains("n_bins");
            assertThat(host.invokeRaw(LfadsStepHost.FLAG_RUN, 1)).isEqualTo(3);
            assertThat(host.load(demo)).isEqualTo(HostStatus.OK);
            assertThat(host.loaded()).isTrue();
            SplittableRandom r = new SplittableRandom(4);
            short[] f1 = new short[k.f()];
            short[] l1 = new short[k.ro()];
            int[] calls = {1, 1, 3, 8, 1};
            for (int c = 0; c < calls.length; c++) {
                int bins = calls[c];
                for (int i = 0; i < bins * k.d(); i++) {
                    counts[i] = (short) r.nextInt(5);
                }
                int flags = LfadsStepHost.FLAG_RUN | (c == 3 ? LfadsStepHost.FLAG_RESET : 0);
                if (c == 3) {
                    golden.resetStream();
                }
                assertThat(host.step(flags, counts, 0, bins, fac, lr)).isEqualTo(HostStatus.OK);
                assertThat(host.lastCycles()).isPositive();
                for (int t = 0; t < bins; t++) {
                    assertThat(golden.stepQ(counts, t * k.d(), f1, l1)).isEqualTo(DecodeStatus.OK);
                    for (int i = 0; i < k.f(); i++) {
                        assertThat(fac[t * k.f() + i]).as("call " + c + " bin " + t + " factor " + i).isEqualTo(f1[i]);
                    }
                    for (int i = 0; i < k.ro(); i++) {
                        assertThat(lr[t * k.ro() + i]).as("call " + c + " bin " + t + " rate " + i).isEqualTo(l1[i]);
                    }
                }
            }
            // a refused call leaves the state alone: the next call continues the stream
            assertThat(host.invokeRaw(LfadsStepHost.FLAG_RUN, 74)).isEqualTo(4);
            assertThat(host.step(LfadsStepHost.FLAG_RUN, counts, 0, 1, fac, lr)).isEqualTo(HostStatus.OK);
            assertThat(golden.stepQ(counts, 0, f1, l1)).isEqualTo(DecodeStatus.OK);
            assertThat(new short[] {fac[0], fac[1], fac[2], fac[3]}).containsExactly(f1);
        }
    }

    @Test
    void theHostProgramRefusesAnotherKernel() {
        TestLibraries.assumeTools();
        try (RtlSimDevice dev = RtlSimDevice.open(new RtlSimDevice.Context().library(TestLibraries.snnSmallLibrary())
                .kernel("snn_kernel"))) {
            assertThatThrownBy(() -> new LfadsStepHost(dev, TestLibraries.STEP_FULL, 1000))
                    .isInstanceOf(DeviceException.class).hasMessageContaining("drives lfads_kernel, not snn_kernel");
        }
    }
}
