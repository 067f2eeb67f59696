package io.reflex.decoders.snn;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * The event-driven path ({@link LifPopulation#tick}), the dense path ({@link LifPopulation#tickDense}) and a naive
 * model written straight from decoders/FIXED_POINT.md §7 agree on every state variable at every tick.
 */
class EventDrivenEqualsDenseProperties {

    @Property(tries = 60)
    void eventDrivenDenseAndNaiveAgree(@ForAll @IntRange(min = 1, max = 80) int n,
                                       @ForAll @IntRange(min = 0, max = 12) int m,
                                       @ForAll @IntRange(min = 0, max = 31) int kSyn,
                                       @ForAll @IntRange(min = 0, max = 31) int kMem,
                                       @ForAll @IntRange(min = 0, max = 4) int tRef,
                                       @ForAll boolean subtract,
                                       @ForAll boolean withStdp,
                                       @ForAll @LongRange(min = 0, max = 1_000_000) long seed) {
        SplitMix64 rng = new SplitMix64(seed ^ 0x5EEDL);
        int theta = rng.nextInt(1, 1 << 18);
        int vRest = rng.nextInt(-5000, 5000);
        int vReset = rng.nextInt(-20_000, theta - 1);
        NetworkGenerator.Network net = new NetworkGenerator().neuronCount(n).inputCount(m)
            .recurrentFanIn(Math.min(n - 1, rng.nextInt(0, 20))).inputFanIn(Math.min(m, rng.nextInt(0, 6)))
            .recurrentWeights(Short.MIN_VALUE, Short.MAX_VALUE).inputWeights(-2000, Short.MAX_VALUE)
            .biases(-3000, 6000).seed(seed).generate();
        LifParams p = new LifParams().kSyn(kSyn).kMem(kMem).thetaV(theta).vRest(vRest).vReset(vReset)
            .tRefTicks(tRef).resetMode(subtract ? ResetMode.SUBTRACT : ResetMode.ZERO);
        StdpParams stdpA = withStdp ? new StdpParams().kPlus(3).kMinus(2).aPlus(900).aMinus(700).wMin(-20_000)
            .wMax(20_000).inputPlastic(true) : null;
        StdpParams stdpB = withStdp ? new StdpParams().kPlus(3).kMinus(2).aPlus(900).aMinus(700).wMin(-20_000)
            .wMax(20_000).inputPlastic(true) : null;
        LifPopulation event = new LifPopulation(p.copy(), net.synapses().copy(), net.bias(), stdpA);
        LifPopulation dense = new LifPopulation(p.copy(), net.synapses().copy(), net.bias(), stdpB);
        NaiveLif naive = withStdp ? null : new NaiveLif(p.copy().conclude(), net.synapses(), net.bias());

        int[] list = new int[m * 2];
        boolean[] flags = new boolean[m];
        int totalSpikes = 0;
        for (int t = 0; t < 150; t++) {
            int c = 0;
            java.util.Arrays.fill(flags, false);
            for (int k = 0; k < m; k++) {
                if (rng.next53() < (1L << 53) / 4) {
                    list[c++] = k;
                    flags[k] = true;
                    if (rng.next53() < (1L << 53) / 8) {
                        list[c++] = k;   // a duplicate still means u_k = 1
                    }
                }
            }
            int se = event.tick(list, c);
            int sd = dense.tickDense(flags);
            assertThat(se).isEqualTo(sd);
            totalSpikes += se;
            if (naive != null) {
                naive.tick(flags);
            }
            for (int i = 0; i < n; i++) {
                assertThat(event.current(i)).as("I[%d] t=%d", i, t).isEqualTo(dense.current(i));
                assertThat(event.membrane(i)).as("V[%d] t=%d", i, t).isEqualTo(dense.membrane(i));
                assertThat(event.refractory(i)).isEqualTo(dense.refractory(i));
                assertThat(event.spiked(i)).isEqualTo(dense.spiked(i));
                if (naive != null) {
                    assertThat(event.current(i)).as("naive I[%d] t=%d", i, t).isEqualTo(naive.cur[i]);
                    assertThat(event.membrane(i)).as("naive V[%d] t=%d", i, t).isEqualTo(naive.mem[i]);
                    assertThat(event.refractory(i)).isEqualTo(naive.ref[i]);
                    assertThat(event.spiked(i)).isEqualTo(naive.s[i]);
                }
            }
        }
        assertThat(event.synapses().weightsCopy()).isEqualTo(dense.synapses().weightsCopy());
        assertThat(totalSpikes).isGreaterThanOrEqualTo(0);
    }

    /** §7 transcribed line by line, with no shared code. */
    static final class NaiveLif {
        final LifParams p;
        final SynapseMatrix syn;
        final int[] b;
        final int[] cur;
        final int[] mem;
        final int[] ref;
        boolean[] s;

        NaiveLif(LifParams p, SynapseMatrix syn, int[] b) {
            this.p = p;
            this.syn = syn;
            this.b = b;
            int n = syn.neuronCount();
            cur = new int[n];
            mem = new int[n];
            ref = new int[n];
            s = new boolean[n];
            java.util.Arrays.fill(mem, p.vRest());
        }

        static int sat32(long x) {
            return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, x));
        }

        void tick(boolean[] u) {
            int n = syn.neuronCount();
            boolean[] next = new boolean[n];
            for (int i = 0; i < n; i++) {
                long in = 0;
                for (int e = syn.rowStart(i); e < syn.rowEnd(i); e++) {
                    int c = syn.col(e);
                    if (c < n ? s[c] : u[c - n]) {
                        in += syn.weight(e);
                    }
                }
                cur[i] = sat32((long) cur[i] - (cur[i] >> p.kSyn()) + in);
                long d = (long) mem[i] - p.vRest();
                mem[i] = sat32(mem[i] - (d >> p.kMem()) + cur[i] + b[i]);
                if (ref[i] > 0) {
                    mem[i] = p.vReset();
                    ref[i] = ref[i] - 1;
                    next[i] = false;
                } else {
                    next[i] = mem[i] >= p.thetaV();
                    if (next[i]) {
                        mem[i] = p.resetMode() == ResetMode.SUBTRACT ? sat32((long) mem[i] - p.thetaV()) : p.vReset();
                        ref[i] = p.tRefTicks();
                    }
                }
            }
            s = next;
        }
    }
}
