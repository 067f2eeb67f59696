package io.reflex.decoders.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.lfads.LfadsBundleBuilder;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.decoders.snn.SnnDecoder;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The engine contract: an engine never throws for bad data and bad data is never an engine fault. Every entry point
 * ({@code step}, {@code trial}) of the CPU engines, alone and in a chain, gets random bad input (null and short
 * arrays, NaN, infinities, negative counts, windows outside {@code [1, maxTrialBins()]}, including one bin more than
 * allowed in arrays big enough for it): each call returns INVALID_INPUT with zeroed outputs, leaves the stream where
 * it was (the next good bin matches an engine that never saw the bad call), and a chain keeps every engine usable.
 */
class EngineBadInputPropertyTest {

    static final LfadsDims CAUSAL = new LfadsDims(5, 6, 6, 0, 4, 4, 2, 0, 8, 3, 5, 1, 5.0, 0.02, true);
    static final LfadsDims SLIDING = new LfadsDims(5, 6, 6, 4, 4, 4, 2, 3, 8, 3, 5, 1, 5.0, 0.02, false);
    static final ModelBundle[] BUNDLES = {
        LfadsBundleBuilder.random(CAUSAL, 3, true).build("causal", true),
        LfadsBundleBuilder.random(SLIDING, 4, true).build("sliding", true),
        ModelBundle.fromResource("/models/lfads-lorenz-causal.rbundle"),
        ModelBundle.fromResource("/models/lfads-lorenz-small.rbundle"),
        ModelBundle.fromResource("/models/lfads-centerout-causal.rbundle"),
        SnnDecoder.reservoirBundle(new SnnDecoder.Context().inputCount(12).neuronCount(256).seed(3), "snn",
                "EngineBadInputPropertyTest").toBundle(),
    };

    @SuppressWarnings("unchecked")
    static final Supplier<Engine>[] ENGINES = new Supplier[] {
        () -> new CpuEngine(true),
        () -> new CpuEngine(false),
        () -> new EngineChain(List.of(new CpuEngine(true), new CpuEngine(false))),
        () -> new EngineChain(List.of(new CpuEngine(false), new CpuEngine(true))),
        () -> CpuEngine.create(CpuEngine.CPU, java.util.Map.of("output", "rates")),
        () -> CpuEngine.create(CpuEngine.CPU_FIXED, java.util.Map.of("output", "log_rates")),
    };

    @Property(tries = 400)
    void badInputIsRefusedAndNeverFaultsTheEngine(@ForAll @IntRange(min = 0, max = 5) int bundle,
                                                  @ForAll @IntRange(min = 0, max = 5) int engine,
                                                  @ForAll @IntRange(min = 0, max = 9) int kind,
                                                  @ForAll long seed) {
        // the output option is an LFADS option: an SNN bundle is refused at load with those engines
        Assume.that(engine < 4 || BUNDLES[bundle].modelType().equals("lfads"));
        Random rnd = new Random(seed);
        Engine e = ENGINES[engine].get();
        Engine reference = ENGINES[engine].get();
        e.load(BUNDLES[bundle]);
        reference.load(BUNDLES[bundle]);
        int in = e.inputCount();
        int outN = e.outputCount();
        int max = e.maxTrialBins();
        float[] good = goodBin(rnd, in);
        float[] o = new float[outN];
        float[] r = new float[outN];
        // both engines mid-stream, in the same state
        for (int t = 0; t < 1 + rnd.nextInt(4); t++) {
            assertThat(e.step(good, o)).isEqualTo(DecodeStatus.OK);
            assertThat(reference.step(good, r)).isEqualTo(DecodeStatus.OK);
        }

        float[] out = filled(rnd, Math.max(outN, (max + 2) * outN + 8));
        int status;
        switch (kind) {
            case 0 -> status = e.step(null, out);
            case 1 -> status = e.step(new float[rnd.nextInt(in)], out);
            case 2 -> status = e.step(good, rnd.nextBoolean() ? null : new float[rnd.nextInt(outN)]);
            case 3 -> {
                float[] bad = good.clone();
                bad[rnd.nextInt(in)] = badValue(rnd);
                status = e.step(bad, out);
            }
            case 4 -> {
                int[] bins = {-1, 0, max + 1, max + 2, Integer.MAX_VALUE, Integer.MIN_VALUE, -max - 1};
                status = e.trial(filled(rnd, (max + 2) * in), bins[rnd.nextInt(bins.length)], out);
            }
            case 5 -> status = e.trial(goodWindow(rnd, max + 1, in), max + 1, out);
            case 6 -> {
                int bins = 1 + rnd.nextInt(Math.max(1, max));
                status = e.trial(new float[rnd.nextInt(Math.max(1, bins * in))], bins, out);
            }
            case 7 -> {
                int bins = 1 + rnd.nextInt(Math.max(1, max));
                status = e.trial(goodWindow(rnd, bins, in), bins, rnd.nextBoolean() ? null : new float[rnd.nextInt(
                        Math.max(1, e.trialSteps(bins) * outN))]);
            }
            case 8 -> {
                int bins = 1 + rnd.nextInt(Math.max(1, max));
                float[] w = goodWindow(rnd, bins, in);
                w[rnd.nextInt(w.length)] = badValue(rnd);
                status = e.trial(w, bins, out);
            }
            default -> status = e.trial(null, 1 + rnd.nextInt(Math.max(1, max)), out);
        }
        assertThat(status).as("kind %d", kind).isEqualTo(DecodeStatus.INVALID_INPUT);
        if (kind != 2 && kind != 7) {
            for (int k = 0; k < outN; k++) {
                assertThat(out[k]).as("output %d zeroed", k).isZero();
            }
        }
        // the stream is where it was: the next good bin matches the engine that never saw the bad call
        float[] next = goodBin(rnd, in);
        assertThat(e.step(next, o)).isEqualTo(DecodeStatus.OK);
        assertThat(reference.step(next, r)).isEqualTo(DecodeStatus.OK);
        assertThat(o).containsExactly(r);
        assertThat(e.health().healthy()).isTrue();
        if (e instanceof EngineChain chain) {
            assertThat(chain.failovers()).isZero();
            assertThat(chain.statuses()).allSatisfy(s -> {
                assertThat(s.usable()).isTrue();
                assertThat(s.faults()).isZero();
            });
            assertThat(chain.describe()).doesNotContain("failed");
        }
    }

    static float badValue(Random rnd) {
        float[] bad = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -1f, -0.5f, -1e30f,
            -Float.MIN_VALUE};
        return bad[rnd.nextInt(bad.length)];
    }

    static float[] goodBin(Random rnd, int n) {
        float[] b = new float[n];
        for (int k = 0; k < n; k++) {
            b[k] = rnd.nextInt(4);
        }
        return b;
    }

    static float[] goodWindow(Random rnd, int bins, int n) {
        return goodBin(rnd, Math.max(1, bins) * n);
    }

    static float[] filled(Random rnd, int n) {
        float[] b = new float[n];
        for (int k = 0; k < n; k++) {
            b[k] = rnd.nextFloat();
        }
        return b;
    }
}
