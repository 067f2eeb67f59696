package io.reflex.fpga.engine;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.engine.EngineException;
import io.reflex.decoders.fixed.FixedPoint;
import io.reflex.decoders.lfads.LfadsOutput;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.fpga.host.HostStatus;
import io.reflex.fpga.lfads.LfadsStepHost;
import io.reflex.fpga.lfads.LfadsStepImage;

/**
 * Causal LFADS bundles on {@code lfads_kernel} built with {@code CAUSAL=1}: the weights are uploaded once at
 * {@link #load}; each {@link #step} is one kernel invocation of one bin (counts in, one record out), the latent
 * state staying on the chip between bins, exactly as the {@code cpu-fixed} engine's causal stream
 * ({@link io.reflex.decoders.lfads.LfadsFixed#stepQ}) computes it: counts rounded half away from zero and saturated
 * to [0, 32767], outputs Q12 / 4096. {@link #reset} makes the next invocation RESET first. Trials are not offered
 * ({@link #maxTrialBins()} is 0): a trial on the kernel would overwrite the stream state it keeps.
 */
public final class LfadsStepEngine extends ModelEngine {
    private static final float Q12 = 1f / (1 << FixedPoint.ACT);

    private final LfadsStepImage.Build build;
    private final LfadsOutput output;
    private final LfadsStepHost host;
    private final short[] countsQ;
    private final short[] facQ;
    private final short[] lrQ;
    private LfadsDims dims;
    private int outputs;
    private boolean pendingReset;
    private long lastCycles = -1;

    LfadsStepEngine(String name, DeviceProvider.Provided provided, LfadsStepImage.Build build, EngineOptions o) {
        super(name, provided);
        this.build = build;
        this.output = o.output;
        this.host = new LfadsStepHost(device, build, o.timeoutMs);
        host.prepare(LfadsStepHost.FLAG_RUN, 1);
        host.prepare(LfadsStepHost.FLAG_RUN | LfadsStepHost.FLAG_RESET, 1);
        this.countsQ = new short[build.d()];
        this.facQ = new short[build.f()];
        this.lrQ = new short[build.ro()];
    }

    /** The build's parameters. */
    public LfadsStepImage.Build build() {
        return build;
    }

    /** Null when a causal model of these dimensions runs on the build, else why not. */
    static String misfit(LfadsDims d, LfadsStepImage.Build k) {
        if (!d.causal() || !d.hasController()) {
            return "the causal-step kernel runs causal models with a controller";
        }
        if (d.ciEncDim() != d.genDim() || d.conDim() != d.genDim()) {
            return "the causal-step kernel needs ci_enc_dim = con_dim = gen_dim, found " + d.ciEncDim() + ", "
                    + d.conDim() + ", " + d.genDim();
        }
        if (d.dataDim() != k.d() || d.genDim() != k.h() || d.coDim() != k.co() || d.facDim() != k.f()
                || d.readoutDim() != k.ro() || d.ciLag() > k.lagMax()) {
            return "the model (D=" + d.dataDim() + " H=" + d.genDim() + " CO=" + d.coDim() + " F=" + d.facDim()
                    + " RO=" + d.readoutDim() + " ci_lag " + d.ciLag() + ") does not fit the build " + k.params();
        }
        return null;
    }

    @Override
    public void load(ModelBundle bundle) {
        if (closed()) {
            throw new EngineException(name + ": engine is closed");
        }
        LfadsDims d = LfadsDims.from(bundle);
        String why = misfit(d, build);
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
        pendingReset = false;
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
        return 0;
    }

    @Override
    public int trialSteps(int bins) {
        return 0;
    }

    @Override
    public int step(float[] in, float[] out) {
        if (dims == null || closed()) {
            return zeros(out, outputs, DecodeStatus.NOT_READY);
        }
        if (faulted) {
            return zeros(out, outputs, DecodeStatus.ENGINE_FAULT);
        }
        int d = build.d();
        if (in == null || out == null || in.length < d || out.length < outputs) {
            return zeros(out, outputs, DecodeStatus.INVALID_INPUT);
        }
        for (int k = 0; k < d; k++) {
            float v = in[k];
            if (!io.reflex.decoders.Counts.valid(v)) {
                return zeros(out, outputs, DecodeStatus.INVALID_INPUT);
            }
            double r = FixedPoint.roundHalfAway(v);
            countsQ[k] = (short) (r <= 0 ? 0 : r >= Short.MAX_VALUE ? Short.MAX_VALUE : (int) r);
        }
        int flags = LfadsStepHost.FLAG_RUN | (pendingReset ? LfadsStepHost.FLAG_RESET : 0);
        int s = host.step(flags, countsQ, 0, 1, facQ, lrQ);
        lastCycles = host.lastCycles();
        if (s != HostStatus.OK) {
            fault(host.describe(s) + ": " + host.lastError());
            return zeros(out, outputs, DecodeStatus.ENGINE_FAULT);
        }
        pendingReset = false;
        LfadsEmit.emit(output, facQ, 0, lrQ, 0, Q12, out, 0, outputs);
        return DecodeStatus.OK;
    }

    @Override
    public int trial(float[] window, int bins, float[] out) {
        zeros(out, Integer.MAX_VALUE, 0);
        return dims == null ? DecodeStatus.NOT_READY : DecodeStatus.INVALID_INPUT;
    }

    @Override
    public void reset() {
        pendingReset = true;
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
