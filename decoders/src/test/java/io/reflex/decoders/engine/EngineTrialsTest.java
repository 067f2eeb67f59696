package io.reflex.decoders.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.lfads.LfadsBundleBuilder;
import io.reflex.decoders.lfads.LfadsDims;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Engine#trials}: many windows in one call, each exactly its {@link Engine#trial} alone, on an engine (the
 * default, one after the other) and through an {@link EngineChain}, which fails over to the next engine for the whole
 * batch when the active one faults; bad input is refused with every output zeroed and is never a fault.
 */
class EngineTrialsTest {
    static final LfadsDims CAUSAL = new LfadsDims(5, 6, 8, 0, 4, 4, 2, 0, 8, 3, 5, 1, 5.0, 0.02, true);
    static final LfadsDims ACAUSAL = new LfadsDims(5, 7, 7, 6, 0, 0, 0, 6, 8, 3, 5, 1, 5.0, 0.02, false);

    static float[][] windows(SplittableRandom rng, int n, int bins, int inputs) {
        float[][] w = new float[n][bins * inputs];
        for (float[] x : w) {
            for (int k = 0; k < x.length; k++) {
                x[k] = rng.nextInt(0, 7);
            }
        }
        return w;
    }

    /** What each window gives alone through {@link Engine#trial}. */
    static float[][] alone(Engine e, float[][] windows, int bins) {
        float[][] out = new float[windows.length][e.trialSteps(bins) * e.outputCount()];
        for (int i = 0; i < windows.length; i++) {
            assertThat(e.trial(windows[i], bins, out[i])).isEqualTo(DecodeStatus.OK);
        }
        return out;
    }

    @Test
    void everyWindowOfABatchIsItsTrialAloneAndTheStreamIsLeftAlone() {
        SplittableRandom rng = new SplittableRandom(0x7A1A5);
        for (LfadsDims d : new LfadsDims[] {CAUSAL, ACAUSAL}) {
            for (boolean fixed : new boolean[] {true, false}) {
                ModelBundle b = LfadsBundleBuilder.random(d, rng.nextLong(), true).build("t", true);
                CpuEngine e = new CpuEngine(fixed);
                e.load(b);
                int bins = d.encSeqLen() - 1;
                float[][] w = windows(rng, 9, bins, d.dataDim());
                float[] bin = {1, 2, 0, 3, 1};
                float[] before = new float[e.outputCount()];
                e.step(bin, before);
                byte[] cp = new byte[e.checkpointBytes()];
                e.saveCheckpoint(cp);
                float[][] out = new float[w.length][e.trialSteps(bins) * e.outputCount()];
                assertThat(e.trials(w, bins, out)).isEqualTo(DecodeStatus.OK);
                assertThat(out).isDeepEqualTo(alone(e, w, bins));
                byte[] after = new byte[cp.length];
                e.saveCheckpoint(after);
                assertThat(after).as("the stream's state after a batch").isEqualTo(cp);
                assertThat(e.trials(new float[0][], bins, new float[0][])).isEqualTo(DecodeStatus.OK);
                e.close();
            }
        }
    }

    /** Faults every batch (a card that stops answering), while single calls still work. */
    static final class FaultingBatches extends ForwardingEngine {
        int batches;

        FaultingBatches(Engine inner) {
            super(inner);
        }

        @Override
        public int trials(float[][] windows, int bins, float[][] outs) {
            batches++;
            return DecodeStatus.ENGINE_FAULT;
        }
    }

    @Test
    void aChainFailsOverForTheWholeBatchAndBadInputIsNeverAFault() {
        SplittableRandom rng = new SplittableRandom(0x7A1A6);
        ModelBundle b = LfadsBundleBuilder.random(CAUSAL, 11, true).build("c", true);
        FaultingBatches first = new FaultingBatches(new CpuEngine(true));
        EngineChain chain = new EngineChain(List.of(first, new CpuEngine(true)));
        chain.load(b);
        CpuEngine reference = new CpuEngine(true);
        reference.load(b);
        int bins = 6;
        float[][] w = windows(rng, 5, bins, 5);
        float[][] out = new float[5][chain.trialSteps(bins) * chain.outputCount()];

        // bad input first: refused before any engine is called, every output zeroed, no failover
        for (float[] o : out) {
            java.util.Arrays.fill(o, 9f);
        }
        float[][] nan = new float[][] {w[0], w[1].clone()};
        nan[1][3] = Float.NaN;
        assertThat(chain.trials(nan, bins, out)).isEqualTo(DecodeStatus.INVALID_INPUT);
        for (float[] o : out) {
            assertThat(o).containsOnly(0f);
        }
        assertThat(chain.trials(w, bins, new float[4][out[0].length])).as("fewer outputs than windows")
                .isEqualTo(DecodeStatus.INVALID_INPUT);
        assertThat(chain.trials(new float[][] {w[0], new float[3]}, bins, out)).as("a short window")
                .isEqualTo(DecodeStatus.INVALID_INPUT);
        assertThat(chain.trials(w, chain.maxTrialBins() + 1, out)).isEqualTo(DecodeStatus.INVALID_INPUT);
        assertThat(chain.trials(w, bins, new float[][] {out[0], out[1], out[2], out[3], new float[2]}))
                .as("a short output").isEqualTo(DecodeStatus.INVALID_INPUT);
        assertThat(first.batches).isZero();
        assertThat(chain.failovers()).isZero();

        assertThat(chain.trials(w, bins, out)).isEqualTo(DecodeStatus.OK);
        assertThat(first.batches).isEqualTo(1);
        assertThat(chain.failovers()).isEqualTo(1);
        assertThat(chain.activeIndex()).isEqualTo(1);
        assertThat(out).isDeepEqualTo(alone(reference, w, bins));
    }
}
