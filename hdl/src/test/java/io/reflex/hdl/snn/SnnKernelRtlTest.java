package io.reflex.hdl.snn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.reflex.decoders.snn.LifParams;
import io.reflex.decoders.snn.LifPopulation;
import io.reflex.decoders.snn.ResetMode;
import io.reflex.decoders.snn.SynapseMatrix;
import io.reflex.fpga.snn.LifNet;
import io.reflex.hdl.sim.CycleReport;
import io.reflex.hdl.sim.VectorWriter;
import io.reflex.hdl.sim.Verilator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * snn_kernel in Verilator against the LIF golden model {@link LifPopulation} of io.reflex.decoders.snn (cross-checked
 * with this module's bring-up reference {@link LifReference}), bit for bit: random networks through the AXI harness with
 * random stalls on every channel, each case loaded, run, continued (state carried across runs) and compared.
 */
class SnnKernelRtlTest {
    static final String KERNEL = "snn_kernel";
    /** Small build for the random cases. */
    static final String SMALL = "-GMAX_N=64 -GMAX_IN=64 -GMAX_NNZ=1024 -GMAX_BEATS=16";
    static final int FLAG_LOAD = 1;
    static final int FLAG_RESET = 2;
    static final int FLAG_STATE = 4;
    static final int STATUS_OFFSET = 0x10 + 12 * 5;
    static final long MEM_BYTES = 1L << 22;

    @BeforeAll
    static void needVerilator() {
        assumeTrue(Verilator.available(), "skipped: verilator not installed");
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

    /**
     * Writes one case: load + reset + run, then continue without reset; expectations from the golden model,
     * which must agree with the bring-up reference.
     */
    static void writeCase(VectorWriter vw, String name, LifNet net, SplittableRandom r, int[] ticks) {
        long netAddr = 0x1000L + 4L * r.nextInt(1024);
        long inAddr = 0x40000L + 4L * r.nextInt(1024);
        long outAddr = 0x100000L + 4L * r.nextInt(1024);
        LifReference ref = new LifReference(net);
        LifPopulation pop = golden(net);
        boolean dense = r.nextBoolean();
        vw.begin(name).mem(netAddr, net.image());
        double pIn = r.nextDouble();
        for (int run = 0; run < ticks.length; run++) {
            int t = ticks[run];
            int wi = net.inWordsPerTick();
            int wn = net.outWordsPerTick();
            int[] in = new int[Math.max(1, t * wi)];
            int[] expect = new int[t * wn + 3 * net.n()];
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
                expect[t * wn + i] = pop.membrane(i);
                expect[t * wn + net.n() + i] = pop.current(i);
                expect[t * wn + 2 * net.n() + i] = pop.refractory(i);
                assertThat(new int[] {ref.v()[i], ref.i()[i], ref.ref()[i]}).as("state vs golden, " + name)
                        .containsExactly(pop.membrane(i), pop.current(i), pop.refractory(i));
            }
            int flags = FLAG_STATE | (run == 0 ? FLAG_LOAD | FLAG_RESET : 0);
            vw.mem(inAddr, in).poison(outAddr, expect.length)
                    .arg(0, netAddr).arg(1, inAddr).arg(2, outAddr).arg(3, t).arg(4, flags)
                    .run(run == 0 ? "trial" : "continue")
                    .expect(outAddr, expect).reg(STATUS_OFFSET, 0);
        }
    }

    @Test
    @Timeout(1200)
    void thousandRandomNetworksBitExact() throws Exception {
        Path build = Verilator.build(KERNEL, "small", SMALL);
        Path vec = Verilator.HDL.resolve("target/vectors/snn_random.txt");
        SplittableRandom r = new SplittableRandom(20261124L);
        int cases = 1000;
        try (VectorWriter vw = new VectorWriter(vec)) {
            for (int c = 0; c < cases; c++) {
                LifNet net = randomNet(r, 64, 64, 1024);
                writeCase(vw, "rand" + c, net, r, new int[] {1 + r.nextInt(12), 1 + r.nextInt(4)});
            }
            // error paths: a bad magic and oversize dimensions answer a status and write nothing
            int[] bad = new int[LifNet.HEADER_WORDS];
            bad[0] = 0x12345678;
            vw.begin("bad-magic").mem(0x1000, bad).poison(0x100000, 4).arg(0, 0x1000).arg(3, 1)
                    .arg(4, FLAG_LOAD).run("error").reg(STATUS_OFFSET, 1).expect(0x100000, poison(4));
            bad[0] = LifNet.MAGIC;
            bad[1] = 65;
            vw.begin("too-many-neurons").mem(0x1000, bad).arg(4, FLAG_LOAD).run("error")
                    .reg(STATUS_OFFSET, 2).expect(0x100000, poison(4));
            vw.begin("not-loaded").arg(4, 0).run("error").reg(STATUS_OFFSET, 3);
        }
        Verilator.Summary s = Verilator.run(build, KERNEL, vec, 7, 30, MEM_BYTES, null);
        assertThat(s.failures()).as(s.output()).isZero();
        assertThat(s.cases()).isEqualTo(cases + 3);
        assertThat(s.words()).isGreaterThan(10_000);
    }

    static int[] poison(int n) {
        int[] p = new int[n];
        java.util.Arrays.fill(p, 0xA5A5A5A5);
        return p;
    }

    @Test
    @Timeout(600)
    void cycleReportWithoutStalls() throws Exception {
        // the largest random population of the small build with at least 400 synapses
        SplittableRandom r = new SplittableRandom(5);
        Path build = Verilator.build(KERNEL, "small", SMALL);
        Path vec = Verilator.HDL.resolve("target/vectors/snn_cycles.txt");
        LifNet net = randomNet(r, 64, 64, 1024);
        while (net.n() < 48 || net.nnz() < 400) {
            net = randomNet(r, 64, 64, 1024);
        }
        int ticks = 100;
        try (VectorWriter vw = new VectorWriter(vec)) {
            writeCase(vw, "cycles", net, r, new int[] {ticks, 1});
        }
        Path cyc = Verilator.HDL.resolve("target/vectors/snn_cycles.jsonl");
        Verilator.Summary s = Verilator.run(build, KERNEL, vec, 1, 0, MEM_BYTES, cyc);
        assertThat(s.failures()).as(s.output()).isZero();
        List<String> lines = Files.readAllLines(cyc);
        long trial = cycles(lines.get(0));
        long step = cycles(lines.get(1));
        String cfg = "N=" + net.n() + " n_in=" + net.nIn() + " nnz=" + net.nnz();
        CycleReport.record(KERNEL, "run_" + ticks + "_ticks", cfg + " (incl. load)", trial);
        CycleReport.record(KERNEL, "one_tick_streaming", cfg, step);
        assertThat(step).isPositive().isLessThan(trial);
    }

    static long cycles(String jsonLine) {
        int i = jsonLine.indexOf("\"cycles\":") + 9;
        return Long.parseLong(jsonLine.substring(i, jsonLine.indexOf('}', i)));
    }
}
