package io.reflex.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.engine.CpuEngine;
import io.reflex.decoders.engine.Engine;
import io.reflex.decoders.engine.EngineChain;
import io.reflex.decoders.snn.SnnDecoder;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Aparapi engines' {@code trials} call (many windows of one length at once, through {@link TrialBatcher} and
 * {@link AparapiLfadsBatch}): every window's factors equal {@code cpu-fixed}'s trial of it bit for bit on
 * {@code aparapi-fixed}, and equal the float engine's own {@code trial} of it alone on {@code aparapi} (same kernel,
 * same device) within 1e-4 of {@code cpu}; for causal and acausal models (random ones, with huge counts, and the
 * shipped Lorenz models), batches of 1, 7 and 70 windows and a batch split over several launches; the stream is left alone
 * (its checkpoint unchanged); bad input refused with every output zeroed; an SNN has no trials; through an engine chain
 * the batch runs on the Aparapi engine.
 */
class AparapiEngineTrialsTest {

    static float[][] windows(SplittableRandom rng, int n, int bins, int inputs) {
        float[][] w = new float[n][bins * inputs];
        for (int i = 0; i < n; i++) {
            boolean huge = i % 5 == 4;
            for (int k = 0; k < w[i].length; k++) {
                w[i][k] = huge ? rng.nextInt(0, 60_000) : rng.nextInt(0, 6) + (rng.nextBoolean() ? 0.5f : 0f);
            }
        }
        return w;
    }

    static float[][] alone(Engine e, float[][] w, int bins) {
        float[][] out = new float[w.length][e.trialSteps(bins) * e.outputCount()];
        for (int i = 0; i < w.length; i++) {
            assertThat(e.trial(w[i], bins, out[i])).isEqualTo(DecodeStatus.OK);
        }
        return out;
    }

    static List<ModelBundle> models(SplittableRandom rng) {
        return List.of(AparapiLfadsFloatTest.randomTrialModel(rng, 0), AparapiLfadsFloatTest.randomTrialModel(rng, 1),
                AparapiLfadsAcausalTest.randomAcausalModel(rng, 0), AparapiLfadsAcausalTest.randomAcausalModel(rng, 1),
                ModelBundle.fromResource("/models/lfads-lorenz-causal.rbundle"),
                ModelBundle.fromResource("/models/lfads-lorenz-small.rbundle"));
    }

    @Test
    @Timeout(600)
    void fixedPointBatchesAreCpuFixedTrialsBitForBitOnEveryDevice() {
        int windows = 0;
        for (AparapiFixedEngine.DeviceChoice choice : choices()) {
            SplittableRandom rng = new SplittableRandom(0xB47C4);
            for (ModelBundle b : models(rng)) {
                try (CpuEngine golden = new CpuEngine(true); AparapiFixedEngine e = new AparapiFixedEngine(choice)) {
                    golden.load(b);
                    e.load(b);
                    for (int n : new int[] {1, 7, 70}) {
                        int bins = n == 7 ? Math.max(1, golden.maxTrialBins() / 2) : golden.maxTrialBins();
                        float[][] w = windows(rng, n, bins, golden.inputCount());
                        windows += check(e, golden, w, bins, true);
                    }
                }
            }
        }
        System.out.println("aparapi-fixed trials() batches: " + windows + " windows bit for bit cpu-fixed ("
                + Arrays.toString(choices()) + ")");
    }

    @Test
    @Timeout(600)
    void float32BatchesAreTheEnginesOwnTrialsOnEveryDevice() {
        int windows = 0;
        for (AparapiFixedEngine.DeviceChoice choice : choices()) {
            SplittableRandom rng = new SplittableRandom(0xB47C5);
            for (ModelBundle b : models(rng)) {
                try (CpuEngine cpu = new CpuEngine(false); AparapiEngine e = new AparapiEngine(choice)) {
                    cpu.load(b);
                    e.load(b);
                    for (int n : new int[] {1, 7, 70}) {
                        int bins = n == 7 ? Math.max(1, cpu.maxTrialBins() / 2) : cpu.maxTrialBins();
                        float[][] w = windows(rng, n, bins, cpu.inputCount());
                        windows += check(e, e, w, bins, true);
                        float[][] out = new float[n][e.trialSteps(bins) * e.outputCount()];
                        assertThat(e.trials(w, bins, out)).isEqualTo(DecodeStatus.OK);
                        float[][] ref = alone(cpu, w, bins);
                        for (int i = 0; i < n; i++) {
                            if (i % 5 == 4) {
                                continue; // huge counts: AparapiLfadsFloatTest's looser rule and why
                            }
                            for (int k = 0; k < ref[i].length; k++) {
                                assertThat(AparapiLfadsFloatTest.close(out[i][k], ref[i][k]))
                                        .as("window %d [%d]: %s vs %s", i, k, out[i][k], ref[i][k]).isTrue();
                            }
                        }
                    }
                }
            }
        }
        System.out.println("aparapi trials() batches: " + windows + " windows equal to the engine's own trial");
    }

