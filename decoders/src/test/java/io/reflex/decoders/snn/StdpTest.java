package io.reflex.decoders.snn;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Neuron 0 (pre) is driven by input 0; neuron 1 (post) by input 1; the plastic synapse under test is the recurrent
 * 0 → 1 (CSR edge 1). The drives are input synapses, kept fixed by leaving the input group non-plastic.
 */
class StdpTest {
    private static final int THETA = 10_000;
    private static final int PLASTIC_EDGE = 1;
    private static final int[] NONE = new int[0];

    private static LifPopulation pair(int w0, StdpParams stdp) {
        // row 0: input 0 (col 2); row 1: neuron 0 (col 0), input 1 (col 3)
        SynapseMatrix syn = new SynapseMatrix(2, 2, new int[] {0, 1, 3}, new int[] {2, 0, 3},
            new short[] {THETA, (short) w0, THETA});
        return new LifPopulation(new LifParams().kSyn(0).kMem(1).thetaV(THETA).tRefTicks(0)
            .resetMode(ResetMode.ZERO), syn, null, stdp);
    }

    private static StdpParams rule() {
        return new StdpParams().kPlus(2).kMinus(2).aPlus(400).aMinus(300).wMin(-1000).wMax(2000)
            .recurrentPlastic(true).inputPlastic(false);
    }

    /** Drives pre at tick tPre and post at tick tPost (inputs), runs to tick end, returns the plastic weight. */
    private static int run(LifPopulation pop, int tPre, int tPost, int end) {
        for (int t = 0; t < end; t++) {
            int[] in = new int[2];
            int c = 0;
            if (t == tPre) {
                in[c++] = 0;
            }
            if (t == tPost) {
                in[c++] = 1;
            }
            pop.tick(in, c);
            if (t == tPre) {
                assertThat(pop.spiked(0)).isTrue();
            }
            if (t == tPost) {
                assertThat(pop.spiked(1)).isTrue();
            }
        }
        return pop.synapses().weight(PLASTIC_EDGE);
    }

    private static int decay(int x, int k, int times) {
        for (int i = 0; i < times; i++) {
            x -= x >> k;
        }
        return x;
    }

    private static int round16(long v) {
        return (int) ((v + (1 << 15)) >> 16);
    }

    @Test
    void preBeforePostPotentiatesByAPlusTimesThePreTrace() {
        LifPopulation pop = pair(100, rule());
        // neuron 0 fires at tick 0, its spike reaches the synapse at tick 1; post fires at tick 3
        int w = run(pop, 0, 3, 6);
        int xPre = decay(StdpParams.TRACE_ONE, 2, 2);
        assertThat(w).isEqualTo(100 + round16(400L * xPre)).isGreaterThan(100);
    }

    @Test
    void postBeforePreDepressesByAMinusTimesThePostTrace() {
        LifPopulation pop = pair(100, rule());
        // post fires at tick 0; pre fires at 3, delivered at 4, x_post from the end of tick 3
        int w = run(pop, 3, 0, 6);
        int xPost = decay(StdpParams.TRACE_ONE, 2, 3);
        assertThat(w).isEqualTo(100 - round16(300L * xPost)).isLessThan(100);
    }

    @Test
    void closerPairsChangeTheWeightMore() {
        int near = run(pair(100, rule()), 0, 1, 4);
        int far = run(pair(100, rule()), 0, 5, 8);
        assertThat(near).isGreaterThan(far).isGreaterThan(100);
        int nearDep = run(pair(100, rule()), 1, 0, 4);
        int farDep = run(pair(100, rule()), 5, 0, 8);
        assertThat(nearDep).isLessThan(farDep).isLessThan(100);
    }

    @Test
    void repeatedPairingSaturatesAtTheConfiguredRange() {
        LifPopulation up = pair(100, rule());
        for (int rep = 0; rep < 50; rep++) {
            run(up, 0, 1, 12);
        }
        assertThat((int) up.synapses().weight(PLASTIC_EDGE)).isEqualTo(2000);
        LifPopulation down = pair(100, rule());
        for (int rep = 0; rep < 50; rep++) {
            run(down, 1, 0, 12);
        }
        assertThat((int) down.synapses().weight(PLASTIC_EDGE)).isEqualTo(-1000);
        // int16 saturation with the default range
        LifPopulation full = pair(32_000, new StdpParams().kPlus(2).kMinus(2).aPlus(30_000).aMinus(0));
        run(full, 0, 1, 4);
        assertThat((int) full.synapses().weight(PLASTIC_EDGE)).isEqualTo(Short.MAX_VALUE);
    }

    @Test
    void groupsSwitchIndependently() {
        LifPopulation frozen = pair(100, rule().wMax(20_000).recurrentPlastic(false).inputPlastic(true));
        int w = run(frozen, 0, 3, 6);
        assertThat(w).isEqualTo(100);
        // the input synapses (group "input") did learn: input 0 → neuron 0 fired together with its pre event
        assertThat((int) frozen.synapses().weight(0)).isGreaterThan(THETA);
        LifPopulation none = pair(100, null);
        assertThat(run(none, 0, 3, 6)).isEqualTo(100);
    }

    @Test
    void transposedCopyFollowsStdpUpdates() {
        LifPopulation pop = pair(100, rule());
        run(pop, 0, 1, 4);
        int w = pop.synapses().weight(PLASTIC_EDGE);
        assertThat(w).isGreaterThan(100);
        // delivery of neuron 0's next spike uses the updated weight (k_syn = 0: I_1 = w)
        pop.tick(new int[] {0}, 1);
        pop.tick(NONE, 0);
        assertThat(pop.current(1)).isEqualTo(w);
    }
}
