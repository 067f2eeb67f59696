package io.reflex.fpga.rtlsim;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The verilated builds the fpga-driver tests use. The tags, parameters and optimisation are those of hdl's RTL tests
 * (io.reflex.hdl.sim.Builds), so that a reactor run builds each library once for both modules.
 */
public final class TestLibraries {
    /** The small snn_kernel of hdl's SnnKernelRtlTest. */
    public static final Map<String, Integer> SNN_SMALL = snnSmall();

    private TestLibraries() {
    }

    private static Map<String, Integer> snnSmall() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("MAX_N", 64);
        m.put("MAX_IN", 64);
        m.put("MAX_NNZ", 1024);
        m.put("MAX_BEATS", 16);
        return m;
    }

    /** Skips the calling test when verilator, g++ or make is missing. */
    public static void assumeTools() {
        String missing = RtlSimBuilds.missingTools();
        assumeTrue(missing == null, "skipped: " + missing);
    }

    /** Builds as hdl's tests do (quick to compile). */
    public static RtlSimBuilds builds() {
        return new RtlSimBuilds(new RtlSimBuilds.Context().opt(RtlSimBuilds.TEST_OPT));
    }

    /** librtlsim_snn_kernel.so of the small build. */
    public static Path snnSmallLibrary() {
        return builds().library("snn_kernel", "small", SNN_SMALL);
    }
}
