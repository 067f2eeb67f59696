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
 * Batches of causal LFADS trials ({@link AparapiLfadsBase#trials}, {@link AparapiLfadsBase#stepBatch}, through
 * {@link AparapiLfadsBatch}) against the CPU engines' arithmetic running the same trials one after the other: 6
 * random causal models (those of {@link AparapiLfadsBitExactTest}) and the shipped Lorenz and center-out causal
 * models, batches of 1, 3 and 64 trials of random length (counts with halves and, one bin in five, huge counts that
 * saturate at 32767), every trial's factors and log-rates after every decoder step: bit for bit with
 * {@link LfadsFixed#trial} ({@code cpu-fixed}) on the integer kernel, within {@code 1e-4·max(1, |b|)} of
 * {@link LfadsFloat32#trial} ({@code cpu}) on the float kernel; on the OpenCL device and on the Java thread pool.
 * Independent streams: 3 streams in one launch against 3 golden streams, 40 bins.
 */
class AparapiLfadsBatchTest {
    static final int RANDOM_MODELS = 6;
    static final int[] BATCHES = {1, 3, 64};

    private static ModelBundle model(SplittableRandom rng, int mdl) {
        if (mdl < RANDOM_MODELS) {
            return AparapiLfadsBitExactTest.randomModel(rng, mdl);
        }
        return ModelBundle.fromResource(mdl == RANDOM_MODELS ? "/models/lfads-lorenz-causal.rbundle"
                : "/models/lfads-centerout-causal.rbundle");
    }

    /** Counts {@code [bins][dataDim]}, one bin in five huge (up to 60,000: saturated to 32767 in fixed point). */
    private static float[] trialCounts(SplittableRandom rng, int bins, int dd) {
        float[] c = new float[bins * dd];
        float[] bin = new float[dd];
        for (int t = 0; t < bins; t++) {
            AparapiLfadsBitExactTest.counts(rng, bin, dd);
            System.arraycopy(bin, 0, c, t * dd, dd);
        }
        return c;
    }

    @Test
    @Timeout(600)
    void fixedBatchesBitExactOnOpenCl() {
        assertThat(runFixed(AparapiSnnBitExactTest.openClOrSkip(), 0xBA7C1)).isGreaterThanOrEqualTo(1_000);
    }

    @Test
    @Timeout(600)
    void fixedBatchesBitExactOnJavaThreadPool() {
        assertThat(runFixed(AparapiDevices.threadPool(), 0xBA7C2)).isGreaterThanOrEqualTo(1_000);
    }

    /** Returns the trial-steps compared. */
    private static int runFixed(Device device, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int compared = 0;
        int saturated = 0;
        for (int mdl = 0; mdl < RANDOM_MODELS + 2; mdl++) {
            ModelBundle b = model(rng, mdl);
            LfadsFixed golden = new LfadsFixed(b);
            LfadsDims d = golden.dims();
            for (int batch : BATCHES) {
                int bins = rng.nextInt(1, d.encSeqLen() + 1);
                int steps = bins + d.reconSeqLen() - d.encSeqLen();
                float[][] counts = new float[batch][];
                float[][] f = new float[batch][steps * d.facDim()];
                float[][] l = new float[batch][steps * d.readoutDim()];
                for (int s = 0; s < batch; s++) {
                    counts[s] = trialCounts(rng, bins, d.dataDim());
                    for (float v : counts[s]) {
                        saturated += v >= Short.MAX_VALUE ? 1 : 0;
                    }
                }
                try (AparapiLfads gpu = new AparapiLfads(golden.causalExport(), device, batch)) {
                    assertThat(gpu.trialSteps(bins)).isEqualTo(steps);
                    assertThat(gpu.trials(counts, bins, f, l)).as("model %d batch %d: %s", mdl, batch,
                            gpu.launcher().fault()).isEqualTo(DecodeStatus.OK);
                }
                float[] f0 = new float[steps * d.facDim()];
                float[] l0 = new float[steps * d.readoutDim()];
                for (int s = 0; s < batch; s++) {
                    assertThat(golden.trial(counts[s], bins, f0, l0)).isEqualTo(DecodeStatus.OK);
                    assertThat(f[s]).as("factors, model %d batch %d trial %d (%d bins)", mdl, batch, s, bins)
                            .containsExactly(f0);
                    assertThat(l[s]).as("log-rates, model %d batch %d trial %d", mdl, batch, s).containsExactly(l0);
                    compared += steps;
                }
            }
        }
        assertThat(saturated).as("counts saturated to 32767").isGreaterThan(100);
        System.out.println("aparapi-fixed LFADS batches on " + AparapiDevices.describe(device) + ": " + compared
                + " trial-steps bit-identical to cpu-fixed");
        return compared;
    }

    @Test
    @Timeout(600)
    void floatBatchesWithinToleranceOnOpenCl() {
        assertThat(runFloat(AparapiSnnBitExactTest.openClOrSkip(), 0xBA7F1)).isGreaterThanOrEqualTo(1_000);
    }

    @Test
    @Timeout(600)
    void floatBatchesWithinToleranceOnJavaThreadPool() {
        assertThat(runFloat(AparapiDevices.threadPool(), 0xBA7F2)).isGreaterThanOrEqualTo(1_000);
    }

    private static int runFloat(Device device, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int compared = 0;
        for (int mdl = 0; mdl < RANDOM_MODELS + 2; mdl++) {
            ModelBundle b = model(rng, mdl);
            LfadsFloat32 cpu = new LfadsFloat32(b);
            LfadsDims d = cpu.dims();
            for (int batch : BATCHES) {
                int bins = rng.nextInt(1, d.encSeqLen() + 1);
                int steps = bins + d.reconSeqLen() - d.encSeqLen();
                float[][] counts = new float[batch][];
                float[][] f = new float[batch][steps * d.facDim()];
                float[][] l = new float[batch][steps * d.readoutDim()];
                for (int s = 0; s < batch; s++) {
                    counts[s] = trialCounts(rng, bins, d.dataDim());
                }
                try (AparapiLfadsFloat gpu = new AparapiLfadsFloat(b, device, batch)) {
                    assertThat(gpu.trials(counts, bins, f, l)).as("model %d batch %d: %s", mdl, batch,
                            gpu.launcher().fault()).isEqualTo(DecodeStatus.OK);
                }
                float[] f0 = new float[steps * d.facDim()];
                float[] l0 = new float[steps * d.readoutDim()];
                for (int s = 0; s < batch; s++) {
                    assertThat(cpu.trial(counts[s], bins, f0, l0)).isEqualTo(DecodeStatus.OK);
                    String what = "model " + mdl + " batch " + batch + " trial " + s;
                    AparapiLfadsFloatTest.assertClose(f[s], f0, "factors, " + what);
                    AparapiLfadsFloatTest.assertClose(l[s], l0, "log-rates, " + what);
                    compared += steps;
                }
            }
        }
        System.out.println("aparapi float LFADS batches on " + AparapiDevices.describe(device) + ": " + compared
                + " trial-steps within 1e-4*max(1,|cpu|), worst " + AparapiLfadsFloatTest.worst);
        return compared;
    }

    @Test
    @Timeout(300)
    void independentStreamsInOneLaunchMatchSeparateGoldenStreams() {
        SplittableRandom rng = new SplittableRandom(0xBA7C3);
        for (int mdl = 0; mdl < 3; mdl++) {
            ModelBundle b = AparapiLfadsBitExactTest.randomModel(rng, mdl);
            LfadsFixed[] golden = {new LfadsFixed(b), new LfadsFixed(b), new LfadsFixed(b)};
            LfadsDims d = golden[0].dims();
            try (AparapiLfadsBatch batch = AparapiLfadsBatch.open(b, true, AparapiFixedEngine.DeviceChoice.AUTO, 3)) {
                float[][] x = new float[3][d.dataDim()];
                float[][] f = new float[3][d.facDim()];
                float[][] l = new float[3][d.readoutDim()];
                float[] f0 = new float[d.facDim()];
                float[] l0 = new float[d.readoutDim()];
                for (int t = 0; t < 40; t++) {
                    for (int s = 0; s < 3; s++) {
                        AparapiLfadsBitExactTest.counts(rng, x[s], d.dataDim());
                    }
                    assertThat(batch.steps(x, f, l)).as("%s", batch.fault()).isEqualTo(DecodeStatus.OK);
                    for (int s = 0; s < 3; s++) {
                        golden[s].step(x[s], 0, f0, l0);
                        assertThat(f[s]).as("model %d bin %d stream %d", mdl, t, s).containsExactly(f0);
                        assertThat(l[s]).containsExactly(l0);
                    }
                }
            }
        }
    }

    @Test
    @Timeout(120)
    void badBatchesAreRefusedWithOutputsZeroed() {
        ModelBundle b = ModelBundle.fromResource("/models/lfads-lorenz-causal.rbundle");
        try (AparapiLfadsBatch batch = AparapiLfadsBatch.open(b, true, AparapiFixedEngine.DeviceChoice.JTP, 4)) {
            LfadsDims d = batch.dims();
            assertThat(batch.maxTrials()).isEqualTo(4);
            assertThat(batch.executionMode()).isEqualTo("jtp");
            int steps = batch.trialSteps(5);
            float[][] counts = new float[2][5 * d.dataDim()];
            float[][] f = new float[2][steps * d.facDim()];
            float[][] l = new float[2][steps * d.readoutDim()];
            Arrays.fill(f[1], 7f);
            // more trials than the batch holds, no trials, a window too long, a negative count, short outputs
            assertThat(batch.trials(new float[5][5 * d.dataDim()], 5, new float[5][steps * d.facDim()],
                    new float[5][steps * d.readoutDim()])).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(batch.trials(new float[0][], 5, f, l)).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(batch.trials(counts, d.encSeqLen() + 1, f, l)).isEqualTo(DecodeStatus.INVALID_INPUT);
            counts[1][3] = -1f;
            assertThat(batch.trials(counts, 5, f, l)).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(f[1]).containsOnly(0f);
            counts[1][3] = 1f;
            assertThat(batch.trials(counts, 5, f, new float[][] {l[0], new float[1]}))
                    .isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(batch.trials(counts, 5, f, l)).isEqualTo(DecodeStatus.OK);
            // independent streams: exactly maxTrials of them
            assertThat(batch.steps(new float[3][d.dataDim()], new float[3][d.facDim()],
                    new float[3][d.readoutDim()])).isEqualTo(DecodeStatus.INVALID_INPUT);
        }
        assertThatThrownBy(() -> AparapiLfadsBatch.open(b, true, AparapiFixedEngine.DeviceChoice.JTP, 0))
                .isInstanceOf(EngineException.class).hasMessageContaining("1..65536");
        try (AparapiLfadsBatch acausal = AparapiLfadsBatch.open(
                ModelBundle.fromResource("/models/lfads-lorenz-small.rbundle"), true,
                AparapiFixedEngine.DeviceChoice.JTP, 2)) {
            // acausal bundles run whole trials (AparapiLfadsAcausalBatchTest); no causal step
            assertThat(acausal.acausal()).isTrue();
            assertThatThrownBy(acausal::reset).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("causal");
        }
    }
}
