package io.reflex.decoders.lfads;

import static io.reflex.decoders.lfads.LfadsTensors.CI_BWD;
import static io.reflex.decoders.lfads.LfadsTensors.CI_FWD;
import static io.reflex.decoders.lfads.LfadsTensors.CI_H0;
import static io.reflex.decoders.lfads.LfadsTensors.CON;
import static io.reflex.decoders.lfads.LfadsTensors.CON_H0;
import static io.reflex.decoders.lfads.LfadsTensors.CO_LINEAR;
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
import io.reflex.decoders.fixed.ActivationLuts;
import io.reflex.decoders.fixed.FixedPoint;
import java.util.Arrays;

/**
 * The fixed-point LFADS golden model: decoders/FIXED_POINT.md §5–6, bit for bit. This class is the definition
 * the HDL, the RTL simulation and the FPGA must match at 0 LSB. The {@code *Q} methods take and give the raw
 * integers (counts Q0, factors and log-rates Q12); the float methods of {@link LfadsKernel} convert at the edges
 * (counts rounded half away from zero and saturated to [0, 32767]; outputs divided by 4096).
 */
public final class LfadsFixed implements LfadsKernel {

    private final LfadsDims d;
    private final FixedGru icFwd;
    private final FixedGru icBwd;
    private final FixedGru ciFwd;
    private final FixedGru ciBwd;
    private final FixedGru con;
    private final FixedGru gen;
    private final short[] icH0;
    private final short[] ciH0;
    private final short[] conH0;
    private final short[] g0Learned;
    private final FixedLinear icLinear;
    private final FixedLinear icToG0;
    private final FixedLinear coLinear;
    private final FixedLinear fac;
    private final FixedLinear readout;

    private final short[] xq;
    private final short[] e;
    private final short[] icMean;
    private final short[] fwdOut;
    private final short[] bwdOut;
    private final short[] h;
    private final short[] g;
    private final short[] c;
    private final short[] f;
    private final short[] u;
    private final short[] conIn;
    private final short[] genStates;
    private final short[] conStates;
    private final short[] coOut;
    private final short[] facQ;
    private final short[] lrQ;
    private final float[] icMeanF;
    private final float[] genStatesF;
    private final float[] conStatesF;
    private final float[] coF;
    private final short[] sCi;
    private final short[] sRing;
    private final short[] sG;
    private final short[] sC;
    private final short[] sF;
    private long sBins;
    private final LfadsCheckpoint layout;

    /**
     * Loads the fixed-point model of a bundle: checks the arithmetic section and the LUTs, then reads the
     * exporter's {@code :q} tensors.
     */
    public LfadsFixed(ModelBundle b) {
        this(b, true);
    }

