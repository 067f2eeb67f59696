package io.reflex.hdl.lfads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.lfads.LfadsBundleBuilder;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.decoders.lfads.LfadsFixed;
import io.reflex.fpga.lfads.LfadsKernelImage;
import io.reflex.fpga.lfads.LfadsKernelImage.Build;
import io.reflex.hdl.sim.Bytes;
import io.reflex.hdl.sim.CycleReport;
import io.reflex.hdl.sim.VectorWriter;
import io.reflex.hdl.sim.Verilator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * lfads_kernel in Verilator against the fixed-point golden model {@link LfadsFixed}, bit for bit: random models
 * and inputs at small dimensions (loaded once, then several trials each, random stalls on every channel) and the
 * demo model at the published size.
 */
class LfadsKernelRtlTest {
    static final String KERNEL = "lfads_kernel";
    static final int FLAG_LOAD = 1;
    static final int FLAG_RUN = 2;
    static final int STATUS_OFFSET = 0x10 + 12 * 5;
    static final long W_ADDR = 0x10000;
    static final long IN_ADDR = 0x800000;
    static final long OUT_ADDR = 0xA00000;
    static final long MEM_BYTES = 1L << 24;
    /**
     * The published design: 70 neurons x 73 bins, GRU 64, ic 64, 4 factors, no controller; P = 32 multipliers per
     * lane (192 lanes: 6,144 lane DSPs), the build that meets the cycle target.
     */
    static final Build PUBLISHED = new Build(70, 73, 64, 64, 4, 70, 32);
    /** Cycle target of a model-resident trial at the published size (hdl/README.md: 8.3 us at 300 MHz). */
    static final long TARGET_TRIAL_CYCLES = 2_500;

