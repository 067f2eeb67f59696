package io.reflex.hdl.sim;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Little-endian byte arrays as 32-bit words for {@link VectorWriter}. */
public final class Bytes {
    private Bytes() {
    }

    /** The bytes as little-endian words (zero-padded to a multiple of 4). */
    public static int[] words(byte[] b) {
        int n = (b.length + 3) / 4;
        ByteBuffer bb = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        bb.put(b).flip();
        int[] w = new int[n];
        for (int i = 0; i < n; i++) {
            w[i] = bb.getInt();
        }
        return w;
    }
}
