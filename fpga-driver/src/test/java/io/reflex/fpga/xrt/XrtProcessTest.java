package io.reflex.fpga.xrt;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.fpga.xclbin.Xclbin;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The abort trap, with real child JVMs ({@link XrtChild}) in the environments that kill a process: the unprotected
 * call dies (SIGABRT, exit 134, or a crash), the driver refuses with the reason and the child exits normally.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class XrtProcessTest {

    @TempDir
    static Path dir;
    static Path lib;
    static Path lfads;

    /** Exit code and output of a child. */
    record Result(int exit, String out, String err) {
        String all() {
            return "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    @BeforeAll
    static void setUp() throws IOException {
        lfads = XrtTestSupport.xclbin(dir, "lfads_kernel");
    }

    /** Per test, so that each one is reported skipped with the reason. */
    @BeforeEach
    void libxrt() {
        lib = XrtTestSupport.assumeLibxrt();
    }

    /** Runs {@link XrtChild} with {@code env} changes (a null value removes the variable). */
    static Result child(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-") || a.startsWith("--enable-native") || a.startsWith("--sun-misc")) {
                cmd.add(a);
            }
        }
        // A crash in native code must leave no hs_err file or core dump in the build tree.
        cmd.add("-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"));
        cmd.add("-XX:-CreateCoredumpOnCrash");
        cmd.add("-Xmx128m");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(XrtChild.class.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().remove(XrtEnvironment.XILINX_XRT);
        pb.environment().remove(XrtEnvironment.XCL_EMULATION_MODE);
        env.forEach((k, v) -> {
            if (v == null) {
                pb.environment().remove(k);
            } else {
                pb.environment().put(k, v);
            }
        });
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("child did not finish: " + cmd);
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /**
     * The child was killed by XRT: SIGABRT from std::terminate (134), or a crash in native code that the JVM reports
     * as a fatal error (SIGSEGV; with core dumps off the JVM then exits 1) or that kills it outright (139).
     */
    static void assertDied(Result r) {
        assertThat(r.exit()).as(r.all()).isNotZero();
        assertThat(r.exit() == 134 || r.exit() == 139
                || r.out().contains("A fatal error has been detected by the Java Runtime Environment")).as(r.all()).isTrue();
    }

    static String coreutil() {
        return lib.resolve("libxrt_coreutil.so.2").toString();
    }

    @Test
    void unsetXilinxXrtKillsARawCallerAndTheDriverRefusesOrFindsNoCard() throws Exception {
        Result raw = child(Map.of(), "raw-open", coreutil());
        assertThat(raw.exit()).as(raw.all()).isEqualTo(134);
        assertThat(raw.err()).as(raw.all()).contains("XILINX_XRT not set");

        // The driver preloads the card's shim: XRT then looks for no library; without a card it finds no device.
        Result drv = child(Map.of(), "driver-open", lfads.toString(), "lfads_kernel");
        assertThat(drv.exit()).as(drv.all()).isZero();
        assertThat(drv.out()).as(drv.all()).satisfiesAnyOf(
                o -> assertThat(o).startsWith("refused: no XRT device at index 0").contains("hardware shim"),
                o -> assertThat(o).startsWith("opened: "));
    }

    @Test
    void wrongXilinxXrtKillsARawCallerAndTheDriverRefuses() throws Exception {
        Result raw = child(Map.of("XILINX_XRT", "/usr"), "raw-open", coreutil());
        assertThat(raw.exit()).as(raw.all()).isEqualTo(134);
        assertThat(raw.err()).as(raw.all()).contains("No such library '/usr/lib/libxrt_core.so.2'");

        Result usr = child(Map.of("XILINX_XRT", "/usr"), "driver-open", lfads.toString(), "lfads_kernel");
        assertThat(usr.exit()).as(usr.all()).isZero();
        assertThat(usr.out()).as(usr.all()).startsWith("refused: XILINX_XRT=/usr is not an XRT installation")
                .contains("or unset it to use the libraries in " + lib);

        String missing = dir.resolve("no-xrt-here").toString();
        Result none = child(Map.of("XILINX_XRT", missing), "driver-open", lfads.toString(), "lfads_kernel");
        assertThat(none.exit()).as(none.all()).isZero();
        assertThat(none.out()).as(none.all()).startsWith("refused: XILINX_XRT=" + missing);
    }

    @Test
    void emulationModesTheDriverCannotMakeSafeAreRefused() throws Exception {
        Result raw = child(Map.of("XCL_EMULATION_MODE", "bogus"), "raw-open", coreutil());
        assertThat(raw.exit()).as(raw.all()).isEqualTo(134);
        for (String mode : List.of("bogus", "sw_emu", "hw_emu")) {
            Result drv = child(Map.of("XCL_EMULATION_MODE", mode), "driver-open", lfads.toString(), "lfads_kernel");
            assertThat(drv.exit()).as(drv.all()).isZero();
            assertThat(drv.out()).as(drv.all()).startsWith("refused: XCL_EMULATION_MODE");
        }
    }

    @Test
    void theNoopShimChosenByTheEnvironmentRunsAndExitsCleanlyEvenWithHandlesLeftOpen() throws Exception {
        Map<String, String> noop = Map.of("XCL_EMULATION_MODE", "noop");
        Result ok = child(noop, "driver-open", lfads.toString(), "lfads_kernel");
        assertThat(ok.exit()).as(ok.all()).isZero();
        assertThat(ok.out()).as(ok.all()).startsWith("opened: xrt device 0 lfads_kernel (noop shim: computes nothing")
                .contains("one invocation: ok");

        // XRT's static destructors crash at exit when kernel, buffer or run handles are still open ...
        Result raw = child(noop, "raw-leave-open", lib.toString(), lfads.toString(), "lfads_kernel");
        assertThat(raw.out()).as(raw.all()).startsWith("raw: left open");
        assertDied(raw);
        // ... so the driver closes what a program leaves open before the JVM exits.
        Result left = child(noop, "driver-leave-open", lfads.toString(), "lfads_kernel");
        assertThat(left.out()).as(left.all()).startsWith("opened: ");
        assertThat(left.exit()).as(left.all()).isZero();
    }

    @Test
    void xrtKeepsItsFirstShimForTheLifeOfTheProcess() throws Exception {
        Result r = child(Map.of(), "driver-switch-shim");
        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.out()).as(r.all()).startsWith("refused: this JVM already loaded XRT with the noop shim")
                .contains("use another JVM");
    }

    @Test
    void aCorruptXclbinCrashesXrtButNotTheDriver() throws Exception {
        // a section offset far past the end of the file: XRT reads it without checking
        byte[] b = Files.readAllBytes(lfads);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(456 + 40 + 24, 1L << 40);
        Path bad = Files.write(dir.resolve("bad-offset.xclbin"), b);
        Result raw = child(Map.of(), "raw-xclbin", lib.toString(), bad.toString());
        assertThat(raw.out()).as(raw.all()).doesNotContain("returned");
        assertDied(raw);

        Result drv = child(Map.of("XCL_EMULATION_MODE", "noop"), "driver-open", bad.toString(), "lfads_kernel");
        assertThat(drv.exit()).as(drv.all()).isZero();
        assertThat(drv.out()).as(drv.all()).startsWith("refused: bad xclbin: " + bad)
                .contains("section 1 (MEM_TOPOLOGY", "runs past");
        assertThat(Xclbin.MAGIC).isEqualTo(new String(b, 0, 7, StandardCharsets.US_ASCII));
    }
}
