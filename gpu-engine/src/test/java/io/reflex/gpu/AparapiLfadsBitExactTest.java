package io.reflex.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import com.aparapi.device.Device;
import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.checkpoint.CheckpointStatus;
import io.reflex.decoders.checkpoint.LfadsCheckpoint;
import io.reflex.decoders.lfads.LfadsBundleBuilder;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.decoders.lfads.LfadsFixed;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Aparapi causal LFADS step ({@link LfadsStepKernel} through {@link AparapiLfads}) against the golden model of
 * {@code cpu-fixed} ({@link LfadsFixed#step}): 10 random causal models (random widths and lags, random weights and
 * biases, half of them with a small cell clip that the states hit) plus the shipped Lorenz model, 100 steps each
 * (1,100 steps) with random counts, a fifth of them huge (up to 32767 and beyond, saturating the input
 * accumulators); every factor and log-rate compared bit for bit after every step, on the OpenCL device and on the Java
 * thread pool.
 */
class AparapiLfadsBitExactTest {
    static final int MODELS = 10;
    static final int STEPS = 100;

    static ModelBundle randomModel(SplittableRandom rng, int index) {
        int c = rng.nextInt(1, 9);
        int con = rng.nextInt(1, 9);
        int co = rng.nextInt(1, 5);
        int gen = rng.nextInt(2, 17);
        int fac = rng.nextInt(1, 7);
        int data = rng.nextInt(1, 13);
        int lag = rng.nextInt(0, 4);
        double clip = index % 2 == 0 ? 0.05 + rng.nextDouble() * 0.2 : 5.0;
        LfadsDims d = new LfadsDims(data, 8, 8, 0, c, con, co, 0, gen, fac, data, lag, clip, 0.02, true);
        return LfadsBundleBuilder.random(d, rng.nextLong(), true).build("random-" + index, true);
    }

    static void counts(SplittableRandom rng, float[] x, int n) {
        boolean huge = rng.nextInt(5) == 0;
        for (int j = 0; j < n; j++) {
            x[j] = huge ? rng.nextInt(0, 60_000) : rng.nextInt(0, 6) + (rng.nextBoolean() ? 0.5f : 0f);
        }
    }

    @Test
    @Timeout(600)
    void bitExactOnOpenCl() {
        run(AparapiSnnBitExactTest.openClOrSkip(), 0x1FAD);
    }

    @Test
    @Timeout(600)
    void bitExactOnJavaThreadPool() {
        run(AparapiDevices.threadPool(), 0x2FAD);
    }

    private static void run(Device device, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int atClip = 0;
        int saturatedInputs = 0;
        for (int mdl = 0; mdl <= MODELS; mdl++) {
            ModelBundle b = mdl < MODELS ? randomModel(rng, mdl)
                    : ModelBundle.fromResource("/models/lfads-lorenz-causal.rbundle");
            LfadsFixed golden = new LfadsFixed(b);
            LfadsDims d = golden.dims();
            LfadsFixed.CausalExport export = golden.causalExport();
            LfadsCheckpoint layout = golden.streamLayout();
            byte[] cp = new byte[layout.bytes()];
            short[] genState = new short[d.genDim()];
            try (AparapiLfads gpu = new AparapiLfads(export, device)) {
                float[] x = new float[d.dataDim()];
                float[] f0 = new float[d.facDim()];
                float[] l0 = new float[d.readoutDim()];
                float[] f1 = new float[d.facDim()];
                float[] l1 = new float[d.readoutDim()];
                for (int t = 0; t < STEPS; t++) {
                    counts(rng, x, d.dataDim());
                    assertThat(golden.step(x, 0, f0, l0)).isEqualTo(DecodeStatus.OK);
                    assertThat(gpu.step(x, f1, l1)).as("model %d step %d: %s", mdl, t, gpu.launcher().fault())
                            .isEqualTo(DecodeStatus.OK);
                    assertThat(f1).as("factors, model %d step %d", mdl, t).containsExactly(f0);
                    assertThat(l1).as("log-rates, model %d step %d", mdl, t).containsExactly(l0);
                    for (float v : x) {
                        if (v >= Short.MAX_VALUE) {
                            saturatedInputs++;
                        }
                    }
                    assertThat(golden.saveStream(cp)).isEqualTo(CheckpointStatus.OK);
                    LfadsCheckpoint.getQ12(cp, layout.genOffset(), genState, 0, d.genDim());
                    for (short v : genState) {
                        if (Math.abs(v) == export.gen().clipQ()) {
                            atClip++;
                        }
                    }
                }
            }
        }
        assertThat(saturatedInputs).as("counts saturated to 32767").isGreaterThan(100);
        assertThat(atClip).as("generator states held at the cell clip").isGreaterThan(100);
    }

    @Test
    @Timeout(300)
    void checkpointsCrossBetweenGoldenAndAparapiBothWays() {
        SplittableRandom rng = new SplittableRandom(0x3FAD);
        for (int mdl = 0; mdl < 4; mdl++) {
            LfadsFixed golden = new LfadsFixed(randomModel(rng, mdl));
            LfadsDims d = golden.dims();
            try (AparapiLfads gpu = new AparapiLfads(golden.causalExport(), AparapiDevices.threadPool())) {
                byte[] cp = new byte[golden.streamLayout().bytes()];
                assertThat(gpu.checkpointBytes()).isEqualTo(cp.length);
                byte[] cp2 = new byte[cp.length];
                float[] x = new float[d.dataDim()];
                float[] f0 = new float[d.facDim()];
                float[] l0 = new float[d.readoutDim()];
                float[] f1 = new float[d.facDim()];
                float[] l1 = new float[d.readoutDim()];
                for (int t = 0; t < 12; t++) {
                    if (t % 2 == 0) {
                        assertThat(golden.saveStream(cp)).isEqualTo(CheckpointStatus.OK);
                        assertThat(gpu.restore(cp)).isEqualTo(CheckpointStatus.OK);
                        assertThat(gpu.save(cp2)).isEqualTo(CheckpointStatus.OK);
                        assertThat(cp2).as("model %d step %d: save after restore", mdl, t).isEqualTo(cp);
                    } else {
                        assertThat(gpu.save(cp)).isEqualTo(CheckpointStatus.OK);
                        assertThat(golden.restoreStream(cp)).isEqualTo(CheckpointStatus.OK);
                    }
                    counts(rng, x, d.dataDim());
                    golden.step(x, 0, f0, l0);
                    assertThat(gpu.step(x, f1, l1)).isEqualTo(DecodeStatus.OK);
                    assertThat(f1).as("model %d step %d", mdl, t).containsExactly(f0);
                    assertThat(l1).containsExactly(l0);
                }
            }
        }
    }
}
