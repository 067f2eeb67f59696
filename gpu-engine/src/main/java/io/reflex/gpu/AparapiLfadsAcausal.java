package io.reflex.gpu;

import com.aparapi.device.Device;
import io.reflex.decoders.fixed.ActivationLuts;
import io.reflex.decoders.fixed.FixedPoint;
import io.reflex.decoders.lfads.LfadsFixed;

/**
 * The acausal LFADS trial of {@link LfadsFixed#trialQ} (FIXED_POINT.md §6) on an Aparapi device in integer
 * arithmetic, bit-identical to {@link LfadsFixed#trial}: the pass program of {@link AparapiLfadsAcausalBase} on
 * {@link LfadsStepKernel}, one launch per trial; counts rounded half away from zero and saturated to [0, 32767] as the
 * golden model does; Q12 outputs divided by 4096. The integers come from {@link LfadsFixed#acausalExport()}, so the
 * golden model stays the one definition.
 *
 * <p>Made for {@code maxTrials} trials, it runs batches of them in one launch ({@link #trials}), each trial bit for bit
 * as alone. Per-trial calls allocate nothing on the Java side. Not thread-safe.
 */
final class AparapiLfadsAcausal extends AparapiLfadsAcausalBase {
    private static final float Q12 = 1f / (1 << FixedPoint.ACT);

    private final LfadsFixed.Gru[] gru = new LfadsFixed.Gru[6];
    private final LfadsFixed.Linear[] lin = new LfadsFixed.Linear[5];
    private final int[] gW = new int[12];
    private final int[] gB = new int[12];
    private final int[] lW = new int[5];
    private final int[] lB = new int[5];
    private final LfadsStepKernel k;
    private final float[] icMeanF;
    private final float[] genStatesF;
    private final float[] conStatesF;
    private final float[] coF;

    /**
     * @throws IllegalStateException when the kernel cannot be compiled for an OpenCL device or its first launch fails
     */
    AparapiLfadsAcausal(LfadsFixed.AcausalExport m, Device device) {
        this(m, device, 1);
    }

    /**
     * A batch of up to {@code maxTrials} trials.
     *
     * @throws IllegalArgumentException for a count or sizes outside {@link AparapiLfadsAcausalBase}'s bounds
     * @throws IllegalStateException    when the kernel cannot be compiled for an OpenCL device or its first launch fails
     */
    AparapiLfadsAcausal(LfadsFixed.AcausalExport m, Device device, int maxTrials) {
        super(m.dims(), maxTrials);
        gru[IC_FWD] = m.icFwd();
        gru[IC_BWD] = m.icBwd();
        gru[CI_FWD] = m.ciFwd();
        gru[CI_BWD] = m.ciBwd();
        gru[CON] = m.con();
        gru[GEN] = m.gen();
        lin[IC_LINEAR] = m.icLinear();
        lin[IC_TO_G0] = m.icToG0();
        lin[CO_LINEAR] = m.coLinear();
        lin[FAC] = m.fac();
        lin[READOUT] = m.readout();
        int wInts = 0;
        int bLongs = 0;
        int maxHidden = 1;
        for (int q = 0; q < gru.length; q++) {
            if (gru[q] != null) {
                gW[2 * q] = wInts;
                wInts += gru[q].wIh().length;
                gW[2 * q + 1] = wInts;
                wInts += gru[q].wHh().length;
                gB[2 * q] = bLongs;
                bLongs += gru[q].bIh().length;
                gB[2 * q + 1] = bLongs;
                bLongs += gru[q].bHh().length;
                maxHidden = Math.max(maxHidden, gru[q].hidden());
            }
        }
        for (int q = 0; q < lin.length; q++) {
            if (lin[q] != null) {
                lW[q] = wInts;
                wInts += lin[q].w().length;
                lB[q] = bLongs;
                bLongs += lin[q].bias().length;
            }
        }
        k = new LfadsStepKernel(maxPasses(d), maxTrials, memSize, wInts, bLongs, 3 * maxHidden, ActivationLuts.sigmoid(),
                ActivationLuts.tanh());
        for (int q = 0; q < gru.length; q++) {
            if (gru[q] != null) {
                copy(gru[q].wIh(), k.w, gW[2 * q]);
                copy(gru[q].wHh(), k.w, gW[2 * q + 1]);
                System.arraycopy(gru[q].bIh(), 0, k.bias, gB[2 * q], gru[q].bIh().length);
                System.arraycopy(gru[q].bHh(), 0, k.bias, gB[2 * q + 1], gru[q].bHh().length);
            }
        }
        for (int q = 0; q < lin.length; q++) {
            if (lin[q] != null) {
                copy(lin[q].w(), k.w, lW[q]);
                System.arraycopy(lin[q].bias(), 0, k.bias, lB[q], lin[q].bias().length);
            }
        }
        for (int s = 0; s < maxTrials; s++) {
            int mb = s * k.memStride;
            copy(m.icH0(), k.mem, mb + icH0);
            copy(m.ciH0(), k.mem, mb + ciH0);
            copy(m.conH0(), k.mem, mb + conH0);
        }
        k.rowsPerStream = maxRows(d);
        k.streams = 1;
        int tr = d.reconSeqLen();
        icMeanF = new float[d.icDim()];
        genStatesF = new float[tr * d.genDim()];
        conStatesF = new float[tr * d.conDim()];
        coF = new float[tr * d.coDim()];
        start(k, device);
    }

