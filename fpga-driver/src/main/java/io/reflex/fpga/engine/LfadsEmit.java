package io.reflex.fpga.engine;

import io.reflex.decoders.lfads.LfadsOutput;

/** Q12 records to the floats an LFADS engine yields, as {@code CpuEngine} yields them. */
final class LfadsEmit {
    private LfadsEmit() {
    }

    static void emit(LfadsOutput output, short[] facQ, int facOff, short[] lrQ, int lrOff, float scale,
            float[] out, int outOff, int n) {
        switch (output) {
            case FACTORS -> {
                for (int i = 0; i < n; i++) {
                    out[outOff + i] = facQ[facOff + i] * scale;
                }
            }
            case LOG_RATES -> {
                for (int i = 0; i < n; i++) {
                    out[outOff + i] = lrQ[lrOff + i] * scale;
                }
            }
            default -> {
                for (int i = 0; i < n; i++) {
                    out[outOff + i] = (float) Math.exp(lrQ[lrOff + i] * scale);
                }
            }
        }
    }
}
