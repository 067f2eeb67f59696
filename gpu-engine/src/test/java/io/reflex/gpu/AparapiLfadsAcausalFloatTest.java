package io.reflex.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.aparapi.device.Device;
import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.engine.CpuEngine;
import io.reflex.decoders.engine.EngineChain;
import io.reflex.decoders.engine.EngineSpec;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.decoders.lfads.LfadsFloat32;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The float32 acausal LFADS trial on Aparapi ({@link AparapiLfadsAcausalFloat}, {@link LfadsFloatStepKernel}) against
 * {@link LfadsFloat32#trial} (the {@code cpu} engine): the random acausal models and the shipped acausal Lorenz model of
 * {@link AparapiLfadsAcausalTest}, trials of random window length, every fourth all huge counts; factors, log-rates,
 * ic_mean, generator and controller states and controller outputs of every step within
 * {@code |a − b| ≤ 1e-4·max(1, |b|)}, on the OpenCL device and on the Java thread pool. The worst relative difference
 * is printed.
 */
class AparapiLfadsAcausalFloatTest {
    static final double TOLERANCE = 1e-4;

    @Test
    @Timeout(600)
    void trialsWithinToleranceOnOpenCl() {
        run(AparapiSnnBitExactTest.openClOrSkip(), 0x3ACF);
    }

    @Test
    @Timeout(600)
    void trialsWithinToleranceOnJavaThreadPool() {
        run(AparapiDevices.threadPool(), 0x4ACF);
    }

    private static void run(Device device, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int trials = 0;
        int atClip = 0;
        double[] worst = new double[1];
        for (int mdl = 0; mdl <= AparapiLfadsAcausalTest.MODELS; mdl++) {
            ModelBundle b = mdl < AparapiLfadsAcausalTest.MODELS ? AparapiLfadsAcausalTest.randomAcausalModel(rng, mdl)
                    : ModelBundle.fromResource("/models/lfads-lorenz-small.rbundle");
            LfadsFloat32 ref = new LfadsFloat32(b);
            LfadsDims d = ref.dims();
            int n = mdl < AparapiLfadsAcausalTest.MODELS ? AparapiLfadsAcausalTest.TRIALS
                    : AparapiLfadsAcausalTest.LORENZ_TRIALS;
            int tr = d.reconSeqLen();
            float clip = (float) d.cellClip();
            float[] x = new float[d.encSeqLen() * d.dataDim()];
            float[] f0 = new float[tr * d.facDim()];
            float[] l0 = new float[tr * d.readoutDim()];
            float[] f1 = new float[f0.length];
            float[] l1 = new float[l0.length];
            try (AparapiLfadsAcausalFloat gpu = new AparapiLfadsAcausalFloat(b, device)) {
                assertThat(gpu.arithmetic()).isEqualTo("float32");
                for (int t = 0; t < n; t++) {
                    int bins = t == 0 ? d.encSeqLen() : t == 1 ? 1 : rng.nextInt(1, d.encSeqLen() + 1);
                    AparapiLfadsAcausalTest.window(rng, x, bins * d.dataDim(), d.dataDim(), t % 4 == 3);
                    int steps = bins + tr - d.encSeqLen();
                    assertThat(ref.trial(x, bins, f0, l0)).isEqualTo(DecodeStatus.OK);
                    assertThat(gpu.trial(x, bins, f1, l1)).as("model %d trial %d: %s", mdl, t,
                            gpu.launcher().fault()).isEqualTo(DecodeStatus.OK);
                    String at = "model " + mdl + " trial " + t + " (" + bins + " bins)";
                    close(f1, f0, f0.length, worst, "factors, " + at);
                    close(l1, l0, l0.length, worst, "log-rates, " + at);
                    close(gpu.lastIcMean(), ref.lastIcMean(), d.icDim(), worst, "ic_mean, " + at);
                    close(gpu.lastGenStates(), ref.lastGenStates(), steps * d.genDim(), worst, "gen, " + at);
                    close(gpu.lastConStates(), ref.lastConStates(), steps * d.conDim(), worst, "con, " + at);
                    close(gpu.lastCo(), ref.lastCo(), steps * d.coDim(), worst, "co, " + at);
                    for (int j = 0; j < steps * d.genDim(); j++) {
                        if (Math.abs(ref.lastGenStates()[j]) == clip) {
                            atClip++;
                        }
                    }
                    trials++;
                }
            }
        }
        System.out.println("acausal float32 trials on " + device.getShortDescription() + ": " + trials
                + " trials, " + atClip + " generator states at the clip, worst |a - b| / max(1, |b|) = " + worst[0]);
        assertThat(atClip).as("generator states held at the cell clip").isGreaterThan(100);
    }

    static void close(float[] a, float[] b, int n, double[] worst, String what) {
        for (int j = 0; j < n; j++) {
            double rel = Math.abs((double) a[j] - b[j]) / Math.max(1.0, Math.abs(b[j]));
            worst[0] = Math.max(worst[0], rel);
            assertThat(Float.isFinite(a[j])).as("%s [%d] finite", what, j).isTrue();
            assertThat(rel).as("%s [%d]: %s vs %s", what, j, a[j], b[j]).isLessThanOrEqualTo(TOLERANCE);
        }
    }

    @Test
    @Timeout(120)
    void badWindowsAreRefusedAndACausalBundleIsNotAcausal() {
        SplittableRandom rng = new SplittableRandom(0x5ACF);
        ModelBundle b = AparapiLfadsAcausalTest.randomAcausalModel(rng, 0);
        LfadsDims d = new LfadsFloat32(b).dims();
        try (AparapiLfadsAcausalFloat gpu = new AparapiLfadsAcausalFloat(b, AparapiDevices.threadPool())) {
            float[] x = new float[d.encSeqLen() * d.dataDim()];
            float[] f = new float[d.reconSeqLen() * d.facDim()];
            float[] l = new float[d.reconSeqLen() * d.readoutDim()];
            Arrays.fill(f, 1f);
            assertThat(gpu.trial(x, 0, f, l)).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(f).containsOnly(0f);
            x[0] = Float.POSITIVE_INFINITY;
            assertThat(gpu.trial(x, 1, f, l)).isEqualTo(DecodeStatus.INVALID_INPUT);
            x[0] = 2f;
            assertThat(gpu.trial(x, 1, f, l)).isEqualTo(DecodeStatus.OK);
            assertThatThrownBy(() -> gpu.step(x, 0, f, l)).isInstanceOf(IllegalStateException.class);
        }
        assertThatThrownBy(() -> new AparapiLfadsAcausalFloat(AparapiLfadsBitExactTest.randomModel(rng, 0),
                AparapiDevices.threadPool())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @Timeout(300)
    void engineTrialsAndSlidingWindowsMatchCpuOnEveryDeviceChoiceAndFailOverToCpu() {
        ModelBundle acausal = ModelBundle.fromResource("/models/lfads-lorenz-small.rbundle");
        double[] worst = new double[1];
        float[][] in = null;
        float[][] want = null;
        for (AparapiFixedEngine.DeviceChoice choice : AparapiFixedEngine.DeviceChoice.values()) {
            if (choice == AparapiFixedEngine.DeviceChoice.OPENCL && AparapiDevices.probe().openCl() == null) {
                continue;
            }
            try (CpuEngine ref = new CpuEngine(false); AparapiEngine e = new AparapiEngine(choice)) {
                ref.load(acausal);
                e.load(acausal);
                assertThat(e.device()).contains("LFADS acausal trial and sliding window (float32)");
                int t = ref.maxTrialBins();
                assertThat(e.maxTrialBins()).isEqualTo(t);
                for (int bins = 0; bins <= t + 1; bins++) {
                    assertThat(e.trialSteps(bins)).isEqualTo(ref.trialSteps(bins));
                }
                assertThat(e.checkpointBytes()).isEqualTo(ref.checkpointBytes());
                in = AparapiFixedEngineTest.lfadsCounts(t + 30, ref.inputCount(), 41);
                want = new float[in.length][ref.outputCount()];
                SplittableRandom rng = new SplittableRandom(choice.ordinal());
                float[] out0 = new float[ref.trialSteps(t) * ref.outputCount()];
                float[] out1 = new float[out0.length];
                float[] s1 = new float[ref.outputCount()];
                byte[] cp0 = new byte[ref.checkpointBytes()];
                byte[] cp1 = new byte[cp0.length];
                for (int b = 0; b < in.length; b++) {
                    assertThat(ref.step(in[b], want[b])).isEqualTo(DecodeStatus.OK);
                    assertThat(e.step(in[b], s1)).as("%s bin %d: %s", choice, b, e.health().detail())
                            .isEqualTo(DecodeStatus.OK);
                    close(s1, want[b], s1.length, worst, choice + " sliding bin " + b);
                    if (b % 5 == 0) {
                        int bins = b == 0 ? t : b == 5 ? 1 : rng.nextInt(1, t + 1);
                        float[] window = new float[bins * ref.inputCount()];
                        for (int k = 0; k < bins; k++) {
                            System.arraycopy(in[(b + k) % in.length], 0, window, k * ref.inputCount(),
                                    ref.inputCount());
                        }
                        assertThat(ref.trial(window, bins, out0)).isEqualTo(DecodeStatus.OK);
                        assertThat(e.trial(window, bins, out1)).isEqualTo(DecodeStatus.OK);
                        close(out1, out0, ref.trialSteps(bins) * ref.outputCount(), worst,
                                choice + " trial of " + bins + " bins");
                        assertThat(ref.saveCheckpoint(cp0)).isEqualTo(DecodeStatus.OK);
                        assertThat(e.saveCheckpoint(cp1)).isEqualTo(DecodeStatus.OK);
                        assertThat(cp1).as("%s LFW1 checkpoint after bin %d", choice, b).isEqualTo(cp0);
                    }
                }
                assertThat(e.trial(new float[(t + 1) * ref.inputCount()], t + 1, out1))
                        .isEqualTo(DecodeStatus.INVALID_INPUT);
                assertThat(e.health().healthy()).isTrue();
            }
        }
        try (EngineChain chain = EngineChain.create(List.of(
                EngineSpec.of(AparapiEngine.NAME).withFaultAtStep(50), EngineSpec.of("cpu")))) {
            chain.load(acausal);
            assertThat(chain.statuses().get(0).usable()).isTrue();
            float[] out = new float[chain.outputCount()];
            for (int b = 0; b < in.length; b++) {
                assertThat(chain.step(in[b], out)).as("bin %d", b).isEqualTo(DecodeStatus.OK);
                close(out, want[b], out.length, worst, "chain bin " + b);
            }
            assertThat(chain.failovers()).isEqualTo(1);
            assertThat(chain.coldTakeovers()).isZero();
            assertThat(chain.served(0)).isEqualTo(49);
        }
        System.out.println("aparapi engine, acausal Lorenz: worst |a - b| / max(1, |b|) against cpu = " + worst[0]);
    }
}
