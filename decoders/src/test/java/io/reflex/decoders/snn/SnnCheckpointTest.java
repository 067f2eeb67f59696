package io.reflex.decoders.snn;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.checkpoint.CheckpointStatus;
import io.reflex.decoders.checkpoint.LittleEndian;
import io.reflex.decoders.checkpoint.SnnCheckpoint;
import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/**
 * {@code "SNS1"} checkpoints of the SNN stream: run k bins, checkpoint, restore into a fresh reservoir of the same
 * network, continue: every trace equals the uninterrupted run's, bit for bit.
 */
class SnnCheckpointTest {

    static SnnReservoir reservoir(long seed, int n, int m, int kSyn, int kMem, int tRef, boolean subtract,
                                  int binTicks, int filterShift) {
        NetworkGenerator.Network net = new NetworkGenerator().neuronCount(n).inputCount(m)
            .recurrentFanIn(Math.min(n - 1, 12)).inputFanIn(Math.min(m, 4)).recurrentWeights(-6000, 6000)
            .inputWeights(0, 20_000).biases(-500, 3000).seed(seed).generate();
        LifParams p = new LifParams().kSyn(kSyn).kMem(kMem).thetaV(1 << 16).vRest(0).vReset(-100).tRefTicks(tRef)
            .resetMode(subtract ? ResetMode.SUBTRACT : ResetMode.ZERO);
        return new SnnReservoir(new LifPopulation(p, net.synapses(), net.bias(), null), binTicks, filterShift);
    }

    @Property(tries = 60)
    void aRestoredReservoirContinuesBitForBit(@ForAll @LongRange(min = 0, max = 1_000_000) long seed,
                                             @ForAll @IntRange(min = 1, max = 100) int n,
                                             @ForAll @IntRange(min = 1, max = 12) int m,
                                             @ForAll @IntRange(min = 0, max = 8) int kSyn,
                                             @ForAll @IntRange(min = 0, max = 8) int kMem,
                                             @ForAll @IntRange(min = 0, max = 4) int tRef,
                                             @ForAll boolean subtract,
                                             @ForAll @IntRange(min = 1, max = 25) int binTicks,
                                             @ForAll @IntRange(min = 1, max = 12) int filterShift,
                                             @ForAll @IntRange(min = 0, max = 30) int k) {
        int total = 30;
        SplitMix64 rng = new SplitMix64(seed);
        float[][] counts = new float[total][m];
        for (float[] bin : counts) {
            for (int c = 0; c < m; c++) {
                bin[c] = rng.nextInt(0, 4) == 0 ? rng.nextInt(0, binTicks + 3) : 0;
            }
        }
        SnnReservoir whole = reservoir(seed, n, m, kSyn, kMem, tRef, subtract, binTicks, filterShift);
        float[][] expect = new float[total][n];
        for (int t = 0; t < total; t++) {
            assertThat(whole.step(counts[t], expect[t])).isEqualTo(DecodeStatus.OK);
        }
        SnnReservoir first = reservoir(seed, n, m, kSyn, kMem, tRef, subtract, binTicks, filterShift);
        float[] out = new float[n];
        for (int t = 0; t < k; t++) {
            first.step(counts[t], out);
        }
        byte[] ck = new byte[first.checkpointBytes()];
        assertThat(first.save(ck)).isEqualTo(CheckpointStatus.OK);
        assertThat(SnnCheckpoint.ticks(ck)).isEqualTo((long) k * binTicks);
        SnnReservoir second = reservoir(seed, n, m, kSyn, kMem, tRef, subtract, binTicks, filterShift);
        second.step(counts[total - 1], out);   // some other state, replaced by the restore
        assertThat(second.restore(ck)).isEqualTo(CheckpointStatus.OK);
        byte[] again = new byte[ck.length];
        assertThat(second.save(again)).isEqualTo(CheckpointStatus.OK);
        assertThat(again).isEqualTo(ck);
        for (int t = k; t < total; t++) {
            assertThat(second.step(counts[t], out)).isEqualTo(DecodeStatus.OK);
            assertThat(out).as("bin %d", t).containsExactly(expect[t]);
        }
    }

    @Test
    void theLayoutHasTheDesignedSizeAndRefusesBadCheckpointsByName() {
        SnnReservoir r = reservoir(3, 40, 5, 3, 4, 2, true, 20, 5);
        assertThat(r.checkpointBytes()).isEqualTo(24 + 4 * (4 * 40 + 2));
        assertThat(new SnnCheckpoint(512).bytes()).isEqualTo(8_280);
        float[] out = new float[40];
        for (int t = 0; t < 6; t++) {
            r.step(new float[] {3, 0, 5, 1, 2}, out);
        }
        byte[] good = new byte[r.checkpointBytes()];
        assertThat(r.save(good)).isEqualTo(CheckpointStatus.OK);
        SnnCheckpoint layout = r.layout();
        assertThat(r.restore(Arrays.copyOf(good, good.length - 1))).isEqualTo(CheckpointStatus.TOO_SHORT);
        assertThat(r.restore(with(good, 0, 0x3153464C))).isEqualTo(CheckpointStatus.BAD_MAGIC);
        assertThat(r.restore(with(good, 4, 9))).isEqualTo(CheckpointStatus.BAD_VERSION);
        assertThat(r.restore(with(good, 16, 41))).isEqualTo(CheckpointStatus.WRONG_SHAPE);
        assertThat(r.restore(with(good, 20, 1))).isEqualTo(CheckpointStatus.BAD_RESERVED);
        assertThat(r.restore(with(good, layout.refOffset(), 3))).as("ref above T_ref").isEqualTo(CheckpointStatus.BAD_VALUE);
        assertThat(r.restore(with(good, layout.refOffset(), -1))).isEqualTo(CheckpointStatus.BAD_VALUE);
        assertThat(r.restore(with(good, layout.traceOffset() + 8, -5))).isEqualTo(CheckpointStatus.BAD_VALUE);
        assertThat(r.restore(with(good, layout.spikesOffset() + 4, 1 << 8))).as("spike bit of neuron 40 of 40")
            .isEqualTo(CheckpointStatus.BAD_VALUE);
        byte[] after = new byte[good.length];
        assertThat(r.save(after)).isEqualTo(CheckpointStatus.OK);
        assertThat(after).as("refused checkpoints leave the state as it was").isEqualTo(good);
        SnnReservoir other = reservoir(3, 39, 5, 3, 4, 2, true, 20, 5);
        assertThat(other.restore(good)).isEqualTo(CheckpointStatus.WRONG_SHAPE);
    }

    @Test
    void aPlasticPopulationHasNoCheckpoint() {
        NetworkGenerator.Network net = new NetworkGenerator().neuronCount(8).inputCount(2).recurrentFanIn(3)
            .inputFanIn(1).seed(1).generate();
        LifPopulation plastic = new LifPopulation(new LifParams(), net.synapses(), net.bias(), new StdpParams());
        SnnCheckpoint layout = new SnnCheckpoint(8);
        assertThat(plastic.saveState(new byte[layout.bytes()], layout)).isEqualTo(CheckpointStatus.UNSUPPORTED);
        assertThat(plastic.restoreState(new byte[layout.bytes()], layout)).isEqualTo(CheckpointStatus.UNSUPPORTED);
    }

    static byte[] with(byte[] src, int offset, int value) {
        byte[] b = src.clone();
        LittleEndian.putInt(b, offset, value);
        return b;
    }
}
