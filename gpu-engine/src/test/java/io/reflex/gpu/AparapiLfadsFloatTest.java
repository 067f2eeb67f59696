package io.reflex.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.aparapi.device.Device;
import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.checkpoint.CheckpointStatus;
import io.reflex.decoders.engine.CpuEngine;
import io.reflex.decoders.engine.Engine;
import io.reflex.decoders.engine.EngineChain;
import io.reflex.decoders.engine.EngineException;
import io.reflex.decoders.engine.EngineSpec;
import io.reflex.decoders.engine.EngineStatus;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.decoders.lfads.LfadsFloat32;
import io.reflex.decoders.snn.SnnDecoder;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The float32 engine {@code aparapi} ({@link LfadsFloatStepKernel} through {@link AparapiLfadsFloat}) against the
 * Java float32 reference of the {@code cpu} engine ({@link LfadsFloat32#step}).
 *
 * <p>Tolerance rule, for every factor and every log-rate after every step: {@code |a − b| <= 1e-4 · max(1, |b|)}
 * with {@code a} the Aparapi value and {@code b} the reference. Cases: the random causal models of
 * {@link AparapiLfadsBitExactTest} (10 models, random widths and lags, half with a small cell clip that the states
 * hit) plus the shipped Lorenz and center-out causal models, 100 steps each with random counts, a fifth of the bins
 * huge (up to 60,000: saturated gates), i.e. 1,200 steps per device, on the OpenCL device and on the Java thread
 * pool. The two streams run side by side over all 100 steps (no resynchronisation), so drift counts too.
 *
 * <p>Whole trials ({@link #trialsWithinToleranceOnOpenClAndJavaThreadPool}) are held to the same rule, except the
 * stress trials whose every bin holds up to 60,000 counts: those are held to {@link #HUGE_TOL}. Their first-layer sums
 * add terms of some 10^4 that cancel, so one rounding of such a term (an ulp near 10^-3) moves the result by far more
 * than 1e-4 of its value, and a device that fuses multiply-adds rounds those terms differently from Java. Measured on
 * an NVIDIA H200 (docs/benchmarks.md, "Aparapi on a GPU"): 1.9e-4 on those, 1.4e-6 on the 96 realistic trials. On
 * PoCL's CPU device and on the Java thread pool the difference is 0.
 */
class AparapiLfadsFloatTest {
    static final double TOL = 1e-4;
    /** Tolerance for trials of huge counts (up to 60,000 in every bin), in the same form as {@link #TOL}. */
    static final double HUGE_TOL = 1e-3;
    static final int STEPS = 100;
    static final String[] SHIPPED = {"/models/lfads-lorenz-causal.rbundle", "/models/lfads-centerout-causal.rbundle"};

    /** The largest {@code |a − b| / max(1, |b|)} seen by {@link #assertClose} in this JVM (printed by the tests). */
    static double worst;

    static boolean close(float a, float b) {
        return close(a, b, TOL);
    }

    static boolean close(float a, float b, double tol) {
        return Math.abs((double) a - b) <= tol * Math.max(1.0, Math.abs((double) b));
    }

    static void assertClose(float[] got, float[] want, String what) {
        assertClose(got, want, what, TOL);
    }

    /** Checks {@code |a − b| <= tol · max(1, |b|)} element by element and returns the largest ratio seen. */
    static double assertClose(float[] got, float[] want, String what, double tol) {
        double w = 0;
        for (int i = 0; i < want.length; i++) {
            w = Math.max(w, Math.abs((double) got[i] - want[i]) / Math.max(1.0, Math.abs((double) want[i])));
            if (!close(got[i], want[i], tol)) {
                throw new AssertionError(what + " [" + i + "]: aparapi " + got[i] + " vs cpu " + want[i]
                        + " (|a-b| = " + Math.abs((double) got[i] - want[i]) + " > " + tol + "*max(1,|b|))");
            }
        }
        worst = Math.max(worst, w);
        return w;
    }

    @Test
    @Timeout(600)
    void withinToleranceOnOpenCl() {
        Device d = AparapiSnnBitExactTest.openClOrSkip();
        int cases = run(d, 0x1F10A7);
        System.out.println("aparapi float LFADS on " + AparapiDevices.describe(d) + ": " + cases + " steps within "
                + "1e-4*max(1,|cpu|), worst " + worst);
    }

    @Test
    @Timeout(600)
    void withinToleranceOnJavaThreadPool() {
        int cases = run(AparapiDevices.threadPool(), 0x2F10A7);
        System.out.println("aparapi float LFADS on JTP: " + cases + " steps within 1e-4*max(1,|cpu|), worst " + worst);
    }

    private static int run(Device device, long seed) {
        worst = 0;
        SplittableRandom rng = new SplittableRandom(seed);
        int steps = 0;
        int hugeBins = 0;
        int atClip = 0;
        int models = AparapiLfadsBitExactTest.MODELS + SHIPPED.length;
        for (int mdl = 0; mdl < models; mdl++) {
            ModelBundle b = mdl < AparapiLfadsBitExactTest.MODELS ? AparapiLfadsBitExactTest.randomModel(rng, mdl)
                    : ModelBundle.fromResource(SHIPPED[mdl - AparapiLfadsBitExactTest.MODELS]);
            LfadsFloat32 ref = new LfadsFloat32(b);
            LfadsDims d = ref.dims();
            try (AparapiLfadsFloat gpu = new AparapiLfadsFloat(b, device)) {
                float clip = (float) d.cellClip();
                byte[] cp = new byte[gpu.checkpointBytes()];
                float[] gen = new float[d.genDim()];
                float[] x = new float[d.dataDim()];
                float[] f0 = new float[d.facDim()];
                float[] l0 = new float[d.readoutDim()];
                float[] f1 = new float[d.facDim()];
                float[] l1 = new float[d.readoutDim()];
                for (int t = 0; t < STEPS; t++) {
                    boolean huge = rng.nextInt(5) == 0;
                    for (int j = 0; j < x.length; j++) {
                        x[j] = huge ? rng.nextInt(0, 60_000) : rng.nextInt(0, 6) + (rng.nextBoolean() ? 0.5f : 0f);
                    }
                    hugeBins += huge ? 1 : 0;
                    assertThat(ref.step(x, 0, f0, l0)).isEqualTo(DecodeStatus.OK);
                    assertThat(gpu.step(x, f1, l1)).as("model %d step %d: %s", mdl, t, gpu.launcher().fault())
                            .isEqualTo(DecodeStatus.OK);
                    assertClose(f1, f0, "factors, model " + mdl + " step " + t);
                    assertClose(l1, l0, "log-rates, model " + mdl + " step " + t);
                    steps++;
                    assertThat(gpu.save(cp)).isEqualTo(CheckpointStatus.OK);
                    io.reflex.decoders.checkpoint.LfadsCheckpoint.getQ12(cp,
                            new io.reflex.decoders.checkpoint.LfadsCheckpoint(d.ciEncDim(), d.conDim(), d.genDim(),
                                    d.facDim(), d.ciLag()).genOffset(), gen, 0, gen.length);
                    for (float v : gen) {
                        if (Math.abs(Math.abs(v) - clip) < 1f / 4096) {
                            atClip++;
                        }
                    }
                }
            }
        }
        assertThat(steps).isGreaterThanOrEqualTo(1_000);
        assertThat(hugeBins).as("bins of huge counts").isGreaterThan(100);
        assertThat(atClip).as("generator states held at the cell clip").isGreaterThan(100);
        return steps;
    }

    /** A random causal model whose decoder runs 0–4 forward-prediction steps past the encoder's window. */
    static ModelBundle randomTrialModel(SplittableRandom rng, int index) {
        int data = rng.nextInt(1, 13);
        int enc = rng.nextInt(3, 13);
        double clip = index % 2 == 0 ? 0.05 + rng.nextDouble() * 0.2 : 5.0;
        LfadsDims d = new LfadsDims(data, enc, enc + rng.nextInt(0, 5), 0, rng.nextInt(1, 9), rng.nextInt(1, 9),
                rng.nextInt(1, 5), 0, rng.nextInt(2, 17), rng.nextInt(1, 7), data, rng.nextInt(0, 4), clip, 0.02, true);
        return io.reflex.decoders.lfads.LfadsBundleBuilder.random(d, rng.nextLong(), true).build("trial-" + index, true);
    }

    @Test
    @Timeout(600)
    void trialsWithinToleranceOnOpenClAndJavaThreadPool() {
        boolean openCl = AparapiDevices.probe().openCl() != null;
        // OpenCL when there is a device (else said below), always JTP
        Device[] devices = openCl ? new Device[] {AparapiDevices.threadPool(), AparapiDevices.probe().openCl()}
                : new Device[] {AparapiDevices.threadPool()};
        for (Device device : devices) {
            double worstRealistic = 0;
            double worstHuge = 0;
            SplittableRandom rng = new SplittableRandom(0x4F10A7);
            int trials = 0;
            int predictionSteps = 0;
            for (int mdl = 0; mdl < 12; mdl++) {
                ModelBundle b = mdl < 10 ? randomTrialModel(rng, mdl) : ModelBundle.fromResource(SHIPPED[mdl - 10]);
                LfadsFloat32 ref = new LfadsFloat32(b);
                LfadsDims d = ref.dims();
                try (AparapiLfadsFloat gpu = new AparapiLfadsFloat(b, device)) {
                    for (int n = 0; n < 10; n++) {
                        int bins = rng.nextInt(1, d.encSeqLen() + 1);
                        int steps = bins + d.reconSeqLen() - d.encSeqLen();
                        float[] x = new float[bins * d.dataDim()];
                        boolean huge = n % 4 == 3;
                        for (int j = 0; j < x.length; j++) {
                            x[j] = huge ? rng.nextInt(0, 60_000) : rng.nextInt(0, 6) + (rng.nextBoolean() ? 0.5f : 0f);
                        }
                        float[] f0 = new float[steps * d.facDim()];
                        float[] l0 = new float[steps * d.readoutDim()];
                        float[] f1 = new float[f0.length];
                        float[] l1 = new float[l0.length];
                        assertThat(ref.trial(x, bins, f0, l0)).isEqualTo(DecodeStatus.OK);
                        assertThat(gpu.trial(x, bins, f1, l1)).as("%s", gpu.launcher().fault())
                                .isEqualTo(DecodeStatus.OK);
                        double tol = huge ? HUGE_TOL : TOL;
                        double w = Math.max(
                                assertClose(f1, f0, AparapiDevices.describe(device) + " trial factors, model " + mdl
                                        + " trial " + n + (huge ? " (huge counts)" : ""), tol),
                                assertClose(l1, l0, "trial log-rates, model " + mdl + " trial " + n, tol));
                        if (huge) {
                            worstHuge = Math.max(worstHuge, w);
                        } else {
                            worstRealistic = Math.max(worstRealistic, w);
                        }
                        trials++;
                        predictionSteps += steps - bins;
                    }
                }
            }
            assertThat(predictionSteps).as("forward-prediction steps").isGreaterThan(50);
            System.out.println("aparapi float LFADS trials on " + AparapiDevices.describe(device) + ": " + trials
                    + " trials (" + predictionSteps + " prediction steps) within 1e-4*max(1,|cpu|), worst "
                    + worstRealistic + "; huge-count trials within 1e-3*max(1,|cpu|), worst " + worstHuge
                    + (openCl ? "" : "; OpenCL skipped: " + AparapiDevices.probe().reason()));
        }
    }

    @Test
    @Timeout(300)
    void engineTrialMatchesCpuAndLeavesTheStreamAlone() {
        ModelBundle lorenz = ModelBundle.fromResource(SHIPPED[0]);
        SplittableRandom rng = new SplittableRandom(23);
        try (CpuEngine ref = new CpuEngine(false); AparapiEngine e = new AparapiEngine(
                AparapiFixedEngine.DeviceChoice.AUTO)) {
            ref.load(lorenz);
            e.load(lorenz);
            assertThat(e.maxTrialBins()).isEqualTo(ref.maxTrialBins()).isPositive();
            int bins = e.maxTrialBins();
            assertThat(e.trialSteps(bins)).isEqualTo(ref.trialSteps(bins));
            assertThat(e.trialSteps(0)).isZero();
            assertThat(e.trialSteps(bins + 1)).isZero();
            int n = e.inputCount();
            float[] in = new float[n];
            float[] o0 = new float[e.outputCount()];
            float[] o1 = new float[e.outputCount()];
            float[] window = new float[bins * n];
            float[] t0 = new float[ref.trialSteps(bins) * e.outputCount()];
            float[] t1 = new float[t0.length];
            for (int b = 0; b < 30; b++) {
                for (int k = 0; k < n; k++) {
                    in[k] = rng.nextInt(0, 5);
                }
                assertThat(ref.step(in, o0)).isEqualTo(DecodeStatus.OK);
                assertThat(e.step(in, o1)).isEqualTo(DecodeStatus.OK);
                assertClose(o1, o0, "step " + b);
                if (b % 10 == 5) {
                    for (int k = 0; k < window.length; k++) {
                        window[k] = rng.nextInt(0, 5);
                    }
                    assertThat(ref.trial(window, bins, t0)).isEqualTo(DecodeStatus.OK);
                    assertThat(e.trial(window, bins, t1)).isEqualTo(DecodeStatus.OK);
                    assertClose(t1, t0, "trial after step " + b);
                }
            }
            assertThat(e.trial(window, bins + 1, t1)).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(t1).containsOnly(0f);
            window[0] = -1f;
            assertThat(e.trial(window, bins, t1)).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(e.health().healthy()).isTrue();
        }
    }

    @Test
    @Timeout(300)
    void checkpointsCrossBetweenCpuAndAparapiBothWays() {
        SplittableRandom rng = new SplittableRandom(0x3F10A7);
        for (int mdl = 0; mdl < 4; mdl++) {
            ModelBundle b = AparapiLfadsBitExactTest.randomModel(rng, mdl);
            LfadsFloat32 ref = new LfadsFloat32(b);
            LfadsDims d = ref.dims();
            try (AparapiLfadsFloat gpu = new AparapiLfadsFloat(b, AparapiDevices.threadPool())) {
                byte[] cp = new byte[ref.streamLayout().bytes()];
                assertThat(gpu.checkpointBytes()).isEqualTo(cp.length);
                byte[] cp2 = new byte[cp.length];
                float[] x = new float[d.dataDim()];
                float[] f0 = new float[d.facDim()];
                float[] l0 = new float[d.readoutDim()];
                float[] f1 = new float[d.facDim()];
                float[] l1 = new float[d.readoutDim()];
                for (int t = 0; t < 12; t++) {
                    if (t % 2 == 0) {
                        assertThat(ref.saveStream(cp)).isEqualTo(CheckpointStatus.OK);
                        assertThat(gpu.restore(cp)).isEqualTo(CheckpointStatus.OK);
                        assertThat(gpu.save(cp2)).isEqualTo(CheckpointStatus.OK);
                        assertThat(cp2).as("model %d step %d: save after restore", mdl, t).isEqualTo(cp);
                        // both continue from the Q12 values of the checkpoint
                        assertThat(ref.restoreStream(cp)).isEqualTo(CheckpointStatus.OK);
                    } else {
                        assertThat(gpu.save(cp)).isEqualTo(CheckpointStatus.OK);
                        assertThat(ref.restoreStream(cp)).isEqualTo(CheckpointStatus.OK);
                        assertThat(gpu.restore(cp)).isEqualTo(CheckpointStatus.OK);
                    }
                    for (int j = 0; j < x.length; j++) {
                        x[j] = rng.nextInt(0, 6);
                    }
                    assertThat(ref.step(x, 0, f0, l0)).isEqualTo(DecodeStatus.OK);
                    assertThat(gpu.step(x, f1, l1)).isEqualTo(DecodeStatus.OK);
                    assertClose(f1, f0, "factors, model " + mdl + " step " + t);
                    assertClose(l1, l0, "log-rates, model " + mdl + " step " + t);
                }
            }
        }
    }

    @Test
    void registeredAndRefusesWhatItCannotRunWithTheReason() {
        assertThat(EngineChain.availableEngineNames()).contains(AparapiEngine.NAME, AparapiFixedEngine.NAME);
        AparapiEngine.Factory f = new AparapiEngine.Factory();
        assertThatThrownBy(() -> f.create(Map.of("device", "fpga"))).isInstanceOf(EngineException.class)
                .hasMessageContaining("device must be auto, opencl or jtp");
        assertThatThrownBy(() -> f.create(Map.of("mode", "x"))).isInstanceOf(EngineException.class)
                .hasMessageContaining("unknown option 'mode'");
        ModelBundle snn = SnnDecoder.reservoirBundle(new SnnDecoder.Context().inputCount(8).neuronCount(256),
                "snn-256", "AparapiLfadsFloatTest").toBundle();
        try (Engine e = f.create()) {
            assertThatThrownBy(() -> e.load(snn)).isInstanceOf(EngineException.class)
                    .hasMessageContaining("no float32 path").hasMessageContaining("aparapi-fixed");
        }
        ModelBundle sliding = ModelBundle.fromResource("/models/lfads-lorenz-small.rbundle");
        try (EngineChain chain = EngineChain.create(EngineSpec.names(AparapiEngine.NAME, "cpu"))) {
            chain.load(sliding);
            List<EngineStatus> s = chain.statuses();
            assertThat(s.get(0).usable()).isTrue();
            assertThat(s.get(0).active()).isTrue();
        }
    }

    @Test
    @Timeout(300)
    void engineMatchesCpuOnEveryDeviceChoiceAndAChainFailsOverToCpu() {
        ModelBundle lorenz = ModelBundle.fromResource(SHIPPED[0]);
        SplittableRandom rng = new SplittableRandom(17);
        float[][] in;
        float[][] want;
        try (CpuEngine ref = new CpuEngine(false)) {
            ref.load(lorenz);
            in = new float[150][ref.inputCount()];
            want = new float[in.length][ref.outputCount()];
            for (int b = 0; b < in.length; b++) {
                for (int k = 0; k < in[b].length; k++) {
                    in[b][k] = rng.nextInt(0, 5);
                }
                assertThat(ref.step(in[b], want[b])).isEqualTo(DecodeStatus.OK);
            }
        }
        boolean openCl = AparapiDevices.probe().openCl() != null;
        for (String choice : openCl ? List.of("auto", "opencl", "jtp") : List.of("auto", "jtp")) {
            try (Engine e = new AparapiEngine.Factory().create(Map.of("device", choice))) {
                e.load(lorenz);
                assertThat(e.arithmetic()).isEqualTo("float32");
                String mode = ((AparapiEngine) e).executionMode();
                assertThat(mode).isEqualTo(choice.equals("jtp") || !openCl ? "jtp" : "opencl");
                assertThat(e.device()).contains(mode).contains("LFADS causal step (float32)");
                assertThat(e.health().detail()).startsWith("ok: " + mode);
                float[] out = new float[e.outputCount()];
                for (int b = 0; b < in.length; b++) {
                    assertThat(e.step(in[b], out)).isEqualTo(DecodeStatus.OK);
                    assertClose(out, want[b], choice + " bin " + b);
                }
            }
        }
        // failover after 59 bins: cpu continues from aparapi's "LFS1" checkpoint, whose states are Q12, so the
        // reference for the chain is cpu with the same Q12 round trip after bin 59
        float[][] wantChain = new float[in.length][];
        try (CpuEngine ref = new CpuEngine(false)) {
            ref.load(lorenz);
            byte[] cp = new byte[ref.checkpointBytes()];
            for (int b = 0; b < in.length; b++) {
                if (b == 59) {
                    assertThat(ref.saveCheckpoint(cp)).isEqualTo(DecodeStatus.OK);
                    assertThat(ref.restoreCheckpoint(cp)).isEqualTo(DecodeStatus.OK);
                }
                wantChain[b] = new float[ref.outputCount()];
                assertThat(ref.step(in[b], wantChain[b])).isEqualTo(DecodeStatus.OK);
            }
        }
        try (EngineChain chain = EngineChain.create(List.of(
                EngineSpec.of(AparapiEngine.NAME).withFaultAtStep(60), EngineSpec.of("cpu")))) {
            chain.load(lorenz);
            float[] out = new float[chain.outputCount()];
            for (int b = 0; b < in.length; b++) {
                assertThat(chain.step(in[b], out)).as("bin %d", b).isEqualTo(DecodeStatus.OK);
                assertClose(out, wantChain[b], "chain bin " + b);
            }
            assertThat(chain.failovers()).isEqualTo(1);
            assertThat(chain.coldTakeovers()).isZero();
            assertThat(chain.served(0)).isEqualTo(59);
        }
    }

    @Test
    void badInputIsRefusedWithoutTouchingTheStream() {
        ModelBundle lorenz = ModelBundle.fromResource(SHIPPED[0]);
        try (AparapiEngine e = new AparapiEngine(AparapiFixedEngine.DeviceChoice.JTP)) {
            float[] out = new float[64];
            assertThat(e.step(new float[4], out)).isEqualTo(DecodeStatus.NOT_READY);
            e.load(lorenz);
            int n = e.inputCount();
            float[] bad = new float[n];
            bad[1] = Float.NaN;
            out[0] = 5f;
            assertThat(e.step(bad, out)).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(out[0]).isZero();
            assertThat(e.step(new float[n - 1], out)).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(e.health().healthy()).isTrue();
            e.close();
            assertThat(e.health().healthy()).isFalse();
            assertThat(e.step(new float[n], out)).isEqualTo(DecodeStatus.NOT_READY);
        }
    }
}
