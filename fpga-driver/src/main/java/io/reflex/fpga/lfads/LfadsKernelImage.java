package io.reflex.fpga.lfads;

import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.decoders.lfads.LfadsFixed;
import io.reflex.decoders.lfads.LfadsTensors;
import io.reflex.decoders.lfads.QuantSource;
import io.reflex.decoders.fixed.ActivationLuts;
import io.reflex.decoders.fixed.FixedPoint;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The model buffer, input layout and output records of lfads_kernel (hdl/rtl/lfads/lfads_core.v), built from an
 * LFADS bundle with the same fixed-point tensors the golden model {@link LfadsFixed} uses (read through
 * {@link QuantSource}, exactly as the golden model reads them).
 */
public final class LfadsKernelImage {
    /** Magic word "LFD1". */
    public static final int MAGIC = 0x3144464C;
    /** Bytes per AXI beat of the kernel's memory port. */
    public static final int BEAT = 64;

    /** Build parameters of an lfads_kernel. */
    public record Build(int d, int tMax, int h, int icd, int f, int ro, int p) {
        int k() {
            return h / p;
        }

        int kx() {
            return (d + p - 1) / p;
        }

        int kic() {
            return (icd + p - 1) / p;
        }

        int kf() {
            return (f + p - 1) / p;
        }

        int lanes() {
            return 3 * h;
        }

        /** Weight words per lane. */
        public int wd() {
            return 2 * kx() + 2 * k() + 2 * k() + kic() + k() + k() + kf();
        }

        /** Input chunks per beat. */
        public int cpb() {
            return 512 / (16 * p);
        }

        /** Beats of one output record. */
        public int recBeats() {
            return (f + ro + 31) / 32;
        }

        /** The Verilog parameters of this build (CAUSAL=0, the trial core), in the RTL's order. */
        public java.util.Map<String, Integer> params() {
            java.util.Map<String, Integer> m = new java.util.LinkedHashMap<>();
            m.put("CAUSAL", 0);
            m.put("D", d);
            m.put("T_MAX", tMax);
            m.put("H", h);
            m.put("ICD", icd);
            m.put("F", f);
            m.put("RO", ro);
            m.put("P", p);
            return m;
        }

        /** The build of a set of Verilog parameters (a trial build: CAUSAL must be 0). */
        public static Build of(java.util.Map<String, Integer> params) {
            if (params.getOrDefault("CAUSAL", 0) != 0) {
                throw new IllegalArgumentException("a CAUSAL=1 build is not a trial build");
            }
            return new Build(params.get("D"), params.get("T_MAX"), params.get("H"), params.get("ICD"),
                    params.get("F"), params.get("RO"), params.get("P"));
        }

        /** Verilog parameters for verilator (-G) and yosys (chparam -set). */
        public String verilatorParams() {
            return "-GD=" + d + " -GT_MAX=" + tMax + " -GH=" + h + " -GICD=" + icd + " -GF=" + f + " -GRO=" + ro
                    + " -GP=" + p;
        }

        /** Parameters for yosys chparam. */
        public String yosysParams() {
            return "-set D " + d + " -set T_MAX " + tMax + " -set H " + h + " -set ICD " + icd + " -set F " + f
                    + " -set RO " + ro + " -set P " + p;
        }
    }

    private LfadsKernelImage() {
    }

    private static void putWord(ByteBuffer bb, int beat, int word, int v) {
        bb.putInt(beat * BEAT + 4 * word, v);
    }

    private static void putShort(ByteBuffer bb, int beat, int idx, int v) {
        bb.putShort(beat * BEAT + 2 * idx, (short) v);
    }

