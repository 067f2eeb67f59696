package io.reflex.decoders.lfads;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.decoders.bundle.ModelBundle;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LfadsFixedGoldenTest {

    @TempDir
    Path tmp;

    @Test
    void writtenVectorsReproduceFromTheWrittenBundle() throws Exception {
        LfadsDims d = new LfadsDims(9, 8, 8, 0, 5, 6, 2, 0, 7, 3, 9, 1, 5.0, 0.02, true);
        ModelBundle model = LfadsBundleBuilder.random(d, 4, true).build("g", true);
        ModelBundle g = ModelBundle.open(LfadsFixedGolden.write(model, tmp.resolve("g.rbundle"), 3, 5));
        assertThat(g.sectionInt("fixed_golden", "cases")).isEqualTo(3);
        LfadsFixed k = new LfadsFixed(g);
        short[] in = g.int16("fixed.input");
        short[] lr = g.int16("fixed.logrates");
        short[] x = new short[8 * 9];
        short[] f = new short[8 * 3];
        short[] l = new short[8 * 9];
        for (int c = 0; c < 3; c++) {
            System.arraycopy(in, c * x.length, x, 0, x.length);
            k.trialQ(x, 8, f, l);
            assertThat(l).containsExactly(java.util.Arrays.copyOfRange(lr, c * l.length, (c + 1) * l.length));
        }
    }
}
