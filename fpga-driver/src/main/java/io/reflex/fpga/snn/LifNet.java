package io.reflex.fpga.snn;

/**
 * A LIF population in the form snn_kernel consumes (decoders/FIXED_POINT.md section 7): CSR over
 * post-synaptic rows, columns below n are recurrent neurons, n + k is input channel k.
 */
public record LifNet(int n, int nIn, int[] rowPtr, int[] col, short[] w, int[] bias, int kSyn, int kMem,
        int theta, int vRest, int vReset, int tRef, boolean subtract) {

    /** Magic word of the network buffer ("SNN1" little-endian). */
    public static final int MAGIC = 0x314E4E53;
    /** Words of the network-buffer header. */
    public static final int HEADER_WORDS = 16;

    /** Number of synapses. */
    public int nnz() {
        return rowPtr[n];
    }

    /** Spike words per tick of the output buffer. */
    public int outWordsPerTick() {
        return (n + 31) >>> 5;
    }

    /** Spike words per tick of the input buffer. */
    public int inWordsPerTick() {
        return (nIn + 31) >>> 5;
    }

    /** The network buffer of snn_kernel (see hdl/rtl/snn/snn_core.v). */
    public int[] image() {
        int nnz = nnz();
        int[] img = new int[HEADER_WORDS + n + 1 + nnz + n];
        img[0] = MAGIC;
        img[1] = n;
        img[2] = nIn;
        img[3] = nnz;
        img[4] = kSyn;
        img[5] = kMem;
        img[6] = theta;
        img[7] = vRest;
        img[8] = vReset;
        img[9] = tRef;
        img[10] = subtract ? 0 : 1;
        int o = HEADER_WORDS;
        for (int i = 0; i <= n; i++) {
            img[o++] = rowPtr[i];
        }
        for (int p = 0; p < nnz; p++) {
            img[o++] = (col[p] << 16) | (w[p] & 0xFFFF);
        }
        for (int i = 0; i < n; i++) {
            img[o++] = bias[i];
        }
        return img;
    }
}