    /** The batch against {@code reference}'s trial of each window alone; the engine's stream is left alone. */
    private static int check(Engine e, Engine reference, float[][] w, int bins, boolean exact) {
        float[] bin = w[0].length >= e.inputCount() ? Arrays.copyOf(w[0], e.inputCount()) : new float[e.inputCount()];
        float[] stepOut = new float[e.outputCount()];
        assertThat(e.step(bin, stepOut)).isEqualTo(DecodeStatus.OK);
        byte[] cp = new byte[e.checkpointBytes()];
        assertThat(e.saveCheckpoint(cp)).isEqualTo(DecodeStatus.OK);
        float[][] out = new float[w.length][e.trialSteps(bins) * e.outputCount()];
        for (float[] o : out) {
            Arrays.fill(o, Float.NaN);
        }
        assertThat(e.trials(w, bins, out)).as("%s", e.health()).isEqualTo(DecodeStatus.OK);
        float[][] ref = alone(reference, w, bins);
        if (exact) {
            for (int i = 0; i < w.length; i++) {
                assertThat(out[i]).as("window %d of %d, %d bins", i, w.length, bins).isEqualTo(ref[i]);
            }
        }
        byte[] after = new byte[cp.length];
        e.saveCheckpoint(after);
        assertThat(after).as("the stream after a batch").isEqualTo(cp);
        return w.length;
    }

    static AparapiFixedEngine.DeviceChoice[] choices() {
        return AparapiDevices.probe().openCl() != null
                ? new AparapiFixedEngine.DeviceChoice[] {AparapiFixedEngine.DeviceChoice.OPENCL,
                        AparapiFixedEngine.DeviceChoice.JTP}
                : new AparapiFixedEngine.DeviceChoice[] {AparapiFixedEngine.DeviceChoice.JTP};
    }

    @Test
    @Timeout(300)
    void aBatchLargerThanOneLaunchIsSplitAndEachWindowIsStillItsTrial() {
        SplittableRandom rng = new SplittableRandom(0xB47C6);
        for (ModelBundle b : List.of(ModelBundle.fromResource("/models/lfads-lorenz-causal.rbundle"),
                ModelBundle.fromResource("/models/lfads-lorenz-small.rbundle"))) {
            try (CpuEngine golden = new CpuEngine(true);
                 TrialBatcher batcher = new TrialBatcher(b, true, AparapiFixedEngine.DeviceChoice.AUTO,
                         io.reflex.decoders.lfads.LfadsDims.from(b).readoutDim(), 4)) {
                golden.load(b);
                int bins = golden.maxTrialBins();
                float[][] w = windows(rng, 11, bins, golden.inputCount());
                float[][] out = new float[11][golden.trialSteps(bins) * golden.outputCount()];
                assertThat(batcher.run(w, bins, out, golden.trialSteps(bins))).isEqualTo(DecodeStatus.OK);
                assertThat(out).isDeepEqualTo(alone(golden, w, bins));
            }
        }
    }

    @Test
    @Timeout(300)
    void badInputIsRefusedWithEveryOutputZeroedAndAnSnnHasNoTrials() {
        ModelBundle b = ModelBundle.fromResource("/models/lfads-lorenz-causal.rbundle");
        try (AparapiFixedEngine e = new AparapiFixedEngine(AparapiFixedEngine.DeviceChoice.AUTO)) {
            e.load(b);
            int bins = e.maxTrialBins();
            float[][] w = windows(new SplittableRandom(1), 3, bins, e.inputCount());
            float[][] out = new float[3][e.trialSteps(bins) * e.outputCount()];
            for (float[] o : out) {
                Arrays.fill(o, 7f);
            }
            assertThat(e.trials(w, bins + 1, out)).isEqualTo(DecodeStatus.INVALID_INPUT);
            for (float[] o : out) {
                assertThat(o).containsOnly(0f);
            }
            assertThat(e.trials(w, bins, new float[2][out[0].length])).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(e.trials(new float[][] {w[0], new float[5], w[2]}, bins, out))
                    .isEqualTo(DecodeStatus.INVALID_INPUT);
            float[][] nan = {w[0], w[1].clone(), w[2]};
            nan[1][9] = Float.NaN;
            assertThat(e.trials(nan, bins, out)).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(e.health().healthy()).as("bad input is not a fault").isTrue();
            assertThat(e.trials(w, bins, out)).isEqualTo(DecodeStatus.OK);
        }
        ModelBundle snn = SnnDecoder.reservoirBundle(new SnnDecoder.Context().inputCount(8).neuronCount(256), "s", "t")
                .toBundle();
        try (AparapiFixedEngine e = new AparapiFixedEngine(AparapiFixedEngine.DeviceChoice.AUTO)) {
            e.load(snn);
            assertThat(e.trials(new float[][] {new float[8]}, 1, new float[][] {new float[256]}))
                    .isEqualTo(DecodeStatus.INVALID_INPUT);
        }
    }

    @Test
    @Timeout(300)
    void throughAnEngineChainTheBatchRunsOnTheAparapiEngine() {
        ModelBundle b = ModelBundle.fromResource("/models/lfads-lorenz-small.rbundle");
        try (CpuEngine golden = new CpuEngine(true)) {
            golden.load(b);
            EngineChain chain = new EngineChain(List.of(new AparapiFixedEngine(AparapiFixedEngine.DeviceChoice.AUTO),
                    new CpuEngine(true)));
            chain.load(b);
            int bins = chain.maxTrialBins();
            float[][] w = windows(new SplittableRandom(2), 20, bins, chain.inputCount());
            float[][] out = new float[20][chain.trialSteps(bins) * chain.outputCount()];
            assertThat(chain.trials(w, bins, out)).isEqualTo(DecodeStatus.OK);
            assertThat(chain.activeIndex()).isZero();
            assertThat(chain.failovers()).isZero();
            assertThat(out).isDeepEqualTo(alone(golden, w, bins));
            chain.close();
        }
    }
}
