package io.reflex.gpu;

import static io.reflex.decoders.lfads.LfadsTensors.CI_FWD;
import static io.reflex.decoders.lfads.LfadsTensors.CI_H0;
import static io.reflex.decoders.lfads.LfadsTensors.CON;
import static io.reflex.decoders.lfads.LfadsTensors.CON_H0;
import static io.reflex.decoders.lfads.LfadsTensors.CO_LINEAR;
import static io.reflex.decoders.lfads.LfadsTensors.FAC_LINEAR;
import static io.reflex.decoders.lfads.LfadsTensors.FAC_NORM;
import static io.reflex.decoders.lfads.LfadsTensors.G0;
import static io.reflex.decoders.lfads.LfadsTensors.GEN;
import static io.reflex.decoders.lfads.LfadsTensors.READOUT;

import com.aparapi.device.Device;
import io.reflex.decoders.Counts;
import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.checkpoint.LfadsCheckpoint;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.decoders.lfads.LfadsFloat32;
import io.reflex.decoders.lfads.LfadsTensors;
import java.util.Arrays;

/**
 * The causal float32 LFADS stream of {@link LfadsFloat32#step} with its step on an Aparapi device
 * ({@link LfadsFloatStepKernel}): CI GRU on the raw counts, the lagged controller input, controller, co linear (the
 * mean rows), generator, kernel-normalised factors and readout in one launch. Checkpoints in the {@code "LFS1"} layout
 * of {@link LfadsFloat32#saveStream}, so a stream moves between this and the {@code cpu} engine.
 *
 * <p>Per-step calls allocate nothing on the Java side. Not thread-safe.
 */
final class AparapiLfadsFloat extends AparapiLfadsBase {
    private final LfadsFloatStepKernel k;
    private final float[] facInit;
    private final int[] gruIn = new int[3];
    private final int[] gruHidden = new int[3];
    private final int[] linRows = new int[3];
    private final int[] linCols = new int[3];

    /**
     * @throws IllegalArgumentException for an acausal bundle or one without a controller; for tensors of the wrong
     *                                  shape (as {@link LfadsFloat32} finds them)
     * @throws IllegalStateException    when the kernel cannot be compiled for an OpenCL device
     */
    AparapiLfadsFloat(ModelBundle b, Device device) {
        this(b, device, 1);
    }

    /**
     * A batch of {@code streams} independent streams ({@link #trials}, {@link #stepBatch}); the single-stream calls
     * use stream 0.
     *
     * @throws IllegalArgumentException as {@link #AparapiLfadsFloat(ModelBundle, Device)}; for streams outside
     *                                  1..65,536
     */
    AparapiLfadsFloat(ModelBundle b, Device device, int streams) {
        this(new LfadsFloat32(b), b, device, streams); // the reference checks every shape the kernel reads
    }

    private AparapiLfadsFloat(LfadsFloat32 reference, ModelBundle b, Device device, int streams) {
        super(reference.dims(), streams);
        if (!d.causal()) {
            throw new IllegalArgumentException("the causal step needs a causal bundle (hyperparameter causal = true); "
                    + "acausal trials run on AparapiLfadsAcausalFloat");
        }
        if (!d.hasController()) {
            throw new IllegalArgumentException("the causal step needs a model with a controller (con_dim > 0)");
        }
        int c = d.ciEncDim();
        String[] gruPrefix = {CI_FWD, CON, GEN};
        int[] ins = {d.dataDim(), d.conInputDim(), d.coDim()};
        int[] hid = {c, d.conDim(), d.genDim()};
        float[][] wts = new float[9][];
        float[][] bs = new float[9][];
        for (int q = 0; q < 3; q++) {
            gruIn[q] = ins[q];
            gruHidden[q] = hid[q];
            wts[2 * q] = b.float32(gruPrefix[q] + "weight_ih");
            wts[2 * q + 1] = b.float32(gruPrefix[q] + "weight_hh");
            bs[2 * q] = b.float32(gruPrefix[q] + "bias_ih");
            bs[2 * q + 1] = b.float32(gruPrefix[q] + "bias_hh");
        }
        // co linear: the first co_dim rows (the means) of [2·co_dim][con_dim]
        wts[6] = Arrays.copyOf(b.float32(CO_LINEAR + "weight"), d.coDim() * d.conDim());
        bs[6] = Arrays.copyOf(b.float32(CO_LINEAR + "bias"), d.coDim());
        if (b.hasTensor(FAC_NORM)) {
            wts[7] = b.float32(FAC_NORM);
        } else {
            double[] n = LfadsTensors.facNorm(b.floatAsDouble(FAC_LINEAR), d.facDim(), d.genDim());
            wts[7] = new float[n.length];
            for (int i = 0; i < n.length; i++) {
                wts[7][i] = (float) n[i];
            }
        }
        bs[7] = new float[d.facDim()];
        wts[8] = b.float32(READOUT + "weight");
        bs[8] = b.float32(READOUT + "bias");
        int[][] lin = {{d.coDim(), d.conDim()}, {d.facDim(), d.genDim()}, {d.readoutDim(), d.facDim()}};
        int wFloats = 0;
        int bFloats = 0;
        int tFloats = 0;
        for (int q = 0; q < 9; q++) {
            wOff[q] = wFloats;
            wFloats += wts[q].length;
            bOff[q] = bFloats;
            bFloats += bs[q].length;
        }
        for (int q = 0; q < 3; q++) {
            tOff[q] = tFloats;
            tFloats += 3 * hid[q];
            linRows[q] = lin[q][0];
            linCols[q] = lin[q][1];
        }
        k = new LfadsFloatStepKernel(MAX_OPS, maxStreams, memPerStream, wFloats, bFloats, tFloats, new float[] {(float) d.cellClip()});
        for (int q = 0; q < 9; q++) {
            System.arraycopy(wts[q], 0, k.w, wOff[q], wts[q].length);
            System.arraycopy(bs[q], 0, k.bias, bOff[q], bs[q].length);
        }
        for (int s = 0; s < maxStreams; s++) {
            int base = s * memPerStream;
            System.arraycopy(b.float32(CI_H0), 0, k.mem, base + ciH0, c);
            System.arraycopy(b.float32(CON_H0), 0, k.mem, base + conH0, d.conDim());
            System.arraycopy(b.float32(G0), 0, k.mem, base + g0, d.genDim());
        }
        k.rowsPerStream = maxRows(d);
        // the factors of g0, as the reference computes them for a checkpoint before the first step
        facInit = new float[d.facDim()];
        byte[] cp = new byte[layout.bytes()];
        reference.saveStream(cp);
        LfadsCheckpoint.getQ12(cp, layout.facOffset(), facInit, 0, facInit.length);
        start(k, device);
    }