    /**
     * The model buffer for a build. The bundle must be a non-causal model without a controller whose dimensions
     * equal the build's (encod_seq_len may be shorter than T_MAX).
     */
    public static byte[] model(ModelBundle b, Build k) {
        LfadsDims dm = LfadsDims.from(b);
        if (dm.causal() || dm.hasController()) {
            throw new IllegalArgumentException("lfads_kernel runs non-causal models without a controller");
        }
        if (dm.dataDim() != k.d() || dm.icEncDim() != k.h() || dm.genDim() != k.h() || dm.icDim() != k.icd()
                || dm.facDim() != k.f() || dm.readoutDim() != k.ro() || dm.encSeqLen() > k.tMax()) {
            throw new IllegalArgumentException("model dimensions " + dm + " do not match the build " + k);
        }
        ActivationLuts.verify(b);
        QuantSource q = new QuantSource(b, true);
        int h = k.h();
        int l = k.lanes();
        int act = FixedPoint.ACT;
        int pre = FixedPoint.PRE;
        QuantSource.Weight ihF = q.weight(LfadsTensors.IC_FWD + "weight_ih", 3 * h, k.d());
        QuantSource.Weight hhF = q.weight(LfadsTensors.IC_FWD + "weight_hh", 3 * h, h);
        QuantSource.Weight ihB = q.weight(LfadsTensors.IC_BWD + "weight_ih", 3 * h, k.d());
        QuantSource.Weight hhB = q.weight(LfadsTensors.IC_BWD + "weight_hh", 3 * h, h);
        QuantSource.Weight wIc = q.weight(LfadsTensors.IC_LINEAR + "weight", 2 * k.icd(), 2 * h);
        QuantSource.Weight wG0 = q.weight(LfadsTensors.IC_TO_G0 + "weight", h, k.icd());
        QuantSource.Weight ihG = q.weight(LfadsTensors.GEN + "weight_ih", 3 * h, 0);
        QuantSource.Weight hhG = q.weight(LfadsTensors.GEN + "weight_hh", 3 * h, h);
        QuantSource.Weight wFac = q.facNorm(k.f(), h);
        QuantSource.Weight wRo = q.weight(LfadsTensors.READOUT + "weight", k.ro(), k.f());
        int[][] bias = new int[16][];
        bias[1] = q.bias(LfadsTensors.IC_FWD + "bias_ih", 3 * h, ihF.fracBits());
        bias[2] = q.bias(LfadsTensors.IC_FWD + "bias_hh", 3 * h, hhF.fracBits() + act);
        bias[3] = q.bias(LfadsTensors.IC_BWD + "bias_ih", 3 * h, ihB.fracBits());
        bias[4] = q.bias(LfadsTensors.IC_BWD + "bias_hh", 3 * h, hhB.fracBits() + act);
        bias[5] = q.bias(LfadsTensors.IC_LINEAR + "bias", 2 * k.icd(), wIc.fracBits() + act);
        bias[6] = q.bias(LfadsTensors.IC_TO_G0 + "bias", h, wG0.fracBits() + act);
        bias[7] = q.bias(LfadsTensors.GEN + "bias_ih", 3 * h, ihG.fracBits() + act);
        bias[8] = q.bias(LfadsTensors.GEN + "bias_hh", 3 * h, hhG.fracBits() + act);
        bias[9] = q.bias(LfadsTensors.READOUT + "bias", k.ro(), wRo.fracBits() + act);
        short[] h0 = q.state(LfadsTensors.IC_H0, 2L * h);
        int[] shifts = {ihF.fracBits() - pre, hhF.fracBits() + act - pre, ihB.fracBits() - pre,
            hhB.fracBits() + act - pre, wIc.fracBits(), wG0.fracBits(), ihG.fracBits() + act - pre,
            hhG.fracBits() + act - pre, wFac.fracBits(), wRo.fracBits()};
        long clip = (long) FixedPoint.roundHalfAway(dm.cellClip() * (1 << act));

        int nh0 = (2 * h + 31) / 32;
        int wd = k.wd();
        int beats = 2 + nh0 + wd * l + 16 * l + 256;
        ByteBuffer bb = ByteBuffer.allocate(beats * BEAT).order(ByteOrder.LITTLE_ENDIAN);
        int[] hdr = {MAGIC, k.d(), dm.encSeqLen(), h, k.icd(), k.f(), k.ro(), k.p(),
            dm.reconSeqLen() - dm.encSeqLen(), (int) clip};
        for (int i = 0; i < hdr.length; i++) {
            putWord(bb, 0, i, hdr[i]);
        }
        for (int i = 0; i < shifts.length; i++) {
            putWord(bb, 1, i, shifts[i]);
        }
        for (int i = 0; i < 2 * h; i++) {
            putShort(bb, 2 + i / 32, i % 32, h0[i]);
        }
        int base = 2 + nh0;
        int a = 0;
        a = rows(bb, base, k, a, ihF.values(), 3 * h, k.d(), k.kx());
        a = rows(bb, base, k, a, hhF.values(), 3 * h, h, k.k());
        a = rows(bb, base, k, a, ihB.values(), 3 * h, k.d(), k.kx());
        a = rows(bb, base, k, a, hhB.values(), 3 * h, h, k.k());
        a = rows(bb, base, k, a, wIc.values(), k.icd(), 2 * h, 2 * k.k());   // the first ic_dim rows: the mean
        a = rows(bb, base, k, a, wG0.values(), h, k.icd(), k.kic());
        a = rows(bb, base, k, a, hhG.values(), 3 * h, h, k.k());
        a = rows(bb, base, k, a, wFac.values(), k.f(), h, k.k());
        a = rows(bb, base, k, a, wRo.values(), k.ro(), k.f(), k.kf());
        if (a != wd) {
            throw new IllegalStateException("weight words " + a + " != " + wd);
        }
        base += wd * l;
        int[] biasRows = {0, 3 * h, 3 * h, 3 * h, 3 * h, k.icd(), h, 3 * h, 3 * h, k.ro()};
        for (int s = 1; s < biasRows.length; s++) {
            for (int lane = 0; lane < biasRows[s]; lane++) {
                putWord(bb, base + s * l + lane, 0, bias[s][lane]);
            }
        }
        base += 16 * l;
        short[] sig = ActivationLuts.sigmoid();
        short[] tanh = ActivationLuts.tanh();
        for (int i = 0; i < 4096; i++) {
            putShort(bb, base + i / 32, i % 32, sig[i]);
            putShort(bb, base + 128 + i / 32, i % 32, tanh[i]);
        }
        return bb.array();
    }

