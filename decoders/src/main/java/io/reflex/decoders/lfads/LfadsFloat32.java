package io.reflex.decoders.lfads;

import static io.reflex.decoders.lfads.LfadsTensors.CI_BWD;
import static io.reflex.decoders.lfads.LfadsTensors.CI_FWD;
import static io.reflex.decoders.lfads.LfadsTensors.CI_H0;
import static io.reflex.decoders.lfads.LfadsTensors.CON;
import static io.reflex.decoders.lfads.LfadsTensors.CON_H0;
import static io.reflex.decoders.lfads.LfadsTensors.CO_LINEAR;
import static io.reflex.decoders.lfads.LfadsTensors.FAC_LINEAR;
import static io.reflex.decoders.lfads.LfadsTensors.FAC_NORM;
import static io.reflex.decoders.lfads.LfadsTensors.G0;
import static io.reflex.decoders.lfads.LfadsTensors.GEN;
import static io.reflex.decoders.lfads.LfadsTensors.IC_BWD;
import static io.reflex.decoders.lfads.LfadsTensors.IC_FWD;
import static io.reflex.decoders.lfads.LfadsTensors.IC_H0;
import static io.reflex.decoders.lfads.LfadsTensors.IC_LINEAR;
import static io.reflex.decoders.lfads.LfadsTensors.IC_TO_G0;
import static io.reflex.decoders.lfads.LfadsTensors.READOUT;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.checkpoint.CheckpointStatus;
import io.reflex.decoders.checkpoint.LfadsCheckpoint;
import java.util.Arrays;

/**
 * LFADS inference in float32, exactly the algorithm of decoders/LFADS.md §1.3 (posterior mean): IC encoder, CI
 * encoder with {@code ci_lag}, controller, generator, kernel-normalised factors (the bundle's {@code fac_norm}),
 * readout. All buffers are allocated here; {@link #trial} and {@link #step} allocate nothing.
 */
public final class LfadsFloat32 implements LfadsKernel {

    private final LfadsDims d;
    private final FloatGru icFwd;
    private final FloatGru icBwd;
    private final FloatGru ciFwd;
    private final FloatGru ciBwd;
    private final FloatGru con;
    private final FloatGru gen;
    private final float[] icH0;
    private final float[] ciH0;
    private final float[] conH0;
    private final float[] g0Learned;
    private final FloatLinear icLinear;
    private final FloatLinear icToG0;
    private final FloatLinear coLinear;
    private final FloatLinear fac;
    private final FloatLinear readout;

    // trial buffers
    private final float[] e;
    private final float[] icMean;
    private final float[] fwdOut;
    private final float[] bwdOut;
    private final float[] h;
    private final float[] g;
    private final float[] c;
    private final float[] f;
    private final float[] u;
    private final float[] conIn;
    private final float[] genStates;
    private final float[] conStates;
    private final float[] coOut;
    // causal stream state
    private final float[] sCi;
    private final float[] sRing;
    private final float[] sG;
    private final float[] sC;
    private final float[] sF;
    private long sBins;
    private final LfadsCheckpoint layout;
    private final float[] sFInit;

    /** Loads and shape-checks the float32 tensors of an LFADS bundle. */
    public LfadsFloat32(ModelBundle b) {
        this(b, LfadsDims.from(b));
    }