    private static void copy(short[] src, int[] dst, int off) {
        for (int i = 0; i < src.length; i++) {
            dst[off + i] = src[i];
        }
    }

    @Override
    public String arithmetic() {
        return "fixed";
    }

    @Override
    int[] ops() {
        return k.ops;
    }

    @Override
    void gruOps(int q, int src, int state) {
        LfadsFixed.Gru g = gru[q];
        op(LfadsStepKernel.GRU_A, g.hidden(), g.in(), gW[2 * q], gW[2 * q + 1], gB[2 * q], gB[2 * q + 1], src, state,
                g.shiftIh(), g.shiftHh(), g.clipQ());
        op(LfadsStepKernel.GRU_B, g.hidden(), g.in(), gW[2 * q], gW[2 * q + 1], gB[2 * q], gB[2 * q + 1], src, state,
                g.shiftIh(), g.shiftHh(), g.clipQ());
    }

    @Override
    void linearOp(int q, int src, int dst) {
        LfadsFixed.Linear l = lin[q];
        op(LfadsStepKernel.LINEAR, l.rows(), l.cols(), lW[q], 0, lB[q], 0, src, dst, l.shift(), 0, 0);
    }

    @Override
    void activeTrials(int n) {
        k.streams = n;
    }

    /** Counts rounded half away from zero and saturated to [0, 32767], as the golden model does. */
    @Override
    void loadWindow(int s, float[] counts, int n) {
        int w = s * k.memStride + win;
        for (int j = 0; j < n; j++) {
            double r = FixedPoint.roundHalfAway(counts[j]);
            k.mem[w + j] = r <= 0 ? 0 : r >= Short.MAX_VALUE ? Short.MAX_VALUE : (int) r;
        }
    }

    @Override
    boolean readOutputs(int s, int steps, float[] factors, float[] logRates) {
        q12(s * k.memStride + facOut, factors, steps * d.facDim());
        q12(s * k.memStride + lrOut, logRates, steps * d.readoutDim());
        return true;
    }

    @Override
    void readStates(int s, int steps, float[] icMeanDst, float[] genDst, float[] conDst, float[] coDst) {
        int mb = s * k.memStride;
        q12(mb + icMean, icMeanDst, d.icDim());
        q12(mb + genOut, genDst, steps * d.genDim());
        q12(mb + conOut, conDst, steps * d.conDim());
        q12(mb + coOut, coDst, steps * d.coDim());
    }

    private void q12(int from, float[] dst, int n) {
        for (int j = 0; j < n; j++) {
            dst[j] = k.mem[from + j] * Q12;
        }
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
}