    /**
     * @param useBundleQ true: use the bundle's {@code :q} tensors and LUTs (which must match FIXED_POINT.md);
     *                   false: quantise the float32 tensors here (for bundles without a fixed-point copy)
     */
    public LfadsFixed(ModelBundle b, boolean useBundleQ) {
        if (useBundleQ) {
            ActivationLuts.verify(b);
        }
        this.d = LfadsDims.from(b);
        QuantSource q = new QuantSource(b, useBundleQ);
        double clip = d.cellClip();
        int D = d.dataDim();
        int act = FixedPoint.ACT;
        if (!d.causal()) {
            icFwd = new FixedGru(b, IC_FWD, D, d.icEncDim(), 0, clip, q);
            icBwd = new FixedGru(b, IC_BWD, D, d.icEncDim(), 0, clip, q);
            icH0 = q.state(IC_H0, 2L * d.icEncDim());
            icLinear = linear(q, IC_LINEAR, 2 * d.icDim(), 2 * d.icEncDim(), d.icDim(), true);
            icToG0 = linear(q, IC_TO_G0, d.genDim(), d.icDim(), d.genDim(), true);
            g0Learned = null;
        } else {
            icFwd = null;
            icBwd = null;
            icH0 = null;
            icLinear = null;
            icToG0 = null;
            g0Learned = q.state(G0, d.genDim());
        }
        if (d.hasController()) {
            ciFwd = new FixedGru(b, CI_FWD, D, d.ciEncDim(), 0, clip, q);
            ciBwd = d.causal() ? null : new FixedGru(b, CI_BWD, D, d.ciEncDim(), 0, clip, q);
            ciH0 = q.state(CI_H0, (d.causal() ? 1L : 2L) * d.ciEncDim());
            con = new FixedGru(b, CON, d.conInputDim(), d.conDim(), act, clip, q);
            conH0 = q.state(CON_H0, d.conDim());
            coLinear = linear(q, CO_LINEAR, 2 * d.coDim(), d.conDim(), d.coDim(), true);
        } else {
            ciFwd = null;
            ciBwd = null;
            ciH0 = null;
            con = null;
            conH0 = new short[0];
            coLinear = null;
        }
        gen = new FixedGru(b, GEN, d.coDim(), d.genDim(), act, clip, q);
        QuantSource.Weight wFac = q.facNorm(d.facDim(), d.genDim());
        QuantSource.checkAccumulator(b, LfadsTensors.FAC_NORM, wFac.values(), d.facDim(), d.genDim(), null, 32768);
        fac = new FixedLinear(wFac.values(), d.genDim(), d.facDim(), null, wFac.fracBits());
        readout = linear(q, READOUT, d.readoutDim(), d.facDim(), d.readoutDim(), true);

        int T = d.encSeqLen();
        int Tr = d.reconSeqLen();
        xq = new short[T * D];
        e = new short[2 * d.icEncDim()];
        icMean = new short[d.icDim()];
        fwdOut = new short[T * d.ciEncDim()];
        bwdOut = new short[T * d.ciEncDim()];
        h = new short[Math.max(d.icEncDim(), d.ciEncDim())];
        g = new short[d.genDim()];
        c = new short[d.conDim()];
        f = new short[d.facDim()];
        u = new short[d.coDim()];
        conIn = new short[d.conInputDim()];
        genStates = new short[Tr * d.genDim()];
        conStates = new short[Tr * d.conDim()];
        coOut = new short[Tr * d.coDim()];
        facQ = new short[Tr * d.facDim()];
        lrQ = new short[Tr * d.readoutDim()];
        icMeanF = new float[d.icDim()];
        genStatesF = new float[genStates.length];
        conStatesF = new float[conStates.length];
        coF = new float[coOut.length];
        sCi = new short[d.ciEncDim()];
        sRing = new short[(d.ciLag() + 1) * d.ciEncDim()];
        sG = new short[d.genDim()];
        sC = new short[d.conDim()];
        sF = new short[d.facDim()];
        layout = d.causal()
                ? new LfadsCheckpoint(d.ciEncDim(), d.conDim(), d.genDim(), d.facDim(), d.ciLag()) : null;
    }

    /**
     * The integers of one GRU cell (FIXED_POINT.md §5) for engines that run the golden arithmetic elsewhere.
     *
     * @param in      input width
     * @param hidden  state width H
     * @param wIh     int16 {@code [3H][in]} row-major (rows z, r, n)
     * @param wHh     int16 {@code [3H][H]}
     * @param bIh     {@code [3H]} at the accumulator scale of {@code W_ih·x}
     * @param bHh     {@code [3H]} at the accumulator scale of {@code W_hh·h}
     * @param shiftIh requantisation shift of the input matvec to Q10 (negative: left shift)
     * @param shiftHh requantisation shift of the hidden matvecs to Q10
     * @param clipQ   the state clip in Q12
     */
    public record Gru(int in, int hidden, short[] wIh, short[] wHh, long[] bIh, long[] bHh, int shiftIh, int shiftHh,
                      int clipQ) {
    }

    /**
     * The integers of one linear map {@code y = requant16(b + W·v, shift)}.
     *
     * @param rows  output rows
     * @param cols  input width
     * @param w     int16 {@code [rows][cols]} row-major
     * @param bias  {@code [rows]} at the accumulator scale (zeros for a map without bias)
     * @param shift requantisation shift
     */
    public record Linear(int rows, int cols, short[] w, long[] bias, int shift) {
    }

