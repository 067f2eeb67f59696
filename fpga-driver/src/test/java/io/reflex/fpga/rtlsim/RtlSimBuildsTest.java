package io.reflex.fpga.rtlsim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.fpga.device.DeviceException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Library builds: names, tool checks, and the lock that keeps two processes from building one folder at once. */
class RtlSimBuildsTest {

    @Test
    void tagsAndParametersNameEveryValueInOrder() {
        Map<String, Integer> p = new LinkedHashMap<>();
        p.put("CAUSAL", 1);
        p.put("T_MAX", 73);
        assertThat(RtlSimBuilds.tag("rt", p)).isEqualTo("rt-causal1-t_max73");
        assertThat(RtlSimBuilds.verilatorParams(p)).isEqualTo("-GCAUSAL=1 -GT_MAX=73");
    }

    @Test
    void missingToolsAreNamed() {
        assertThat(RtlSimBuilds.missingTools("/nonexistent", "g++")).startsWith("verilator, make, g++ are not installed");
        assertThat(RtlSimBuilds.missingTools("/nonexistent", "/nonexistent/c++")).contains("/nonexistent/c++");
    }

    @Test
    void homeIsFoundFromTheModuleDirectoryAndBadNamesAreRefused() {
        RtlSimBuilds b = TestLibraries.builds();
        assertThat(b.home().resolve("hdl/tb/Makefile")).exists();
        assertThat(b.buildDir("snn_kernel", "small")).isEqualTo(b.home().resolve("hdl/target/verilator/snn_kernel_small"));
        assertThatThrownBy(() -> b.build("snn_kernel", "../x", Map.of(), "lib")).isInstanceOf(DeviceException.class)
                .hasMessageContaining("plain names");
    }

    @Test
    @Timeout(900)
    void aSecondProcessHoldingTheLockMakesTheBuildWait() throws Exception {
        TestLibraries.assumeTools();
        RtlSimBuilds b = TestLibraries.builds();
        b.library("snn_kernel", "small", TestLibraries.SNN_SMALL);
        Path lock = b.outDir().resolve("snn_kernel_small.lock");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process holder = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                LockHolder.class.getName(), lock.toString())).redirectErrorStream(true).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertThat(r.readLine()).isEqualTo("locked");
            CompletableFuture<Path> f = CompletableFuture.supplyAsync(
                    () -> b.library("snn_kernel", "small", TestLibraries.SNN_SMALL));
            // an up-to-date build takes well under a second; with the lock held elsewhere it must still wait
            assertThatThrownBy(() -> f.get(3, TimeUnit.SECONDS)).isInstanceOf(TimeoutException.class);
            holder.getOutputStream().close();
            assertThat(f.get(300, TimeUnit.SECONDS)).exists();
        } finally {
            holder.destroy();
            holder.waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(Files.readString(b.buildDir("snn_kernel", "small").resolve("build.cfg")))
                .contains("-GMAX_N=64").contains("OPT=" + RtlSimBuilds.TEST_OPT);
    }

    @Test
    @Timeout(900)
    void aFailedBuildSaysWhyWithTheEndOfItsLog() {
        TestLibraries.assumeTools();
        Map<String, Integer> illegal = new LinkedHashMap<>();
        illegal.put("MAX_N", 0);
        assertThatThrownBy(() -> TestLibraries.builds().library("snn_kernel", "illegal", illegal))
                .isInstanceOf(DeviceException.class).hasMessageContaining("build of snn_kernel_illegal failed")
                .hasMessageContaining("snn_kernel_illegal.log");
    }
}