    @Override
    int[] ops() {
        return k.ops;
    }

    @Override
    void activeStreams(int n) {
        k.streams = n;
    }

    /** The raw counts (the CI GRU reads them unrounded, as {@code cpu}). */
    @Override
    void loadCounts(int s, float[] counts, int off) {
        System.arraycopy(counts, off, k.mem, s * memPerStream + x, d.dataDim());
    }

    @Override
    boolean readOutputs(int s, float[] factors, int fOff, float[] logRates, int lOff) {
        int base = s * memPerStream;
        System.arraycopy(k.mem, base + fac, factors, fOff, d.facDim());
        System.arraycopy(k.mem, base + lr, logRates, lOff, d.readoutDim());
        for (int i = 0; i < d.readoutDim(); i++) {
            if (!Float.isFinite(logRates[lOff + i])) {
                return false;
            }
        }
        return true;
    }

    private void op(int type, int rows, int cols, int w1, int w2, int b1, int b2, int src, int dst, int tmp,
                    int sparse) {
        op(type, rows, cols, w1, w2, b1, b2, src, dst, sparse, 0, 0, tmp);
    }

    @Override
    void gruOps(int q, int src, int state) {
        int a = 2 * q;
        // the CI GRU reads spike counts: summed as FloatGru does for sparse input (zero counts skipped)
        op(LfadsStepKernel.GRU_A, gruHidden[q], gruIn[q], wOff[a], wOff[a + 1], bOff[a], bOff[a + 1], src, state,
                tOff[q], q == 0 ? 1 : 0);
        op(LfadsStepKernel.GRU_B, gruHidden[q], gruIn[q], wOff[a], wOff[a + 1], bOff[a], bOff[a + 1], src, state,
                tOff[q], 0);
    }

    @Override
    void linearOp(int q, int src, int dst) {
        op(LfadsStepKernel.LINEAR, linRows[q], linCols[q], wOff[6 + q], 0, bOff[6 + q], 0, src, dst, 0, 0);
    }

    private int fail(int status, float[] factors, float[] logRates) {
        if (factors != null) {
            Arrays.fill(factors, 0, Math.min(factors.length, d.facDim()), 0f);
        }
        if (logRates != null) {
            Arrays.fill(logRates, 0, Math.min(logRates.length, d.readoutDim()), 0f);
        }
        return status;
    }

    /**
     * One causal step, as {@link LfadsFloat32#step}.
     *
     * @return OK; INVALID_INPUT (outputs zeroed, stream unchanged) for short arrays or an invalid count;
     *         NUMERIC_FAULT for a non-finite log-rate; ENGINE_FAULT when the launch failed or ran elsewhere than the
     *         chosen device
     */
    int step(float[] counts, float[] factors, float[] logRates) {
        int dd = d.dataDim();
        if (counts == null || factors == null || logRates == null || counts.length < dd
                || factors.length < d.facDim() || logRates.length < d.readoutDim() || !Counts.allValid(counts, 0, dd)) {
            return fail(DecodeStatus.INVALID_INPUT, factors, logRates);
        }
        return advance(counts, 0, true, factors, 0, logRates, 0);
    }

    /**
     * One decoder step: with {@code input} the causal step on {@code counts[off..off+D)} (validated by the caller);
     * without, a forward-prediction step of a trial past its last bin (no CI GRU, zero controller input from the
     * encoder, as {@link LfadsFloat32#trial} does for {@code t >= bins}).
     */
    private int advance(float[] counts, int off, boolean input, float[] factors, int fOff, float[] logRates,
                        int lOff) {
        if (input) {
            loadCounts(0, counts, off);
        }
        if (launchStep(input) != KernelLauncher.OK) {
            return fail(DecodeStatus.ENGINE_FAULT, factors, logRates);
        }
        if (!readOutputs(0, factors, fOff, logRates, lOff)) {
            return fail(DecodeStatus.NUMERIC_FAULT, factors, logRates);
        }
        return DecodeStatus.OK;
    }

    @Override
    boolean put(byte[] dst, int offset, int memOff, int n) {
        return LfadsCheckpoint.putQ12(dst, offset, k.mem, memOff, n);
    }

    @Override
    void get(byte[] src, int offset, int memOff, int n) {
        LfadsCheckpoint.getQ12(src, offset, k.mem, memOff, n);
    }

    @Override
    boolean putInitialFactors(byte[] dst) {
        return LfadsCheckpoint.putQ12(dst, layout.facOffset(), facInit, 0, d.facDim());
    }
}