    LfadsFloat32(ModelBundle b, LfadsDims d) {
        this.d = d;
        double clip = d.cellClip();
        int D = d.dataDim();
        if (!d.causal()) {
            icFwd = new FloatGru(b, IC_FWD, D, d.icEncDim(), clip, true);
            icBwd = new FloatGru(b, IC_BWD, D, d.icEncDim(), clip, true);
            b.requireElementCount(IC_H0, 2L * d.icEncDim());
            icH0 = b.float32(IC_H0);
            b.requireShape(IC_LINEAR + "weight", 2 * d.icDim(), 2 * d.icEncDim());
            b.requireShape(IC_LINEAR + "bias", 2 * d.icDim());
            icLinear = new FloatLinear(b.float32(IC_LINEAR + "weight"), 2 * d.icEncDim(), d.icDim(),
                    b.float32(IC_LINEAR + "bias"));
            b.requireShape(IC_TO_G0 + "weight", d.genDim(), d.icDim());
            b.requireShape(IC_TO_G0 + "bias", d.genDim());
            icToG0 = new FloatLinear(b.float32(IC_TO_G0 + "weight"), d.icDim(), d.genDim(),
                    b.float32(IC_TO_G0 + "bias"));
            g0Learned = null;
        } else {
            icFwd = null;
            icBwd = null;
            icH0 = null;
            icLinear = null;
            icToG0 = null;
            b.requireShape(G0, d.genDim());
            g0Learned = b.float32(G0);
        }
        if (d.hasController()) {
            ciFwd = new FloatGru(b, CI_FWD, D, d.ciEncDim(), clip, true);
            ciBwd = d.causal() ? null : new FloatGru(b, CI_BWD, D, d.ciEncDim(), clip, true);
            b.requireElementCount(CI_H0, (d.causal() ? 1L : 2L) * d.ciEncDim());
            ciH0 = b.float32(CI_H0);
            con = new FloatGru(b, CON, d.conInputDim(), d.conDim(), clip, false);
            b.requireElementCount(CON_H0, d.conDim());
            conH0 = b.float32(CON_H0);
            b.requireShape(CO_LINEAR + "weight", 2 * d.coDim(), d.conDim());
            b.requireShape(CO_LINEAR + "bias", 2 * d.coDim());
            coLinear = new FloatLinear(b.float32(CO_LINEAR + "weight"), d.conDim(), d.coDim(),
                    b.float32(CO_LINEAR + "bias"));
        } else {
            ciFwd = null;
            ciBwd = null;
            ciH0 = null;
            con = null;
            conH0 = new float[0];
            coLinear = null;
        }
        gen = new FloatGru(b, GEN, d.coDim(), d.genDim(), clip, false);
        b.requireShape(FAC_LINEAR, d.facDim(), d.genDim());
        if (b.hasTensor(FAC_NORM)) {
            b.requireShape(FAC_NORM, d.facDim(), d.genDim());
            fac = new FloatLinear(b.float32(FAC_NORM), d.genDim(), d.facDim(), null);
        } else {
            double[] n = LfadsTensors.facNorm(b.floatAsDouble(FAC_LINEAR), d.facDim(), d.genDim());
            float[] w = new float[n.length];
            for (int k = 0; k < n.length; k++) {
                w[k] = (float) n[k];
            }
            fac = new FloatLinear(w, d.genDim(), d.facDim(), null);
        }
        b.requireShape(READOUT + "weight", d.readoutDim(), d.facDim());
        b.requireShape(READOUT + "bias", d.readoutDim());
        readout = new FloatLinear(b.float32(READOUT + "weight"), d.facDim(), d.readoutDim(),
                b.float32(READOUT + "bias"));

        int T = d.encSeqLen();
        int Tr = d.reconSeqLen();
        e = new float[2 * d.icEncDim()];
        icMean = new float[d.icDim()];
        fwdOut = new float[T * d.ciEncDim()];
        bwdOut = new float[T * d.ciEncDim()];
        h = new float[Math.max(d.icEncDim(), d.ciEncDim())];
        g = new float[d.genDim()];
        c = new float[d.conDim()];
        f = new float[d.facDim()];
        u = new float[d.coDim()];
        conIn = new float[d.conInputDim()];
        genStates = new float[Tr * d.genDim()];
        conStates = new float[Tr * d.conDim()];
        coOut = new float[Tr * d.coDim()];
        sCi = new float[d.ciEncDim()];
        sRing = new float[(d.ciLag() + 1) * d.ciEncDim()];
        sG = new float[d.genDim()];
        sC = new float[d.conDim()];
        sF = new float[d.facDim()];
        layout = d.causal()
                ? new LfadsCheckpoint(d.ciEncDim(), d.conDim(), d.genDim(), d.facDim(), d.ciLag()) : null;
        sFInit = new float[d.facDim()];
        if (d.causal()) {
            fac.apply(g0Learned, 0, sFInit, 0);
        }
    }

    @Override
    public LfadsDims dims() {
        return d;
    }

    @Override
    public String arithmetic() {
        return "float32";
    }

