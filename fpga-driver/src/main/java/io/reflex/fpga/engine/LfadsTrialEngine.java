package io.reflex.fpga.engine;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.engine.EngineException;
import io.reflex.decoders.fixed.FixedPoint;
import io.reflex.decoders.lfads.LfadsOutput;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.fpga.host.HostStatus;
import io.reflex.fpga.lfads.LfadsKernelImage;
import io.reflex.fpga.lfads.LfadsTrialHost;

/**
 * Acausal LFADS bundles without a controller on {@code lfads_kernel} built with {@code CAUSAL=0}: the weights are
 * uploaded once at {@link #load}; {@link #trial} is one kernel invocation per window, and {@link #step} runs the
 * sliding mode of the {@code cpu-fixed} engine ({@link io.reflex.decoders.lfads.LfadsStream}): the last
 * {@code encod_seq_len} bins (fewer at the start of a stream) go to the kernel as one window each bin and the last
 * data step's record is the bin's output. Counts are rounded half away from zero and saturated to [0, 32767];
 * outputs are Q12 / 4096, as {@link io.reflex.decoders.lfads.LfadsFixed} gives them.
 */
public final class LfadsTrialEngine extends ModelEngine {
    private static final float Q12 = 1f / (1 << FixedPoint.ACT);

    private final LfadsKernelImage.Build build;
    private final LfadsOutput output;
    private final LfadsTrialHost host;
    private final int maxExtra;
    private final short[] ring;
    private final short[] window;
    private final short[] facQ;
    private final short[] lrQ;
    private LfadsDims dims;
    private int outputs;
    private long pushed;
    private long lastCycles = -1;

    LfadsTrialEngine(String name, DeviceProvider.Provided provided, LfadsKernelImage.Build build, int maxExtra,
            EngineOptions o) {
        super(name, provided);
        this.build = build;
        this.output = o.output;
        this.maxExtra = maxExtra;
        this.host = new LfadsTrialHost(device, build, maxExtra, o.timeoutMs);
        this.ring = new short[build.tMax() * build.d()];
        this.window = new short[build.tMax() * build.d()];
        this.facQ = new short[(build.tMax() + maxExtra) * build.f()];
        this.lrQ = new short[(build.tMax() + maxExtra) * build.ro()];
    }

    /** The build's parameters. */
    public LfadsKernelImage.Build build() {
        return build;
    }

    /** Null when a trial model of these dimensions runs on the build, else why not. */
    static String misfit(LfadsDims d, LfadsKernelImage.Build k, int maxExtra) {
        if (d.causal() || d.hasController()) {
            return "the trial kernel runs acausal models without a controller (co_dim 0)";
        }
        if (d.icEncDim() != d.genDim()) {
            return "the trial kernel needs ic_enc_dim = gen_dim, found " + d.icEncDim() + " and " + d.genDim();
        }
        if (d.dataDim() != k.d() || d.genDim() != k.h() || d.icDim() != k.icd() || d.facDim() != k.f()
                || d.readoutDim() != k.ro() || d.encSeqLen() > k.tMax()
                || d.reconSeqLen() - d.encSeqLen() > maxExtra) {
            return "the model (D=" + d.dataDim() + " H=" + d.genDim() + " ICD=" + d.icDim() + " F=" + d.facDim()
                    + " RO=" + d.readoutDim() + " encod_seq_len " + d.encSeqLen() + " recon_seq_len "
                    + d.reconSeqLen() + ") does not fit the build " + k.params() + " with " + maxExtra
                    + " forward-prediction steps";
        }
        return null;
    }

    @Override
    public void load(ModelBundle bundle) {
        if (closed()) {
            throw new EngineException(name + ": engine is closed");
        }
        LfadsDims d = LfadsDims.from(bundle);
        String why = misfit(d, build, maxExtra);
        if (why != null) {
            throw new EngineException(name + ": " + why);
        }
        int s = host.load(bundle);
        if (s != HostStatus.OK) {
            fault("loading " + bundle.name() + " failed: " + host.describe(s) + " " + host.lastError());
            throw new EngineException(name + ": loading " + bundle.name() + " on " + device.description()
                    + " failed: " + host.describe(s) + " " + host.lastError());
        }
        dims = d;
        outputs = output == LfadsOutput.FACTORS ? d.facDim() : d.readoutDim();
        pushed = 0;
        healthy();
    }

