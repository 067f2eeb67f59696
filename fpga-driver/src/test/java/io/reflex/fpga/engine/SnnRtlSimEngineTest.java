package io.reflex.fpga.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.bundle.ModelBundleWriter;
import io.reflex.decoders.engine.Engine;
import io.reflex.decoders.engine.EngineException;
import io.reflex.decoders.snn.LifParams;
import io.reflex.decoders.snn.LifPopulation;
import io.reflex.decoders.snn.NetworkGenerator;
import io.reflex.decoders.snn.SnnDecoder;
import io.reflex.decoders.snn.SynapseMatrix;
import io.reflex.fpga.rtlsim.RtlSimEngineFactory;
import io.reflex.fpga.rtlsim.TestLibraries;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The rtl-sim engine on a random 512-neuron SNN reservoir (the SNN decoder's default recipe, 96 inputs, 20 ticks
 * per bin) against the golden model {@link LifPopulation} with the engine semantics of DESIGN ("Engine semantics for
 * the SNN": the decoder's spreading of counts over ticks, the Q16 traces after every tick, out = trace / 65536),
 * float for float. The engine builds its own library (the default snn_kernel build, runtime optimisation).
 */
class SnnRtlSimEngineTest {
    static final int CHANNELS = 96;

    @BeforeAll
    static void tools() {
        TestLibraries.assumeTools();
    }

    /** A reservoir bundle as SnnDecoder writes it (the readout is the decoder's, not the engine's). */
    static ModelBundle reservoir(SnnDecoder.Context ctx, NetworkGenerator.Network net) {
        LifParams p = ctx.lif();
        SynapseMatrix s = net.synapses();
        int n = ctx.neuronCount();
        return new ModelBundleWriter("snn", "reservoir-512").hyperparameter("neuron_count", n)
                .hyperparameter("input_count", CHANNELS).hyperparameter("output_count", 2)
                .hyperparameter("synapse_count", s.synapseCount()).hyperparameter("k_syn", p.kSyn())
                .hyperparameter("k_mem", p.kMem()).hyperparameter("theta", p.thetaV())
                .hyperparameter("v_rest", p.vRest()).hyperparameter("v_reset", p.vReset())
                .hyperparameter("t_ref", p.tRefTicks()).hyperparameter("reset_mode", p.resetMode().bundleName())
                .hyperparameter("tick_us", 1000).hyperparameter("bin_ticks", ctx.binTicks())
                .hyperparameter("input_spread", "even").hyperparameter("filter_shift", 5)
                .putInt32("row_ptr", new int[] {n + 1}, s.rowPtrCopy()).putInt32("col", new int[] {s.synapseCount()},
                        s.colCopy())
                .putInt16("w", new int[] {s.synapseCount()}, s.weightsCopy()).putInt32("bias", new int[] {n},
                        net.bias())
                .toBundle();
    }

    /** The reference: golden LIF ticks, the decoder's input spreading and the Q16 traces. */
    static final class Reference {
        final LifPopulation pop;
        final int binTicks;
        final int[] trace;
        final int[][] tickInputs;
        final int[] tickCount;

        Reference(SnnDecoder.Context ctx, NetworkGenerator.Network net) {
            pop = new LifPopulation(ctx.lif(), net.synapses(), net.bias(), null);
            binTicks = ctx.binTicks();
            trace = new int[ctx.neuronCount()];
            tickInputs = new int[binTicks][CHANNELS];
            tickCount = new int[binTicks];
        }

        void step(float[] counts, float[] out) {
            Arrays.fill(tickCount, 0);
            for (int k = 0; k < CHANNELS; k++) {
                int c = Math.min(Math.round(counts[k]), binTicks);
                for (int m = 0; m < c; m++) {
                    int t = (2 * m + 1) * binTicks / (2 * c);
                    tickInputs[t][tickCount[t]++] = k;
                }
            }
            for (int t = 0; t < binTicks; t++) {
                pop.tick(tickInputs[t], tickCount[t]);
                for (int i = 0; i < trace.length; i++) {
                    trace[i] -= trace[i] >> 5;
                }
                for (int q = 0; q < pop.spikeCount(); q++) {
                    trace[pop.spikeAt(q)] += 1 << 16;
                }
            }
            for (int i = 0; i < trace.length; i++) {
                out[i] = trace[i] / 65536f;
            }
        }

        void reset() {
            pop.reset();
            Arrays.fill(trace, 0);
        }
    }

    @Test
    @Timeout(1800)
    void reservoirOf512NeuronsMatchesTheGoldenModelBitForBit() {
        SnnDecoder.Context ctx = new SnnDecoder.Context().inputCount(CHANNELS).seed(7).conclude();
        NetworkGenerator.Network net = ctx.recipe().generate();
        ModelBundle b = reservoir(ctx, net);
        Reference ref = new Reference(ctx, net);
        try (Engine e = new RtlSimEngineFactory().create(Map.of())) {
            e.load(b);
            assertThat(e.device()).contains("librtlsim_snn_kernel.so").contains("MAX_N=1024")
                    .contains("MAX_NNZ=32768");
            assertThat(e.inputCount()).isEqualTo(CHANNELS);
            assertThat(e.outputCount()).isEqualTo(512);
            SplittableRandom r = new SplittableRandom(9);
            float[] in = new float[CHANNELS];
            float[] got = new float[512];
            float[] want = new float[512];
            long spikes = 0;
            long wallNs = 0;
            int bins = 24;
            for (int t = 0; t < bins; t++) {
                if (t == 16) {
                    e.reset();
                    ref.reset();
                }
                for (int k = 0; k < CHANNELS; k++) {
                    // rates around the demo data's, plus counts beyond bin_ticks and fractional values
                    in[k] = r.nextInt(30) == 0 ? 25f : r.nextInt(30) == 0 ? 1.5f : r.nextInt(4);
                }
                long t0 = System.nanoTime();
                assertThat(e.step(in, got)).isEqualTo(DecodeStatus.OK);
                wallNs += System.nanoTime() - t0;
                ref.step(in, want);
                for (int i = 0; i < 512; i++) {
                    assertThat(Float.floatToRawIntBits(got[i])).as("bin " + t + " neuron " + i)
                            .isEqualTo(Float.floatToRawIntBits(want[i]));
                }
                spikes += ref.pop.spikeCount();
                assertThat(e.lastCallCycles()).isPositive();
            }
            assertThat(spikes).as("the reservoir is active").isPositive();
            System.out.printf("rtl-sim SNN 512 neurons, %d synapses, 20 ticks/bin: %.1f ms per bin, %d cycles last"
                    + " bin%n", net.synapses().synapseCount(), wallNs / 1e6 / bins, e.lastCallCycles());
            float[] nan = new float[CHANNELS];
            nan[3] = Float.NaN;
            assertThat(e.step(nan, got)).isEqualTo(DecodeStatus.INVALID_INPUT);
            assertThat(e.health().healthy()).isTrue();
        }
    }

    @Test
    @Timeout(900)
    void aReservoirLargerThanAGivenBuildIsRefused() {
        SnnDecoder.Context ctx = new SnnDecoder.Context().inputCount(CHANNELS).seed(7).conclude();
        ModelBundle b = reservoir(ctx, ctx.recipe().generate());
        try (Engine e = new RtlSimEngineFactory().create(Map.of("library",
                TestLibraries.snnSmallLibrary().toString()))) {
            assertThatThrownBy(() -> e.load(b)).isInstanceOf(EngineException.class)
                    .hasMessageContaining("exceeds the build").hasMessageContaining("MAX_N 64");
        }
        try (Engine e = new RtlSimEngineFactory().create(Map.of("max_n", "256"))) {
            assertThatThrownBy(() -> e.load(b)).isInstanceOf(EngineException.class)
                    .hasMessageContaining("N 512").hasMessageContaining("MAX_N 256");
        }
    }
}
