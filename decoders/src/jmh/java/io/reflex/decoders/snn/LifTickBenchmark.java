package io.reflex.decoders.snn;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One 1 ms tick of the LIF core: 1,024 neurons, 64 synapses per neuron on average (56 recurrent + 8 input), 96 input
 * channels spiking at 20 Hz each (Bernoulli per tick, a precomputed 1,000-tick pattern replayed in a loop), with the
 * SNN decoder's reservoir parameters or a sparser regime. The network settles during setup (2,000 ticks). The
 * event-driven cost grows with the spike count, the dense one does not.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class LifTickBenchmark {
    static final int PATTERN_TICKS = 1000;

    @Param({"1024"})
    int neurons;

    @Param({"false", "true"})
    boolean stdp;

    /**
     * {@code decoder}: the SNN decoder's weights (input U[0, 16000], recurrent U[±3000], no bias); {@code sparse}:
     * input U[0, 6000], recurrent U[±2000], no bias, about 27 Hz per neuron. The rates are printed at setup.
     */
    @Param({"decoder", "sparse"})
    String regime;

    private LifPopulation pop;
    private int[][] inputs;
    private int[] inputCounts;
    private boolean[][] inputFlags;
    private int t;
    private long spikes;
    private long ticks;

    @Setup(Level.Trial)
    public void setup() {
        int m = 96;
        NetworkGenerator.Network net = new NetworkGenerator().neuronCount(neurons).inputCount(m).recurrentFanIn(56)
            .inputFanIn(8).recurrentWeights(regime.equals("sparse") ? -2000 : -3000, regime.equals("sparse") ? 2000 : 3000)
            .inputWeights(0, regime.equals("sparse") ? 6000 : 16_000).biases(0, 0)
            .seed(1).generate();
        LifParams p = new LifParams().kSyn(3).kMem(4).thetaV(1 << 16).tRefTicks(2).resetMode(ResetMode.SUBTRACT);
        pop = new LifPopulation(p, net.synapses(), net.bias(),
            stdp ? new StdpParams().aPlus(16).aMinus(16).wMin(-8000).wMax(8000) : null);
        SplitMix64 rng = new SplitMix64(2);
        inputs = new int[PATTERN_TICKS][m];
        inputCounts = new int[PATTERN_TICKS];
        inputFlags = new boolean[PATTERN_TICKS][m];
        long threshold = (long) (0.020 * 9007199254740992.0);
        for (int tt = 0; tt < PATTERN_TICKS; tt++) {
            for (int k = 0; k < m; k++) {
                if (rng.next53() < threshold) {
                    inputs[tt][inputCounts[tt]++] = k;
                    inputFlags[tt][k] = true;
                }
            }
        }
        for (int i = 0; i < 2000; i++) {
            tick();
        }
        // printed in setup, not in a teardown, so that no allocation falls into a measured iteration
        System.out.printf("%n[LifTickBenchmark] neurons=%d stdp=%b regime=%s mean spikes per tick=%.1f (%.0f Hz per "
            + "neuron), synapses=%d%n", neurons, stdp, regime, spikes / 2000.0, 1000.0 * spikes / 2000 / neurons,
            pop.synapses().synapseCount());
        spikes = 0;
        ticks = 0;
    }

    /** The activity over warm-up and measurement: with STDP the weights, and so the rate, keep changing. */
    @TearDown(Level.Trial)
    public void report() {
        System.out.printf("%n[LifTickBenchmark] after the run: neurons=%d stdp=%b regime=%s mean spikes per tick=%.1f "
            + "over %d ticks%n", neurons, stdp, regime, spikes / (double) Math.max(1, ticks), ticks);
    }

    /** One event-driven tick (the production path). */
    @Benchmark
    public int tick() {
        int r = pop.tick(inputs[t], inputCounts[t]);
        spikes += r;
        ticks++;
        if (++t == PATTERN_TICKS) {
            t = 0;
        }
        return r;
    }

    /** One dense reference tick (every synapse scanned), for comparison. */
    @Benchmark
    public int tickDense() {
        int r = pop.tickDense(inputFlags[t]);
        spikes += r;
        ticks++;
        if (++t == PATTERN_TICKS) {
            t = 0;
        }
        return r;
    }
}
