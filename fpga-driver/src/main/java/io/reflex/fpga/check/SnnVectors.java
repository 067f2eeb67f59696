package io.reflex.fpga.check;

import io.reflex.decoders.snn.LifParams;
import io.reflex.decoders.snn.LifPopulation;
import io.reflex.decoders.snn.NetworkGenerator;
import io.reflex.decoders.snn.ResetMode;
import io.reflex.decoders.snn.SnnDecoder;
import io.reflex.decoders.snn.SynapseMatrix;
import io.reflex.fpga.device.KernelDevice;
import io.reflex.fpga.host.HostStatus;
import io.reflex.fpga.snn.LifNet;
import io.reflex.fpga.snn.SnnHost;
import io.reflex.fpga.xclbin.KernelBuild;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Golden vectors of {@code snn_kernel}: the SNN decoder's default reservoir (512 neurons, 96 inputs) when it fits the
 * build, random networks (weights small, full int16, mostly excitatory or extreme; saturating biases and thresholds
 * now and then; long refractory periods), and one network at the build's limits ({@code MAX_N} neurons,
 * {@code MAX_IN} inputs, up to {@code MAX_NNZ} synapses); each loaded and reset once, then run for a few ticks per
 * invocation with the state carried between invocations, every output spike word against {@link LifPopulation}.
 */
final class SnnVectors extends KernelCheck.Vectors {
    /** Most ticks per invocation (the SNN decoder's bin). */
    static final int MAX_TICKS = 20;

    private final int maxN;
    private final int maxIn;
    private final int maxNnz;
    private SnnHost host;

    SnnVectors(KernelDevice device, KernelBuild build, KernelCheck.Context ctx) {
        super(device, build, ctx);
        Map<String, Integer> p = build.params();
        this.maxN = p.get("MAX_N");
        this.maxIn = p.get("MAX_IN");
        this.maxNnz = p.get("MAX_NNZ");
    }

    /** A network and the most ticks per invocation it is run with. */
    record Net(String name, LifNet net, int maxTicks) {
    }

    @Override
    void run() {
        List<Net> nets = new ArrayList<>();
        SnnDecoder.Context dc = new SnnDecoder.Context().inputCount(96).seed(7).conclude();
        NetworkGenerator.Network res = dc.recipe().generate();
        LifNet reservoir = net(res.synapses(), res.bias(), dc.lif());
        if (reservoir.n() <= maxN && reservoir.nIn() <= maxIn && reservoir.nnz() <= maxNnz) {
            nets.add(new Net("reservoir-512", reservoir, dc.binTicks()));
            note("the SNN decoder's default reservoir");
        }
        for (int i = 0; i < 3; i++) {
            nets.add(new Net("random-" + (i + 1), randomNet(Math.min(maxN, 128), Math.min(maxIn, 64),
                    Math.min(maxNnz, 4096), false), 12));
        }
        nets.add(new Net("at-limits", randomNet(maxN, maxIn, maxNnz, true), 2));
        note("3 random networks and one of MAX_N neurons, MAX_IN inputs and up to MAX_NNZ synapses");
        host = new SnnHost(device, maxN, maxIn, maxNnz, MAX_TICKS, ctx.timeoutMs());
        int per = (ctx.vectors() + nets.size() - 1) / nets.size();
        for (Net n : nets) {
            if (full() || stopped()) {
                return;
            }
            runNet(n, per);
        }
    }

    static LifNet net(SynapseMatrix s, int[] bias, LifParams p) {
        return new LifNet(s.neuronCount(), s.inputCount(), s.rowPtrCopy(), s.colCopy(), s.weightsCopy(), bias,
                p.kSyn(), p.kMem(), p.thetaV(), p.vRest(), p.vReset(), p.tRefTicks(),
                p.resetMode() == ResetMode.SUBTRACT);
    }