    /**
     * Everything the causal step of §6 computes with, copied out of a causal model (ciFwd, con and coLinear are null
     * without a controller).
     */
    public record CausalExport(LfadsDims dims, Gru ciFwd, Gru con, Linear coLinear, Gru gen, Linear fac,
                               Linear readout, short[] ciH0, short[] conH0, short[] g0) {
    }

    /**
     * A copy of the integers of the causal step, for engines that run it on other hardware (gpu-engine); the
     * reference for the order of operations stays {@link #stepQ}.
     *
     * @throws IllegalStateException for a bundle that is not causal
     */
    public CausalExport causalExport() {
        if (!d.causal()) {
            throw new IllegalStateException("the causal step needs a causal bundle (hyperparameter causal = true)");
        }
        boolean ctl = d.hasController();
        return new CausalExport(d, ctl ? ciFwd.export() : null, ctl ? con.export() : null,
                ctl ? coLinear.export() : null, gen.export(), fac.export(), readout.export(),
                ctl ? java.util.Arrays.copyOf(ciH0, d.ciEncDim()) : new short[0], conH0.clone(), g0Learned.clone());
    }

    /**
     * Everything the acausal trial of §6 computes with, copied out of an acausal model: the IC encoder
     * ({@code icH0} holds the forward then the backward initial state), {@code ic_linear} (the mean rows only) and
     * {@code ic_to_g0}; the CI encoders ({@code ciH0}: forward then backward), controller and co linear (all null or
     * empty without a controller); the generator, factors and readout.
     */
    public record AcausalExport(LfadsDims dims, Gru icFwd, Gru icBwd, short[] icH0, Linear icLinear, Linear icToG0,
                                Gru ciFwd, Gru ciBwd, short[] ciH0, Gru con, short[] conH0, Linear coLinear, Gru gen,
                                Linear fac, Linear readout) {
    }

    /**
     * A copy of the integers of the acausal trial, for engines that run it on other hardware (gpu-engine); the
     * reference for the order of operations stays {@link #trialQ}.
     *
     * @throws IllegalStateException for a causal bundle
     */
    public AcausalExport acausalExport() {
        if (d.causal()) {
            throw new IllegalStateException("the acausal trial needs an acausal bundle (hyperparameter causal = false)");
        }
        boolean ctl = d.hasController();
        return new AcausalExport(d, icFwd.export(), icBwd.export(), Arrays.copyOf(icH0, 2 * d.icEncDim()),
                icLinear.export(), icToG0.export(), ctl ? ciFwd.export() : null, ctl ? ciBwd.export() : null,
                ctl ? Arrays.copyOf(ciH0, 2 * d.ciEncDim()) : new short[0], ctl ? con.export() : null,
                conH0.clone(), ctl ? coLinear.export() : null, gen.export(), fac.export(), readout.export());
    }

    @Override
    public LfadsDims dims() {
        return d;
    }

    @Override
    public String arithmetic() {
        return "fixed";
    }

    /**
     * A linear layer outside the GRUs: Q12 input to Q12 output, so the shift is {@code F_W + 12 − 12 = F_W}; only
     * the first {@code rowsUsed} rows are computed (ic_mean, u: the logvar rows are unused).
     */
    private static FixedLinear linear(QuantSource q, String prefix, int rows, int cols, int rowsUsed, boolean bias) {
        QuantSource.Weight w = q.weight(prefix + "weight", rows, cols);
        int[] b = bias ? q.bias(prefix + "bias", rows, w.fracBits() + FixedPoint.ACT) : null;
        QuantSource.checkAccumulator(q.bundle(), prefix + "weight", w.values(), rows, cols, b, 32768);
        return new FixedLinear(w.values(), cols, rowsUsed, b, w.fracBits());
    }

