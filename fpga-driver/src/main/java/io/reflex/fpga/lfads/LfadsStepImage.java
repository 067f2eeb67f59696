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
 * The model buffer of lfads_kernel built with {@code CAUSAL=1} (hdl/rtl/lfads/lfads_step_core.v, magic "LFC1"),
 * from a causal LFADS bundle with a controller, with the same fixed-point tensors the golden model
 * {@link LfadsFixed} uses in its causal step. Counts and output records have the trial core's layout
 * ({@link LfadsKernelImage#counts}, {@link LfadsKernelImage#records} through {@link Build#io()}).
 */
public final class LfadsStepImage {
    /** Magic word "LFC1". */
    public static final int MAGIC = 0x3143464C;
    /** Bias slots per lane. */
    public static final int NB = 10;

    /**
     * Build parameters of a causal-step lfads_kernel.
     *
     * @param d      input channels
     * @param tMax   most bins per invocation
     * @param h      CI encoder, controller and generator size (equal)
     * @param co     co_dim
     * @param f      factors
     * @param ro     log-rate outputs
     * @param p      columns per cycle per lane
     * @param lagMax largest ci_lag the build accepts
     */
    public record Build(int d, int tMax, int h, int co, int f, int ro, int p, int lagMax) {
        int k() {
            return h / p;
        }

        int kx() {
            return (d + p - 1) / p;
        }

        int kf() {
            return (f + p - 1) / p;
        }

        int kco() {
            return (co + p - 1) / p;
        }

        int lanes() {
            return 3 * h;
        }

        /** Weight words per lane. */
        public int wd() {
            return kx() + 6 * k() + 2 * kf() + kco();
        }

        /** The same input and output layout as a trial build (counts chunks, records). */
        public LfadsKernelImage.Build io() {
            return new LfadsKernelImage.Build(d, tMax, h, 1, f, ro, p);
        }

        /** The Verilog parameters of this build (CAUSAL=1, the causal-step core), in the RTL's order. */
        public java.util.Map<String, Integer> params() {
            java.util.Map<String, Integer> m = new java.util.LinkedHashMap<>();
            m.put("CAUSAL", 1);
            m.put("D", d);
            m.put("T_MAX", tMax);
            m.put("H", h);
            m.put("CO", co);
            m.put("LAG_MAX", lagMax);
            m.put("F", f);
            m.put("RO", ro);
            m.put("P", p);
            return m;
        }

        /** The build of a set of Verilog parameters (CAUSAL must be 1). */
        public static Build of(java.util.Map<String, Integer> params) {
            if (params.getOrDefault("CAUSAL", 0) != 1) {
                throw new IllegalArgumentException("a CAUSAL=0 build is not a causal-step build");
            }
            return new Build(params.get("D"), params.get("T_MAX"), params.get("H"), params.get("CO"),
                    params.get("F"), params.get("RO"), params.get("P"), params.get("LAG_MAX"));
        }

        /** Verilog parameters for verilator (-G). */
        public String verilatorParams() {
            return "-GCAUSAL=1 -GD=" + d + " -GT_MAX=" + tMax + " -GH=" + h + " -GCO=" + co + " -GF=" + f
                    + " -GRO=" + ro + " -GP=" + p + " -GLAG_MAX=" + lagMax;
        }
    }

    private LfadsStepImage() {
    }

    private static void putWord(ByteBuffer bb, int beat, int word, int v) {
        bb.putInt(beat * LfadsKernelImage.BEAT + 4 * word, v);
    }

    private static void putShort(ByteBuffer bb, int beat, int idx, int v) {
        bb.putShort(beat * LfadsKernelImage.BEAT + 2 * idx, (short) v);
    }

    /** Bytes of the model buffer of a build ({@link #model}). */
    public static int modelBytes(Build k) {
        return (2 + (3 * k.h() + 31) / 32 + k.wd() * k.lanes() + NB * k.lanes() + 256) * LfadsKernelImage.BEAT;
    }

    /**
     * The model buffer for a build. The bundle must be causal, with a controller, ci_enc_dim = con_dim = gen_dim =
     * H and the other dimensions equal to the build's.
     */
    public static byte[] model(ModelBundle b, Build k) {
        LfadsDims dm = LfadsDims.from(b);
        if (!dm.causal() || !dm.hasController()) {
            throw new IllegalArgumentException("the causal-step kernel runs causal models with a controller");
        }
        if (dm.dataDim() != k.d() || dm.ciEncDim() != k.h() || dm.conDim() != k.h() || dm.genDim() != k.h()
                || dm.coDim() != k.co() || dm.facDim() != k.f() || dm.readoutDim() != k.ro()
                || dm.ciLag() > k.lagMax()) {
            throw new IllegalArgumentException("model dimensions " + dm + " do not match the build " + k);
        }
        ActivationLuts.verify(b);
        QuantSource q = new QuantSource(b, true);
        int h = k.h();
        int l = k.lanes();
        int act = FixedPoint.ACT;
        int pre = FixedPoint.PRE;
        int conIn = dm.conInputDim();
        QuantSource.Weight ihCi = q.weight(LfadsTensors.CI_FWD + "weight_ih", 3 * h, k.d());
        QuantSource.Weight hhCi = q.weight(LfadsTensors.CI_FWD + "weight_hh", 3 * h, h);
        QuantSource.Weight ihCon = q.weight(LfadsTensors.CON + "weight_ih", 3 * h, conIn);
        QuantSource.Weight hhCon = q.weight(LfadsTensors.CON + "weight_hh", 3 * h, h);
        QuantSource.Weight wCo = q.weight(LfadsTensors.CO_LINEAR + "weight", 2 * k.co(), h);
        QuantSource.Weight ihG = q.weight(LfadsTensors.GEN + "weight_ih", 3 * h, k.co());
        QuantSource.Weight hhG = q.weight(LfadsTensors.GEN + "weight_hh", 3 * h, h);
        QuantSource.Weight wFac = q.facNorm(k.f(), h);
        QuantSource.Weight wRo = q.weight(LfadsTensors.READOUT + "weight", k.ro(), k.f());
        int[][] bias = new int[NB][];
        bias[1] = q.bias(LfadsTensors.CI_FWD + "bias_ih", 3 * h, ihCi.fracBits());
        bias[2] = q.bias(LfadsTensors.CI_FWD + "bias_hh", 3 * h, hhCi.fracBits() + act);
        bias[3] = q.bias(LfadsTensors.CON + "bias_ih", 3 * h, ihCon.fracBits() + act);
        bias[4] = q.bias(LfadsTensors.CON + "bias_hh", 3 * h, hhCon.fracBits() + act);
        bias[5] = q.bias(LfadsTensors.CO_LINEAR + "bias", 2 * k.co(), wCo.fracBits() + act);
        bias[6] = q.bias(LfadsTensors.GEN + "bias_ih", 3 * h, ihG.fracBits() + act);
        bias[7] = q.bias(LfadsTensors.GEN + "bias_hh", 3 * h, hhG.fracBits() + act);
        bias[9] = q.bias(LfadsTensors.READOUT + "bias", k.ro(), wRo.fracBits() + act);
        short[] ciH0 = q.state(LfadsTensors.CI_H0, h);
        short[] conH0 = q.state(LfadsTensors.CON_H0, h);
        short[] g0 = q.state(LfadsTensors.G0, h);
        int[] shifts = {ihCi.fracBits() - pre, hhCi.fracBits() + act - pre, ihCon.fracBits() + act - pre,
            hhCon.fracBits() + act - pre, wCo.fracBits(), ihG.fracBits() + act - pre, hhG.fracBits() + act - pre,
            wFac.fracBits(), wRo.fracBits()};
        long clip = (long) FixedPoint.roundHalfAway(dm.cellClip() * (1 << act));

        int nh0 = (3 * h + 31) / 32;
        int wd = k.wd();
        int beats = 2 + nh0 + wd * l + NB * l + 256;
        ByteBuffer bb = ByteBuffer.allocate(beats * LfadsKernelImage.BEAT).order(ByteOrder.LITTLE_ENDIAN);
        int[] hdr = {MAGIC, k.d(), dm.ciEncDim(), dm.conDim(), dm.genDim(), k.co(), k.f(), k.ro(), k.p(),
            dm.ciLag(), (int) clip};
        for (int i = 0; i < hdr.length; i++) {
            putWord(bb, 0, i, hdr[i]);
        }
        for (int i = 0; i < shifts.length; i++) {
            putWord(bb, 1, i, shifts[i]);
        }
        for (int i = 0; i < h; i++) {
            putShort(bb, 2 + i / 32, i % 32, ciH0[i]);
            putShort(bb, 2 + (h + i) / 32, (h + i) % 32, conH0[i]);
            putShort(bb, 2 + (2 * h + i) / 32, (2 * h + i) % 32, g0[i]);
        }
        int base = 2 + nh0;
        int a = 0;
        a = rows(bb, base, k, a, ihCi.values(), 3 * h, k.d(), k.kx());
        a = rows(bb, base, k, a, hhCi.values(), 3 * h, h, k.k());
        // [ci ; f]: H is a multiple of P, so column H + j lands in word K + j / P, as the RTL's vector has it
        a = rows(bb, base, k, a, ihCon.values(), 3 * h, conIn, k.k() + k.kf());
        a = rows(bb, base, k, a, hhCon.values(), 3 * h, h, k.k());
        a = rows(bb, base, k, a, wCo.values(), k.co(), h, k.k());      // the first co_dim rows: the mean
        a = rows(bb, base, k, a, ihG.values(), 3 * h, k.co(), k.kco());
        a = rows(bb, base, k, a, hhG.values(), 3 * h, h, k.k());
        a = rows(bb, base, k, a, wFac.values(), k.f(), h, k.k());
        a = rows(bb, base, k, a, wRo.values(), k.ro(), k.f(), k.kf());
        if (a != wd) {
            throw new IllegalStateException("weight words " + a + " != " + wd);
        }
        base += wd * l;
        int[] biasRows = {0, 3 * h, 3 * h, 3 * h, 3 * h, k.co(), 3 * h, 3 * h, 0, k.ro()};
        for (int s = 1; s < NB; s++) {
            for (int lane = 0; lane < biasRows[s]; lane++) {
                putWord(bb, base + s * l + lane, 0, bias[s][lane]);
            }
        }
        base += NB * l;
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
}
