package io.reflex.fpga.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.engine.CpuEngine;
import io.reflex.decoders.engine.Engine;
import io.reflex.decoders.engine.EngineChain;
import io.reflex.decoders.engine.EngineException;
import io.reflex.decoders.lfads.LfadsArithmetic;
import io.reflex.decoders.lfads.LfadsBundleBuilder;
import io.reflex.decoders.lfads.LfadsOutput;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.fpga.rtlsim.RtlSimEngineFactory;
import io.reflex.fpga.rtlsim.RtlSimProvider;
import io.reflex.fpga.rtlsim.TestLibraries;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The rtl-sim engine on the LFADS demo bundles against decoders' cpu-fixed engine (CpuEngine with
 * LfadsArithmetic.FIXED), float for float, plus its faults, bad input and refusals.
 */
class RtlSimEngineTest {
    static Path stepLib;

    @BeforeAll
    static void build() {
        TestLibraries.assumeTools();
        stepLib = TestLibraries.stepFullLibrary();
    }

    static ModelBundle demo(String name) {
        return ModelBundle.fromResource("/models/" + name + ".rbundle");
    }

    static Engine rtl(Map<String, String> options) {
        return new RtlSimEngineFactory().create(options);
    }

    static CpuEngine cpuFixed(LfadsOutput output) {
        return new CpuEngine(LfadsArithmetic.FIXED, null, output);
    }

    /** Spike counts as a live source gives them, with the odd value that tests the rounding and saturation. */
    static void counts(SplittableRandom r, float[] in) {
        for (int k = 0; k < in.length; k++) {
            int style = r.nextInt(40);
            in[k] = style == 0 ? 2.5f : style == 1 ? 0.5f : style == 2 ? 1e6f : style == 3 ? 0.49f : r.nextInt(4);
        }
    }

    static void assertSameFloats(float[] got, float[] want, String what) {
        for (int i = 0; i < want.length; i++) {
            assertThat(Float.floatToRawIntBits(got[i])).as(what + " value " + i + ": " + got[i] + " vs " + want[i])
                    .isEqualTo(Float.floatToRawIntBits(want[i]));
        }
    }

    @Test
    @Timeout(900)
    void causalDemoModelStepsExactlyAsCpuFixedWithStallsAndResets() {
        ModelBundle b = demo("lfads-lorenz-causal");
        for (LfadsOutput output : LfadsOutput.values()) {
            try (Engine e = rtl(Map.of("library", stepLib.toString(), "stall_pct", "30", "seed", "5", "output",
                    output.name().toLowerCase(java.util.Locale.ROOT)));
                    CpuEngine cpu = cpuFixed(output)) {
                e.load(b);
                cpu.load(b);
                assertThat(e.name()).isEqualTo("rtl-sim");
                assertThat(e.arithmetic()).isEqualTo("fixed");
                assertThat(e.device()).contains("librtlsim_lfads_kernel.so").contains("CAUSAL=1").contains("D=70")
                        .contains("H=64").contains("P=16");
                assertThat(e.inputCount()).isEqualTo(70);
                assertThat(e.outputCount()).isEqualTo(cpu.outputCount());
                assertThat(e.maxTrialBins()).isZero();
                SplittableRandom r = new SplittableRandom(11 + output.ordinal());
                float[] in = new float[70];
                float[] got = new float[e.outputCount()];
                float[] want = new float[cpu.outputCount()];
                int bins = output == LfadsOutput.FACTORS ? 120 : 30;
                for (int t = 0; t < bins; t++) {
                    if (t == bins / 2) {
                        e.reset();
                        cpu.reset();
                    }
                    counts(r, in);
                    assertThat(e.step(in, got)).isEqualTo(DecodeStatus.OK);
                    assertThat(cpu.step(in, want)).isEqualTo(DecodeStatus.OK);
                    assertSameFloats(got, want, output + " bin " + t);
                    assertThat(e.lastCallCycles()).isBetween(50L, 2000L);
                }
                assertThat(e.health().healthy()).isTrue();
            }
        }
    }

