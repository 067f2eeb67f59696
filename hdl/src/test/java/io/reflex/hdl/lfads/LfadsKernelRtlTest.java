package io.reflex.hdl.lfads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.lfads.LfadsBundleBuilder;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.decoders.lfads.LfadsFixed;
import io.reflex.fpga.host.HostStatus;
import io.reflex.fpga.lfads.LfadsKernelImage;
import io.reflex.fpga.lfads.LfadsKernelImage.Build;
import io.reflex.fpga.lfads.LfadsTrialHost;
import io.reflex.fpga.rtlsim.RtlSimDevice;
import io.reflex.hdl.sim.Builds;
import io.reflex.hdl.sim.CycleReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * lfads_kernel in Verilator against the fixed-point golden model {@link LfadsFixed}, bit for bit, driven by
 * fpga-driver's {@link LfadsTrialHost} on an {@link RtlSimDevice}: random models and inputs at small dimensions
 * (loaded once, then several trials each, random stalls on every channel) and the demo model at the published size.
 */
class LfadsKernelRtlTest {
    static final String KERNEL = "lfads_kernel";
    static final long MEM_BYTES = 1L << 24;
    static final long TIMEOUT_MS = 600_000;
    /**
     * The published design: 70 neurons x 73 bins, GRU 64, ic 64, 4 factors, no controller; P = 32 multipliers per
     * lane (192 lanes: 6,144 lane DSPs), the build that meets the cycle target.
     */
    static final Build PUBLISHED = new Build(70, 73, 64, 64, 4, 70, 32);
    /** Cycle target of a model-resident trial at the published size (hdl/README.md: 8.3 us at 300 MHz). */
    static final long TARGET_TRIAL_CYCLES = 2_500;

    @BeforeAll
    static void needVerilator() {
        assumeTrue(Builds.missing() == null, "skipped: " + Builds.missing());
    }

    static LfadsDims dims(Build k, int t, int tr) {
        return new LfadsDims(k.d(), t, tr, k.h(), 0, 0, 0, k.icd(), k.h(), k.f(), k.ro(), 1, 5.0, 0.02, false);
    }

    static short[] randomCounts(SplittableRandom r, int n) {
        short[] c = new short[n];
        int style = r.nextInt(4);
        for (int i = 0; i < n; i++) {
            c[i] = (short) switch (style) {
                case 0 -> r.nextInt(3);
                case 1 -> r.nextInt(12);
                case 2 -> r.nextInt(8) == 0 ? r.nextInt(200) : r.nextInt(4);
                default -> r.nextInt(16) == 0 ? 32767 : r.nextInt(40);
            };
        }
        return c;
    }

    /**
     * One trial through the host program on a poisoned output buffer: status 0, and the whole output region (every
     * record, padding included) equal to the golden records.
     *
     * @return the kernel cycles of the invocation
     */
    static long trial(LfadsTrialHost host, String name, LfadsFixed golden, short[] counts, int bins, boolean load) {
        LfadsDims d = golden.dims();
        Build k = host.build();
        int steps = bins + d.reconSeqLen() - d.encSeqLen();
        short[] fac = new short[steps * d.facDim()];
        short[] lr = new short[steps * d.readoutDim()];
        assertThat(golden.trialQ(counts, bins, fac, lr)).isEqualTo(DecodeStatus.OK);
        byte[] expect = LfadsKernelImage.records(k, fac, lr, steps);
        assertThat(host.poisonOutput()).isEqualTo(HostStatus.OK);
        short[] gotFac = new short[fac.length];
        short[] gotLr = new short[lr.length];
        int flags = load ? LfadsTrialHost.FLAG_LOAD | LfadsTrialHost.FLAG_RUN : LfadsTrialHost.FLAG_RUN;
        int s = host.trial(flags, counts, 0, bins, gotFac, gotLr);
        assertThat(s).as(name + ": " + host.describe(s) + " " + host.lastError()).isEqualTo(HostStatus.OK);
        byte[] got = new byte[expect.length];
        assertThat(host.readRawOutput(got, got.length)).isEqualTo(HostStatus.OK);
        assertThat(got).as("MISMATCH case " + name).containsExactly(expect);
        assertThat(gotFac).containsExactly(fac);
        assertThat(gotLr).containsExactly(lr);
        return host.lastCycles();
    }

    @Test
    @Timeout(1800)
    void thousandRandomTrialsBitExact() {
        // two builds: P = 4 with 3 lanes per column chunk, and P = 8 where the state is a single chunk
        Build[] builds = {new Build(5, 6, 8, 4, 3, 5, 4), new Build(11, 5, 8, 6, 2, 9, 8)};
        int models = 50;
        int trialsPerModel = 10;
        int total = 0;
        for (Build k : builds) {
            Path lib = Builds.library(KERNEL, "rand_p" + k.p(), k.params());
            SplittableRandom r = new SplittableRandom(31 + k.p());
            int runs = 0;
            try (RtlSimDevice dev = Builds.device(lib, KERNEL, 11, 30, MEM_BYTES, true);
                    LfadsTrialHost host = new LfadsTrialHost(dev, k, 2, TIMEOUT_MS)) {
                for (int m = 0; m < models; m++) {
                    int t = 1 + r.nextInt(k.tMax());
                    LfadsDims d = dims(k, t, t + r.nextInt(3));
                    ModelBundle b = LfadsBundleBuilder.random(d, r.nextLong(), true).build("rand" + m, true);
                    LfadsFixed golden = new LfadsFixed(b);
                    assertThat(host.writeModel(LfadsKernelImage.model(b, k))).isEqualTo(HostStatus.OK);
                    for (int i = 0; i < trialsPerModel; i++) {
                        int bins = 1 + r.nextInt(t);
                        trial(host, "model" + m + "_trial" + i, golden, randomCounts(r, bins * k.d()), bins, i == 0);
                        runs++;
                        total++;
                    }
                }
            }
            assertThat(runs).isEqualTo(models * trialsPerModel);
        }
        assertThat(total).isGreaterThanOrEqualTo(1000);
    }

