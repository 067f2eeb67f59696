package io.reflex.gpu;

import com.aparapi.device.Device;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.decoders.lfads.LfadsFloat32;
import io.reflex.decoders.lfads.LfadsTensors;
import java.util.Arrays;

/**
 * The acausal float32 LFADS trial of {@link LfadsFloat32#trial} on an Aparapi device: the pass program of
 * {@link AparapiLfadsAcausalBase} on {@link LfadsFloatStepKernel}, one launch per trial. The encoders' GRUs read the
 * raw counts (summed one column at a time, as {@code FloatGru} does for spike counts), the controller and generator
 * dense; {@code ic_linear} and co linear use their mean rows; factors through {@code fac_norm} or the
 * kernel-normalised {@code fac_linear} as {@link LfadsFloat32} computes it. Accepted within
 * {@code |a − b| ≤ 1e-4·max(1, |b|)} of {@link LfadsFloat32#trial} (AparapiLfadsFloatTest documents why not promised
 * bit for bit). A non-finite log-rate is NUMERIC_FAULT, as there.
 *
 * <p>Made for {@code maxTrials} trials, it runs batches of them in one launch ({@link #trials}), each trial exactly as
 * alone (the same operations in the same order). Per-trial calls allocate nothing on the Java side. Not thread-safe.
 */
final class AparapiLfadsAcausalFloat extends AparapiLfadsAcausalBase {
    private final LfadsFloatStepKernel k;
    private final int[] gruIn = new int[6];
    private final int[] gruHidden = new int[6];
    private final int[] gW = new int[12];
    private final int[] gB = new int[12];
    private final int[] linRows = new int[5];
    private final int[] linCols = new int[5];
    private final int[] lW = new int[5];
    private final int[] lB = new int[5];
    private final float[] icMeanF;
    private final float[] genStatesF;
    private final float[] conStatesF;
    private final float[] coF;

    /**
     * @throws IllegalArgumentException for a causal bundle; for tensors of the wrong shape (as {@link LfadsFloat32}
     *                                  finds them)
     * @throws IllegalStateException    when the kernel cannot be compiled for an OpenCL device
     */
    AparapiLfadsAcausalFloat(ModelBundle b, Device device) {
        this(b, device, 1);
    }

    /**
     * A batch of up to {@code maxTrials} trials.
     *
     * @throws IllegalArgumentException for a causal bundle, tensors of the wrong shape, or a count or sizes outside
     *                                  {@link AparapiLfadsAcausalBase}'s bounds
     * @throws IllegalStateException    when the kernel cannot be compiled for an OpenCL device
     */
    AparapiLfadsAcausalFloat(ModelBundle b, Device device, int maxTrials) {
        this(new LfadsFloat32(b), b, device, maxTrials); // the reference checks every shape the kernel reads
    }

