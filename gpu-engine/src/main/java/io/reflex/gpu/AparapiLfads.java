package io.reflex.gpu;

import com.aparapi.device.Device;
import io.reflex.decoders.Counts;
import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.checkpoint.LfadsCheckpoint;
import io.reflex.decoders.fixed.ActivationLuts;
import io.reflex.decoders.fixed.FixedPoint;
import io.reflex.decoders.lfads.LfadsFixed;
import java.util.Arrays;

/**
 * The causal LFADS stream of {@link LfadsFixed} (FIXED_POINT.md §6) with its step on an Aparapi device
 * ({@link LfadsStepKernel}): counts rounded half away from zero and saturated to [0, 32767] as the golden model does,
 * the CI GRU, the lagged controller input, controller, co linear, generator, factors and readout in one launch, Q12
 * outputs divided by 4096. Bit-identical to {@link LfadsFixed#step}. Checkpoints in the {@code "LFS1"} layout
 * ({@link AparapiLfadsBase#save}, as {@link LfadsFixed#saveStream}).
 *
 * <p>Per-step calls allocate nothing on the Java side. Not thread-safe.
 */
final class AparapiLfads extends AparapiLfadsBase {
    private static final float Q12 = 1f / (1 << FixedPoint.ACT);

    private final LfadsFixed.CausalExport m;
    private final LfadsStepKernel k;
    private final short[] scratch;

    /**
     * @throws IllegalArgumentException for a model without a controller (the causal step of §6 needs one)
     * @throws IllegalStateException    when the kernel cannot be compiled for an OpenCL device
     */
    AparapiLfads(LfadsFixed.CausalExport model, Device device) {
        this(model, device, 1);
    }

    /**
     * A batch of {@code streams} independent streams ({@link #trials}, {@link #stepBatch}); the single-stream calls
     * use stream 0.
     *
     * @throws IllegalArgumentException for a model without a controller or streams outside 1..65,536
     * @throws IllegalStateException    when the kernel cannot be compiled for an OpenCL device
     */
    AparapiLfads(LfadsFixed.CausalExport model, Device device, int streams) {
        super(model.dims(), streams);
        this.m = model;
        if (model.ciFwd() == null) {
            throw new IllegalArgumentException("the causal step needs a model with a controller (con_dim > 0)");
        }
        int C = d.ciEncDim();
        LfadsFixed.Gru[] grus = {model.ciFwd(), model.con(), model.gen()};
        LfadsFixed.Linear[] lins = {model.coLinear(), model.fac(), model.readout()};
        int wInts = 0;
        int bLongs = 0;
        int tInts = 0;
        for (int q = 0; q < 3; q++) {
            wOff[2 * q] = wInts;
            wInts += grus[q].wIh().length;
            wOff[2 * q + 1] = wInts;
            wInts += grus[q].wHh().length;
            bOff[2 * q] = bLongs;
            bLongs += grus[q].bIh().length;
            bOff[2 * q + 1] = bLongs;
            bLongs += grus[q].bHh().length;
            tOff[q] = tInts;
            tInts += 3 * grus[q].hidden();
        }
        for (int q = 0; q < 3; q++) {
            wOff[6 + q] = wInts;
            wInts += lins[q].w().length;
            bOff[6 + q] = bLongs;
            bLongs += lins[q].bias().length;
        }
        k = new LfadsStepKernel(MAX_OPS, maxStreams, memPerStream, wInts, bLongs, tInts, ActivationLuts.sigmoid(),
                ActivationLuts.tanh());
        for (int q = 0; q < 3; q++) {
            copy(grus[q].wIh(), k.w, wOff[2 * q]);
            copy(grus[q].wHh(), k.w, wOff[2 * q + 1]);
            System.arraycopy(grus[q].bIh(), 0, k.bias, bOff[2 * q], grus[q].bIh().length);
            System.arraycopy(grus[q].bHh(), 0, k.bias, bOff[2 * q + 1], grus[q].bHh().length);
        }
        for (int q = 0; q < 3; q++) {
            copy(lins[q].w(), k.w, wOff[6 + q]);
            System.arraycopy(lins[q].bias(), 0, k.bias, bOff[6 + q], lins[q].bias().length);
        }
        for (int s = 0; s < maxStreams; s++) {
            int base = s * memPerStream;
            copy(model.ciH0(), k.mem, base + ciH0);
            copy(model.conH0(), k.mem, base + conH0);
            copy(model.g0(), k.mem, base + g0);
        }
        k.rowsPerStream = maxRows(d);
        scratch = new short[Math.max(Math.max(C, d.conDim()), Math.max(d.genDim(), d.facDim()))];
        start(k, device);
    }