    @Test
    @Timeout(900)
    void stepsAllocateNothing() {
        ModelBundle b = demo("lfads-lorenz-causal");
        try (Engine e = rtl(Map.of("library", stepLib.toString()))) {
            e.load(b);
            float[] in = new float[70];
            float[] out = new float[4];
            for (int t = 0; t < 300; t++) {
                in[t % 70] = t % 3;
                assertThat(e.step(in, out)).isEqualTo(DecodeStatus.OK);
            }
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean)
                    java.lang.management.ManagementFactory.getThreadMXBean();
            long bytes = Long.MAX_VALUE;
            int bad = 0;
            for (int round = 0; round < 3; round++) {
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int t = 0; t < 300; t++) {
                    in[t % 70] = t % 5;
                    bad += e.step(in, out);
                }
                // the least of several rounds: a JIT recompilation may allocate once
                bytes = Math.min(bytes, mx.getCurrentThreadAllocatedBytes() - before);
            }
            assertThat(bad).isZero();
            assertThat(bytes).as("bytes allocated by 300 steps, warm").isLessThan(1024);
        }
    }

    @Test
    @Timeout(900)
    void badInputIsInvalidInputNotAFaultAndDoesNotAdvanceTheState() {
        ModelBundle b = demo("lfads-lorenz-causal");
        try (Engine e = rtl(Map.of("library", stepLib.toString())); CpuEngine cpu = cpuFixed(LfadsOutput.FACTORS)) {
            e.load(b);
            cpu.load(b);
            float[] in = new float[70];
            float[] got = new float[4];
            float[] want = new float[4];
            SplittableRandom r = new SplittableRandom(3);
            for (int t = 0; t < 5; t++) {
                counts(r, in);
                e.step(in, got);
                cpu.step(in, want);
            }
            in[7] = Float.NaN;
            got[0] = Float.NaN;
            assertThat(e.step(in, got)).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(got).containsOnly(0f);
            assertThat(cpu.step(in, want)).isEqualTo(DecodeStatus.INVALID_INPUT);
            in[7] = -3f;
            assertThat(e.step(in, got)).as("a negative count is bad input").isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(cpu.step(in, want)).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(e.step(new float[3], got)).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(e.health().healthy()).isTrue();
            assertThat(e.trial(new float[70], 1, new float[4])).isEqualTo(DecodeStatus.INVALID_INPUT);
            for (int t = 0; t < 5; t++) {
                counts(r, in);
                assertThat(e.step(in, got)).isEqualTo(DecodeStatus.OK);
                cpu.step(in, want);
                assertSameFloats(got, want, "after bad input, bin " + t);
            }
        }
    }

    /** An rtl-sim engine on the demo build whose device times out after {@code goodRuns} runs. */
    static Engine faulty(int goodRuns) {
        DeviceProvider sim = new RtlSimProvider(null, stepLib, 1, 0, 64L << 20, 50_000_000L);
        return new DeviceEngine("rtl-sim", FaultyDevice.provider(sim, goodRuns), EngineOptions.defaults());
    }

    @Test
    @Timeout(900)
    void aDeviceFaultIsEngineFaultUnhealthyWithTheReasonAndTheChainMovesOn() {
        ModelBundle b = demo("lfads-lorenz-causal");
        float[] in = new float[70];
        float[] out = new float[4];
        try (Engine e = faulty(3)) {
            e.load(b);
            assertThat(e.step(in, out)).isEqualTo(DecodeStatus.OK);
            assertThat(e.step(in, out)).isEqualTo(DecodeStatus.OK);
            out[1] = Float.NaN;
            assertThat(e.step(in, out)).isEqualTo(DecodeStatus.ENGINE_FAULT);
            assertThat(out).containsOnly(0f);
            assertThat(e.health().healthy()).isFalse();
            assertThat(e.health().detail()).contains("rtl-sim").contains("timeout").contains("injected");
            assertThat(e.health().faults()).isEqualTo(1);
            // sticky until the next load: the kernel's state is unknown
            assertThat(e.step(in, out)).isEqualTo(DecodeStatus.ENGINE_FAULT);
            assertThat(e.health().faults()).isEqualTo(1);
        }
        // a run budget too small for the model load: the load itself fails with the reason
        try (Engine e = rtl(Map.of("library", stepLib.toString(), "max_cycles", "40"))) {
            assertThatThrownBy(() -> e.load(b)).isInstanceOf(EngineException.class)
                    .hasMessageContaining("no ap_done within 40 cycles");
        }
        // good runs: the load, bin 1, the chain's first checkpoint (a SAVE alone); bin 2 (RUN + SAVE) times out
        Engine failing = faulty(3);
        try (EngineChain chain = new EngineChain(List.of(failing, cpuFixed(LfadsOutput.FACTORS)));
                CpuEngine ref = cpuFixed(LfadsOutput.FACTORS)) {
            chain.load(b);
            ref.load(b);
            assertThat(chain.active()).isSameAs(failing);
            float[] want = new float[4];
            assertThat(chain.step(in, out)).isEqualTo(DecodeStatus.OK);
            ref.step(in, want);
            assertThat(chain.failovers()).isEqualTo(0);
            assertThat(chain.step(in, out)).isEqualTo(DecodeStatus.OK);
            // cpu-fixed takes over the second bin from the checkpoint the kernel saved after the first
            ref.step(in, want);
            assertSameFloats(out, want, "after the failover");
            assertThat(chain.failovers()).isEqualTo(1);
            assertThat(chain.coldTakeovers()).isZero();
            assertThat(chain.describe()).contains("rtl-sim [fixed]: failed").contains("timeout");
        }
    }

    @Test
    @Timeout(900)
    void aLibraryOfOtherDimensionsOrKernelIsRefusedWithTheReason() {
        LfadsDims small = new LfadsDims(5, 6, 6, 0, 8, 8, 3, 0, 8, 3, 5, 1, 5.0, 0.02, true);
        ModelBundle other = LfadsBundleBuilder.random(small, 1, true).build("other", true);
        try (Engine e = rtl(Map.of("library", stepLib.toString()))) {
            assertThatThrownBy(() -> e.load(other)).isInstanceOf(EngineException.class)
                    .hasMessageContaining("does not fit the build").hasMessageContaining("D=5")
                    .hasMessageContaining("librtlsim_lfads_kernel.so");
            assertThat(e.health().healthy()).isFalse();
        }
        try (Engine e = rtl(Map.of("library", TestLibraries.snnSmallLibrary().toString()))) {
            assertThatThrownBy(() -> e.load(demo("lfads-lorenz-causal"))).isInstanceOf(EngineException.class)
                    .hasMessageContaining("simulates snn_kernel, not lfads_kernel");
        }
        assertThatThrownBy(() -> rtl(Map.of("stalls", "30"))).isInstanceOf(EngineException.class)
                .hasMessageContaining("unknown option 'stalls'").hasMessageContaining("stall_pct");
        assertThatThrownBy(() -> rtl(Map.of("stall_pct", "99"))).isInstanceOf(EngineException.class)
                .hasMessageContaining("[0, 95]");
        assertThatThrownBy(() -> rtl(Map.of("library", "/nonexistent/librtlsim_lfads_kernel.so")))
                .isInstanceOf(EngineException.class).hasMessageContaining("no file");
        assertThat(EngineChain.availableEngineNames()).contains("rtl-sim", "cpu-fixed");
    }

    @Test
    @Timeout(1800)
    void trialDemoModelMatchesCpuFixedInTrialsAndSlidingSteps() {
        Path lib = TestLibraries.publishedLibrary();
        ModelBundle b = demo("lfads-lorenz-small");
        try (Engine e = rtl(Map.of("library", lib.toString(), "stall_pct", "30"));
                CpuEngine cpu = cpuFixed(LfadsOutput.FACTORS)) {
            e.load(b);
            cpu.load(b);
            assertThat(e.maxTrialBins()).isEqualTo(cpu.maxTrialBins()).isEqualTo(73);
            assertThat(e.trialSteps(40)).isEqualTo(cpu.trialSteps(40));
            SplittableRandom r = new SplittableRandom(21);
            for (int bins : new int[] {73, 40, 1}) {
                float[] window = new float[bins * 70];
                counts(r, window);
                float[] got = new float[e.trialSteps(bins) * 4];
                float[] want = new float[got.length];
                assertThat(e.trial(window, bins, got)).isEqualTo(DecodeStatus.OK);
                assertThat(cpu.trial(window, bins, want)).isEqualTo(DecodeStatus.OK);
                assertSameFloats(got, want, "trial of " + bins);
            }
            assertThat(e.trial(new float[74 * 70], 74, new float[74 * 4])).isEqualTo(DecodeStatus.INVALID_INPUT);
            float[] in = new float[70];
            float[] got = new float[4];
            float[] want = new float[4];
            for (int t = 0; t < 90; t++) {
                if (t == 80) {
                    e.reset();
                    cpu.reset();
                }
                counts(r, in);
                assertThat(e.step(in, got)).isEqualTo(DecodeStatus.OK);
                assertThat(cpu.step(in, want)).isEqualTo(DecodeStatus.OK);
                assertSameFloats(got, want, "sliding bin " + t);
            }
            assertThat(e.lastCallCycles()).isPositive();
        }
    }
}