    /** Demo bundles of the published size shipped with decoders (test golden set and, when present, models/). */
    static List<Path> demoBundles() throws java.io.IOException {
        List<Path> out = new java.util.ArrayList<>();
        for (String dir : List.of("../decoders/src/main/resources/models", "../decoders/src/test/resources/golden")) {
            Path p = Builds.HDL.resolve(dir);
            if (Files.isDirectory(p)) {
                try (var s = Files.list(p)) {
                    s.filter(f -> f.getFileName().toString().endsWith(".rbundle")).sorted().forEach(out::add);
                }
            }
        }
        return out;
    }

    @Test
    @Timeout(1800)
    void publishedSizeDemoModelBitExactAndCycles() throws Exception {
        Build k = PUBLISHED;
        List<ModelBundle> demos = new java.util.ArrayList<>();
        for (Path p : demoBundles()) {
            ModelBundle b = ModelBundle.open(p);
            LfadsDims d = LfadsDims.from(b);
            if (!d.causal() && !d.hasController() && d.dataDim() == k.d() && d.icEncDim() == k.h()
                    && d.genDim() == k.h() && d.icDim() == k.icd() && d.facDim() == k.f() && d.readoutDim() == k.ro()
                    && d.encSeqLen() <= k.tMax()) {
                demos.add(b);
            }
        }
        assertThat(demos).as("a demo bundle of the published size (lfads-lorenz-small)").isNotEmpty();
        Path lib = Builds.library(KERNEL, "published", k.params());
        SplittableRandom r = new SplittableRandom(73);
        long loadAndTrial;
        long trial;
        try (RtlSimDevice dev = Builds.device(lib, KERNEL, 3, 0, MEM_BYTES, false);
                LfadsTrialHost host = new LfadsTrialHost(dev, k, 0, TIMEOUT_MS)) {
            // a random model of the same size first (every bias random), then each demo model
            LfadsDims rd = dims(k, k.tMax(), k.tMax());
            ModelBundle rand = LfadsBundleBuilder.random(rd, 5, true).build("published-random", true);
            List<ModelBundle> all = new java.util.ArrayList<>(List.of(rand));
            all.addAll(demos);
            long first = -1;
            for (ModelBundle b : all) {
                LfadsFixed golden = new LfadsFixed(b);
                int t = golden.dims().encSeqLen();
                assertThat(host.writeModel(LfadsKernelImage.model(b, k))).isEqualTo(HostStatus.OK);
                for (int i = 0; i < 3; i++) {
                    int bins = i == 0 ? t : 1 + r.nextInt(t);
                    long c = trial(host, b.name() + "_trial" + i, golden, randomCounts(r, bins * k.d()), bins, i == 0);
                    if (first < 0) {
                        first = c;
                    }
                }
            }
            loadAndTrial = first;
            CycleReport.record(KERNEL, "load_and_trial", "published size " + k + ", model load included",
                    loadAndTrial);
            // a full 73-bin trial with the model already loaded
            LfadsFixed golden = new LfadsFixed(rand);
            assertThat(host.writeModel(LfadsKernelImage.model(rand, k))).isEqualTo(HostStatus.OK);
            trial(host, "load_trial", golden, randomCounts(r, k.tMax() * k.d()), k.tMax(), true);
            trial = trial(host, "trial", golden, randomCounts(r, k.tMax() * k.d()), k.tMax(), false);
        }
        CycleReport.record(KERNEL, "trial", "published size " + k + ": 73 bins in, 73 steps out", trial);
        assertThat(trial).isPositive().isLessThan(loadAndTrial);
        assertThat(trial).as("model-resident trial at the published size, P = 32").isLessThanOrEqualTo(TARGET_TRIAL_CYCLES);
    }

    static ModelBundle rand(Build k) {
        return LfadsBundleBuilder.random(dims(k, k.tMax(), k.tMax()), 5, true).build("published-random", true);
    }

    @Test
    @Timeout(1800)
    void publishedSizeWithSixteenColumnsPerLane() throws Exception {
        // the same size with P = 16 multipliers per lane (3,072 lane DSPs): the hidden jobs take 4 chunks, not 2
        Build k = new Build(70, 73, 64, 64, 4, 70, 16);
        Path lib = Builds.library(KERNEL, "published_p16", k.params());
        SplittableRandom r = new SplittableRandom(16);
        ModelBundle m = rand(k);
        LfadsFixed golden = new LfadsFixed(m);
        long trial;
        try (RtlSimDevice dev = Builds.device(lib, KERNEL, 9, 0, MEM_BYTES, false);
                LfadsTrialHost host = new LfadsTrialHost(dev, k, 0, TIMEOUT_MS)) {
            assertThat(host.writeModel(LfadsKernelImage.model(m, k))).isEqualTo(HostStatus.OK);
            trial(host, "load_trial", golden, randomCounts(r, k.tMax() * k.d()), k.tMax(), true);
            trial = trial(host, "trial", golden, randomCounts(r, k.tMax() * k.d()), k.tMax(), false);
            int bins = 1 + r.nextInt(k.tMax());
            trial(host, "short", golden, randomCounts(r, bins * k.d()), bins, false);
        }
        CycleReport.record(KERNEL, "trial_p16", "published size " + k + ": 73 bins in, 73 steps out", trial);
        assertThat(trial).isPositive();
    }
}
