package io.reflex.fpga.check;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.lfads.LfadsBundleBuilder;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.decoders.lfads.LfadsFixed;
import io.reflex.fpga.device.KernelDevice;
import io.reflex.fpga.host.HostStatus;
import io.reflex.fpga.lfads.LfadsKernelImage;
import io.reflex.fpga.lfads.LfadsTrialHost;
import io.reflex.fpga.xclbin.KernelBuild;
import java.util.ArrayList;
import java.util.List;

/**
 * Golden vectors of {@code lfads_kernel} built with {@code CAUSAL=0} (trial inference, models without a controller):
 * the demo model {@code lfads-lorenz-small} when it fits the build, and random models of the build's dimensions (one
 * reading {@code T_MAX} bins, others shorter, with up to two forward-prediction steps), each loaded once and then run
 * on windows of random length, against {@link LfadsFixed#trialQ}.
 */
final class LfadsTrialVectors extends KernelCheck.Vectors {
    private static final String DEMO = "lfads-lorenz-small";
    private static final int EXTRA = 2;

    private final LfadsKernelImage.Build k;
    private LfadsTrialHost host;

    LfadsTrialVectors(KernelDevice device, KernelBuild build, KernelCheck.Context ctx) {
        super(device, build, ctx);
        this.k = LfadsKernelImage.Build.of(build.params());
    }

    static LfadsDims dims(LfadsKernelImage.Build k, int t, int tr) {
        return new LfadsDims(k.d(), t, tr, k.h(), 0, 0, 0, k.icd(), k.h(), k.f(), k.ro(), 1, 5.0, 0.02, false);
    }

    static boolean fits(LfadsDims d, LfadsKernelImage.Build k, int maxExtra) {
        return !d.causal() && d.coDim() == 0 && d.icEncDim() == k.h() && d.genDim() == k.h() && d.dataDim() == k.d()
                && d.icDim() == k.icd() && d.facDim() == k.f() && d.readoutDim() == k.ro() && d.encSeqLen() <= k.tMax()
                && d.reconSeqLen() - d.encSeqLen() <= maxExtra;
    }

    @Override
    void run() {
        List<ModelBundle> models = new ArrayList<>();
        ModelBundle demo = ModelBundle.fromResource("/models/" + DEMO + ".rbundle");
        LfadsDims dd = LfadsDims.from(demo);
        int extra = Math.max(EXTRA, dd.reconSeqLen() - dd.encSeqLen());
        if (fits(dd, k, extra)) {
            models.add(demo);
            note("demo model " + DEMO);
        }
        models.add(LfadsBundleBuilder.random(dims(k, k.tMax(), k.tMax() + r.nextInt(EXTRA + 1)), r.nextLong(), true)
                .build("random-full", true));
        for (int m = 0; m < 2; m++) {
            int t = 1 + r.nextInt(k.tMax());
            models.add(LfadsBundleBuilder.random(dims(k, t, t + r.nextInt(EXTRA + 1)), r.nextLong(), true)
                    .build("random-" + (m + 1), true));
        }
        note("3 random models of the build's dimensions (one of T_MAX bins)");
        host = new LfadsTrialHost(device, k, extra, ctx.timeoutMs());
        int per = (ctx.vectors() + models.size() - 1) / models.size();
        for (ModelBundle b : models) {
            if (full() || stopped()) {
                return;
            }
            runModel(b, per);
        }
    }

    private void runModel(ModelBundle b, int n) {
        LfadsFixed golden = new LfadsFixed(b);
        LfadsDims d = golden.dims();
        int s = host.writeModel(LfadsKernelImage.model(b, k));
        if (s != HostStatus.OK) {
            stop("writing model " + b.name() + " failed: " + host.describe(s) + " " + host.lastError());
            return;
        }
        for (int i = 0; i < n && !full(); i++) {
            int bins = i == 1 || d.encSeqLen() == 1 ? d.encSeqLen() : 1 + r.nextInt(d.encSeqLen());
            int flags = i == 0 ? LfadsTrialHost.FLAG_LOAD | LfadsTrialHost.FLAG_RUN : LfadsTrialHost.FLAG_RUN;
            int steps = bins + d.reconSeqLen() - d.encSeqLen();
            short[] counts = Counts.random(r, bins * d.dataDim());
            short[] fac = new short[steps * d.facDim()];
            short[] lr = new short[steps * d.readoutDim()];
            if (golden.trialQ(counts, bins, fac, lr) != DecodeStatus.OK) {
                throw new IllegalStateException("the golden model refused a window of " + bins + " bins of " + b.name());
            }
            short[] gotFac = new short[fac.length];
            short[] gotLr = new short[lr.length];
            long t0 = System.nanoTime();
            s = host.trial(flags, counts, 0, bins, gotFac, gotLr);
            long ns = System.nanoTime() - t0;
            String what = b.name() + " trial " + (i + 1) + " (" + bins + " bins, " + steps + " steps"
                    + ((flags & LfadsTrialHost.FLAG_LOAD) != 0 ? ", LOAD" : "") + ")";
            if (s < 0) {
                record(ns, what + ": " + host.describe(s) + ": " + host.lastError());
                stop(host.describe(s) + " at " + what + ": " + host.lastError());
                return;
            }
            if (s > 0) {
                record(ns, what + ": " + host.describe(s));
                if ((flags & LfadsTrialHost.FLAG_LOAD) != 0) {
                    stop("the kernel refused to LOAD " + b.name() + " (" + host.describe(s) + "): its build is not "
                            + buildText() + " as " + (build.stated() ? "stated" : "the xclbin states"));
                }
                return;
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
