package io.reflex.decoders.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.decoders.CalibrationSet;
import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.lfads.LorenzData;
import io.reflex.decoders.snn.SnnDecoder;
import io.reflex.decoders.synth.CenterOutSource;
import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The chain's steady state allocates nothing: steps with a checkpoint kept after each (a standby engine follows),
 * before and after a failover, and {@link EngineDecoder#decode} on top, for LFADS and SNN. Counted with the JVM's
 * per-thread allocation counter around warm calls, as {@code AllocationFreeTest} and {@code LfadsAllocationTest} do.
 */
class EngineAllocationTest {

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /** What one reading of the counter itself allocates (816 bytes under Surefire's flags, 0 in a plain JVM). */
    private static long overhead;

    /** The fewest bytes allocated by {@code calls} calls of {@code body}, over up to ten windows. */
    private static long bestWindow(int calls, Runnable body) {
        long best = Long.MAX_VALUE;
        for (int w = 0; w < 10 && best > 0; w++) {
            long before = allocated();
            for (int i = 0; i < calls; i++) {
                body.run();
            }
            best = Math.min(best, allocated() - before - overhead);
        }
        return best;
    }

    private static void assumeCounter() {
        Assumptions.assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean
                && ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                .isThreadAllocatedMemoryEnabled(), "skipped: this JVM does not count per-thread allocated bytes");
        allocated();
        long a = allocated();
        long b = allocated();
        overhead = b - a;
    }

    @Test
    void chainStepsAndEngineDecodesAllocateNothingBeforeAndAfterAFailover() {
        assumeCounter();
        ModelBundle lfads = ModelBundle.fromResource("/models/lfads-lorenz-causal.rbundle");
        ModelBundle snn = SnnDecoder.reservoirBundle(new SnnDecoder.Context().inputCount(32).neuronCount(256),
                "snn", "EngineAllocationTest").toBundle();
        float[][] lorenz = new float[73][70];
        float[] trial = new float[73 * 70];
        new LorenzData(70, 73).trial(3, 0, trial, null, null);
        for (int t = 0; t < 73; t++) {
            System.arraycopy(trial, t * 70, lorenz[t], 0, 70);
        }
        CenterOutSource src = new CenterOutSource(new CenterOutSource.Context().channels(32).seed(4));
        float[][] centerOut = new float[100][32];
        CalibrationSet cal = new CalibrationSet(100, 32, 2);
        double[] kin = new double[4];
        for (float[] bin : centerOut) {
            src.nextBin(20, bin, kin);
            cal.add(bin, new double[] {kin[2], kin[3]});
        }
        for (ModelBundle b : new ModelBundle[] {lfads, snn}) {
            float[][] bins = b == lfads ? lorenz : centerOut;
            EngineChain chain = new EngineChain(List.of(new FaultInjectingEngine(new CpuEngine(true), 20_000),
                    new CpuEngine(true), new CpuEngine(true)));
            chain.load(b);
            float[] out = new float[chain.outputCount()];
            int[] t = {0};
            int[] ok = {0};
            Runnable step = () -> {
                ok[0] += chain.step(bins[t[0]++ % bins.length], out) == DecodeStatus.OK ? 1 : 0;
            };
            for (int i = 0; i < 5_000; i++) {
                step.run();
            }
            long before = bestWindow(1_000, step);
            while (chain.failovers() == 0) {
                step.run();
            }
            for (int i = 0; i < 3_000; i++) {
                step.run();
            }
            long after = bestWindow(1_000, step);
            assertThat(ok[0]).isEqualTo(t[0]);
            assertThat(chain.activeIndex()).isEqualTo(1);
            assertThat(before).as("%s: bytes allocated by 1000 chain steps (checkpoint after each)", b.modelType())
                    .isZero();
            assertThat(after).as("%s: bytes allocated by 1000 chain steps after the failover", b.modelType())
                    .isZero();
        }
        EngineDecoder d = new EngineDecoder(new EngineDecoder.Context().bundle(snn).ridgeLambda(1.0)
                .engines(List.of(EngineSpec.of("cpu-fixed"), EngineSpec.of("cpu"))));
        d.fit(cal);
        float[] out = new float[2];
        int[] t = {0};
        Runnable decode = () -> d.decode(centerOut[t[0]++ % 100], out);
        for (int i = 0; i < 3_000; i++) {
            decode.run();
        }
        assertThat(bestWindow(500, decode)).as("bytes allocated by 500 engine-decoder decodes").isZero();
        assertThat(d.chain().lastServedIndex()).isZero();
    }
}
