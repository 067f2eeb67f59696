package io.reflex.hdl.snn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.reflex.decoders.checkpoint.CheckpointStatus;
import io.reflex.decoders.checkpoint.SnnCheckpoint;
import io.reflex.decoders.snn.LifParams;
import io.reflex.decoders.snn.LifPopulation;
import io.reflex.decoders.snn.ResetMode;
import io.reflex.decoders.snn.SynapseMatrix;
import io.reflex.fpga.host.HostStatus;
import io.reflex.fpga.rtlsim.RtlSimDevice;
import io.reflex.fpga.snn.LifNet;
import io.reflex.fpga.snn.SnnHost;
import io.reflex.hdl.sim.Builds;
import io.reflex.hdl.sim.CycleReport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * snn_kernel in Verilator against the LIF golden model {@link LifPopulation} of io.reflex.decoders.snn (cross-checked
 * with this module's bring-up reference {@link LifReference}), bit for bit, driven by fpga-driver's {@link SnnHost}
 * on an {@link RtlSimDevice}: random networks through the AXI harness with random stalls on every channel and
 * buffers at random places, each case loaded, run, continued (state carried across runs) and compared.
 */
class SnnKernelRtlTest {
    static final String KERNEL = "snn_kernel";
    /** Small build for the random cases (fpga-driver's tests use the same: TestLibraries.SNN_SMALL). */
    static final Map<String, Integer> SMALL = small();
    static final long MEM_BYTES = 1L << 22;
    static final long TIMEOUT_MS = 600_000;

    static Map<String, Integer> small() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("MAX_N", 64);
        m.put("MAX_IN", 64);
        m.put("MAX_NNZ", 1024);
        m.put("MAX_BEATS", 16);
        return m;
    }

    @BeforeAll
    static void needVerilator() {
        assumeTrue(Builds.missing() == null, "skipped: " + Builds.missing());
    }

    /** Random population within the small build's limits. */
    static LifNet randomNet(SplittableRandom r, int maxN, int maxIn, int maxNnz) {
        int n = 1 + r.nextInt(maxN);
        int nIn = r.nextInt(maxIn + 1);
        double density = r.nextDouble() * r.nextDouble();
        int[] rowPtr = new int[n + 1];
        List<Integer> cols = new ArrayList<>();
        List<Short> ws = new ArrayList<>();
        int style = r.nextInt(4);   // 0 small weights, 1 full int16, 2 mostly excitatory, 3 extreme
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < n + nIn && cols.size() < maxNnz; c++) {
                if (r.nextDouble() < density) {
                    cols.add(c);
                    int w = switch (style) {
                        case 0 -> r.nextInt(-300, 301);
                        case 1 -> r.nextInt(-32768, 32768);
                        case 2 -> r.nextInt(-2000, 8000);
                        default -> r.nextBoolean() ? 32767 : -32768;
                    };
                    ws.add((short) w);
                }
            }
            rowPtr[i + 1] = cols.size();
        }
        int[] col = cols.stream().mapToInt(Integer::intValue).toArray();
        short[] w = new short[ws.size()];
        for (int k = 0; k < w.length; k++) {
            w[k] = ws.get(k);
        }
        boolean extreme = r.nextInt(8) == 0;
        int[] bias = new int[n];
        for (int i = 0; i < n; i++) {
            bias[i] = extreme ? r.nextInt() : r.nextInt(-500, 1500);
        }
        int vRest = extreme ? r.nextInt() : r.nextInt(-2000, 2000);
        int vReset = extreme ? r.nextInt() : vRest + r.nextInt(-1000, 1000);
        int theta = extreme ? (int) Math.min(Integer.MAX_VALUE, (long) vReset + 1 + r.nextLong(1L << 31))
                : vReset + 1 + r.nextInt(20000);
        return new LifNet(n, nIn, rowPtr, col, w, bias, r.nextInt(32), r.nextInt(32), theta, vRest, vReset,
                r.nextInt(8) == 0 ? r.nextInt(65536) : r.nextInt(6), r.nextBoolean());
    }

    static int[] packBits(boolean[] b, int words) {
        int[] out = new int[words];
        for (int k = 0; k < b.length; k++) {
            if (b[k]) {
                out[k >>> 5] |= 1 << (k & 31);
            }
        }
        return out;
    }

    /** The golden population of a network (decoders/FIXED_POINT.md section 7, no STDP). */
    static LifPopulation golden(LifNet net) {
        LifParams p = new LifParams().kSyn(net.kSyn()).kMem(net.kMem()).thetaV(net.theta()).vRest(net.vRest())
                .vReset(net.vReset()).tRefTicks(net.tRef())
                .resetMode(net.subtract() ? ResetMode.SUBTRACT : ResetMode.ZERO);
        SynapseMatrix syn = new SynapseMatrix(net.n(), net.nIn(), net.rowPtr(), net.col(), net.w());
        return new LifPopulation(p, syn, net.bias(), null);
    }

    /** One golden tick (alternating the sparse and the dense golden paths) as a spike vector. */
    static boolean[] goldenTick(LifPopulation pop, boolean[] u, boolean dense) {
        if (dense) {
            pop.tickDense(u);
        } else {
            int[] list = new int[u.length];
            int count = 0;
            for (int k = 0; k < u.length; k++) {
                if (u[k]) {
                    list[count++] = k;
                }
            }
            assertThat(pop.tick(list, count)).isGreaterThanOrEqualTo(0);
        }
        boolean[] s = new boolean[pop.neuronCount()];
        for (int i = 0; i < s.length; i++) {
            s[i] = pop.spiked(i);
        }
        return s;
    }

    /** Per-test-class limits of the host program: the small build's sizes and the longest run of a case. */
    static final int MAX_TICKS = 100;

    /**
     * Runs one case on the device through a fresh {@link SnnHost} (buffers at new random places): load + reset +
     * run, then continue without reset; every spike word and the saved state (V, I, ref and the last tick's spike
     * words, SAVE after every run) are compared with the golden model, which must agree with the bring-up reference.
     * Returns the cycles of each run.
     */
    static long[] runCase(RtlSimDevice dev, String name, LifNet net, SplittableRandom r, int[] ticks) {
        return runCase(dev, null, name, net, r, ticks);
    }

    /**
     * {@link #runCase(RtlSimDevice, String, LifNet, SplittableRandom, int[])} where, with a second device
     * {@code other}, the runs after the first may also be SAVE/RESTORE interleavings: the state saved after an
     * earlier run is restored (the golden model restoring its checkpoint of that point) into this kernel or into a
     * fresh host on {@code other} (LOAD + RESTORE in one call), which continues the case; or the kernel is RESET and
     * the golden model's own checkpoint restored into it (RESET + RESTORE in one call).
     */
    static long[] runCase(RtlSimDevice dev, RtlSimDevice other, String name, LifNet net, SplittableRandom r,
            int[] ticks) {
        LifReference ref = new LifReference(net);
        LifPopulation pop = golden(net);
        SnnCheckpoint layout = new SnnCheckpoint(net.n());
        boolean dense = r.nextBoolean();
        double pIn = r.nextDouble();
        long[] cycles = new long[ticks.length];
        int maxTicks = java.util.Arrays.stream(ticks).max().orElse(1);
        int stateBytes = 4 * SnnHost.stateWords(net.n());
        byte[] snapGolden = null;
        byte[] snapKernel = null;
        SnnHost second = null;
        try (SnnHost first = new SnnHost(dev, net.n(), net.nIn(), net.nnz(), maxTicks, TIMEOUT_MS)) {
            SnnHost host = first;
            assertThat(host.writeNetwork(net.image())).isEqualTo(HostStatus.OK);
            for (int run = 0; run < ticks.length; run++) {
                int t = ticks[run];
                int wi = net.inWordsPerTick();
                int wn = net.outWordsPerTick();
                int flags = SnnHost.FLAG_SAVE | (run == 0 ? SnnHost.FLAG_LOAD | SnnHost.FLAG_RESET : 0);
                String what = name + " run " + run;
                // the state buffer is poisoned first: a SAVE must overwrite all of it
                assertThat(host.poisonState()).isEqualTo(HostStatus.OK);
                int op = other == null || run == 0 ? 0 : r.nextInt(4);
                if (op == 1 && snapKernel != null) {
                    // the state saved after an earlier run, into this kernel or a fresh one
                    boolean fresh = r.nextBoolean() && second == null;
                    if (fresh) {
                        second = new SnnHost(other, net.n(), net.nIn(), net.nnz(), maxTicks, TIMEOUT_MS);
                        assertThat(second.writeNetwork(net.image())).isEqualTo(HostStatus.OK);
                        assertThat(second.poisonState()).isEqualTo(HostStatus.OK);
                        host = second;
                        flags |= SnnHost.FLAG_LOAD;
                    }
                    assertThat(host.writeState(snapKernel, 0)).isEqualTo(HostStatus.OK);
                    assertThat(pop.restoreState(snapGolden, layout)).isEqualTo(CheckpointStatus.OK);
                    ref = LifReference.from(net, pop);
                    flags |= SnnHost.FLAG_RESTORE;
                    what += fresh ? " (restored into a fresh kernel)" : " (restored)";
                } else if (op == 2) {
                    // the golden model's checkpoint, over a reset kernel
                    byte[] g = new byte[layout.bytes()];
                    assertThat(pop.saveState(g, layout)).isEqualTo(CheckpointStatus.OK);
                    assertThat(host.writeState(g, layout.vOffset())).isEqualTo(HostStatus.OK);
                    flags |= SnnHost.FLAG_RESET | SnnHost.FLAG_RESTORE;
                    what += " (golden state restored)";
                }
                int[] in = new int[Math.max(1, t * wi)];
                int[] expect = new int[t * wn];
                for (int k = 0; k < t; k++) {
                    boolean[] u = new boolean[net.nIn()];
                    for (int c = 0; c < u.length; c++) {
                        u[c] = r.nextDouble() < pIn;
                    }
                    System.arraycopy(packBits(u, wi), 0, in, k * wi, wi);
                    boolean[] gs = goldenTick(pop, u, dense);
                    assertThat(ref.step(u)).as("bring-up reference vs golden, " + name).containsExactly(gs);
                    System.arraycopy(packBits(gs, wn), 0, expect, k * wn, wn);
                }
                for (int i = 0; i < net.n(); i++) {
                    assertThat(new int[] {ref.v()[i], ref.i()[i], ref.ref()[i]}).as("state vs golden, " + name)
                            .containsExactly(pop.membrane(i), pop.current(i), pop.refractory(i));
                }
                byte[] goldenState = new byte[layout.bytes()];
                assertThat(pop.saveState(goldenState, layout)).isEqualTo(CheckpointStatus.OK);
                assertThat(host.poisonOutput()).isEqualTo(HostStatus.OK);
                int[] spikes = new int[t * wn];
                int s = host.run(flags, in, 0, t, spikes);
                assertThat(s).as(what + ": " + host.describe(s) + " " + host.lastError()).isEqualTo(HostStatus.OK);
                cycles[run] = host.lastCycles();
                int[] got = new int[expect.length];
                assertThat(host.readRawOutput(got, got.length)).isEqualTo(HostStatus.OK);
                assertThat(got).as("MISMATCH case " + what + " (spike words)").containsExactly(expect);
                // SAVE read back against the golden model's checkpoint: V, I, ref, spike words
                byte[] kernelState = new byte[stateBytes];
                assertThat(host.readState(kernelState, 0)).isEqualTo(HostStatus.OK);
                assertThat(kernelState).as("MISMATCH case " + what + " (saved state: V, I, ref, spike words)")
                        .containsExactly(java.util.Arrays.copyOfRange(goldenState, layout.vOffset(),
                                layout.traceOffset()));
                int[] v = new int[net.n()];
                int[] cur = new int[net.n()];
                int[] rf = new int[net.n()];
                int[] sw = new int[wn];
                assertThat(host.readState(v, cur, rf, sw)).isEqualTo(HostStatus.OK);
                for (int i = 0; i < net.n(); i++) {
                    assertThat(new int[] {v[i], cur[i], rf[i]}).containsExactly(pop.membrane(i), pop.current(i),
                            pop.refractory(i));
                }
                if (snapKernel == null || r.nextBoolean()) {
                    snapKernel = kernelState;
                    snapGolden = goldenState;
                }
            }
        } finally {
            if (second != null) {
                second.close();
            }
        }
        return cycles;
    }

    @Test
    @Timeout(1200)
    void thousandRandomNetworksBitExact() {
        Path lib = Builds.library(KERNEL, "small", SMALL);
        SplittableRandom r = new SplittableRandom(20261124L);
        int cases = 1000;
        try (RtlSimDevice dev = Builds.device(lib, KERNEL, 7, 30, MEM_BYTES, true);
                RtlSimDevice other = Builds.device(lib, KERNEL, 8, 30, MEM_BYTES, true)) {
            for (int c = 0; c < cases; c++) {
                LifNet net = randomNet(r, 64, 64, 1024);
                int[] ticks = c % 3 == 0 ? new int[] {1 + r.nextInt(12), 1 + r.nextInt(4), 1 + r.nextInt(4),
                    1 + r.nextInt(4)} : new int[] {1 + r.nextInt(12), 1 + r.nextInt(4)};
                runCase(dev, other, "rand" + c, net, r, ticks);
            }
            // error paths: a bad magic and oversize dimensions answer a status and write nothing
            try (SnnHost host = new SnnHost(dev, 64, 64, 1024, 4, TIMEOUT_MS)) {
                int[] bad = new int[LifNet.HEADER_WORDS];
                bad[0] = 0x12345678;
                assertThat(host.writeNetwork(bad)).isEqualTo(HostStatus.OK);
                assertThat(host.poisonOutput()).isEqualTo(HostStatus.OK);
                assertThat(host.invokeRaw(SnnHost.FLAG_LOAD, 1)).as("bad magic").isEqualTo(1);
                assertPoisoned(host);
                bad[0] = LifNet.MAGIC;
                bad[1] = 65;
                assertThat(host.writeNetwork(bad)).isEqualTo(HostStatus.OK);
                assertThat(host.invokeRaw(SnnHost.FLAG_LOAD, 1)).as("too many neurons").isEqualTo(2);
                assertPoisoned(host);
                assertThat(host.invokeRaw(0, 1)).as("not loaded").isEqualTo(3);
                assertThat(host.invokeRaw(SnnHost.FLAG_SAVE, 0)).as("SAVE without a network").isEqualTo(3);
                assertThat(host.invokeRaw(SnnHost.FLAG_RESTORE, 0)).as("RESTORE without a network").isEqualTo(3);
                assertThat(host.describe(3)).contains("no network loaded");
            }
        }
    }

    /**
     * A build whose sizes are not powers of two: 100 neurons (4 spike words, the last one partly used), 256 inputs (8
     * words), a 3,000-synapse RAM and 13-beat bursts. At this size the spike RAM's word offset within a bank (4 bits
     * for 4 + 8 words) is wider than the neuron index's word bits (2): the lint gate found the write-back address
     * built from the latter, which put the bank bit at bit 2 instead of bit 4, so the spike words of every other
     * tick landed on bank 0's input words and the next tick read stale ones.
     */
    static Map<String, Integer> odd() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("MAX_N", 100);
        m.put("MAX_IN", 256);
        m.put("MAX_NNZ", 3000);
        m.put("MAX_BEATS", 13);
        return m;
    }

    @Test
    @Timeout(1200)
    void oddSizeBuildBitExact() {
        Path lib = Builds.library(KERNEL, "odd", odd());
        SplittableRandom r = new SplittableRandom(20261203L);
        try (RtlSimDevice dev = Builds.device(lib, KERNEL, 17, 30, MEM_BYTES, true);
                RtlSimDevice other = Builds.device(lib, KERNEL, 18, 30, MEM_BYTES, true)) {
            for (int c = 0; c < 200; c++) {
                // most networks fill 3 or 4 spike words and use up to all 8 input words; every 4th is any size
                LifNet net = randomNet(r, 100, 256, 3000);
                while (c % 4 != 0 && net.n() < 65) {
                    net = randomNet(r, 100, 256, 3000);
                }
                int[] ticks = c % 3 == 0 ? new int[] {1 + r.nextInt(12), 1 + r.nextInt(4), 1 + r.nextInt(4),
                    1 + r.nextInt(4)} : new int[] {2 + r.nextInt(11), 1 + r.nextInt(4)};
                runCase(dev, other, "odd" + c, net, r, ticks);
            }
        }
    }

    static void assertPoisoned(SnnHost host) {
        int[] raw = new int[4];
        assertThat(host.readRawOutput(raw, 4)).isEqualTo(HostStatus.OK);
        assertThat(raw).as("a refused run writes nothing").containsOnly(0xA5A5A5A5);
    }

    @Test
    @Timeout(600)
    void cycleReportWithoutStalls() throws Exception {
        // the largest random population of the small build with at least 400 synapses
        SplittableRandom r = new SplittableRandom(5);
        Path lib = Builds.library(KERNEL, "small", SMALL);
        LifNet net = randomNet(r, 64, 64, 1024);
        while (net.n() < 48 || net.nnz() < 400) {
            net = randomNet(r, 64, 64, 1024);
        }
        int ticks = 100;
        long[] cycles;
        try (RtlSimDevice dev = Builds.device(lib, KERNEL, 1, 0, MEM_BYTES, false)) {
            cycles = runCase(dev, "cycles", net, r, new int[] {ticks, 1});
        }
        long trial = cycles[0];
        long step = cycles[1];
        String cfg = "N=" + net.n() + " n_in=" + net.nIn() + " nnz=" + net.nnz();
        CycleReport.record(KERNEL, "run_" + ticks + "_ticks", cfg + " (incl. load)", trial);
        CycleReport.record(KERNEL, "one_tick_streaming", cfg, step);
        assertThat(step).isPositive().isLessThan(trial);
    }
}