    static LifPopulation golden(LifNet net) {
        LifParams p = new LifParams().kSyn(net.kSyn()).kMem(net.kMem()).thetaV(net.theta()).vRest(net.vRest())
                .vReset(net.vReset()).tRefTicks(net.tRef())
                .resetMode(net.subtract() ? ResetMode.SUBTRACT : ResetMode.ZERO);
        return new LifPopulation(p, new SynapseMatrix(net.n(), net.nIn(), net.rowPtr(), net.col(), net.w()),
                net.bias(), null);
    }

    /**
     * A random network: {@code full} makes it exactly {@code maxN} neurons and {@code maxIn} inputs with about
     * {@code maxNnz} synapses, else its sizes are random within the limits.
     */
    LifNet randomNet(int maxN, int maxIn, int maxNnz, boolean full) {
        int n = full ? maxN : 1 + r.nextInt(maxN);
        int nIn = full ? maxIn : r.nextInt(maxIn + 1);
        double density = full ? Math.min(1.0, (double) maxNnz / ((double) n * (n + nIn)))
                : r.nextDouble() * r.nextDouble();
        int[] rowPtr = new int[n + 1];
        List<Integer> cols = new ArrayList<>();
        List<Short> ws = new ArrayList<>();
        int style = r.nextInt(4); // small weights, full int16, mostly excitatory, extreme
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
        for (int q = 0; q < w.length; q++) {
            w[q] = ws.get(q);
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

    private void runNet(Net nt, int n) {
        LifNet net = nt.net();
        LifPopulation pop = golden(net);
        int s = host.writeNetwork(net.image());
        if (s != HostStatus.OK) {
            stop("writing network " + nt.name() + " failed: " + host.describe(s) + " " + host.lastError());
            return;
        }
        double pIn = 0.05 + 0.5 * r.nextDouble();
        int wi = net.inWordsPerTick();
        int wn = net.outWordsPerTick();
        int[] list = new int[Math.max(1, net.nIn())];
        for (int run = 0; run < n && !full(); run++) {
            int ticks = run == 0 ? nt.maxTicks() : 1 + r.nextInt(nt.maxTicks());
            int[] in = new int[Math.max(1, ticks * wi)];
            int[] expect = new int[ticks * wn];
            for (int t = 0; t < ticks; t++) {
                int count = 0;
                for (int c = 0; c < net.nIn(); c++) {
                    if (r.nextDouble() < pIn) {
                        in[t * wi + (c >>> 5)] |= 1 << (c & 31);
                        list[count++] = c;
                    }
                }
                if (pop.tick(list, count) < 0) {
                    throw new IllegalStateException("the golden model refused tick " + t + " of " + nt.name());
                }
                for (int q = 0; q < pop.spikeCount(); q++) {
                    int i = pop.spikeAt(q);
                    expect[t * wn + (i >>> 5)] |= 1 << (i & 31);
                }
            }
            int flags = run == 0 ? SnnHost.FLAG_LOAD | SnnHost.FLAG_RESET : 0;
            int[] got = new int[ticks * wn];
            long t0 = System.nanoTime();
            s = host.run(flags, in, 0, ticks, got);
            long ns = System.nanoTime() - t0;
            String what = nt.name() + " (N " + net.n() + ", " + net.nIn() + " inputs, " + net.nnz() + " synapses) run "
                    + (run + 1) + " (" + ticks + (ticks == 1 ? " tick" : " ticks") + (run == 0 ? ", LOAD + RESET" : "")
                    + ")";
            if (s < 0) {
                record(ns, what + ": " + host.describe(s) + ": " + host.lastError());
                stop(host.describe(s) + " at " + what + ": " + host.lastError());
                return;
            }
            if (s > 0) {
                record(ns, what + ": " + host.describe(s));
                if (run == 0) {
                    stop("the kernel refused to load " + nt.name() + " (" + host.describe(s) + "): its build is not "
                            + buildText() + " as " + (build.stated() ? "stated" : "the xclbin states"));
                }
                return;
            }
            record(ns, diff(what + ": spikes", got, expect, expect.length, wn));
        }
    }

    @Override
    void close() {
        if (host != null) {
            host.close();
        }
    }
}
