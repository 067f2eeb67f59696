package io.reflex.hdl.snn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.reflex.hdl.sim.Builds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The rtlsim C ABI shared library: built for snn_kernel and exercised by the C smoke test (tb/common/rtlsim_smoke.c). */
class RtlsimLibraryTest {

    @Test
    @Timeout(900)
    void sharedLibrarySmokeTest() throws Exception {
        assumeTrue(Builds.missing() == null, "skipped: " + Builds.missing());
        Path dir = Builds.build(SnnKernelRtlTest.KERNEL, "small", SnnKernelRtlTest.SMALL, "smoke");
        assertThat(dir.resolve("librtlsim_snn_kernel.so")).exists();
        Builds.Result r = Builds.exec(List.of(dir.resolve("rtlsim_smoke").toString()), 300);
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("rtlsim smoke: ok")
                .contains("params \"MAX_N=64 MAX_IN=64 MAX_NNZ=1024 MAX_BEATS=16\"");
        Builds.Result nm = Builds.exec(List.of("nm", "-D", "--defined-only",
                dir.resolve("librtlsim_snn_kernel.so").toString()), 60);
        for (String sym : List.of("rtlsim_create", "rtlsim_destroy", "rtlsim_write_reg", "rtlsim_read_reg",
                "rtlsim_mem_write", "rtlsim_mem_read", "rtlsim_run_until_done", "rtlsim_cycles",
                "rtlsim_total_cycles", "rtlsim_error", "rtlsim_kernel_name", "rtlsim_params")) {
            assertThat(nm.output()).as("exported " + sym).containsPattern(" T " + sym + "\\b");
        }
        assertThat(Files.size(dir.resolve("librtlsim_snn_kernel.so"))).isPositive();
    }
}