    @Override
    public int trial(float[] counts, int bins, float[] factors, float[] logRates) {
        final int D = d.dataDim();
        final int steps = bins + d.reconSeqLen() - d.encSeqLen();
        if (bins < 1 || bins > d.encSeqLen() || counts.length < bins * D
                || factors.length < steps * d.facDim() || logRates.length < steps * d.readoutDim()) {
            return fail(DecodeStatus.INVALID_INPUT, factors, logRates);
        }
        for (int k = 0; k < bins * D; k++) {
            if (!io.reflex.decoders.Counts.valid(counts[k])) {
                return fail(DecodeStatus.INVALID_INPUT, factors, logRates);
            }
        }
        // 1. IC encoder → ic_mean → g0 (or the learned g0 of a causal model)
        if (!d.causal()) {
            int E = d.icEncDim();
            System.arraycopy(icH0, 0, e, 0, E);
            for (int t = 0; t < bins; t++) {
                icFwd.step(counts, t * D, e, 0);
            }
            System.arraycopy(icH0, E, e, E, E);
            for (int t = bins - 1; t >= 0; t--) {
                icBwd.step(counts, t * D, e, E);
            }
            icLinear.apply(e, 0, icMean, 0);
            icToG0.apply(icMean, 0, g, 0);
        } else {
            System.arraycopy(g0Learned, 0, g, 0, g.length);
        }
        // 2. CI encoder: F_t after x_t, B_t after x_t..x_{bins-1}
        final int C = d.ciEncDim();
        if (d.hasController()) {
            System.arraycopy(ciH0, 0, h, 0, C);
            for (int t = 0; t < bins; t++) {
                ciFwd.step(counts, t * D, h, 0);
                System.arraycopy(h, 0, fwdOut, t * C, C);
            }
            if (!d.causal()) {
                System.arraycopy(ciH0, C, h, 0, C);
                for (int t = bins - 1; t >= 0; t--) {
                    ciBwd.step(counts, t * D, h, 0);
                    System.arraycopy(h, 0, bwdOut, t * C, C);
                }
            }
            System.arraycopy(conH0, 0, c, 0, c.length);
        }
        // 3.–4. decoder
        fac.apply(g, 0, f, 0);
        final int L = d.ciLag();
        for (int t = 0; t < steps; t++) {
            if (d.hasController()) {
                int tf = t - L;
                if (tf >= 0 && t < bins) {
                    System.arraycopy(fwdOut, tf * C, conIn, 0, C);
                } else {
                    Arrays.fill(conIn, 0, C, 0f);
                }
                int off = C;
                if (!d.causal()) {
                    int tb = t + L;
                    if (tb <= bins - 1 && t < bins) {
                        System.arraycopy(bwdOut, tb * C, conIn, C, C);
                    } else {
                        Arrays.fill(conIn, C, 2 * C, 0f);
                    }
                    off = 2 * C;
                }
                System.arraycopy(f, 0, conIn, off, f.length);
                con.step(conIn, 0, c, 0);
                coLinear.apply(c, 0, u, 0);
                System.arraycopy(c, 0, conStates, t * d.conDim(), c.length);
                System.arraycopy(u, 0, coOut, t * d.coDim(), u.length);
            }
            gen.step(u, 0, g, 0);
            System.arraycopy(g, 0, genStates, t * d.genDim(), g.length);
            fac.apply(g, 0, f, 0);
            System.arraycopy(f, 0, factors, t * d.facDim(), f.length);
            readout.apply(f, 0, logRates, t * d.readoutDim());
        }
        for (int k = 0; k < steps * d.readoutDim(); k++) {
            if (!Float.isFinite(logRates[k])) {
                return fail(DecodeStatus.NUMERIC_FAULT, factors, logRates);
            }
        }
        return DecodeStatus.OK;
    }

    private static int fail(int status, float[] factors, float[] logRates) {
        Arrays.fill(factors, 0f);
        Arrays.fill(logRates, 0f);
        return status;
    }

    @Override
    public void resetStream() {
        sBins = 0;
    }

    @Override
    public int step(float[] counts, int off, float[] factors, float[] logRates) {
        if (!d.causal()) {
            throw new IllegalStateException("causal steps need a causal bundle (hyperparameter causal = true)");
        }
        final int D = d.dataDim();
        if (off < 0 || counts.length < off + D || factors.length < d.facDim() || logRates.length < d.readoutDim()) {
            return fail(DecodeStatus.INVALID_INPUT, factors, logRates);
        }
        for (int k = 0; k < D; k++) {
            if (!io.reflex.decoders.Counts.valid(counts[off + k])) {
                return fail(DecodeStatus.INVALID_INPUT, factors, logRates);
            }
        }
        final int C = d.ciEncDim();
        final int L = d.ciLag();
        if (sBins == 0) {
            System.arraycopy(g0Learned, 0, sG, 0, sG.length);
            System.arraycopy(conH0, 0, sC, 0, sC.length);
            System.arraycopy(ciH0, 0, sCi, 0, C);
            fac.apply(sG, 0, sF, 0);
        }
        ciFwd.step(counts, off, sCi, 0);
        System.arraycopy(sCi, 0, sRing, (int) (sBins % (L + 1)) * C, C);
        if (sBins >= L) {
            System.arraycopy(sRing, (int) ((sBins - L) % (L + 1)) * C, conIn, 0, C);
        } else {
            Arrays.fill(conIn, 0, C, 0f);
        }
        System.arraycopy(sF, 0, conIn, C, sF.length);
        con.step(conIn, 0, sC, 0);
        coLinear.apply(sC, 0, u, 0);
        gen.step(u, 0, sG, 0);
        fac.apply(sG, 0, sF, 0);
        System.arraycopy(sF, 0, factors, 0, sF.length);
        readout.apply(sF, 0, logRates, 0);
        sBins++;
        for (int k = 0; k < d.readoutDim(); k++) {
            if (!Float.isFinite(logRates[k])) {
                return fail(DecodeStatus.NUMERIC_FAULT, factors, logRates);
            }
        }
        return DecodeStatus.OK;
    }