    @BeforeAll
    static void needVerilator() {
        assumeTrue(Verilator.available(), "skipped: verilator not installed");
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

    /** Writes one trial: counts, poisoned output, arguments, run, the golden records and status 0. */
    static void trial(VectorWriter vw, Build k, LfadsFixed golden, short[] counts, int bins, boolean load) {
        LfadsDims d = golden.dims();
        int steps = bins + d.reconSeqLen() - d.encSeqLen();
        short[] fac = new short[steps * d.facDim()];
        short[] lr = new short[steps * d.readoutDim()];
        assertThat(golden.trialQ(counts, bins, fac, lr)).isEqualTo(DecodeStatus.OK);
        int[] expect = Bytes.words(LfadsKernelImage.records(k, fac, lr, steps));
        vw.mem(IN_ADDR, Bytes.words(LfadsKernelImage.counts(k, counts, bins))).poison(OUT_ADDR, expect.length)
                .arg(0, W_ADDR).arg(1, IN_ADDR).arg(2, OUT_ADDR).arg(3, bins)
                .arg(4, load ? FLAG_LOAD | FLAG_RUN : FLAG_RUN).run(load ? "load_and_trial" : "trial")
                .expect(OUT_ADDR, expect).reg(STATUS_OFFSET, 0);
    }

    @Test
    @Timeout(1800)
    void thousandRandomTrialsBitExact() throws Exception {
        // two builds: P = 4 with 3 lanes per column chunk, and P = 8 where the state is a single chunk
        Build[] builds = {new Build(5, 6, 8, 4, 3, 5, 4), new Build(11, 5, 8, 6, 2, 9, 8)};
        int models = 50;
        int trialsPerModel = 10;
        int total = 0;
        for (Build k : builds) {
            String tag = "rand_p" + k.p();
            Path build = Verilator.build(KERNEL, tag, k.verilatorParams());
            Path vec = Verilator.HDL.resolve("target/vectors/lfads_" + tag + ".txt");
            SplittableRandom r = new SplittableRandom(31 + k.p());
            try (VectorWriter vw = new VectorWriter(vec)) {
                for (int m = 0; m < models; m++) {
                    int t = 1 + r.nextInt(k.tMax());
                    LfadsDims d = dims(k, t, t + r.nextInt(3));
                    ModelBundle b = LfadsBundleBuilder.random(d, r.nextLong(), true).build("rand" + m, true);
                    LfadsFixed golden = new LfadsFixed(b);
                    vw.begin("model" + m).mem(W_ADDR, Bytes.words(LfadsKernelImage.model(b, k)));
                    for (int i = 0; i < trialsPerModel; i++) {
                        int bins = 1 + r.nextInt(t);
                        trial(vw.begin("model" + m + "_trial" + i), k, golden,
                                randomCounts(r, bins * k.d()), bins, i == 0);
                        total++;
                    }
                }
            }
            Verilator.Summary s = Verilator.run(build, KERNEL, vec, 11, 30, MEM_BYTES, null);
            assertThat(s.failures()).as(s.output()).isZero();
            assertThat(s.runs()).isEqualTo(models * trialsPerModel);
        }
        assertThat(total).isGreaterThanOrEqualTo(1000);
    }

    /** Demo bundles of the published size shipped with decoders (test golden set and, when present, models/). */
    static List<Path> demoBundles() throws java.io.IOException {
        List<Path> out = new java.util.ArrayList<>();
        for (String dir : List.of("../decoders/src/main/resources/models", "../decoders/src/test/resources/golden")) {
            Path p = Verilator.HDL.resolve(dir);
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
        Path build = Verilator.build(KERNEL, "published", k.verilatorParams());
        Path vec = Verilator.HDL.resolve("target/vectors/lfads_published.txt");
        SplittableRandom r = new SplittableRandom(73);
        int trials = 0;
        try (VectorWriter vw = new VectorWriter(vec)) {
            // a random model of the same size first (every bias random), then each demo model
            LfadsDims rd = dims(k, k.tMax(), k.tMax());
            ModelBundle rand = LfadsBundleBuilder.random(rd, 5, true).build("published-random", true);
            List<ModelBundle> all = new java.util.ArrayList<>(List.of(rand));
            all.addAll(demos);
            for (ModelBundle b : all) {
                LfadsFixed golden = new LfadsFixed(b);
                int t = golden.dims().encSeqLen();
                vw.begin(b.name() + "_load").mem(W_ADDR, Bytes.words(LfadsKernelImage.model(b, k)));
                for (int i = 0; i < 3; i++) {
                    int bins = i == 0 ? t : 1 + r.nextInt(t);
                    trial(vw.begin(b.name() + "_trial" + i), k, golden, randomCounts(r, bins * k.d()), bins, i == 0);
                    trials++;
                }
            }
        }
        Path cyc = Verilator.HDL.resolve("target/vectors/lfads_published_cycles.jsonl");
        Verilator.Summary s = Verilator.run(build, KERNEL, vec, 3, 0, MEM_BYTES, cyc);
        assertThat(s.failures()).as(s.output()).isZero();
        assertThat(s.runs()).isEqualTo(trials);
        // cycles of a full 73-bin trial with the model already loaded: the second run of the random model is
        // shorter, so take a dedicated run: the first trial's cycles include the load
        List<String> lines = Files.readAllLines(cyc);
        long loadAndTrial = cycles(lines.get(0));
        CycleReport.record(KERNEL, "load_and_trial", "published size " + k + ", model load included",
                loadAndTrial);
        Path vec2 = Verilator.HDL.resolve("target/vectors/lfads_published_trial.txt");
        try (VectorWriter vw = new VectorWriter(vec2)) {
            LfadsFixed golden = new LfadsFixed(rand(k));
            vw.begin("load").mem(W_ADDR, Bytes.words(LfadsKernelImage.model(rand(k), k)));
            trial(vw.begin("load_trial"), k, golden, randomCounts(r, k.tMax() * k.d()), k.tMax(), true);
            trial(vw.begin("trial"), k, golden, randomCounts(r, k.tMax() * k.d()), k.tMax(), false);
        }
        Path cyc2 = Verilator.HDL.resolve("target/vectors/lfads_published_trial_cycles.jsonl");
        Verilator.Summary s2 = Verilator.run(build, KERNEL, vec2, 3, 0, MEM_BYTES, cyc2);
        assertThat(s2.failures()).as(s2.output()).isZero();
        long trial = cycles(Files.readAllLines(cyc2).get(1));
        CycleReport.record(KERNEL, "trial", "published size " + k + ": 73 bins in, 73 steps out", trial);
        assertThat(trial).isPositive().isLessThan(loadAndTrial);
        assertThat(trial).as("model-resident trial at the published size, P = 32").isLessThanOrEqualTo(TARGET_TRIAL_CYCLES);
    }

    static ModelBundle rand(Build k) {
        return LfadsBundleBuilder.random(dims(k, k.tMax(), k.tMax()), 5, true).build("published-random", true);
    }

    static long cycles(String jsonLine) {
        int i = jsonLine.indexOf("\"cycles\":") + 9;
        return Long.parseLong(jsonLine.substring(i, jsonLine.indexOf('}', i)));
    }

    @Test
    @Timeout(1800)
    void publishedSizeWithSixteenColumnsPerLane() throws Exception {
        // the same size with P = 16 multipliers per lane (3,072 lane DSPs): the hidden jobs take 4 chunks, not 2
        Build k = new Build(70, 73, 64, 64, 4, 70, 16);
        Path build = Verilator.build(KERNEL, "published_p16", k.verilatorParams());
        Path vec = Verilator.HDL.resolve("target/vectors/lfads_published_p16.txt");
        SplittableRandom r = new SplittableRandom(16);
        ModelBundle m = rand(k);
        LfadsFixed golden = new LfadsFixed(m);
        try (VectorWriter vw = new VectorWriter(vec)) {
            vw.begin("load").mem(W_ADDR, Bytes.words(LfadsKernelImage.model(m, k)));
            trial(vw.begin("load_trial"), k, golden, randomCounts(r, k.tMax() * k.d()), k.tMax(), true);
            trial(vw.begin("trial"), k, golden, randomCounts(r, k.tMax() * k.d()), k.tMax(), false);
            int bins = 1 + r.nextInt(k.tMax());
            trial(vw.begin("short"), k, golden, randomCounts(r, bins * k.d()), bins, false);
        }
        Path cyc = Verilator.HDL.resolve("target/vectors/lfads_published_p16_cycles.jsonl");
        Verilator.Summary s = Verilator.run(build, KERNEL, vec, 9, 0, MEM_BYTES, cyc);
        assertThat(s.failures()).as(s.output()).isZero();
        long trial = cycles(Files.readAllLines(cyc).get(1));
        CycleReport.record(KERNEL, "trial_p16", "published size " + k + ": 73 bins in, 73 steps out", trial);
        assertThat(trial).isPositive();
    }
}
