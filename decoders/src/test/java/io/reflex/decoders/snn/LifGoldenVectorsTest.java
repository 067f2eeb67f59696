package io.reflex.decoders.snn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LifGoldenVectorsTest {

    @Test
    void writtenCasesReadBackAndReplayOnTheEventDrivenPath(@TempDir Path dir) throws IOException {
        List<LifGoldenVectors.Case> cases = LifGoldenVectors.randomCases(24, 5, 48, 120);
        Path f = dir.resolve("lif.gv");
        try (OutputStream os = Files.newOutputStream(f)) {
            LifGoldenVectors.write(os, cases);
        }
        List<LifGoldenVectors.Case> back = LifGoldenVectors.read(f);
        assertThat(back).hasSize(24);
        long spikes = 0;
        long saturatedV = 0;
        for (int c = 0; c < back.size(); c++) {
            LifGoldenVectors.Case k = back.get(c);
            assertThat(k.synapses().colCopy()).isEqualTo(cases.get(c).synapses().colCopy());
            assertThat(k.synapses().weightsCopy()).isEqualTo(cases.get(c).synapses().weightsCopy());
            LifPopulation pop = new LifPopulation(k.params(), k.synapses().copy(), k.bias(), null);
            int m = k.synapses().inputCount();
            int[] list = new int[m];
            for (int t = 0; t < k.ticks(); t++) {
                int cnt = 0;
                for (int ch = 0; ch < m; ch++) {
                    if (k.inputs()[t][ch]) {
                        list[cnt++] = ch;
                    }
                }
                pop.tick(list, cnt);
                for (int j = 0; j < k.synapses().neuronCount(); j++) {
                    assertThat(pop.spiked(j)).isEqualTo(k.spikes()[t][j]);
                    assertThat(pop.membrane(j)).isEqualTo(k.v()[t][j]);
                    assertThat(pop.current(j)).isEqualTo(k.i()[t][j]);
                    assertThat(pop.refractory(j)).isEqualTo(k.ref()[t][j]);
                    spikes += k.spikes()[t][j] ? 1 : 0;
                    if (k.v()[t][j] == Integer.MIN_VALUE || k.i()[t][j] == Integer.MIN_VALUE
                        || k.i()[t][j] == Integer.MAX_VALUE) {
                        saturatedV++;
                    }
                }
            }
        }
        assertThat(spikes).as("the vectors must exercise spiking").isGreaterThan(1000);
        assertThat(saturatedV).as("the saturation case must saturate").isGreaterThan(0);
        // case 0 is the analytic single neuron: b = 9000, k_mem = 4, θ = 65536, T_ref = 2 → first spike at tick 9
        LifGoldenVectors.Case single = back.get(0);
        int first = -1;
        for (int t = 0; t < single.ticks() && first < 0; t++) {
            if (single.spikes()[t][0]) {
                first = t;
            }
        }
        assertThat(first).isEqualTo(9);
    }

    @Test
    void networkBufferUsesTheSnn1Layout() {
        SynapseMatrix s = new SynapseMatrix(2, 1, new int[] {0, 1, 2}, new int[] {2, 0}, new short[] {-2, 300});
        LifParams p = new LifParams().kSyn(1).kMem(2).thetaV(100).vRest(-3).vReset(-4).tRefTicks(5)
            .resetMode(ResetMode.ZERO).conclude();
        int[] img = LifGoldenVectors.networkBuffer(p, s, new int[] {7, 8});
        assertThat(img).startsWith(0x314E4E53, 2, 1, 2, 1, 2, 100, -3, -4, 5, 1, 0, 0, 0, 0, 0);
        assertThat(img).endsWith(0, 1, 2, (2 << 16) | 0xFFFE, 300, 7, 8);
    }

    @Test
    void aFileWithTheWrongMagicIsRefused(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad.gv");
        Files.write(f, "NOTAFILE\1\0\0\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> LifGoldenVectors.read(f)).hasMessageContaining("RLIFGV01");
    }
}
