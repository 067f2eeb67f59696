package io.reflex.gpu;

import io.reflex.decoders.snn.LifParams;
import io.reflex.decoders.snn.LifPopulation;
import io.reflex.decoders.snn.ResetMode;
import io.reflex.decoders.snn.SnnReservoir;
import io.reflex.decoders.snn.SynapseMatrix;
import java.util.SplittableRandom;

/** Random SNN reservoirs for the bit-exactness tests, with saturating weights, biases and thresholds mixed in. */
final class SnnCases {
    static final int MAX_N = 48;
    static final int MAX_M = 12;
    static final int MAX_FAN = 24;
    static final int MAX_TICKS = 12;

    private SnnCases() {
    }

    /** A random reservoir within the capacities above. */
    static SnnReservoir reservoir(SplittableRandom rng) {
        int n = rng.nextInt(1, MAX_N + 1);
        int m = rng.nextInt(0, MAX_M + 1);
        boolean saturate = rng.nextInt(4) == 0;
        int[] rowPtr = new int[n + 1];
        int[] col = new int[n * MAX_FAN];
        short[] w = new short[n * MAX_FAN];
        int e = 0;
        for (int i = 0; i < n; i++) {
            int fan = rng.nextInt(0, Math.min(MAX_FAN, n + m) + 1);
            for (int q = 0; q < fan; q++) {
                col[e] = rng.nextInt(n + m);
                w[e] = weight(rng, saturate);
                e++;
            }
            rowPtr[i + 1] = e;
        }
        SynapseMatrix syn = new SynapseMatrix(n, m, rowPtr, java.util.Arrays.copyOf(col, e),
                java.util.Arrays.copyOf(w, e));
        int theta = saturate && rng.nextBoolean() ? Integer.MAX_VALUE - rng.nextInt(1000)
                : rng.nextInt(1, 1 << 20);
        int vRest = saturate && rng.nextBoolean() ? Integer.MIN_VALUE + rng.nextInt(1000)
                : rng.nextInt(-(1 << 16), 1 << 16);
        int vReset = rng.nextBoolean() ? Integer.MIN_VALUE + rng.nextInt(1000) : rng.nextInt(-(1 << 18), theta);
        LifParams p = new LifParams().kSyn(rng.nextInt(0, 32)).kMem(rng.nextInt(0, 32)).thetaV(theta).vRest(vRest)
                .vReset(vReset).tRefTicks(rng.nextInt(0, 6))
                .resetMode(rng.nextBoolean() ? ResetMode.SUBTRACT : ResetMode.ZERO);
        int[] bias = new int[n];
        for (int i = 0; i < n; i++) {
            bias[i] = saturate ? (rng.nextBoolean() ? Integer.MAX_VALUE - rng.nextInt(1 << 20)
                    : Integer.MIN_VALUE + rng.nextInt(1 << 20)) : rng.nextInt(-4000, 8000);
        }
        return new SnnReservoir(new LifPopulation(p, syn, bias, null), rng.nextInt(1, MAX_TICKS + 1),
                rng.nextInt(1, 9));
    }

    private static short weight(SplittableRandom rng, boolean saturate) {
        if (saturate || rng.nextInt(8) == 0) {
            int r = rng.nextInt(3);
            return r == 0 ? Short.MAX_VALUE : r == 1 ? Short.MIN_VALUE : (short) (Short.MAX_VALUE - rng.nextInt(8));
        }
        return (short) rng.nextInt(Short.MIN_VALUE, Short.MAX_VALUE + 1);
    }

    /** Random counts for one bin: fractions (rounded half up), zeros and counts above bin_ticks (clipped). */
    static void counts(SplittableRandom rng, float[] c, int m, int binTicks) {
        for (int k = 0; k < m; k++) {
            int r = rng.nextInt(6);
            c[k] = r == 0 ? 0f : r == 1 ? binTicks + rng.nextInt(1, 5) : rng.nextInt(0, binTicks + 1) + (r == 2 ? 0.5f
                    : r == 3 ? 0.49f : 0f);
        }
    }
}
