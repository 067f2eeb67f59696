package io.reflex.decoders.lfads;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.decoders.fixed.FixedPoint;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

class FixedLinearTest {

    /** The vectorised exact matvec equals FIXED_POINT.md §3 with a long accumulator, extremes included. */
    @Property(tries = 300)
    void equalsTheLongAccumulatorMatvec(@ForAll @IntRange(min = 1, max = 40) int rows,
                                        @ForAll @IntRange(min = 0, max = 300) int cols,
                                        @ForAll @IntRange(min = -4, max = 30) int shift,
                                        @ForAll @LongRange(min = 0, max = 1000) long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        short[] w = new short[rows * cols];
        short[] v = new short[cols + 3];
        int[] b = new int[rows];
        boolean extreme = r.nextBoolean();
        for (int k = 0; k < w.length; k++) {
            w[k] = extreme ? (r.nextBoolean() ? Short.MIN_VALUE : Short.MAX_VALUE) : (short) r.nextInt(-32768, 32768);
        }
        for (int k = 0; k < v.length; k++) {
            v[k] = extreme ? Short.MIN_VALUE : (short) (r.nextInt(4) == 0 ? 0 : r.nextInt(-32768, 32768));
        }
        for (int k = 0; k < rows; k++) {
            b[k] = extreme ? Integer.MIN_VALUE : r.nextInt();
        }
        short[] expect = new short[rows + 2];
        short[] got = new short[rows + 2];
        FixedPoint.matvec(w, cols, 0, rows, b, v, 3, shift, expect, 2);
        new FixedLinear(w, cols, rows, b, shift).apply(v, 3, got, 2);
        assertThat(got).containsExactly(expect);
    }
}