    private static void copy(short[] src, int[] dst, int off) {
        for (int i = 0; i < src.length; i++) {
            dst[off + i] = src[i];
        }
    }

    @Override
    int[] ops() {
        return k.ops;
    }

    @Override
    void activeStreams(int n) {
        k.streams = n;
    }

    /** Counts rounded half away from zero and saturated to [0, 32767], as the golden model does. */
    @Override
    void loadCounts(int s, float[] counts, int off) {
        int base = s * memPerStream + x;
        for (int j = 0; j < d.dataDim(); j++) {
            double r = FixedPoint.roundHalfAway(counts[off + j]);
            k.mem[base + j] = r <= 0 ? 0 : r >= Short.MAX_VALUE ? Short.MAX_VALUE : (int) r;
        }
    }

    @Override
    boolean readOutputs(int s, float[] factors, int fOff, float[] logRates, int lOff) {
        int base = s * memPerStream;
        for (int i = 0; i < d.facDim(); i++) {
            factors[fOff + i] = k.mem[base + fac + i] * Q12;
        }
        for (int i = 0; i < d.readoutDim(); i++) {
            logRates[lOff + i] = k.mem[base + lr + i] * Q12;
        }
        return true;
    }

    @Override
    void gruOps(int q, int src, int state) {
        LfadsFixed.Gru g = q == 0 ? m.ciFwd() : q == 1 ? m.con() : m.gen();
        op(LfadsStepKernel.GRU_A, g.hidden(), g.in(), wOff[2 * q], wOff[2 * q + 1], bOff[2 * q], bOff[2 * q + 1], src,
                state, g.shiftIh(), g.shiftHh(), g.clipQ(), tOff[q]);
        op(LfadsStepKernel.GRU_B, g.hidden(), g.in(), wOff[2 * q], wOff[2 * q + 1], bOff[2 * q], bOff[2 * q + 1], src,
                state, g.shiftIh(), g.shiftHh(), g.clipQ(), tOff[q]);
    }

    @Override
    void linearOp(int q, int src, int dst) {
        LfadsFixed.Linear l = q == 0 ? m.coLinear() : q == 1 ? m.fac() : m.readout();
        op(LfadsStepKernel.LINEAR, l.rows(), l.cols(), wOff[6 + q], 0, bOff[6 + q], 0, src, dst, l.shift(), 0, 0, 0);
    }

    /**
     * One causal step, as {@link LfadsFixed#step}.
     *
     * @return OK; INVALID_INPUT (outputs zeroed, stream unchanged) for short arrays or an invalid count;
     *         ENGINE_FAULT when the launch failed or ran elsewhere than the chosen device
     */
    int step(float[] counts, float[] factors, float[] logRates) {
        int dd = d.dataDim();
        if (counts == null || factors == null || logRates == null || counts.length < dd
                || factors.length < d.facDim() || logRates.length < d.readoutDim() || !Counts.allValid(counts, 0, dd)) {
            if (factors != null) {
                Arrays.fill(factors, 0f);
            }
            if (logRates != null) {
                Arrays.fill(logRates, 0f);
            }
            return DecodeStatus.INVALID_INPUT;
        }
        loadCounts(0, counts, 0);
        if (launchStep(true) != KernelLauncher.OK) {
            Arrays.fill(factors, 0, d.facDim(), 0f);
            Arrays.fill(logRates, 0, d.readoutDim(), 0f);
            return DecodeStatus.ENGINE_FAULT;
        }
        readOutputs(0, factors, 0, logRates, 0);
        return DecodeStatus.OK;
    }

    @Override
    boolean put(byte[] dst, int offset, int memOff, int n) {
        for (int i = 0; i < n; i++) {
            scratch[i] = (short) k.mem[memOff + i];
        }
        LfadsCheckpoint.putQ12(dst, offset, scratch, 0, n);
        return true;
    }

    @Override
    void get(byte[] src, int offset, int memOff, int n) {
        LfadsCheckpoint.getQ12(src, offset, scratch, 0, n);
        for (int i = 0; i < n; i++) {
            k.mem[memOff + i] = scratch[i];
        }
    }

    /** The factors of the learned g0 (what a first step starts from), computed here as {@code fac} does. */
    @Override
    boolean putInitialFactors(byte[] dst) {
        LfadsFixed.Linear l = m.fac();
        short[] g = m.g0();
        for (int i = 0; i < l.rows(); i++) {
            long acc = l.bias()[i];
            for (int j = 0; j < l.cols(); j++) {
                acc += l.w()[i * l.cols() + j] * g[j];
            }
            scratch[i] = FixedPoint.requant16(acc, l.shift());
        }
        LfadsCheckpoint.putQ12(dst, layout.facOffset(), scratch, 0, l.rows());
        return true;
    }
}
