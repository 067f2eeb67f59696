package io.reflex.fpga.check;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.lfads.LfadsBundleBuilder;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.decoders.lfads.LfadsFixed;
import io.reflex.decoders.lfads.LfadsTensors;
import io.reflex.fpga.device.KernelDevice;
import io.reflex.fpga.host.HostStatus;
import io.reflex.fpga.lfads.LfadsStepHost;
import io.reflex.fpga.lfads.LfadsStepImage;
import io.reflex.fpga.xclbin.KernelBuild;
import java.util.ArrayList;
import java.util.List;

/**
 * Golden vectors of {@code lfads_kernel} built with {@code CAUSAL=1}: causal models with a controller of exactly the
 * build's dimensions (the demo model {@code lfads-lorenz-causal} when it fits, random ones with every bias and initial
 * state random and {@code ci_lag} up to {@code LAG_MAX}, one with saturating weights), each loaded once and then
 * streamed as the closed loop does — mostly one bin per invocation with the state carried, RESET now and then, a
 * few bins at a time, one invocation of {@code T_MAX} bins — against {@link LfadsFixed#stepQ}.
 */
final class LfadsStepVectors extends KernelCheck.Vectors {
    private static final String DEMO = "lfads-lorenz-causal";

    private final LfadsStepImage.Build k;
    private LfadsStepHost host;

    LfadsStepVectors(KernelDevice device, KernelBuild build, KernelCheck.Context ctx) {
        super(device, build, ctx);
        this.k = LfadsStepImage.Build.of(build.params());
    }

    /** A model and whether its vectors include one invocation of T_MAX bins. */
    record Model(ModelBundle bundle, boolean atLimit) {
    }

    static LfadsDims dims(LfadsStepImage.Build k, int lag, double clip) {
        return new LfadsDims(k.d(), k.tMax(), k.tMax(), 0, k.h(), k.h(), k.co(), 0, k.h(), k.f(), k.ro(), lag, clip,
                0.02, true);
    }

    /** Null when a causal model runs on the build, else why not. */
    static String fits(LfadsDims d, LfadsStepImage.Build k) {
        boolean ok = d.causal() && d.coDim() > 0 && d.ciEncDim() == k.h() && d.conDim() == k.h()
                && d.genDim() == k.h() && d.dataDim() == k.d() && d.coDim() == k.co() && d.facDim() == k.f()
                && d.readoutDim() == k.ro() && d.ciLag() <= k.lagMax();
        return ok ? null : "not of this build's dimensions";
    }

    List<Model> models() {
        List<Model> out = new ArrayList<>();
        ModelBundle demo = ModelBundle.fromResource("/models/" + DEMO + ".rbundle");
        if (fits(LfadsDims.from(demo), k) == null) {
            out.add(new Model(demo, false));
            note("demo model " + DEMO);
        }
        int lagCap = Math.min(k.lagMax(), 3);
        out.add(new Model(random("random-1", r.nextInt(lagCap + 1), false), true));
        out.add(new Model(random("random-2", 0, false), false));
        out.add(new Model(random("random-hot", r.nextInt(lagCap + 1), true), false));
        note("3 random causal models of the build's dimensions (one with saturating weights)");
        return out;
    }

    /** A random causal model; a "hot" one has its weights scaled up and a small cell clip (saturation, clipping). */
    ModelBundle random(String name, int lag, boolean hot) {
        LfadsBundleBuilder bb = LfadsBundleBuilder.random(dims(k, lag, hot ? 0.75 : 5.0), r.nextLong(), true);
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

    @Override
    void run() {
        host = new LfadsStepHost(device, k, ctx.timeoutMs());
        List<Model> models = models();
        int per = (ctx.vectors() + models.size() - 1) / models.size();
        for (Model m : models) {
            if (full() || stopped()) {
                return;
            }
            runModel(m, per);
        }
    }

    private void runModel(Model m, int n) {
        ModelBundle b = m.bundle();
        LfadsFixed golden = new LfadsFixed(b);
        LfadsDims d = golden.dims();
        int s = host.writeModel(LfadsStepImage.model(b, k));
        if (s != HostStatus.OK) {
            stop("writing model " + b.name() + " failed: " + host.describe(s) + " " + host.lastError());
            return;
        }
        for (int i = 0; i < n && !full(); i++) {
            int bins = i == 1 && m.atLimit() ? k.tMax() : r.nextInt(4) == 0 ? 1 + r.nextInt(Math.min(8, k.tMax())) : 1;
            int flags = i == 0 ? LfadsStepHost.FLAG_LOAD | LfadsStepHost.FLAG_RUN
                    : r.nextInt(6) == 0 ? LfadsStepHost.FLAG_RESET | LfadsStepHost.FLAG_RUN : LfadsStepHost.FLAG_RUN;
            short[] counts = Counts.random(r, bins * d.dataDim());
            if ((flags & (LfadsStepHost.FLAG_LOAD | LfadsStepHost.FLAG_RESET)) != 0) {
                golden.resetStream();
            }
            short[] fac = new short[bins * d.facDim()];
            short[] lr = new short[bins * d.readoutDim()];
            short[] f1 = new short[d.facDim()];
            short[] l1 = new short[d.readoutDim()];
            for (int t = 0; t < bins; t++) {
                if (golden.stepQ(counts, t * d.dataDim(), f1, l1) != DecodeStatus.OK) {
                    throw new IllegalStateException("the golden model refused bin " + t + " of " + b.name());
                }
                System.arraycopy(f1, 0, fac, t * d.facDim(), f1.length);
                System.arraycopy(l1, 0, lr, t * d.readoutDim(), l1.length);
            }
            short[] gotFac = new short[fac.length];
            short[] gotLr = new short[lr.length];
            long t0 = System.nanoTime();
            s = host.step(flags, counts, 0, bins, gotFac, gotLr);
            long ns = System.nanoTime() - t0;
            String what = b.name() + " invocation " + (i + 1) + " (" + bins + (bins == 1 ? " bin" : " bins")
                    + ((flags & LfadsStepHost.FLAG_LOAD) != 0 ? ", LOAD" : "")
                    + ((flags & LfadsStepHost.FLAG_RESET) != 0 ? ", RESET" : "") + ")";
            if (s < 0) {
                record(ns, what + ": " + host.describe(s) + ": " + host.lastError());
                stop(host.describe(s) + " at " + what + ": " + host.lastError());
                return;
            }
            if (s > 0) {
                record(ns, what + ": " + host.describe(s));
                if ((flags & LfadsStepHost.FLAG_LOAD) != 0) {
                    stop("the kernel refused to LOAD " + b.name() + " (" + host.describe(s) + "): its build is not "
                            + buildText() + " as " + (build.stated() ? "stated" : "the xclbin states"));
                }
                return; // the stream is not where the golden model is: go on with the next model
            }
            String diff = diff(what + ": factors", gotFac, fac, fac.length, d.facDim());
            if (diff == null) {
                diff = diff(what + ": log-rates", gotLr, lr, lr.length, d.readoutDim());
            }
            record(ns, diff);
        }
    }

    @Override
    void close() {
        if (host != null) {
            host.close();
        }
    }
}
