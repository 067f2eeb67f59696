package io.reflex.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.aparapi.device.Device;
import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.engine.EngineException;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.decoders.lfads.LfadsFixed;
import io.reflex.decoders.lfads.LfadsFloat32;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Batches of acausal LFADS trials on Aparapi ({@link AparapiLfadsBatch} over {@link AparapiLfadsAcausal} and
 * {@link AparapiLfadsAcausalFloat}, one launch per batch over {@code trials · rows} work items): random acausal models
 * of {@link AparapiLfadsAcausalTest} (random widths and windows, lags, some without a controller, clips the states
 * hit) and the shipped acausal Lorenz model, batches of 1, 2, 3, 5, 8 and 33 trials (3 and 7 of the Lorenz model) of a random window length, every
 * fourth trial all huge counts (saturating at 32767 in fixed point). Fixed point: every trial's factors, log-rates,
 * ic_mean, generator and controller states and controller outputs bit for bit {@link LfadsFixed#trial} of that trial
 * alone. Float32: every trial bit for bit the single-trial Aparapi path ({@link AparapiLfadsAcausalFloat} on the same
 * device, the same operations) and within {@code 1e-4·max(1, |b|)} of {@link LfadsFloat32#trial}. On the OpenCL
 * device and on the Java thread pool.
 */
class AparapiLfadsAcausalBatchTest {
    static final int MODELS = 16;
    static final int[] SIZES = {1, 2, 3, 5, 8, 33};
    static final int[] LORENZ_SIZES = {1, 3, 7};

    @Test
    @Timeout(900)
    void fixedBatchesBitExactOnOpenCl() {
        fixed(AparapiSnnBitExactTest.openClOrSkip(), 0x1BA7);
    }

    @Test
    @Timeout(900)
    void fixedBatchesBitExactOnJavaThreadPool() {
        fixed(AparapiDevices.threadPool(), 0x2BA7);
    }

    @Test
    @Timeout(900)
    void floatBatchesAsAloneOnOpenCl() {
        float32(AparapiSnnBitExactTest.openClOrSkip(), 0x3BA7);
    }

    @Test
    @Timeout(900)
    void floatBatchesAsAloneOnJavaThreadPool() {
        float32(AparapiDevices.threadPool(), 0x4BA7);
    }

    private static AparapiFixedEngine.DeviceChoice choice(Device device) {
        return device == AparapiDevices.threadPool() ? AparapiFixedEngine.DeviceChoice.JTP
                : AparapiFixedEngine.DeviceChoice.OPENCL;
    }

    private static ModelBundle model(SplittableRandom rng, int mdl) {
        return mdl < MODELS ? AparapiLfadsAcausalTest.randomAcausalModel(rng, mdl)
                : ModelBundle.fromResource("/models/lfads-lorenz-small.rbundle");
    }

    /** A batch of {@code n} windows of {@code bins} bins, every fourth all huge. */
    private static float[][] windows(SplittableRandom rng, LfadsDims d, int n, int bins) {
        float[][] x = new float[n][bins * d.dataDim()];
        for (int i = 0; i < n; i++) {
            AparapiLfadsAcausalTest.window(rng, x[i], bins * d.dataDim(), d.dataDim(), i % 4 == 3);
        }
        return x;
    }

    private static void fixed(Device device, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int trials = 0;
        int saturated = 0;
        int atClip = 0;
        int noController = 0;
        for (int mdl = 0; mdl <= MODELS; mdl++) {
            ModelBundle b = model(rng, mdl);
            LfadsFixed golden = new LfadsFixed(b);
            LfadsDims d = golden.dims();
            if (!d.hasController()) {
                noController++;
            }
            int tr = d.reconSeqLen();
            int clipQ = golden.acausalExport().gen().clipQ();
            float[] f0 = new float[tr * d.facDim()];
            float[] l0 = new float[tr * d.readoutDim()];
            float[] ic = new float[d.icDim()];
            float[] gen = new float[tr * d.genDim()];
            float[] con = new float[tr * d.conDim()];
            float[] co = new float[tr * d.coDim()];
            for (int n : mdl < MODELS ? SIZES : LORENZ_SIZES) {
                try (AparapiLfadsBatch batch = AparapiLfadsBatch.open(b, true, choice(device), n)) {
                    assertThat(batch.acausal()).isTrue();
                    assertThat(batch.maxTrials()).isEqualTo(n);
                    assertThat(batch.device()).contains("LFADS acausal batch of " + n);
                    for (int round = 0; round < 2; round++) {
                        int bins = round == 0 ? d.encSeqLen() : rng.nextInt(1, d.encSeqLen() + 1);
                        int steps = batch.trialSteps(bins);
                        float[][] x = windows(rng, d, n, bins);
                        float[][] f = new float[n][steps * d.facDim()];
                        float[][] l = new float[n][steps * d.readoutDim()];
                        assertThat(batch.trials(x, bins, f, l)).as("model %d batch %d: %s", mdl, n, batch.fault())
                                .isEqualTo(DecodeStatus.OK);
                        for (int i = 0; i < n; i++) {
                            String at = "model " + mdl + " batch of " + n + " trial " + i + " (" + bins + " bins)";
                            assertThat(golden.trial(x[i], bins, f0, l0)).isEqualTo(DecodeStatus.OK);
                            assertThat(f[i]).as("factors, %s", at).containsExactly(prefix(f0, steps * d.facDim()));
                            assertThat(l[i]).as("log-rates, %s", at)
                                    .containsExactly(prefix(l0, steps * d.readoutDim()));
                            batch.trialStates(i, ic, gen, con, co);
                            assertThat(ic).as("ic_mean, %s", at).containsExactly(golden.lastIcMean());
                            assertThat(prefix(gen, steps * d.genDim())).as("gen, %s", at)
                                    .containsExactly(prefix(golden.lastGenStates(), steps * d.genDim()));
                            assertThat(prefix(con, steps * d.conDim())).as("con, %s", at)
                                    .containsExactly(prefix(golden.lastConStates(), steps * d.conDim()));
                            assertThat(prefix(co, steps * d.coDim())).as("co, %s", at)
                                    .containsExactly(prefix(golden.lastCo(), steps * d.coDim()));
                            for (float v : x[i]) {
                                if (v >= Short.MAX_VALUE) {
                                    saturated++;
                                }
                            }
                            for (int j = 0; j < steps * d.genDim(); j++) {
                                if (Math.abs(golden.lastGenStatesQ()[j]) == clipQ) {
                                    atClip++;
                                }
                            }
                            trials++;
                        }
                    }
                }
            }
        }
        System.out.println("acausal fixed batches bit-exact on " + device.getShortDescription() + ": " + trials
                + " trials in batches of " + Arrays.toString(SIZES) + ", " + saturated + " saturated counts, "
                + atClip + " generator states at the clip");
        assertThat(noController).as("models without a controller").isGreaterThan(0);
        assertThat(saturated).as("counts saturated to 32767").isGreaterThan(500);
        assertThat(atClip).as("generator states held at the cell clip").isGreaterThan(100);
    }

    private static void float32(Device device, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int trials = 0;
        double[] worst = new double[1];
        for (int mdl = 0; mdl <= MODELS; mdl++) {
            ModelBundle b = model(rng, mdl);
            LfadsFloat32 ref = new LfadsFloat32(b);
            LfadsDims d = ref.dims();
            int tr = d.reconSeqLen();
            float[] f0 = new float[tr * d.facDim()];
            float[] l0 = new float[tr * d.readoutDim()];
            float[] f1 = new float[f0.length];
            float[] l1 = new float[l0.length];
            float[] ic = new float[d.icDim()];
            float[] gen = new float[tr * d.genDim()];
            float[] con = new float[tr * d.conDim()];
            float[] co = new float[tr * d.coDim()];
            try (AparapiLfadsAcausalFloat alone = new AparapiLfadsAcausalFloat(b, device)) {
                for (int n : mdl < MODELS ? SIZES : LORENZ_SIZES) {
                    try (AparapiLfadsBatch batch = AparapiLfadsBatch.open(b, false, choice(device), n)) {
                        int bins = rng.nextInt(1, d.encSeqLen() + 1);
                        int steps = batch.trialSteps(bins);
                        float[][] x = windows(rng, d, n, bins);
                        float[][] f = new float[n][steps * d.facDim()];
                        float[][] l = new float[n][steps * d.readoutDim()];
                        assertThat(batch.trials(x, bins, f, l)).as("model %d batch %d: %s", mdl, n, batch.fault())
                                .isEqualTo(DecodeStatus.OK);
                        for (int i = 0; i < n; i++) {
                            String at = "model " + mdl + " batch of " + n + " trial " + i + " (" + bins + " bins)";
                            assertThat(alone.trial(x[i], bins, f1, l1)).isEqualTo(DecodeStatus.OK);
                            assertThat(f[i]).as("factors as alone, %s", at)
                                    .containsExactly(prefix(f1, steps * d.facDim()));
                            assertThat(l[i]).as("log-rates as alone, %s", at)
                                    .containsExactly(prefix(l1, steps * d.readoutDim()));
                            batch.trialStates(i, ic, gen, con, co);
                            assertThat(ic).as("ic_mean as alone, %s", at).containsExactly(alone.lastIcMean());
                            assertThat(prefix(gen, steps * d.genDim())).as("gen as alone, %s", at)
                                    .containsExactly(prefix(alone.lastGenStates(), steps * d.genDim()));
                            assertThat(prefix(con, steps * d.conDim())).as("con as alone, %s", at)
                                    .containsExactly(prefix(alone.lastConStates(), steps * d.conDim()));
                            assertThat(prefix(co, steps * d.coDim())).as("co as alone, %s", at)
                                    .containsExactly(prefix(alone.lastCo(), steps * d.coDim()));
                            assertThat(ref.trial(x[i], bins, f0, l0)).isEqualTo(DecodeStatus.OK);
                            AparapiLfadsAcausalFloatTest.close(f[i], f0, steps * d.facDim(), worst, "factors, " + at);
                            AparapiLfadsAcausalFloatTest.close(l[i], l0, steps * d.readoutDim(), worst,
                                    "log-rates, " + at);
                            AparapiLfadsAcausalFloatTest.close(ic, ref.lastIcMean(), d.icDim(), worst, "ic, " + at);
                            AparapiLfadsAcausalFloatTest.close(gen, ref.lastGenStates(), steps * d.genDim(), worst,
                                    "gen, " + at);
                            AparapiLfadsAcausalFloatTest.close(con, ref.lastConStates(), steps * d.conDim(), worst,
                                    "con, " + at);
                            AparapiLfadsAcausalFloatTest.close(co, ref.lastCo(), steps * d.coDim(), worst,
                                    "co, " + at);
                            trials++;
                        }
                    }
                }
            }
        }
        System.out.println("acausal float32 batches on " + device.getShortDescription() + ": " + trials
                + " trials, each as alone; worst |a - b| / max(1, |b|) against cpu = " + worst[0]);
    }

    private static float[] prefix(float[] a, int n) {
        return Arrays.copyOf(a, n);
    }

    @Test
    @Timeout(120)
    void badBatchesAreRefusedWithZeroedOutputsAndSizesAreBoundedBeforeAllocation() {
        SplittableRandom rng = new SplittableRandom(0x5BA7);
        ModelBundle b = AparapiLfadsAcausalTest.randomAcausalModel(rng, 0);
        try (AparapiLfadsBatch batch = AparapiLfadsBatch.open(b, true, AparapiFixedEngine.DeviceChoice.JTP, 3)) {
            LfadsDims d = batch.dims();
            int bins = d.encSeqLen();
            int steps = batch.trialSteps(bins);
            float[][] counts = new float[3][bins * d.dataDim()];
            float[][] f = new float[3][steps * d.facDim()];
            float[][] l = new float[3][steps * d.readoutDim()];
            float[] ic = new float[d.icDim()];
            float[] gen = new float[steps * d.genDim()];
            float[] con = new float[steps * d.conDim()];
            float[] co = new float[steps * d.coDim()];
            assertThatThrownBy(() -> batch.trialStates(0, ic, gen, con, co)).isInstanceOf(IllegalStateException.class);
            Arrays.fill(f[1], 7f);
            assertThat(batch.trials(new float[4][bins * d.dataDim()], bins, new float[4][steps * d.facDim()],
                    new float[4][steps * d.readoutDim()])).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(batch.trials(new float[0][], bins, f, l)).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(batch.trials(counts, 0, f, l)).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(batch.trials(counts, bins + 1, f, l)).isEqualTo(DecodeStatus.INVALID_INPUT);
            counts[2][0] = Float.NaN;
            assertThat(batch.trials(counts, bins, f, l)).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(f[1]).containsOnly(0f);
            counts[2][0] = 1f;
            assertThat(batch.trials(counts, bins, f, new float[][] {l[0], l[1], new float[1]}))
                    .isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(batch.trials(counts, bins, f, l)).isEqualTo(DecodeStatus.OK);
            batch.trialStates(2, ic, gen, con, co);
            assertThatThrownBy(() -> batch.trialStates(3, ic, gen, con, co))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> batch.trialStates(0, new float[0], gen, con, co))
                    .isInstanceOf(IllegalArgumentException.class);
            // two trials of a batch of three: the last call's trials only
            assertThat(batch.trials(Arrays.copyOf(counts, 2), bins, f, l)).isEqualTo(DecodeStatus.OK);
            assertThatThrownBy(() -> batch.trialStates(2, ic, gen, con, co))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> batch.steps(new float[3][d.dataDim()], new float[3][d.facDim()],
                    new float[3][d.readoutDim()])).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("causal");
        }
        for (boolean fixed : new boolean[] {true, false}) {
            assertThatThrownBy(() -> AparapiLfadsBatch.open(b, fixed, AparapiFixedEngine.DeviceChoice.JTP, 0))
                    .isInstanceOf(EngineException.class).hasMessageContaining("1..65536");
            assertThatThrownBy(() -> AparapiLfadsBatch.open(b, fixed, AparapiFixedEngine.DeviceChoice.JTP, 65_537))
                    .isInstanceOf(EngineException.class).hasMessageContaining("1..65536");
        }
        // the Lorenz model's trial needs thousands of values: 65,536 of them exceed the device-memory bound, refused
        // before any array is made
        ModelBundle lorenz = ModelBundle.fromResource("/models/lfads-lorenz-small.rbundle");
        for (boolean fixed : new boolean[] {true, false}) {
            assertThatThrownBy(() -> AparapiLfadsBatch.open(lorenz, fixed, AparapiFixedEngine.DeviceChoice.JTP,
                    65_536)).isInstanceOf(EngineException.class).hasMessageContaining("use fewer trials per batch");
        }
    }
}
