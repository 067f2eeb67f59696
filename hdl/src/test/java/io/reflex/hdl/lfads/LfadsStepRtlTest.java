package io.reflex.hdl.lfads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.checkpoint.CheckpointStatus;
import io.reflex.decoders.checkpoint.LfadsCheckpoint;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.lfads.LfadsBundleBuilder;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.decoders.lfads.LfadsFixed;
import io.reflex.decoders.lfads.LfadsTensors;
import io.reflex.fpga.host.HostStatus;
import io.reflex.fpga.lfads.LfadsKernelImage;
import io.reflex.fpga.lfads.LfadsStepHost;
import io.reflex.fpga.lfads.LfadsStepImage;
import io.reflex.fpga.lfads.LfadsStepImage.Build;
import io.reflex.fpga.lfads.LfadsStepState;
import io.reflex.fpga.rtlsim.RtlSimDevice;
import io.reflex.hdl.sim.Builds;
import io.reflex.hdl.sim.CycleReport;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * lfads_kernel built with {@code CAUSAL=1} (lfads_step_core) against the causal step of the fixed-point golden
 * model {@link LfadsFixed#stepQ}, bit for bit, every step, driven by fpga-driver's {@link LfadsStepHost} on an
 * {@link RtlSimDevice}: random causal models with a controller at small dimensions (state carried across
 * invocations, RESET, reloads, random stalls on every channel, error statuses) and the demo bundle
 * lfads-lorenz-causal at full size, with its cycles per step.
 */
class LfadsStepRtlTest {
    static final String KERNEL = "lfads_kernel";
    static final long MEM_BYTES = 1L << 24;
    static final long TIMEOUT_MS = 600_000;
    /** Bytes checked for "nothing written" after a refused or step-less invocation. */
    static final int POISON_BYTES = 256;
    /**
     * The demo model's size: 70 inputs, CI/controller/generator 64, co 4, 4 factors, 70 outputs, P = 16 (fpga-driver's
     * tests use the same build: TestLibraries.STEP_FULL).
     */
    static final Build FULL = new Build(70, 73, 64, 4, 4, 70, 16, 4);

    @BeforeAll
    static void needVerilator() {
        assumeTrue(Builds.missing() == null, "skipped: " + Builds.missing());
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
     * One invocation through the host program on a poisoned output buffer: status 0 and the whole output region
     * equal to the golden records of every bin; with SAVE the state buffer too ({@link #assertSaved}). The golden
     * model is reset first when the flags load or reset without a RESTORE (with one, the caller has brought the
     * golden model to the restored state).
     *
     * @return the kernel cycles of the invocation
     */
    static long invoke(LfadsStepHost host, String name, LfadsFixed golden, short[] counts, int bins, int flags) {
        LfadsDims d = golden.dims();
        if ((flags & (LfadsStepHost.FLAG_LOAD | LfadsStepHost.FLAG_RESET)) != 0
                && (flags & LfadsStepHost.FLAG_RESTORE) == 0) {
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
        byte[] expect = LfadsKernelImage.records(host.build().io(), fac, lr, bins);
        assertThat(host.poisonOutput()).isEqualTo(HostStatus.OK);
        boolean save = (flags & LfadsStepHost.FLAG_SAVE) != 0;
        if (save && (flags & LfadsStepHost.FLAG_RESTORE) == 0) {
            // (with a RESTORE the caller poisoned the buffer before writing the state to restore)
            assertThat(host.poisonState()).isEqualTo(HostStatus.OK);
        }
        short[] gotFac = new short[fac.length];
        short[] gotLr = new short[lr.length];
        int s = host.step(flags, counts, 0, bins, gotFac, gotLr);
        assertThat(s).as(name + ": " + host.describe(s) + " " + host.lastError()).isEqualTo(HostStatus.OK);
        byte[] got = new byte[expect.length];
        assertThat(host.readRawOutput(got, got.length)).isEqualTo(HostStatus.OK);
        assertThat(got).as("MISMATCH case " + name).containsExactly(expect);
        assertThat(gotFac).containsExactly(fac);
        assertThat(gotLr).containsExactly(lr);
        long cycles = host.lastCycles();
        if (save) {
            assertSaved(host, name, golden);
        }
        return cycles;
    }

    /**
     * After a SAVE: the state buffer holds the golden model's checkpoint of this point in the kernel's layout (both
     * conversions compared: the kernel's bytes to "LFS1" equal the golden model's checkpoint, and the checkpoint to
     * the kernel's layout equals the kernel's bytes, padding and header included), and nothing past the model's
     * state was written (the buffer was poisoned before).
     */
    static void assertSaved(LfadsStepHost host, String name, LfadsFixed golden) {
        LfadsDims d = golden.dims();
        LfadsStepState ks = new LfadsStepState(host.build(), d.ciLag());
        LfadsCheckpoint layout = ks.canonical();
        byte[] want = new byte[layout.bytes()];
        assertThat(golden.saveStream(want)).isEqualTo(CheckpointStatus.OK);
        byte[] raw = new byte[host.stateBytes()];
        assertThat(host.readState(raw, raw.length)).isEqualTo(HostStatus.OK);
        byte[] got = new byte[layout.bytes()];
        assertThat(ks.toCanonical(raw, layout, got)).as(name + ": saved state header").isEqualTo(CheckpointStatus.OK);
        assertThat(got).as("MISMATCH case " + name + " (saved state, LFS1)").containsExactly(want);
        byte[] nat = new byte[ks.bytes()];
        ks.fromCanonical(want, layout, nat);
        assertThat(Arrays.copyOf(raw, ks.bytes())).as("MISMATCH case " + name + " (saved state, kernel layout)")
                .containsExactly(nat);
        for (int i = ks.bytes(); i < raw.length; i++) {
            assertThat(raw[i]).as(name + ": SAVE writes " + ks.beats() + " beats, byte " + i).isEqualTo(
                    LfadsStepHost.POISON);
        }
    }

    /** The kernel's form of the golden model's checkpoint of the present point. */
    static byte[] goldenState(LfadsStepHost host, LfadsFixed golden) {
        LfadsStepState ks = new LfadsStepState(host.build(), golden.dims().ciLag());
        LfadsCheckpoint layout = ks.canonical();
        byte[] ck = new byte[layout.bytes()];
        assertThat(golden.saveStream(ck)).isEqualTo(CheckpointStatus.OK);
        byte[] nat = new byte[ks.bytes()];
        ks.fromCanonical(ck, layout, nat);
        return nat;
    }

    /**
     * An invocation without RUN (LOAD and/or RESET): status 0 and nothing written; the golden model's stream is
     * reset as the kernel's state is.
     */
    static void noRun(LfadsStepHost host, String name, LfadsFixed golden, int flags) {
        golden.resetStream();
        assertThat(host.poisonOutput()).isEqualTo(HostStatus.OK);
        int s = host.control(flags);
        assertThat(s).as(name + ": " + host.describe(s)).isEqualTo(HostStatus.OK);
        assertPoisoned(host, name);
    }

    /** An invocation that must fail with a kernel status and write nothing (the output stays poisoned). */
    static void refused(LfadsStepHost host, String name, int bins, int flags, int status) {
        assertThat(host.poisonOutput()).isEqualTo(HostStatus.OK);
        assertThat(host.invokeRaw(flags, bins)).as(name).isEqualTo(status);
        assertPoisoned(host, name);
    }

    static void assertPoisoned(LfadsStepHost host, String name) {
        byte[] raw = new byte[POISON_BYTES];
        assertThat(host.readRawOutput(raw, raw.length)).isEqualTo(HostStatus.OK);
        byte[] poison = new byte[POISON_BYTES];
        Arrays.fill(poison, LfadsStepHost.POISON);
        assertThat(raw).as(name + " writes nothing").containsExactly(poison);
    }

    @Test
    @Timeout(1800)
    void thousandRandomCausalInvocationsBitExact() {
        // P = 4 (two chunks per state) and P = 8 (one chunk); co, factors, outputs and inputs of odd widths
        Build[] builds = {new Build(5, 6, 8, 3, 3, 5, 4, 2), new Build(11, 5, 8, 2, 2, 9, 8, 2)};
        int models = 50;
        int callsPerModel = 10;
        int calls = 0;
        int steps = 0;
        for (Build k : builds) {
            Path lib = Builds.library(KERNEL, "step_p" + k.p(), k.params());
            SplittableRandom r = new SplittableRandom(41 + k.p());
            try (RtlSimDevice dev = Builds.device(lib, KERNEL, 13, 30, MEM_BYTES, true);
                    RtlSimDevice otherDev = Builds.device(lib, KERNEL, 14, 30, MEM_BYTES, true);
                    LfadsStepHost mainHost = new LfadsStepHost(dev, k, TIMEOUT_MS);
                    LfadsStepHost fresh = new LfadsStepHost(otherDev, k, TIMEOUT_MS)) {
                LfadsStepHost host = mainHost;
                // the error statuses on the fresh kernel: nothing loaded, bad magic, a size the build lacks
                refused(host, "run_unloaded", 1, LfadsStepHost.FLAG_RUN, 3);
                refused(host, "reset_unloaded", 1, LfadsStepHost.FLAG_RESET | LfadsStepHost.FLAG_RUN, 3);
                refused(host, "save_unloaded", 0, LfadsStepHost.FLAG_SAVE, 3);
                refused(host, "restore_unloaded", 1, LfadsStepHost.FLAG_RESTORE | LfadsStepHost.FLAG_RUN, 3);
                ModelBundle m0 = LfadsBundleBuilder.random(dims(k, 1), 1, true).build("m0", true);
                byte[] img = LfadsStepImage.model(m0, k);
                int loadRun = LfadsStepHost.FLAG_LOAD | LfadsStepHost.FLAG_RUN;
                assertThat(host.writeModel(patch(img, 0, 0x3144464C))).isEqualTo(HostStatus.OK);
                refused(host, "bad_magic", 1, loadRun, 1);
                assertThat(host.writeModel(patch(img, 3, k.h() + 1))).isEqualTo(HostStatus.OK);
                refused(host, "con_dim_differs", 1, loadRun, 2);
                assertThat(host.writeModel(patch(img, 9, k.lagMax() + 1))).isEqualTo(HostStatus.OK);
                refused(host, "lag_too_large", 1, loadRun, 2);
                refused(host, "run_after_failed_load", 1, LfadsStepHost.FLAG_RUN, 3);
                assertThat(host.describe(3)).contains("no model loaded");
                assertThat(host.describe(5)).contains("state");
                for (int m = 0; m < models; m++) {
                    host = mainHost;
                    int lag = r.nextInt(k.lagMax() + 1);
                    ModelBundle b = randomModel(k, lag, r.nextLong(), r.nextInt(6) == 0, "rand" + m);
                    LfadsFixed golden = new LfadsFixed(b);
                    byte[] image = LfadsStepImage.model(b, k);
                    int stateLen = new LfadsStepState(k, lag).bytes();
                    assertThat(host.writeModel(image)).isEqualTo(HostStatus.OK);
                    // 1 in 5 models: LOAD alone first (it resets the state), then RUN without RESET
                    boolean loadAlone = r.nextInt(5) == 0;
                    if (loadAlone) {
                        noRun(host, "model" + m + "_load", golden, LfadsStepHost.FLAG_LOAD);
                    }
                    // a state saved after an earlier call: the kernel's bytes and the golden model's checkpoint
                    byte[] snapState = null;
                    byte[] snapCk = null;
                    for (int i = 0; i < callsPerModel; i++) {
                        String name = "model" + m + "_call" + i;
                        int bins = r.nextInt(3) == 0 ? 1 + r.nextInt(k.tMax()) : 1 + r.nextInt(2);
                        int flags = i == 0 && !loadAlone ? loadRun
                                : r.nextInt(5) == 0 ? LfadsStepHost.FLAG_RESET | LfadsStepHost.FLAG_RUN
                                : LfadsStepHost.FLAG_RUN;
                        if (i > 0 && r.nextInt(10) == 0) {
                            // RESET alone, then a RUN that starts from the initial states
                            noRun(host, "model" + m + "_reset" + i, golden, LfadsStepHost.FLAG_RESET);
                        }
                        int op = i == 0 ? 0 : r.nextInt(8);
                        assertThat(host.poisonState()).isEqualTo(HostStatus.OK);
                        if (op == 1 && snapState != null) {
                            // back to the saved point, in the same kernel
                            assertThat(host.writeState(snapState, stateLen)).isEqualTo(HostStatus.OK);
                            assertThat(golden.restoreStream(snapCk)).isEqualTo(CheckpointStatus.OK);
                            flags = LfadsStepHost.FLAG_RESTORE | LfadsStepHost.FLAG_RUN;
                            name += "_restored";
                        } else if (op == 2 && snapState != null && host == mainHost) {
                            // the saved point in a fresh kernel (another instance): LOAD, RESTORE and RUN in one call;
                            // the model's remaining calls run there
                            host = fresh;
                            assertThat(host.writeModel(image)).isEqualTo(HostStatus.OK);
                            assertThat(host.poisonState()).isEqualTo(HostStatus.OK);
                            assertThat(host.writeState(snapState, stateLen)).isEqualTo(HostStatus.OK);
                            assertThat(golden.restoreStream(snapCk)).isEqualTo(CheckpointStatus.OK);
                            flags = LfadsStepHost.FLAG_LOAD | LfadsStepHost.FLAG_RESTORE | LfadsStepHost.FLAG_RUN;
                            name += "_restored_fresh";
                        } else if (op == 3) {
                            // the golden model's checkpoint of this point over a kernel that RESETs first
                            assertThat(host.writeState(goldenState(host, golden), stateLen)).isEqualTo(HostStatus.OK);
                            flags = LfadsStepHost.FLAG_RESET | LfadsStepHost.FLAG_RESTORE | LfadsStepHost.FLAG_RUN;
                            name += "_golden_state";
                        } else if (op == 4) {
                            // SAVE alone (or after a RESET: the initial states, bins 0)
                            boolean reset = r.nextBoolean();
                            if (reset) {
                                golden.resetStream();
                            }
                            assertThat(host.poisonState()).isEqualTo(HostStatus.OK);
                            assertThat(host.poisonOutput()).isEqualTo(HostStatus.OK);
                            int sf = LfadsStepHost.FLAG_SAVE | (reset ? LfadsStepHost.FLAG_RESET : 0);
                            assertThat(host.control(sf)).as(name + "_save_alone").isEqualTo(HostStatus.OK);
                            assertPoisoned(host, name + "_save_alone");
                            assertSaved(host, name + "_save_alone", golden);
                        }
                        if (r.nextBoolean()) {
                            flags |= LfadsStepHost.FLAG_SAVE;
                        }
                        invoke(host, name, golden, LfadsKernelRtlTest.randomCounts(r, bins * k.d()), bins, flags);
                        steps += bins;
                        calls++;
                        if ((flags & LfadsStepHost.FLAG_SAVE) != 0 && (snapState == null || r.nextInt(3) == 0)) {
                            snapState = new byte[stateLen];
                            assertThat(host.readState(snapState, stateLen)).isEqualTo(HostStatus.OK);
                            snapCk = new byte[golden.streamLayout().bytes()];
                            assertThat(golden.saveStream(snapCk)).isEqualTo(CheckpointStatus.OK);
                        }
                        if (i == 4) {
                            // n_bins 0 and beyond the build are refused without touching the state
                            refused(host, "model" + m + "_bins0", 0, LfadsStepHost.FLAG_RUN, 4);
                            refused(host, "model" + m + "_bins_big", k.tMax() + 1,
                                    LfadsStepHost.FLAG_RESTORE | LfadsStepHost.FLAG_RUN, 4);
                        }
                        if (i == 6) {
                            // a state of another model (magic, ci_lag) is refused and restores nothing
                            byte[] bad = goldenState(host, golden);
                            int word = r.nextBoolean() ? 0 : 4;
                            bad[4 * word] ^= 1;
                            assertThat(host.writeState(bad, stateLen)).isEqualTo(HostStatus.OK);
                            refused(host, "model" + m + "_bad_state", 1,
                                    LfadsStepHost.FLAG_RESTORE | LfadsStepHost.FLAG_RUN, 5);
                        }
                    }
                }
            }
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
        Path lib = Builds.library(KERNEL, "step_full", k.params());
        SplittableRandom r = new SplittableRandom(70);
        LfadsFixed golden = new LfadsFixed(demo);
        int run = LfadsStepHost.FLAG_RUN;
        long oneBin;
        long oneBinSave;
        long oneBinRestore;
        long saveAlone;
        long restoreAlone;
        long eightBins;
        long lag0OneBin;
        long lag0EightBins;
        try (RtlSimDevice dev = Builds.device(lib, KERNEL, 5, 0, MEM_BYTES, false);
                LfadsStepHost host = new LfadsStepHost(dev, k, TIMEOUT_MS)) {
            assertThat(host.writeModel(LfadsStepImage.model(demo, k))).isEqualTo(HostStatus.OK);
            // load + 8 bins, then the closed loop: one call per bin with the state carried, then a streaming
            // call of 8 bins, a RESET call, and more single bins
            invoke(host, "load_8", golden, LfadsKernelRtlTest.randomCounts(r, 8 * k.d()), 8,
                    LfadsStepHost.FLAG_LOAD | run);
            long[] single = new long[6];
            for (int i = 0; i < 6; i++) {
                single[i] = invoke(host, "bin" + i, golden, LfadsKernelRtlTest.randomCounts(r, k.d()), 1, run);
            }
            oneBin = single[2];
            // SAVE beside a one-bin call, SAVE and RESTORE alone, RESTORE before a one-bin call: their cycles; a
            // state saved here is restored after 5 more bins and the stream continues from it
            int save = LfadsStepHost.FLAG_SAVE;
            int restore = LfadsStepHost.FLAG_RESTORE;
            int stateLen = new LfadsStepState(k, golden.dims().ciLag()).bytes();
            oneBinSave = invoke(host, "bin_save", golden, LfadsKernelRtlTest.randomCounts(r, k.d()), 1, run | save);
            byte[] snap = new byte[stateLen];
            assertThat(host.readState(snap, stateLen)).isEqualTo(HostStatus.OK);
            byte[] snapCk = new byte[golden.streamLayout().bytes()];
            assertThat(golden.saveStream(snapCk)).isEqualTo(CheckpointStatus.OK);
            assertThat(snapCk.length).as("LFS1 of the demo model").isEqualTo(560);
            assertThat(host.control(save)).isEqualTo(HostStatus.OK);
            saveAlone = host.lastCycles();
            assertSaved(host, "save_alone", golden);
            for (int i = 0; i < 5; i++) {
                invoke(host, "on" + i, golden, LfadsKernelRtlTest.randomCounts(r, k.d()), 1, run);
            }
            assertThat(host.writeState(snap, stateLen)).isEqualTo(HostStatus.OK);
            assertThat(host.control(restore)).isEqualTo(HostStatus.OK);
            restoreAlone = host.lastCycles();
            assertThat(golden.restoreStream(snapCk)).isEqualTo(CheckpointStatus.OK);
            invoke(host, "after_restore", golden, LfadsKernelRtlTest.randomCounts(r, k.d()), 1, run);
            assertThat(host.writeState(goldenState(host, golden), stateLen)).isEqualTo(HostStatus.OK);
            oneBinRestore = invoke(host, "bin_restore", golden, LfadsKernelRtlTest.randomCounts(r, k.d()), 1,
                    restore | run);
            eightBins = invoke(host, "stream8", golden, LfadsKernelRtlTest.randomCounts(r, 8 * k.d()), 8, run);
            invoke(host, "reset3", golden, LfadsKernelRtlTest.randomCounts(r, 3 * k.d()), 3,
                    LfadsStepHost.FLAG_RESET | run);
            invoke(host, "after_reset", golden, LfadsKernelRtlTest.randomCounts(r, k.d()), 1, run);
            // a random model of the same size with ci_lag 0 (the controller waits for the bin's CI step)
            ModelBundle lag0 = randomModel(k, 0, 17, false, "full-lag0");
            LfadsFixed g0 = new LfadsFixed(lag0);
            assertThat(host.writeModel(LfadsStepImage.model(lag0, k))).isEqualTo(HostStatus.OK);
            invoke(host, "lag0_load_4", g0, LfadsKernelRtlTest.randomCounts(r, 4 * k.d()), 4,
                    LfadsStepHost.FLAG_LOAD | run);
            lag0OneBin = invoke(host, "lag0_bin", g0, LfadsKernelRtlTest.randomCounts(r, k.d()), 1, run);
            lag0EightBins = invoke(host, "lag0_stream8", g0, LfadsKernelRtlTest.randomCounts(r, 8 * k.d()), 8, run);
        }
        long perBin = (eightBins - oneBin) / 7;
        CycleReport.record(KERNEL, "causal_step", "CAUSAL=1 " + k + ": one invocation of one bin (state carried;"
                + " counts read, record written)", oneBin);
        CycleReport.record(KERNEL, "causal_step_streaming", "CAUSAL=1 " + k + ": per bin within an invocation of 8"
                + " bins ((cycles(8) - cycles(1)) / 7)", perBin);
        assertThat(perBin).isPositive().isLessThan(oneBin);
        CycleReport.record(KERNEL, "causal_step_save", "CAUSAL=1 " + k + ": one invocation of one bin with SAVE"
                + " (the 10-beat state written after the record)", oneBinSave);
        CycleReport.record(KERNEL, "causal_step_restore", "CAUSAL=1 " + k + ": one invocation of one bin with"
                + " RESTORE (the 10-beat state read before the bin)", oneBinRestore);
        CycleReport.record(KERNEL, "causal_save_alone", "CAUSAL=1 " + k + ": SAVE without bins", saveAlone);
        CycleReport.record(KERNEL, "causal_restore_alone", "CAUSAL=1 " + k + ": RESTORE without bins", restoreAlone);
        // a SAVE adds its beats and a write response, not another bin
        assertThat(oneBinSave - oneBin).isPositive().isLessThanOrEqualTo(30);
        assertThat(oneBinRestore - oneBin).isPositive().isLessThanOrEqualTo(30);
        long lag0PerBin = (lag0EightBins - lag0OneBin) / 7;
        CycleReport.record(KERNEL, "causal_step_lag0", "CAUSAL=1 " + k + ", random model with ci_lag 0: one"
                + " invocation of one bin", lag0OneBin);
        CycleReport.record(KERNEL, "causal_step_lag0_streaming", "CAUSAL=1 " + k + ", random model with ci_lag 0:"
                + " per bin within an invocation of 8 bins", lag0PerBin);
        assertThat(lag0PerBin).isGreaterThan(perBin);
    }
}
