package io.reflex.fpga.xrt;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.reflex.fpga.xclbin.XclbinBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Shared by the XRT tests: the libxrt check and project-built xclbins. */
final class XrtTestSupport {

    private XrtTestSupport() {
    }

    /** The folder holding Debian's (or Xilinx's) libxrt_coreutil.so.2 and libxrt_noop.so.2, or null. */
    static Path libxrtDir() {
        for (Path d : XrtEnvironment.defaultSearchDirs()) {
            if (Files.isRegularFile(d.resolve("libxrt_coreutil.so.2")) && Files.isRegularFile(d.resolve("libxrt_noop.so.2"))) {
                return d;
            }
        }
        return null;
    }

    /** Skips the test where XRT's libraries are absent. */
    static Path assumeLibxrt() {
        Path d = libxrtDir();
        assumeTrue(d != null, "skipped: libxrt not installed");
        return d;
    }

    /** A metadata-only xclbin with these kernels, written into {@code dir}. */
    static Path xclbin(Path dir, String... kernels) throws IOException {
        return Files.write(dir.resolve(String.join("+", kernels) + ".xclbin"), XclbinBuilder.forKernels(kernels));
    }
}
