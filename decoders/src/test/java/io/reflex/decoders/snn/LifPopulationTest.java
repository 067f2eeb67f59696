package io.reflex.decoders.snn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LifPopulationTest {

    private static final int[] NO_INPUT = new int[0];

    /** One neuron, no synapses, constant drive through its bias. */
    private static LifPopulation single(LifParams p, int bias) {
        SynapseMatrix syn = new SynapseMatrix(1, 0, new int[] {0, 0}, new int[0], new short[0]);
        return new LifPopulation(p, syn, new int[] {bias}, null);
    }

    private static List<Integer> spikeTicks(LifPopulation pop, int ticks) {
        List<Integer> out = new ArrayList<>();
        for (int t = 0; t < ticks; t++) {
            if (pop.tick(NO_INPUT, 0) > 0) {
                out.add(t);
            }
        }
        return out;
    }

    /**
     * Ticks from V = V_rest until V ≥ θ for the map d ← d − (d >> k) + b (d = V − V_rest ≥ 0), derived level by
     * level rather than tick by tick: while q = d >> k is constant the map adds the constant b − q, so the number of
     * steps that stay in level q, or that reach the threshold distance D, is a ceiling division. Returns −1 when the
     * neuron never fires (the trajectory stalls at the first level q with b − q ≤ 0, below D).
     */
    private static long ticksToThreshold(long b, int k, long distance) {
        long d = 0;
        long ticks = 0;
        while (d < distance) {
            long q = d >> k;
            long step = b - q;
            if (step <= 0) {
                return -1;
            }
            long levelEnd = (q + 1) << k;
            long target = Math.min(levelEnd, distance);
            long n = (target - d + step - 1) / step;
            d += n * step;
            ticks += n;
        }
        return ticks;
    }

    @Test
    void integratorFiresEveryCeilThetaOverBPlusTRefTicks() {
        // k_mem = 31: (V − V_rest) >> 31 = 0 for 0 ≤ V − V_rest < 2^31, a perfect integrator.
        int theta = 1000;
        for (int b : new int[] {1, 7, 100, 333, 999, 1000, 1500}) {
            for (int tRef : new int[] {0, 1, 5}) {
                LifPopulation pop = single(new LifParams().kMem(31).kSyn(0).thetaV(theta).tRefTicks(tRef)
                    .resetMode(ResetMode.ZERO), b);
                int ticks = 5000;
                long firstGap = (theta + b - 1) / b;
                long period = firstGap + tRef;
                List<Integer> expected = new ArrayList<>();
                for (long t = firstGap - 1; t < ticks; t += period) {
                    expected.add((int) t);
                }
                assertThat(spikeTicks(pop, ticks)).as("b=%d tRef=%d", b, tRef).isEqualTo(expected);
            }
        }
    }

    @Test
    void subtractResetIntegratorFiresAtExactRateBOverTheta() {
        for (int b : new int[] {3, 250, 377, 999}) {
            int theta = 1000;
            LifPopulation pop = single(new LifParams().kMem(31).thetaV(theta).tRefTicks(0)
                .resetMode(ResetMode.SUBTRACT), b);
            int ticks = 10_000;
            int count = 0;
            for (int t = 1; t <= ticks; t++) {
                count += pop.tick(NO_INPUT, 0);
                assertThat(count).as("spikes after %d ticks, b=%d", t, b).isEqualTo((int) ((long) t * b / theta));
            }
            // V keeps the remainder: (T·b) mod θ
            assertThat(pop.membrane(0)).isEqualTo((int) ((long) ticks * b % theta));
        }
    }

    @Test
    void leakyNeuronFiresAtTheDerivedShiftDecayRate() {
        int theta = 1 << 16;
        for (int k : new int[] {1, 3, 4, 6}) {
            for (int b : new int[] {5000, 9000, 20_000, 70_000}) {
                for (int tRef : new int[] {0, 2}) {
                    long n = ticksToThreshold(b, k, theta);
                    LifPopulation pop = single(new LifParams().kMem(k).kSyn(0).thetaV(theta).vRest(0).vReset(0)
                        .tRefTicks(tRef).resetMode(ResetMode.ZERO), b);
                    int ticks = 3000;
                    List<Integer> got = spikeTicks(pop, ticks);
                    if (n < 0) {
                        assertThat(got).as("k=%d b=%d sub-threshold", k, b).isEmpty();
                        continue;
                    }
                    List<Integer> expected = new ArrayList<>();
                    for (long t = n - 1; t < ticks; t += n + tRef) {
                        expected.add((int) t);
                    }
                    assertThat(got).as("k=%d b=%d tRef=%d n=%d", k, b, tRef, n).isEqualTo(expected);
                    // the exact rate is close to the continuous-time LIF rate 1 / (T_ref + τ ln(V∞ / (V∞ − θ)))
                    double tau = -1.0 / Math.log(1.0 - Math.pow(2, -k));
                    double vInf = b * Math.pow(2, k);
                    if (vInf > theta * 1.2) {
                        double continuous = tau * Math.log(vInf / (vInf - theta));
                        assertThat((double) n).isCloseTo(continuous, org.assertj.core.data.Offset.offset(
                            0.15 * continuous + 1.5));
                    }
                }
            }
        }
        // a drive below rheobase: b·2^k < θ never fires (the fixed point of the map is below θ)
        assertThat(ticksToThreshold(100, 4, 1 << 16)).isEqualTo(-1);
    }

    @Test
    void synapticCurrentEqualsBiasDriveWhenKSynIsZero() {
        LifParams p = new LifParams().kMem(3).kSyn(0).thetaV(50_000).tRefTicks(1);
        LifPopulation viaBias = single(p.copy(), 9000);
        SynapseMatrix syn = new SynapseMatrix(1, 1, new int[] {0, 1}, new int[] {1}, new short[] {9000});
        LifPopulation viaInput = new LifPopulation(p.copy(), syn, null, null);
        int[] in = {0};
        for (int t = 0; t < 500; t++) {
            assertThat(viaInput.tick(in, 1)).isEqualTo(viaBias.tick(NO_INPUT, 0));
            assertThat(viaInput.membrane(0)).isEqualTo(viaBias.membrane(0));
            assertThat(viaInput.current(0)).isEqualTo(9000);
        }
    }

    @Test
    void synapticCurrentDecaysByShift() {
        SynapseMatrix syn = new SynapseMatrix(1, 1, new int[] {0, 1}, new int[] {1}, new short[] {1000});
        LifPopulation pop = new LifPopulation(new LifParams().kSyn(2).thetaV(1 << 30), syn, null, null);
        pop.tick(new int[] {0}, 1);
        assertThat(pop.current(0)).isEqualTo(1000);
        int[] expected = {750, 563, 423, 318};   // I − (I >> 2), flooring: 1000−250, 750−187, 563−140, 423−105
        for (int e : expected) {
            pop.tick(NO_INPUT, 0);
            assertThat(pop.current(0)).isEqualTo(e);
        }
        // negative current floors towards −∞: −7 − (−7 >> 2) = −7 − (−2) = −5
        SynapseMatrix neg = new SynapseMatrix(1, 1, new int[] {0, 1}, new int[] {1}, new short[] {-7});
        LifPopulation pn = new LifPopulation(new LifParams().kSyn(2).thetaV(1 << 30), neg, null, null);
        pn.tick(new int[] {0}, 1);
        pn.tick(NO_INPUT, 0);
        assertThat(pn.current(0)).isEqualTo(-5);
    }

    @Test
    void refractoryNeuronHoldsVResetAndCountsDown() {
        LifPopulation pop = single(new LifParams().kMem(31).thetaV(100).vRest(0).vReset(-20).tRefTicks(3)
            .resetMode(ResetMode.ZERO), 1000);
        int[] spikes = new int[12];
        int[] refs = new int[12];
        int[] vs = new int[12];
        for (int t = 0; t < 12; t++) {
            spikes[t] = pop.tick(NO_INPUT, 0);
            refs[t] = pop.refractory(0);
            vs[t] = pop.membrane(0);
        }
        assertThat(spikes).containsExactly(1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0);
        assertThat(refs).containsExactly(3, 2, 1, 0, 3, 2, 1, 0, 3, 2, 1, 0);
        assertThat(vs).containsOnly(-20);
    }

    @Test
    void thresholdIsGreaterOrEqual() {
        LifPopulation exact = single(new LifParams().kMem(31).thetaV(500).tRefTicks(0)
            .resetMode(ResetMode.ZERO), 500);
        assertThat(exact.tick(NO_INPUT, 0)).isEqualTo(1);
        LifPopulation below = single(new LifParams().kMem(31).thetaV(501).tRefTicks(0)
            .resetMode(ResetMode.ZERO), 500);
        assertThat(below.tick(NO_INPUT, 0)).isEqualTo(0);
        assertThat(below.membrane(0)).isEqualTo(500);
    }

    @Test
    void subtractResetKeepsTheChargeAboveThresholdAndZeroResetDropsIt() {
        LifParams base = new LifParams().kMem(31).thetaV(1000).vRest(0).vReset(-50).tRefTicks(0);
        LifPopulation sub = single(base.copy().resetMode(ResetMode.SUBTRACT), 2600);
        assertThat(sub.tick(NO_INPUT, 0)).isEqualTo(1);
        assertThat(sub.membrane(0)).isEqualTo(1600);
        assertThat(sub.tick(NO_INPUT, 0)).isEqualTo(1);
        assertThat(sub.membrane(0)).isEqualTo(3200);
        LifPopulation zero = single(base.copy().resetMode(ResetMode.ZERO), 2600);
        assertThat(zero.tick(NO_INPUT, 0)).isEqualTo(1);
        assertThat(zero.membrane(0)).isEqualTo(-50);
        assertThat(zero.tick(NO_INPUT, 0)).isEqualTo(1);
        assertThat(zero.membrane(0)).isEqualTo(-50);
    }

    @Test
    void membraneAndCurrentSaturateInsteadOfWrapping() {
        LifPopulation pop = single(new LifParams().kMem(31).thetaV(Integer.MAX_VALUE).tRefTicks(0)
            .resetMode(ResetMode.ZERO), Integer.MAX_VALUE / 2 + 10);
        pop.tick(NO_INPUT, 0);
        assertThat(pop.spikeCount()).isZero();
        pop.tick(NO_INPUT, 0);
        // 2·(2^30 + 9) would wrap; it saturates to 2^31 − 1 = θ and fires
        assertThat(pop.spikeCount()).isEqualTo(1);
        SynapseMatrix syn = new SynapseMatrix(1, 2, new int[] {0, 2}, new int[] {1, 2},
            new short[] {Short.MIN_VALUE, Short.MIN_VALUE});
        LifPopulation neg = new LifPopulation(new LifParams().kSyn(31).kMem(31).thetaV(1), syn, null, null);
        int[] in = {0, 1};
        for (int t = 0; t < 40_000; t++) {
            neg.tick(in, 2);
        }
        assertThat(neg.current(0)).isEqualTo(Integer.MIN_VALUE);
        assertThat(neg.membrane(0)).isEqualTo(Integer.MIN_VALUE);
    }

    @Test
    void recurrentSpikesArriveOneTickLater() {
        // neuron 0 driven by input 0; neuron 1 listens to neuron 0 only
        SynapseMatrix syn = new SynapseMatrix(2, 1, new int[] {0, 1, 2}, new int[] {2, 0},
            new short[] {2000, 3000});
        LifPopulation pop = new LifPopulation(new LifParams().kSyn(31).kMem(31).thetaV(1000).tRefTicks(0)
            .resetMode(ResetMode.ZERO), syn, null, null);
        assertThat(pop.tick(new int[] {0}, 1)).isEqualTo(1);
        assertThat(pop.spiked(0)).isTrue();
        assertThat(pop.current(1)).isZero();
        assertThat(pop.tick(NO_INPUT, 0)).isEqualTo(2);   // neuron 0 again (I held by k_syn = 31), neuron 1 now
        assertThat(pop.current(1)).isEqualTo(3000);
        assertThat(pop.spikeAt(0)).isEqualTo(0);
        assertThat(pop.spikeAt(1)).isEqualTo(1);
    }

    @Test
    void badInputIndexIsRefusedWithoutAdvancing() {
        SynapseMatrix syn = new SynapseMatrix(1, 2, new int[] {0, 1}, new int[] {1}, new short[] {10});
        LifPopulation pop = new LifPopulation(new LifParams(), syn, null, null);
        assertThat(pop.tick(new int[] {0, 2}, 2)).isEqualTo(LifPopulation.ERR_INPUT_INDEX);
        assertThat(pop.tick(new int[] {-1}, 1)).isEqualTo(LifPopulation.ERR_INPUT_INDEX);
        assertThat(pop.tickCount()).isZero();
        assertThat(pop.current(0)).isZero();
    }

    @Test
    void duplicateInputSpikesCountOnce() {
        SynapseMatrix syn = new SynapseMatrix(1, 1, new int[] {0, 1}, new int[] {1}, new short[] {10});
        LifPopulation pop = new LifPopulation(new LifParams().thetaV(1 << 20), syn, null, null);
        pop.tick(new int[] {0, 0, 0}, 3);
        assertThat(pop.current(0)).isEqualTo(10);
    }

    @Test
    void invalidParametersNameTheField() {
        assertThatThrownBy(() -> new LifParams().kSyn(32).conclude()).hasMessageContaining("kSyn");
        assertThatThrownBy(() -> new LifParams().kMem(-1).conclude()).hasMessageContaining("kMem");
        assertThatThrownBy(() -> new LifParams().thetaV(0).vReset(0).conclude()).hasMessageContaining("thetaV");
        assertThatThrownBy(() -> new LifParams().tRefTicks(70_000).conclude()).hasMessageContaining("tRefTicks");
        assertThatThrownBy(() -> new SynapseMatrix(2, 0, new int[] {0, 1, 1}, new int[] {5}, new short[] {1}))
            .hasMessageContaining("col[0]");
        assertThatThrownBy(() -> new SynapseMatrix(2, 0, new int[] {0, 1}, new int[] {0}, new short[] {1}))
            .hasMessageContaining("row_ptr length");
        assertThatThrownBy(() -> new StdpParams().kPlus(0).conclude()).hasMessageContaining("kPlus");
        assertThatThrownBy(() -> new StdpParams().wMin(10).wMax(5).conclude()).hasMessageContaining("wMax");
    }

    @Test
    void identicalRunsGiveIdenticalSpikes() {
        long[] hashes = new long[2];
        for (int run = 0; run < 2; run++) {
            NetworkGenerator.Network net = new NetworkGenerator().neuronCount(300).inputCount(20)
                .recurrentFanIn(20).inputFanIn(4).recurrentWeights(-3000, 4000).inputWeights(0, 20_000)
                .biases(-100, 500).seed(42).generate();
            LifPopulation pop = new LifPopulation(new LifParams().kSyn(2).kMem(3).thetaV(20_000), net.synapses(),
                net.bias(), new StdpParams().inputPlastic(true));
            SplitMix64 rng = new SplitMix64(7);
            int[] in = new int[20];
            long h = 1;
            int total = 0;
            for (int t = 0; t < 2000; t++) {
                int c = 0;
                for (int k = 0; k < 20; k++) {
                    if (rng.next53() < (1L << 53) / 10) {
                        in[c++] = k;
                    }
                }
                pop.tick(in, c);
                for (int q = 0; q < pop.spikeCount(); q++) {
                    h = h * 1_000_003 + (long) t * 4096 + pop.spikeAt(q);
                    total++;
                }
            }
            assertThat(total).as("the network must be active for the comparison to mean anything").isGreaterThan(1000);
            hashes[run] = h;
        }
        assertThat(hashes[1]).isEqualTo(hashes[0]);
    }

    @Test
    void generatorFollowsItsRecipe() {
        NetworkGenerator.Network a = new NetworkGenerator().neuronCount(1024).inputCount(96).recurrentFanIn(64)
            .inputFanIn(8).seed(3).generate();
        NetworkGenerator.Network b = new NetworkGenerator().neuronCount(1024).inputCount(96).recurrentFanIn(64)
            .inputFanIn(8).seed(3).generate();
        SynapseMatrix s = a.synapses();
        assertThat(s.colCopy()).isEqualTo(b.synapses().colCopy());
        assertThat(s.weightsCopy()).isEqualTo(b.synapses().weightsCopy());
        int rec = 0;
        int inp = 0;
        for (int i = 0; i < 1024; i++) {
            int last = -1;
            for (int e = s.rowStart(i); e < s.rowEnd(i); e++) {
                assertThat(s.col(e)).isGreaterThan(last).isNotEqualTo(i);
                last = s.col(e);
                if (s.col(e) < 1024) {
                    rec++;
                    assertThat((int) s.weight(e)).isBetween(-2048, 2048);
                } else {
                    inp++;
                    assertThat((int) s.weight(e)).isBetween(0, 8192);
                }
            }
        }
        assertThat(rec / 1024.0).isBetween(62.0, 66.0);
        assertThat(inp / 1024.0).isBetween(7.5, 8.5);
        NetworkGenerator.Network c = new NetworkGenerator().neuronCount(1024).inputCount(96).seed(4).generate();
        assertThat(c.synapses().colCopy()).isNotEqualTo(s.colCopy());
    }

    @Test
    void splitMix64MatchesTheReferenceSequence() {
        // reference values of SplitMix64 seeded with 0 (first outputs of the published algorithm)
        SplitMix64 r = new SplitMix64(0);
        assertThat(r.nextLong()).isEqualTo(0xE220A8397B1DCDAFL);
        assertThat(r.nextLong()).isEqualTo(0x6E789E6AA1B965F4L);
        assertThat(r.nextLong()).isEqualTo(0x06C45D188009454FL);
    }
}