    private AparapiLfadsAcausalFloat(LfadsFloat32 reference, ModelBundle b, Device device, int maxTrials) {
        super(reference.dims(), maxTrials);
        LfadsDims dd = reference.dims();
        int D = dd.dataDim();
        String[] gruPrefix = {LfadsTensors.IC_FWD, LfadsTensors.IC_BWD, LfadsTensors.CI_FWD, LfadsTensors.CI_BWD,
            LfadsTensors.CON, LfadsTensors.GEN};
        int[] ins = {D, D, D, D, dd.conInputDim(), dd.coDim()};
        int[] hid = {dd.icEncDim(), dd.icEncDim(), dd.ciEncDim(), dd.ciEncDim(), dd.conDim(), dd.genDim()};
        float[][] gw = new float[12][];
        float[][] gb = new float[12][];
        int maxHidden = 1;
        for (int q = 0; q < 6; q++) {
            if (q >= CI_FWD && q <= CON && !ctl) {
                continue;
            }
            gruIn[q] = ins[q];
            gruHidden[q] = hid[q];
            maxHidden = Math.max(maxHidden, hid[q]);
            gw[2 * q] = b.float32(gruPrefix[q] + "weight_ih");
            gw[2 * q + 1] = b.float32(gruPrefix[q] + "weight_hh");
            gb[2 * q] = b.float32(gruPrefix[q] + "bias_ih");
            gb[2 * q + 1] = b.float32(gruPrefix[q] + "bias_hh");
        }
        float[][] lw = new float[5][];
        float[][] lb = new float[5][];
        int[][] shape = {{dd.icDim(), 2 * dd.icEncDim()}, {dd.genDim(), dd.icDim()}, {dd.coDim(), dd.conDim()},
            {dd.facDim(), dd.genDim()}, {dd.readoutDim(), dd.facDim()}};
        // ic_linear and co linear: the first rows (the means) of [2·rows][cols]
        lw[IC_LINEAR] = Arrays.copyOf(b.float32(LfadsTensors.IC_LINEAR + "weight"), dd.icDim() * 2 * dd.icEncDim());
        lb[IC_LINEAR] = Arrays.copyOf(b.float32(LfadsTensors.IC_LINEAR + "bias"), dd.icDim());
        lw[IC_TO_G0] = b.float32(LfadsTensors.IC_TO_G0 + "weight");
        lb[IC_TO_G0] = b.float32(LfadsTensors.IC_TO_G0 + "bias");
        if (ctl) {
            lw[CO_LINEAR] = Arrays.copyOf(b.float32(LfadsTensors.CO_LINEAR + "weight"), dd.coDim() * dd.conDim());
            lb[CO_LINEAR] = Arrays.copyOf(b.float32(LfadsTensors.CO_LINEAR + "bias"), dd.coDim());
        }
        if (b.hasTensor(LfadsTensors.FAC_NORM)) {
            lw[FAC] = b.float32(LfadsTensors.FAC_NORM);
        } else {
            double[] n = LfadsTensors.facNorm(b.floatAsDouble(LfadsTensors.FAC_LINEAR), dd.facDim(), dd.genDim());
            lw[FAC] = new float[n.length];
            for (int i = 0; i < n.length; i++) {
                lw[FAC][i] = (float) n[i];
            }
        }
        lb[FAC] = new float[dd.facDim()];
        lw[READOUT] = b.float32(LfadsTensors.READOUT + "weight");
        lb[READOUT] = b.float32(LfadsTensors.READOUT + "bias");
        int wFloats = 0;
        int bFloats = 0;
        for (int q = 0; q < 12; q++) {
            if (gw[q] != null) {
                gW[q] = wFloats;
                wFloats += gw[q].length;
                gB[q] = bFloats;
                bFloats += gb[q].length;
            }
        }
        for (int q = 0; q < 5; q++) {
            linRows[q] = shape[q][0];
            linCols[q] = shape[q][1];
            if (lw[q] != null) {
                lW[q] = wFloats;
                wFloats += lw[q].length;
                lB[q] = bFloats;
                bFloats += lb[q].length;
            }
        }
        k = new LfadsFloatStepKernel(maxPasses(dd), maxTrials, memSize, wFloats, bFloats, 3 * maxHidden,
                new float[] {(float) dd.cellClip()});
        for (int q = 0; q < 12; q++) {
            if (gw[q] != null) {
                System.arraycopy(gw[q], 0, k.w, gW[q], gw[q].length);
                System.arraycopy(gb[q], 0, k.bias, gB[q], gb[q].length);
            }
        }
        for (int q = 0; q < 5; q++) {
            if (lw[q] != null) {
                System.arraycopy(lw[q], 0, k.w, lW[q], lw[q].length);
                System.arraycopy(lb[q], 0, k.bias, lB[q], lb[q].length);
            }
        }
        float[] icH0v = b.float32(LfadsTensors.IC_H0);
        float[] ciH0v = ctl ? b.float32(LfadsTensors.CI_H0) : null;
        float[] conH0v = ctl ? b.float32(LfadsTensors.CON_H0) : null;
        for (int s = 0; s < maxTrials; s++) {
            int mb = s * k.memStride;
            System.arraycopy(icH0v, 0, k.mem, mb + icH0, 2 * dd.icEncDim());
            if (ctl) {
                System.arraycopy(ciH0v, 0, k.mem, mb + ciH0, 2 * dd.ciEncDim());
                System.arraycopy(conH0v, 0, k.mem, mb + conH0, dd.conDim());
            }
        }
        k.rowsPerStream = maxRows(dd);
        k.streams = 1;
        int tr = dd.reconSeqLen();
        icMeanF = new float[dd.icDim()];
        genStatesF = new float[tr * dd.genDim()];
        conStatesF = new float[tr * dd.conDim()];
        coF = new float[tr * dd.coDim()];
        start(k, device);
    }

    @Override
    public String arithmetic() {
        return "float32";
    }

    @Override
    int[] ops() {
        return k.ops;
    }

    @Override
    void gruOps(int q, int src, int state) {
        int a = 2 * q;
        // the encoders read spike counts: summed as FloatGru does for sparse input (zero counts skipped)
        int sparse = q <= CI_BWD ? 1 : 0;
        op(LfadsStepKernel.GRU_A, gruHidden[q], gruIn[q], gW[a], gW[a + 1], gB[a], gB[a + 1], src, state, sparse, 0,
                0);
        op(LfadsStepKernel.GRU_B, gruHidden[q], gruIn[q], gW[a], gW[a + 1], gB[a], gB[a + 1], src, state, 0, 0, 0);
    }

    @Override
    void linearOp(int q, int src, int dst) {
        op(LfadsStepKernel.LINEAR, linRows[q], linCols[q], lW[q], 0, lB[q], 0, src, dst, 0, 0, 0);
    }

    @Override
    void activeTrials(int n) {
        k.streams = n;
    }

    /** The raw counts (the encoders read them unrounded, as {@code cpu}). */
    @Override
    void loadWindow(int s, float[] counts, int n) {
        System.arraycopy(counts, 0, k.mem, s * k.memStride + win, n);
    }

    @Override
    boolean readOutputs(int s, int steps, float[] factors, float[] logRates) {
        int mb = s * k.memStride;
        System.arraycopy(k.mem, mb + facOut, factors, 0, steps * d.facDim());
        System.arraycopy(k.mem, mb + lrOut, logRates, 0, steps * d.readoutDim());
        for (int j = 0; j < steps * d.readoutDim(); j++) {
            if (!Float.isFinite(logRates[j])) {
                return false;
            }
        }
        return true;
    }

    @Override
    void readStates(int s, int steps, float[] icMeanDst, float[] genDst, float[] conDst, float[] coDst) {
        int mb = s * k.memStride;
        System.arraycopy(k.mem, mb + icMean, icMeanDst, 0, d.icDim());
        System.arraycopy(k.mem, mb + genOut, genDst, 0, steps * d.genDim());
        System.arraycopy(k.mem, mb + conOut, conDst, 0, steps * d.conDim());
        System.arraycopy(k.mem, mb + coOut, coDst, 0, steps * d.coDim());
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
