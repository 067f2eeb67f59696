package io.reflex.fpga.rtlsim;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.reflex.fpga.lfads.LfadsKernelImage;
import io.reflex.fpga.lfads.LfadsStepImage;
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
    /** The demo causal model's build (lfads-lorenz-causal: D 70, H 64, co 4, F 4, RO 70, P 16, LAG_MAX 4). */
    public static final LfadsStepImage.Build STEP_FULL = new LfadsStepImage.Build(70, 73, 64, 4, 4, 70, 16, 4);
    /** The published-size trial build (lfads-lorenz-small), P = 32. */
    public static final LfadsKernelImage.Build PUBLISHED = new LfadsKernelImage.Build(70, 73, 64, 64, 4, 70, 32);

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

    /** librtlsim_lfads_kernel.so of the demo causal build. */
    public static Path stepFullLibrary() {
        return builds().library("lfads_kernel", "step_full", STEP_FULL.params());
    }

    /** librtlsim_lfads_kernel.so of the published trial build. */
    public static Path publishedLibrary() {
        return builds().library("lfads_kernel", "published", PUBLISHED.params());
    }
}
