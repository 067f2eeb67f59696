package io.reflex.fpga.xrt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.fpga.device.DeviceException;
import io.reflex.fpga.xrt.XrtEnvironment.Plan;
import io.reflex.fpga.xrt.XrtEnvironment.Shim;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The decision before any native call, over fake installations (no library is loaded). */
class XrtEnvironmentTest {

    @TempDir
    Path tmp;

    private Path install(String dir, String... libs) throws IOException {
        Path d = Files.createDirectories(tmp.resolve(dir));
        for (String l : libs) {
            Files.write(d.resolve(l), new byte[] {1});
        }
        return d;
    }

    private Path debian() throws IOException {
        return install("usr/lib/x86_64-linux-gnu", "libxrt_coreutil.so.2", "libxrt_core.so.2", "libxrt_noop.so.2");
    }

    @Test
    void unsetXilinxXrtPreloadsTheShimFoundInTheLibraryFolders() throws IOException {
        Path lib = debian();
        List<Path> dirs = List.of(tmp.resolve("opt/xilinx/xrt/lib"), lib);
        Plan hw = XrtEnvironment.plan(Map.of(), Shim.AUTO, dirs);
        assertThat(hw.shim()).isEqualTo(Shim.HARDWARE);
        assertThat(hw.shimLibrary()).isEqualTo(lib.resolve("libxrt_core.so.2"));
        assertThat(hw.coreutil()).isEqualTo(lib.resolve("libxrt_coreutil.so.2"));
        assertThat(hw.xilinxXrt()).isNull();
        assertThat(hw.summary()).contains("hardware shim", "XILINX_XRT unset");

        Plan noop = XrtEnvironment.plan(Map.of("XCL_EMULATION_MODE", "noop"), Shim.AUTO, dirs);
        assertThat(noop.shim()).isEqualTo(Shim.NOOP);
        assertThat(noop.shimLibrary()).isEqualTo(lib.resolve("libxrt_noop.so.2"));
        assertThat(XrtEnvironment.plan(Map.of(), Shim.NOOP, dirs).shim()).as("asked for without the variable")
                .isEqualTo(Shim.NOOP);
        assertThat(XrtEnvironment.plan(Map.of("XCL_EMULATION_MODE", " "), Shim.AUTO, dirs).shim())
                .as("blank is unset, as XRT reads it").isEqualTo(Shim.HARDWARE);
    }

    @Test
    void xilinxXrtIsUsedWhenItHoldsAnInstallation() throws IOException {
        Path opt = install("opt/xilinx/xrt/lib", "libxrt_coreutil.so.2", "libxrt_core.so.2", "libxrt_noop.so.2");
        Plan p = XrtEnvironment.plan(Map.of("XILINX_XRT", opt.getParent().toString()), Shim.AUTO, List.of(debian()));
        assertThat(p.shimLibrary()).isEqualTo(opt.resolve("libxrt_core.so.2"));
        assertThat(p.coreutil()).isEqualTo(opt.resolve("libxrt_coreutil.so.2"));
        assertThat(p.xilinxXrt()).isEqualTo(opt.getParent().toString());
    }

    @Test
    void wrongXilinxXrtIsRefusedWithTheFix() throws IOException {
        Path lib = debian();
        String usr = tmp.resolve("usr").toString();
        assertThatThrownBy(() -> XrtEnvironment.plan(Map.of("XILINX_XRT", usr), Shim.AUTO, List.of(lib)))
                .isInstanceOf(DeviceException.class)
                .hasMessageContainingAll("XILINX_XRT=" + usr + " is not an XRT installation",
                        usr + "/lib/libxrt_core.so.2 does not exist", "would abort the process", "or unset it",
                        "to use the libraries in " + lib);
        assertThatThrownBy(() -> XrtEnvironment.plan(Map.of("XILINX_XRT", "/nonexistent"), Shim.NOOP, List.of()))
                .hasMessageContaining("/nonexistent/lib/libxrt_noop.so.2 does not exist")
                .hasMessageNotContaining("to use the libraries in");
    }

    @Test
    void emulationModesThisDriverCannotMakeSafeAreRefused() throws IOException {
        List<Path> dirs = List.of(debian());
        assertThatThrownBy(() -> XrtEnvironment.plan(Map.of("XCL_EMULATION_MODE", "sw_emu"), Shim.AUTO, dirs))
                .hasMessageContainingAll("XCL_EMULATION_MODE=sw_emu", "Vitis emulation", "set it to noop");
        assertThatThrownBy(() -> XrtEnvironment.plan(Map.of("XCL_EMULATION_MODE", "hw_emu"), Shim.NOOP, dirs))
                .hasMessageContaining("XCL_EMULATION_MODE=hw_emu");
        assertThatThrownBy(() -> XrtEnvironment.plan(Map.of("XCL_EMULATION_MODE", "nope"), Shim.AUTO, dirs))
                .hasMessageContainingAll("'nope' is not a mode XRT knows", "aborts the process");
        assertThatThrownBy(() -> XrtEnvironment.plan(Map.of("XCL_EMULATION_MODE", "noop"), Shim.HARDWARE, dirs))
                .hasMessageContainingAll("noop shim", "a card was asked for");
    }

    @Test
    void missingLibrariesAreNamed() throws IOException {
        assertThatThrownBy(() -> XrtEnvironment.plan(Map.of(), Shim.AUTO, List.of(tmp.resolve("none"))))
                .hasMessageContainingAll("libxrt not installed", "libxrt_coreutil.so.2", "apt-get install libxrt1");
        Path partial = install("partial", "libxrt_coreutil.so.2", "libxrt_core.so.2");
        assertThatThrownBy(() -> XrtEnvironment.plan(Map.of(), Shim.NOOP, List.of(partial)))
                .hasMessageContainingAll("libxrt_noop.so.2 is missing beside", partial.toString());
    }
}