    @Override
    public long streamBins() {
        return sBins;
    }

    @Override
    public LfadsCheckpoint streamLayout() {
        return layout;
    }

    @Override
    public CheckpointStatus saveStream(byte[] dst) {
        if (layout == null) {
            return CheckpointStatus.UNSUPPORTED;
        }
        if (dst == null || dst.length < layout.bytes()) {
            return CheckpointStatus.TOO_SHORT;
        }
        final int C = d.ciEncDim();
        final int L = d.ciLag();
        layout.writeHeader(dst, sBins);
        boolean finite;
        if (sBins == 0) {
            finite = LfadsCheckpoint.putQ12(dst, layout.ciOffset(), ciH0, 0, C)
                    && LfadsCheckpoint.putQ12(dst, layout.conOffset(), conH0, 0, conH0.length)
                    && LfadsCheckpoint.putQ12(dst, layout.genOffset(), g0Learned, 0, g0Learned.length)
                    && LfadsCheckpoint.putQ12(dst, layout.facOffset(), sFInit, 0, sFInit.length);
        } else {
            finite = LfadsCheckpoint.putQ12(dst, layout.ciOffset(), sCi, 0, C)
                    && LfadsCheckpoint.putQ12(dst, layout.conOffset(), sC, 0, sC.length)
                    && LfadsCheckpoint.putQ12(dst, layout.genOffset(), sG, 0, sG.length)
                    && LfadsCheckpoint.putQ12(dst, layout.facOffset(), sF, 0, sF.length);
        }
        for (int k = 0; k < L && finite; k++) {
            long bin = sBins - 1 - k;
            if (bin >= 0) {
                finite = LfadsCheckpoint.putQ12(dst, layout.histOffset(k), sRing, (int) (bin % (L + 1)) * C, C);
            } else {
                LfadsCheckpoint.putZeros(dst, layout.histOffset(k), C);
            }
        }
        return finite ? CheckpointStatus.OK : CheckpointStatus.BAD_VALUE;
    }

    @Override
    public CheckpointStatus restoreStream(byte[] src) {
        if (layout == null) {
            return CheckpointStatus.UNSUPPORTED;
        }
        CheckpointStatus s = layout.check(src);
        if (!s.ok()) {
            return s;
        }
        long bins = LfadsCheckpoint.bins(src);
        if (bins == 0) {
            sBins = 0;
            return CheckpointStatus.OK;
        }
        final int C = d.ciEncDim();
        final int L = d.ciLag();
        LfadsCheckpoint.getQ12(src, layout.ciOffset(), sCi, 0, C);
        LfadsCheckpoint.getQ12(src, layout.conOffset(), sC, 0, sC.length);
        LfadsCheckpoint.getQ12(src, layout.genOffset(), sG, 0, sG.length);
        LfadsCheckpoint.getQ12(src, layout.facOffset(), sF, 0, sF.length);
        for (int k = 0; k < L; k++) {
            long bin = bins - 1 - k;
            if (bin >= 0) {
                LfadsCheckpoint.getQ12(src, layout.histOffset(k), sRing, (int) (bin % (L + 1)) * C, C);
            }
        }
        sBins = bins;
        return CheckpointStatus.OK;
    }

    @Override
    public float[] lastIcMean() {
        return icMean;
    }

    @Override
    public float[] lastGenStates() {
        return genStates;
    }

    @Override
    public float[] lastConStates() {
        return conStates;
    }

    @Override
    public float[] lastCo() {
        return coOut;
    }
}
