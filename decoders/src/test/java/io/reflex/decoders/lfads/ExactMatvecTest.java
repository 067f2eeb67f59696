package io.reflex.decoders.lfads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

class ExactMatvecTest {

    /**
     * The chunked int sums equal the plain long sums for dense and sparse calls, with inputs from all-extreme
     * (every product ±2^30, a flush after every column) to small (no flush), over row offsets and repeated calls.
     */
    @Property(tries = 400)
    void equalsTheLongSum(@ForAll @IntRange(min = 1, max = 70) int rows,
                          @ForAll @IntRange(min = 0, max = 600) int cols,
                          @ForAll @IntRange(min = 0, max = 3) int kind,
                          @ForAll @LongRange(min = 0, max = 100_000) long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int row0 = r.nextInt(3);
        int total = row0 + rows + r.nextInt(3);
        short[] w = new short[total * cols];
        for (int k = 0; k < w.length; k++) {
            w[k] = switch (kind) {
                case 0 -> r.nextBoolean() ? Short.MIN_VALUE : Short.MAX_VALUE;
                case 1 -> Short.MIN_VALUE;
                default -> (short) r.nextInt(-32768, 32768);
            };
        }
        ExactMatvec m = new ExactMatvec(w, cols, row0, rows);
        for (int call = 0; call < 3; call++) {
            int vOff = r.nextInt(4);
            short[] v = new short[vOff + cols];
            for (int j = 0; j < cols; j++) {
                v[vOff + j] = switch (kind) {
                    case 0 -> r.nextBoolean() ? Short.MIN_VALUE : Short.MAX_VALUE;
                    case 1 -> Short.MIN_VALUE;
                    case 2 -> (short) (r.nextInt(3) == 0 ? 0 : r.nextInt(-32768, 32768));
                    default -> (short) (r.nextInt(4) == 0 ? r.nextInt(0, 4) : r.nextInt(-4096, 4097));
                };
            }
            for (boolean sparse : new boolean[] {false, true}) {
                if (sparse) {
                    m.sparse(v, vOff);
                } else {
                    m.dense(v, vOff);
                }
                for (int i = 0; i < rows; i++) {
                    long expect = 0;
                    for (int j = 0; j < cols; j++) {
                        expect += (long) w[(row0 + i) * cols + j] * v[vOff + j];
                    }
                    assertThat(m.sum(i)).as("row %d, sparse %s, call %d", i, sparse, call).isEqualTo(expect);
                }
            }
        }
    }

    @Property(tries = 1)
    void refusesMoreColumnsThanTheFlushAccumulatorsAllow() {
        int cols = ExactMatvec.MAX_COLS + 1;
        assertThatThrownBy(() -> new ExactMatvec(new short[cols], cols, 0, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("32768 columns");
    }
}
