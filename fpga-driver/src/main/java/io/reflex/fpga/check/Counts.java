package io.reflex.fpga.check;

import java.util.SplittableRandom;

/** Random spike counts of the kinds a live source gives (mostly small, some bursts, the odd saturated value). */
final class Counts {
    private Counts() {
    }

    static short[] random(SplittableRandom r, int n) {
        short[] c = new short[n];
        int style = r.nextInt(4);
        for (int i = 0; i < n; i++) {
            c[i] = (short) switch (style) {
                case 0 -> r.nextInt(3);
                case 1 -> r.nextInt(12);
                case 2 -> r.nextInt(8) == 0 ? r.nextInt(200) : r.nextInt(4);
                default -> r.nextInt(16) == 0 ? 32767 : r.nextInt(40);
            };
        }
        return c;
    }
}