    /** Writes rows [0, rows) of a row-major matrix as lane words a .. a+words-1; returns the next word. */
    private static int rows(ByteBuffer bb, int base, Build k, int a, short[] w, int rows, int cols, int words) {
        int l = k.lanes();
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                putShort(bb, base + (a + c / k.p()) * l + r, c % k.p(), w[r * cols + c]);
            }
        }
        return a + words;
    }

    /** Bytes of the model buffer of a build ({@link #model}). */
    public static int modelBytes(Build k) {
        return (2 + (2 * k.h() + 31) / 32 + k.wd() * k.lanes() + 16 * k.lanes() + 256) * BEAT;
    }

    /** Bytes of the input buffer of {@code bins} bins (whole beats, at least one). */
    public static int countsBytes(Build k, int bins) {
        int beats = (bins * k.kx() + k.cpb() - 1) / k.cpb();
        return Math.max(1, beats) * BEAT;
    }

    /** Bytes of {@code steps} output records. */
    public static int recordBytes(Build k, int steps) {
        return steps * k.recBeats() * BEAT;
    }

    /**
     * Packs {@code bins} bins of Q0 counts ({@code [bins][D]} from {@code off}) into {@code dst} in the layout of
     * {@link #counts}, zeros included; allocation-free.
     *
     * @return the bytes to move to the device ({@link #countsBytes})
     */
    public static int packCounts(Build k, short[] counts, int off, int bins, byte[] dst) {
        int bytes = countsBytes(k, bins);
        java.util.Arrays.fill(dst, 0, bytes, (byte) 0);
        int d = k.d();
        int p = k.p();
        int kx = k.kx();
        for (int t = 0; t < bins; t++) {
            for (int c = 0; c < d; c++) {
                int v = counts[off + t * d + c];
                int i = 2 * ((t * kx + c / p) * p + c % p);
                dst[i] = (byte) v;
                dst[i + 1] = (byte) (v >> 8);
            }
        }
        return bytes;
    }

    /**
     * Unpacks {@code steps} output records ({@link #records} layout) into Q12 factors {@code [steps][F]} and
     * log-rates {@code [steps][RO]}; allocation-free.
     */
    public static void unpackRecords(Build k, byte[] src, int steps, short[] factorsQ, int facOff, short[] logRatesQ,
            int lrOff) {
        int f = k.f();
        int ro = k.ro();
        for (int t = 0; t < steps; t++) {
            int o = t * k.recBeats() * BEAT;
            for (int i = 0; i < f; i++) {
                factorsQ[facOff + t * f + i] = (short) ((src[o + 2 * i] & 0xFF) | (src[o + 2 * i + 1] << 8));
            }
            for (int i = 0; i < ro; i++) {
                int j = o + 2 * (f + i);
                logRatesQ[lrOff + t * ro + i] = (short) ((src[j] & 0xFF) | (src[j + 1] << 8));
            }
        }
    }

    /** The input buffer: bins x KX chunks of P int16 counts. */
    public static byte[] counts(Build k, short[] counts, int bins) {
        int chunks = bins * k.kx();
        int beats = (chunks + k.cpb() - 1) / k.cpb();
        ByteBuffer bb = ByteBuffer.allocate(Math.max(1, beats) * BEAT).order(ByteOrder.LITTLE_ENDIAN);
        for (int t = 0; t < bins; t++) {
            for (int c = 0; c < k.d(); c++) {
                int chunk = t * k.kx() + c / k.p();
                bb.putShort(2 * (chunk * k.p() + c % k.p()), counts[t * k.d() + c]);
            }
        }
        return bb.array();
    }

    /** The expected output buffer: per step a record of int16 factors then int16 log-rates. */
    public static byte[] records(Build k, short[] factorsQ, short[] logRatesQ, int steps) {
        ByteBuffer bb = ByteBuffer.allocate(steps * k.recBeats() * BEAT).order(ByteOrder.LITTLE_ENDIAN);
        for (int t = 0; t < steps; t++) {
            int o = t * k.recBeats() * BEAT;
            for (int i = 0; i < k.f(); i++) {
                bb.putShort(o + 2 * i, factorsQ[t * k.f() + i]);
            }
            for (int i = 0; i < k.ro(); i++) {
                bb.putShort(o + 2 * (k.f() + i), logRatesQ[t * k.ro() + i]);
            }
        }
        return bb.array();
    }
}
