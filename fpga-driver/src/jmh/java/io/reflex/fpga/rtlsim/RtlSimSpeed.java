package io.reflex.fpga.rtlsim;

import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.snn.NetworkGenerator;
import io.reflex.decoders.snn.SnnDecoder;
import io.reflex.fpga.host.HostStatus;
import io.reflex.fpga.lfads.LfadsStepHost;
import io.reflex.fpga.lfads.LfadsStepImage;
import io.reflex.fpga.snn.LifNet;
import io.reflex.fpga.snn.SnnHost;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Simulation speed of the verilated kernels through JNA for one C++ optimisation: builds the demo-size causal LFADS
 * library (lfads-lorenz-causal: D 70, H 64, co 4, F 4, RO 70, P 16, LAG_MAX 4) and the default snn_kernel library
 * (MAX_N 1024, MAX_IN 256, MAX_NNZ 32768) from scratch with {@code OPT}, then runs the closed-loop workloads (one
 * bin per LFADS invocation; 20 ticks of a 512-neuron reservoir per SNN invocation) and prints the build time, the
 * simulated clock cycles per second (every cycle, control-port traffic included) and the wall time per
 * invocation. fpga-driver/README.md ("RTL-sim builds") has the figures that chose {@link RtlSimBuilds#RUNTIME_OPT}.
 *
 * <pre>
 * java -cp ... io.reflex.fpga.rtlsim.RtlSimSpeed "-O2" [seconds per workload]
 * </pre>
 */
public final class RtlSimSpeed {
    private RtlSimSpeed() {
    }

    public static void main(String[] args) throws Exception {
        String opt = args.length > 0 ? args[0] : RtlSimBuilds.RUNTIME_OPT;
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 20;
        String suffix = "speed" + opt.replaceAll("[^A-Za-z0-9]", "");
        RtlSimBuilds builds = new RtlSimBuilds(new RtlSimBuilds.Context().opt(opt));
        LfadsStepImage.Build full = new LfadsStepImage.Build(70, 73, 64, 4, 4, 70, 16, 4);
        Map<String, Integer> snn = new LinkedHashMap<>();
        snn.put("MAX_N", 1024);
        snn.put("MAX_IN", 256);
        snn.put("MAX_NNZ", 32768);
        long t0 = System.nanoTime();
        Path lfadsLib = builds.library("lfads_kernel", suffix + "-step_full", full.params());
        long t1 = System.nanoTime();
        Path snnLib = builds.library("snn_kernel", suffix + "-default", snn);
        long t2 = System.nanoTime();
        System.out.printf(Locale.ROOT, "OPT %s: build lfads %.0f s, snn %.0f s (0 when up to date)%n", opt,
                (t1 - t0) / 1e9, (t2 - t1) / 1e9);
        lfads(lfadsLib, full, seconds, opt);
        snn(snnLib, seconds, opt);
    }

    static void lfads(Path lib, LfadsStepImage.Build k, double seconds, String opt) {
        ModelBundle demo = ModelBundle.fromResource("/models/lfads-lorenz-causal.rbundle");
        try (RtlSimDevice dev = RtlSimDevice.open(new RtlSimDevice.Context().library(lib).kernel("lfads_kernel")
                .requiredParams(k.params()).memBytes(16 << 20));
                LfadsStepHost host = new LfadsStepHost(dev, k, 60_000)) {
            check(host.load(demo), "load");
            SplittableRandom r = new SplittableRandom(1);
            short[] counts = new short[k.d()];
            short[] fac = new short[k.f()];
            short[] lr = new short[k.ro()];
            Runnable call = () -> {
                for (int c = 0; c < counts.length; c++) {
                    counts[c] = (short) r.nextInt(4);
                }
                check(host.step(LfadsStepHost.FLAG_RUN, counts, 0, 1, fac, lr), "step");
            };
            measure("lfads causal demo (1 bin/call)", dev, call, seconds, opt, host::lastCycles);
        }
    }

    static void snn(Path lib, double seconds, String opt) {
        SnnDecoder.Context ctx = new SnnDecoder.Context().inputCount(96).seed(7).conclude();
        NetworkGenerator.Network net = ctx.recipe().generate();
        int n = ctx.neuronCount();
        var s = net.synapses();
        LifNet ln = new LifNet(n, 96, s.rowPtrCopy(), s.colCopy(), s.weightsCopy(), net.bias(), ctx.lif().kSyn(),
                ctx.lif().kMem(), ctx.lif().thetaV(), ctx.lif().vRest(), ctx.lif().vReset(), ctx.lif().tRefTicks(), true);
        try (RtlSimDevice dev = RtlSimDevice.open(new RtlSimDevice.Context().library(lib).kernel("snn_kernel")
                .memBytes(16 << 20));
                SnnHost host = new SnnHost(dev, n, 96, ln.nnz(), 20, 600_000)) {
            check(host.load(ln), "load");
            SplittableRandom r = new SplittableRandom(2);
            int[] in = new int[20 * 3];
            int[] out = new int[20 * ((n + 31) / 32)];
            Runnable call = () -> {
                for (int i = 0; i < in.length; i++) {
                    // about 1.5 spikes per channel and 20 ms bin, as on the demo data
                    in[i] = r.nextInt() & r.nextInt() & r.nextInt() & r.nextInt() & r.nextInt() & r.nextInt();
                }
                check(host.run(0, in, 0, 20, out), "run");
            };
            measure("snn 512 neurons, " + ln.nnz() + " synapses (20 ticks/call)", dev, call, seconds, opt,
                    host::lastCycles);
        }
    }

    static void measure(String what, RtlSimDevice dev, Runnable call, double seconds, String opt,
            java.util.function.LongSupplier kernelCycles) {
        for (int i = 0; i < 3; i++) {
            call.run();
        }
        long c0 = dev.totalCycles();
        long t0 = System.nanoTime();
        long calls = 0;
        long kc = 0;
        while (System.nanoTime() - t0 < seconds * 1e9) {
            call.run();
            kc += kernelCycles.getAsLong();
            calls++;
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        long cycles = dev.totalCycles() - c0;
        System.out.printf(Locale.ROOT, "OPT %s: %s: %.3f Mcycles/s, %.3f ms per call, %d kernel cycles per call"
                + " (%d calls, %d simulated cycles per call)%n", opt, what, cycles / wall / 1e6, wall * 1e3 / calls,
                kc / calls, calls, cycles / calls);
    }

    static void check(int status, String what) {
        if (status != HostStatus.OK) {
            throw new IllegalStateException(what + " failed: status " + status);
        }
    }
}