    @Override
    public int inputCount() {
        return dims == null ? 0 : dims.dataDim();
    }

    @Override
    public int outputCount() {
        return outputs;
    }

    @Override
    public int maxTrialBins() {
        return dims == null ? 0 : dims.encSeqLen();
    }

    @Override
    public int trialSteps(int bins) {
        return dims == null ? 0 : bins + dims.reconSeqLen() - dims.encSeqLen();
    }

    /**
     * Converts counts to Q0 (round half away from zero, saturate at 32767); false for a count that is not valid
     * ({@link io.reflex.decoders.Counts}: negative, NaN or infinite).
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

    @Override
    public int step(float[] in, float[] out) {
        if (dims == null || closed()) {
            return zeros(out, outputs, DecodeStatus.NOT_READY);
        }
        if (faulted) {
            return zeros(out, outputs, DecodeStatus.ENGINE_FAULT);
        }
        int d = dims.dataDim();
        int t = dims.encSeqLen();
        if (in == null || out == null || in.length < d || out.length < outputs) {
            return zeros(out, outputs, DecodeStatus.INVALID_INPUT);
        }
        if (!toCounts(in, 0, ring, (int) (pushed % t) * d, d)) {
            return zeros(out, outputs, DecodeStatus.INVALID_INPUT);
        }
        pushed++;
        int bins = (int) Math.min(pushed, t);
        long first = pushed - bins;
        for (int b = 0; b < bins; b++) {
            System.arraycopy(ring, (int) ((first + b) % t) * d, window, b * d, d);
        }
        int s = run(bins);
        if (s != DecodeStatus.OK) {
            return zeros(out, outputs, s);
        }
        LfadsEmit.emit(output, facQ, (bins - 1) * dims.facDim(), lrQ, (bins - 1) * dims.readoutDim(), Q12, out, 0,
                outputs);
        return DecodeStatus.OK;
    }

    private int run(int bins) {
        int s = host.trial(LfadsTrialHost.FLAG_RUN, window, 0, bins, facQ, lrQ);
        lastCycles = host.lastCycles();
        if (s != HostStatus.OK) {
            return fault(host.describe(s) + ": " + host.lastError());
        }
        return DecodeStatus.OK;
    }

    @Override
    public int trial(float[] in, int bins, float[] out) {
        if (dims == null || closed()) {
            zeros(out, Integer.MAX_VALUE, 0);
            return DecodeStatus.NOT_READY;
        }
        if (faulted) {
            zeros(out, Integer.MAX_VALUE, 0);
            return DecodeStatus.ENGINE_FAULT;
        }
        int d = dims.dataDim();
        int steps = trialSteps(bins);
        if (in == null || out == null || bins < 1 || bins > dims.encSeqLen() || in.length < bins * d || out.length < steps * outputs
                || !toCounts(in, 0, window, 0, bins * d)) {
            zeros(out, Integer.MAX_VALUE, 0);
            return DecodeStatus.INVALID_INPUT;
        }
        int s = run(bins);
        if (s != DecodeStatus.OK) {
            zeros(out, Integer.MAX_VALUE, 0);
            return s;
        }
        for (int k = 0; k < steps; k++) {
            LfadsEmit.emit(output, facQ, k * dims.facDim(), lrQ, k * dims.readoutDim(), Q12, out, k * outputs,
                    outputs);
        }
        return DecodeStatus.OK;
    }

    @Override
    public void reset() {
        pushed = 0;
    }

    @Override
    public long lastCallCycles() {
        return lastCycles;
    }

    @Override
    protected void closeHost() {
        host.close();
    }
}
