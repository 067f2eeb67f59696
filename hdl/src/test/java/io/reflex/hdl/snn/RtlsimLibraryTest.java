package io.reflex.hdl.snn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.reflex.hdl.sim.Verilator;
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
        assumeTrue(Verilator.available(), "skipped: verilator not installed");
        Path dir = Verilator.build(SnnKernelRtlTest.KERNEL, "small", SnnKernelRtlTest.SMALL, "smoke");
        assertThat(dir.resolve("librtlsim_snn_kernel.so")).exists();
        Verilator.Result r = Verilator.exec(List.of(dir.resolve("rtlsim_smoke").toString()), 300);
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).contains("rtlsim smoke: ok");
        Verilator.Result nm = Verilator.exec(List.of("nm", "-D", "--defined-only",
                dir.resolve("librtlsim_snn_kernel.so").toString()), 60);
        for (String sym : List.of("rtlsim_create", "rtlsim_destroy", "rtlsim_write_reg", "rtlsim_read_reg",
                "rtlsim_mem_write", "rtlsim_mem_read", "rtlsim_run_until_done", "rtlsim_cycles",
                "rtlsim_total_cycles", "rtlsim_error", "rtlsim_kernel_name")) {
            assertThat(nm.output()).as("exported " + sym).containsPattern(" T " + sym + "\\b");
        }
        assertThat(Files.size(dir.resolve("librtlsim_snn_kernel.so"))).isPositive();
    }
}
