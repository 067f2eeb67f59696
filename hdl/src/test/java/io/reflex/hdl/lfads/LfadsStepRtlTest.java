package io.reflex.hdl.lfads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.lfads.LfadsBundleBuilder;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.decoders.lfads.LfadsFixed;
import io.reflex.fpga.lfads.LfadsKernelImage;
import io.reflex.fpga.lfads.LfadsStepImage;
import io.reflex.fpga.lfads.LfadsStepImage.Build;
import io.reflex.decoders.lfads.LfadsTensors;
import io.reflex.hdl.sim.Bytes;
import io.reflex.hdl.sim.CycleReport;
import io.reflex.hdl.sim.VectorWriter;
import io.reflex.hdl.sim.Verilator;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * lfads_kernel built with {@code CAUSAL=1} (lfads_step_core) against the causal step of the fixed-point golden
 * model {@link LfadsFixed#stepQ}, bit for bit, every step: random causal models with a controller at small
 * dimensions (state carried across invocations, RESET, reloads, random stalls on every channel, error statuses)
 * and the demo bundle lfads-lorenz-causal at full size, with its cycles per step.
 */
class LfadsStepRtlTest {
    static final String KERNEL = "lfads_kernel";
    static final int FLAG_LOAD = 1;
    static final int FLAG_RUN = 2;
    static final int FLAG_RESET = 4;
    static final int STATUS_OFFSET = 0x10 + 12 * 5;
    static final long W_ADDR = 0x10000;
    static final long IN_ADDR = 0x800000;
    static final long OUT_ADDR = 0xA00000;
    static final long MEM_BYTES = 1L << 24;
    /** The demo model's size: 70 inputs, CI/controller/generator 64, co 4, 4 factors, 70 outputs, P = 16. */
    static final Build FULL = new Build(70, 73, 64, 4, 4, 70, 16, 4);

    @BeforeAll
    static void needVerilator() {
        assumeTrue(Verilator.available(), "skipped: verilator not installed");
    }

    static LfadsDims dims(Build k, int lag) {
        return dims(k, lag, 5.0);
    }

    static LfadsDims dims(Build k, int lag, double clip) {
        return new LfadsDims(k.d(), k.tMax(), k.tMax(), 0, k.h(), k.h(), k.co(), 0, k.h(), k.f(), k.ro(), lag, clip,
                0.02, true);
    }

    /**
     * A random causal model; "hot" ones have every GRU and linear weight scaled up (pre-activations beyond the
     * LUT domain, requantisation saturating) and a small cell clip (states clipped often).
     */
    static ModelBundle randomModel(Build k, int lag, long seed, boolean hot, String name) {
        LfadsBundleBuilder bb = LfadsBundleBuilder.random(dims(k, lag, hot ? 0.75 : 5.0), seed, true);
        if (hot) {
            for (String t : List.of(LfadsTensors.CI_FWD + "weight_ih", LfadsTensors.CI_FWD + "weight_hh",
                    LfadsTensors.CON + "weight_ih", LfadsTensors.CON + "weight_hh", LfadsTensors.GEN + "weight_ih",
                    LfadsTensors.GEN + "weight_hh", LfadsTensors.CO_LINEAR + "weight", LfadsTensors.READOUT + "weight")) {
                float[] w = bb.get(t);
                for (int i = 0; i < w.length; i++) {
                    w[i] *= 6f;
                }
            }
        }
        return bb.build(name, true);
    }

    /**
     * One invocation: counts, poisoned output, arguments, run, the golden records of every bin and status 0. The
     * golden model is reset first when the flags load or reset.
     */
    static int invoke(VectorWriter vw, Build k, LfadsFixed golden, short[] counts, int bins, int flags) {
        LfadsDims d = golden.dims();
        if ((flags & (FLAG_LOAD | FLAG_RESET)) != 0) {
            golden.resetStream();
        }
        short[] fac = new short[bins * d.facDim()];
        short[] lr = new short[bins * d.readoutDim()];
        short[] f1 = new short[d.facDim()];
        short[] l1 = new short[d.readoutDim()];
        for (int t = 0; t < bins; t++) {
            assertThat(golden.stepQ(counts, t * d.dataDim(), f1, l1)).isEqualTo(DecodeStatus.OK);
            System.arraycopy(f1, 0, fac, t * d.facDim(), f1.length);
            System.arraycopy(l1, 0, lr, t * d.readoutDim(), l1.length);
        }
        int[] expect = Bytes.words(LfadsKernelImage.records(k.io(), fac, lr, bins));
        vw.mem(IN_ADDR, Bytes.words(LfadsKernelImage.counts(k.io(), counts, bins))).poison(OUT_ADDR, expect.length)
                .arg(0, W_ADDR).arg(1, IN_ADDR).arg(2, OUT_ADDR).arg(3, bins).arg(4, flags)
                .run((flags & FLAG_LOAD) != 0 ? "load_step" : (flags & FLAG_RESET) != 0 ? "reset_step" : "step")
                .expect(OUT_ADDR, expect).reg(STATUS_OFFSET, 0);
        return bins;
    }

    /**
     * An invocation without RUN (LOAD and/or RESET): status 0 and nothing written; the golden model's stream is
     * reset as the kernel's state is.
     */
    static void noRun(VectorWriter vw, String name, LfadsFixed golden, int flags) {
        golden.resetStream();
        int[] poison = new int[64];
        java.util.Arrays.fill(poison, 0xA5A5A5A5);
        vw.begin(name).poison(OUT_ADDR, poison.length).arg(0, W_ADDR).arg(1, IN_ADDR).arg(2, OUT_ADDR)
                .arg(3, 0).arg(4, flags).run(name).expect(OUT_ADDR, poison).reg(STATUS_OFFSET, 0);
    }

    /** An invocation that must fail with a status and write nothing (the output stays poisoned). */
    static void refused(VectorWriter vw, String name, int bins, int flags, int status) {
        int[] poison = new int[64];
        java.util.Arrays.fill(poison, 0xA5A5A5A5);
        vw.begin(name).poison(OUT_ADDR, poison.length).arg(0, W_ADDR).arg(1, IN_ADDR).arg(2, OUT_ADDR)
                .arg(3, bins).arg(4, flags).run(name).expect(OUT_ADDR, poison).reg(STATUS_OFFSET, status);
    }

    @Test
    @Timeout(1800)
    void thousandRandomCausalInvocationsBitExact() throws Exception {
        // P = 4 (two chunks per state) and P = 8 (one chunk); co, factors, outputs and inputs of odd widths
        Build[] builds = {new Build(5, 6, 8, 3, 3, 5, 4, 2), new Build(11, 5, 8, 2, 2, 9, 8, 2)};
        int models = 50;
        int callsPerModel = 10;
        int calls = 0;
        int steps = 0;
        for (Build k : builds) {
            String tag = "step_p" + k.p();
            Path build = Verilator.build(KERNEL, tag, k.verilatorParams());
            Path vec = Verilator.HDL.resolve("target/vectors/lfads_" + tag + ".txt");
            SplittableRandom r = new SplittableRandom(41 + k.p());
            int runs = 0;
            try (VectorWriter vw = new VectorWriter(vec)) {
                // the error statuses on the fresh kernel: nothing loaded, bad magic, a size the build lacks
                refused(vw, "run_unloaded", 1, FLAG_RUN, 3);
                refused(vw, "reset_unloaded", 1, FLAG_RESET | FLAG_RUN, 3);
                ModelBundle m0 = LfadsBundleBuilder.random(dims(k, 1), 1, true).build("m0", true);
                byte[] img = LfadsStepImage.model(m0, k);
                vw.begin("bad_magic_img").mem(W_ADDR, Bytes.words(patch(img, 0, 0x3144464C)));
                refused(vw, "bad_magic", 1, FLAG_LOAD | FLAG_RUN, 1);
                vw.begin("bad_con_img").mem(W_ADDR, Bytes.words(patch(img, 3, k.h() + 1)));
                refused(vw, "con_dim_differs", 1, FLAG_LOAD | FLAG_RUN, 2);
                vw.begin("bad_lag_img").mem(W_ADDR, Bytes.words(patch(img, 9, k.lagMax() + 1)));
                refused(vw, "lag_too_large", 1, FLAG_LOAD | FLAG_RUN, 2);
                refused(vw, "run_after_failed_load", 1, FLAG_RUN, 3);
                runs += 6;
                for (int m = 0; m < models; m++) {
                    int lag = r.nextInt(k.lagMax() + 1);
                    ModelBundle b = randomModel(k, lag, r.nextLong(), r.nextInt(6) == 0, "rand" + m);
                    LfadsFixed golden = new LfadsFixed(b);
                    vw.begin("model" + m).mem(W_ADDR, Bytes.words(LfadsStepImage.model(b, k)));
                    // 1 in 5 models: LOAD alone first (it resets the state), then RUN without RESET
                    boolean loadAlone = r.nextInt(5) == 0;
                    if (loadAlone) {
                        noRun(vw, "model" + m + "_load", golden, FLAG_LOAD);
                        runs++;
                    }
                    for (int i = 0; i < callsPerModel; i++) {
                        int bins = r.nextInt(3) == 0 ? 1 + r.nextInt(k.tMax()) : 1 + r.nextInt(2);
                        int flags = i == 0 && !loadAlone ? FLAG_LOAD | FLAG_RUN
                                : r.nextInt(5) == 0 ? FLAG_RESET | FLAG_RUN : FLAG_RUN;
                        if (i > 0 && r.nextInt(10) == 0) {
                            // RESET alone, then a RUN that starts from the initial states
                            noRun(vw, "model" + m + "_reset" + i, golden, FLAG_RESET);
                            runs++;
                        }
                        vw.begin("model" + m + "_call" + i);
                        steps += invoke(vw, k, golden, LfadsKernelRtlTest.randomCounts(r, bins * k.d()), bins, flags);
                        calls++;
                        runs++;
                        if (i == 4) {
                            // n_bins 0 and beyond the build are refused without touching the state
                            refused(vw, "model" + m + "_bins0", 0, FLAG_RUN, 4);
                            refused(vw, "model" + m + "_bins_big", k.tMax() + 1, FLAG_RUN, 4);
                            runs += 2;
                        }
                    }
                }
            }
            Verilator.Summary s = Verilator.run(build, KERNEL, vec, 13, 30, MEM_BYTES, null);
            assertThat(s.failures()).as(s.output()).isZero();
            assertThat(s.runs()).isEqualTo(runs);
        }
        assertThat(calls).isGreaterThanOrEqualTo(1000);
        assertThat(steps).isGreaterThan(calls);
    }

    static byte[] patch(byte[] img, int word, int value) {
        byte[] c = img.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putInt(4 * word, value);
        return c;
    }

    @Test
    @Timeout(1800)
    void demoCausalModelFullSizeBitExactAndCycles() throws Exception {
        Build k = FULL;
        ModelBundle demo = null;
        for (Path p : LfadsKernelRtlTest.demoBundles()) {
            if (p.getFileName().toString().equals("lfads-lorenz-causal.rbundle")) {
                demo = ModelBundle.open(p);
                break;
            }
        }
        assertThat(demo).as("the demo bundle lfads-lorenz-causal").isNotNull();
        Path build = Verilator.build(KERNEL, "step_full", k.verilatorParams());
        Path vec = Verilator.HDL.resolve("target/vectors/lfads_step_full.txt");
        SplittableRandom r = new SplittableRandom(70);
        LfadsFixed golden = new LfadsFixed(demo);
        int runs = 0;
        try (VectorWriter vw = new VectorWriter(vec)) {
            vw.begin("load").mem(W_ADDR, Bytes.words(LfadsStepImage.model(demo, k)));
            // load + 8 bins, then the closed loop: one call per bin with the state carried, then a streaming
            // call of 8 bins, a RESET call, and more single bins
            invoke(vw.begin("load_8"), k, golden, LfadsKernelRtlTest.randomCounts(r, 8 * k.d()), 8, FLAG_LOAD | FLAG_RUN);
            runs++;
            for (int i = 0; i < 6; i++) {
                invoke(vw.begin("bin" + i), k, golden, LfadsKernelRtlTest.randomCounts(r, k.d()), 1, FLAG_RUN);
                runs++;
            }
            invoke(vw.begin("stream8"), k, golden, LfadsKernelRtlTest.randomCounts(r, 8 * k.d()), 8, FLAG_RUN);
            invoke(vw.begin("reset3"), k, golden, LfadsKernelRtlTest.randomCounts(r, 3 * k.d()), 3,
                    FLAG_RESET | FLAG_RUN);
            invoke(vw.begin("after_reset"), k, golden, LfadsKernelRtlTest.randomCounts(r, k.d()), 1, FLAG_RUN);
            runs += 3;
            // a random model of the same size with ci_lag 0 (the controller waits for the bin's CI step)
            ModelBundle lag0 = randomModel(k, 0, 17, false, "full-lag0");
            LfadsFixed g0 = new LfadsFixed(lag0);
            vw.begin("load_lag0").mem(W_ADDR, Bytes.words(LfadsStepImage.model(lag0, k)));
            invoke(vw.begin("lag0_load_4"), k, g0, LfadsKernelRtlTest.randomCounts(r, 4 * k.d()), 4, FLAG_LOAD | FLAG_RUN);
            invoke(vw.begin("lag0_bin"), k, g0, LfadsKernelRtlTest.randomCounts(r, k.d()), 1, FLAG_RUN);
            invoke(vw.begin("lag0_stream8"), k, g0, LfadsKernelRtlTest.randomCounts(r, 8 * k.d()), 8, FLAG_RUN);
            runs += 3;
        }
        Path cyc = Verilator.HDL.resolve("target/vectors/lfads_step_full_cycles.jsonl");
        Verilator.Summary s = Verilator.run(build, KERNEL, vec, 5, 0, MEM_BYTES, cyc);
        assertThat(s.failures()).as(s.output()).isZero();
        assertThat(s.runs()).isEqualTo(runs);
        List<String> lines = Files.readAllLines(cyc);
        long oneBin = LfadsKernelRtlTest.cycles(lines.get(3));
        long eightBins = LfadsKernelRtlTest.cycles(lines.get(7));
        long perBin = (eightBins - oneBin) / 7;
        CycleReport.record(KERNEL, "causal_step", "CAUSAL=1 " + k + ": one invocation of one bin (state carried;"
                + " counts read, record written)", oneBin);
        CycleReport.record(KERNEL, "causal_step_streaming", "CAUSAL=1 " + k + ": per bin within an invocation of 8"
                + " bins ((cycles(8) - cycles(1)) / 7)", perBin);
        assertThat(perBin).isPositive().isLessThan(oneBin);
        long lag0OneBin = LfadsKernelRtlTest.cycles(lines.get(11));
        long lag0PerBin = (LfadsKernelRtlTest.cycles(lines.get(12)) - lag0OneBin) / 7;
        CycleReport.record(KERNEL, "causal_step_lag0", "CAUSAL=1 " + k + ", random model with ci_lag 0: one"
                + " invocation of one bin", lag0OneBin);
        CycleReport.record(KERNEL, "causal_step_lag0_streaming", "CAUSAL=1 " + k + ", random model with ci_lag 0:"
                + " per bin within an invocation of 8 bins", lag0PerBin);
        assertThat(lag0PerBin).isGreaterThan(perBin);
    }
}