    /**
     * The bit-exact trial (FIXED_POINT.md §6).
     *
     * @param counts    Q0 counts {@code [bins][dataDim]}, each in [0, 32767]
     * @param factorsQ  receives Q12 factors {@code [steps][facDim]}
     * @param logRatesQ receives Q12 log-rates {@code [steps][readoutDim]}
     * @return a DecodeStatus code
     */
    public int trialQ(short[] counts, int bins, short[] factorsQ, short[] logRatesQ) {
        final int D = d.dataDim();
        final int steps = bins + d.reconSeqLen() - d.encSeqLen();
        if (bins < 1 || bins > d.encSeqLen() || counts.length < bins * D
                || factorsQ.length < steps * d.facDim() || logRatesQ.length < steps * d.readoutDim()) {
            Arrays.fill(factorsQ, (short) 0);
            Arrays.fill(logRatesQ, (short) 0);
            return DecodeStatus.INVALID_INPUT;
        }
        for (int k = 0; k < bins * D; k++) {
            if (counts[k] < 0) {
                Arrays.fill(factorsQ, (short) 0);
                Arrays.fill(logRatesQ, (short) 0);
                return DecodeStatus.INVALID_INPUT;
            }
        }
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
        fac.apply(g, 0, f, 0);
        final int L = d.ciLag();
        for (int t = 0; t < steps; t++) {
            if (d.hasController()) {
                int tf = t - L;
                if (tf >= 0 && t < bins) {
                    System.arraycopy(fwdOut, tf * C, conIn, 0, C);
                } else {
                    Arrays.fill(conIn, 0, C, (short) 0);
                }
                int off = C;
                if (!d.causal()) {
                    int tb = t + L;
                    if (tb <= bins - 1) {
                        System.arraycopy(bwdOut, tb * C, conIn, C, C);
                    } else {
                        Arrays.fill(conIn, C, 2 * C, (short) 0);
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
            System.arraycopy(f, 0, factorsQ, t * d.facDim(), f.length);
            readout.apply(f, 0, logRatesQ, t * d.readoutDim());
        }
        return DecodeStatus.OK;
    }

    /**
     * Float counts to Q0: round half away from zero, saturate at 32767; false for a count that is not valid
     * ({@link io.reflex.decoders.Counts}: negative, NaN or infinite), as in the float32 arithmetic.
     */
    private static boolean toCounts(float[] src, int srcOff, short[] dst, int dstOff, int n) {
        for (int k = 0; k < n; k++) {
            float v = src[srcOff + k];
            if (!io.reflex.decoders.Counts.valid(v)) {
                return false;
            }
            double r = FixedPoint.roundHalfAway(v);
            dst[dstOff + k] = (short) (r <= 0 ? 0 : r >= Short.MAX_VALUE ? Short.MAX_VALUE : (int) r);
        }
        return true;
    }

    private static final float Q12 = 1f / (1 << FixedPoint.ACT);

    @Override
    public int trial(float[] counts, int bins, float[] factors, float[] logRates) {
        final int D = d.dataDim();
        final int steps = bins + d.reconSeqLen() - d.encSeqLen();
        if (bins < 1 || bins > d.encSeqLen() || counts.length < bins * D
                || factors.length < steps * d.facDim() || logRates.length < steps * d.readoutDim()
                || !toCounts(counts, 0, xq, 0, bins * D)) {
            Arrays.fill(factors, 0f);
            Arrays.fill(logRates, 0f);
            return DecodeStatus.INVALID_INPUT;
        }
        int status = trialQ(xq, bins, facQ, lrQ);
        for (int k = 0; k < steps * d.facDim(); k++) {
            factors[k] = facQ[k] * Q12;
        }
        for (int k = 0; k < steps * d.readoutDim(); k++) {
            logRates[k] = lrQ[k] * Q12;
        }
        for (int k = 0; k < icMean.length; k++) {
            icMeanF[k] = icMean[k] * Q12;
        }
        for (int k = 0; k < steps * d.genDim(); k++) {
            genStatesF[k] = genStates[k] * Q12;
        }
        for (int k = 0; k < steps * d.conDim(); k++) {
            conStatesF[k] = conStates[k] * Q12;
        }
        for (int k = 0; k < steps * d.coDim(); k++) {
            coF[k] = coOut[k] * Q12;
        }
        return status;
    }

    @Override
    public void resetStream() {
        sBins = 0;
    }

    /**
     * The bit-exact causal step (FIXED_POINT.md §6, "Causal step").
     *
     * @param counts    Q0 counts of the new bin at {@code off}
     * @param factorsQ  receives {@code facDim} Q12 factors
     * @param logRatesQ receives {@code readoutDim} Q12 log-rates
     */
    public int stepQ(short[] counts, int off, short[] factorsQ, short[] logRatesQ) {
        if (!d.causal()) {
            throw new IllegalStateException("causal steps need a causal bundle (hyperparameter causal = true)");
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
            Arrays.fill(conIn, 0, C, (short) 0);
        }
        System.arraycopy(sF, 0, conIn, C, sF.length);
        con.step(conIn, 0, sC, 0);
        coLinear.apply(sC, 0, u, 0);
        gen.step(u, 0, sG, 0);
        fac.apply(sG, 0, sF, 0);
        System.arraycopy(sF, 0, factorsQ, 0, sF.length);
        readout.apply(sF, 0, logRatesQ, 0);
        sBins++;
        return DecodeStatus.OK;
    }

    @Override
    public int step(float[] counts, int off, float[] factors, float[] logRates) {
        if (!d.causal()) {
            throw new IllegalStateException("causal steps need a causal bundle (hyperparameter causal = true)");
        }
        if (off < 0 || counts.length < off + d.dataDim() || factors.length < d.facDim()
                || logRates.length < d.readoutDim() || !toCounts(counts, off, xq, 0, d.dataDim())) {
            Arrays.fill(factors, 0f);
            Arrays.fill(logRates, 0f);
            return DecodeStatus.INVALID_INPUT;
        }
        int status = stepQ(xq, 0, facQ, lrQ);
        for (int k = 0; k < d.facDim(); k++) {
            factors[k] = facQ[k] * Q12;
        }
        for (int k = 0; k < d.readoutDim(); k++) {
            logRates[k] = lrQ[k] * Q12;
        }
        return status;
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
        if (sBins == 0) {
            // the state a step after a reset starts from; sF is recomputed by that step, so it may serve as scratch
            fac.apply(g0Learned, 0, sF, 0);
            LfadsCheckpoint.putQ12(dst, layout.ciOffset(), ciH0, 0, C);
            LfadsCheckpoint.putQ12(dst, layout.conOffset(), conH0, 0, conH0.length);
            LfadsCheckpoint.putQ12(dst, layout.genOffset(), g0Learned, 0, g0Learned.length);
        } else {
            LfadsCheckpoint.putQ12(dst, layout.ciOffset(), sCi, 0, C);
            LfadsCheckpoint.putQ12(dst, layout.conOffset(), sC, 0, sC.length);
            LfadsCheckpoint.putQ12(dst, layout.genOffset(), sG, 0, sG.length);
        }
        LfadsCheckpoint.putQ12(dst, layout.facOffset(), sF, 0, sF.length);
        for (int k = 0; k < L; k++) {
            long bin = sBins - 1 - k;
            if (bin >= 0) {
                LfadsCheckpoint.putQ12(dst, layout.histOffset(k), sRing, (int) (bin % (L + 1)) * C, C);
            } else {
                LfadsCheckpoint.putZeros(dst, layout.histOffset(k), C);
            }
        }
        return CheckpointStatus.OK;
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
        return icMeanF;
    }

    @Override
    public float[] lastGenStates() {
        return genStatesF;
    }

    @Override
    public float[] lastConStates() {
        return conStatesF;
    }

    @Override
    public float[] lastCo() {
        return coF;
    }

    /** Q12 generator states {@code [steps][genDim]} of the last trial (live view), for golden vectors. */
    public short[] lastGenStatesQ() {
        return genStates;
    }

    /** Q12 controller states {@code [steps][conDim]} of the last trial (live view). */
    public short[] lastConStatesQ() {
        return conStates;
    }

    /** Q12 controller outputs {@code [steps][coDim]} of the last trial (live view). */
    public short[] lastCoQ() {
        return coOut;
    }

    /** Q12 ic_mean of the last trial (live view). */
    public short[] lastIcMeanQ() {
        return icMean;
    }
}
