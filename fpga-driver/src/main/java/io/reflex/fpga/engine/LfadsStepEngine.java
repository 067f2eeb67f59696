package io.reflex.fpga.engine;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.checkpoint.CheckpointStatus;
import io.reflex.decoders.checkpoint.LfadsCheckpoint;
import io.reflex.decoders.engine.EngineException;
import io.reflex.decoders.fixed.FixedPoint;
import io.reflex.decoders.lfads.LfadsOutput;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.fpga.host.HostStatus;
import io.reflex.fpga.lfads.LfadsStepHost;
import io.reflex.fpga.lfads.LfadsStepImage;
import io.reflex.fpga.lfads.LfadsStepState;

/**
 * Causal LFADS bundles on {@code lfads_kernel} built with {@code CAUSAL=1}: the weights are uploaded once at
 * {@link #load}; each {@link #step} is one kernel invocation of one bin (counts in, one record out), the latent
 * state staying on the chip between bins, exactly as the {@code cpu-fixed} engine's causal stream
 * ({@link io.reflex.decoders.lfads.LfadsFixed#stepQ}) computes it: counts rounded half away from zero and saturated
 * to [0, 32767], outputs Q12 / 4096. {@link #reset} makes the next invocation RESET first. Trials are not offered
 * ({@link #maxTrialBins()} is 0): a trial on the kernel would overwrite the stream state it keeps.
 *
 * <p>Checkpoints ({@code "LFS1"}, {@link LfadsCheckpoint}, the same bytes as {@code cpu-fixed}'s): the kernel
 * writes its causal state into the state buffer (SAVE) and reads it back (RESTORE) in its own layout
 * ({@link LfadsStepState}), which the engine converts. Once a checkpoint has been asked for, every step's
 * invocation also SAVEs (a few beats beside its record: fpga-driver/README.md has the cost), so that
 * {@link #saveCheckpoint} after a step only copies the state buffer to the host and converts it; asked for at any
 * other time (after a reset or a restore without a step since, or before the first request) it runs one SAVE
 * invocation without bins. {@link #restoreCheckpoint} runs one RESTORE invocation (a checkpoint at bin 0 becomes a
 * pending RESET instead). All of it allocates nothing.
 */
public final class LfadsStepEngine extends ModelEngine {
    private static final float Q12 = 1f / (1 << FixedPoint.ACT);

    private final LfadsStepImage.Build build;
    private final LfadsOutput output;
    private final LfadsStepHost host;
    private final short[] countsQ;
    private final short[] facQ;
    private final short[] lrQ;
    private final byte[] stateStage;
    private LfadsDims dims;
    private LfadsCheckpoint layout;
    private LfadsStepState kernelState;
    private int outputs;
    private boolean pendingReset;
    /** Steps SAVE beside their record (set by the first checkpoint request, kept until the next load). */
    private boolean saving;
    /** The state buffer holds the stream state as it stands now. */
    private boolean stateFresh;
    private long lastCycles = -1;

    LfadsStepEngine(String name, DeviceProvider.Provided provided, LfadsStepImage.Build build, EngineOptions o) {
        super(name, provided);
        this.build = build;
        this.output = o.output;
        this.host = new LfadsStepHost(device, build, o.timeoutMs);
        int run = LfadsStepHost.FLAG_RUN;
        int reset = LfadsStepHost.FLAG_RESET;
        int save = LfadsStepHost.FLAG_SAVE;
        for (int flags : new int[] {run, run | reset, run | save, run | reset | save}) {
            host.prepare(flags, 1);
        }
        host.prepare(save, 0);
        host.prepare(reset | save, 0);
        host.prepare(LfadsStepHost.FLAG_RESTORE, 0);
        this.stateStage = new byte[host.stateBytes()];
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
        layout = new LfadsCheckpoint(d.ciEncDim(), d.conDim(), d.genDim(), d.facDim(), d.ciLag());
        kernelState = new LfadsStepState(build, d.ciLag());
        outputs = output == LfadsOutput.FACTORS ? d.facDim() : d.readoutDim();
        pendingReset = false;
        saving = false;
        stateFresh = false;
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
        int flags = LfadsStepHost.FLAG_RUN | (pendingReset ? LfadsStepHost.FLAG_RESET : 0)
                | (saving ? LfadsStepHost.FLAG_SAVE : 0);
        stateFresh = false;
        int s = host.step(flags, countsQ, 0, 1, facQ, lrQ);
        lastCycles = host.lastCycles();
        if (s != HostStatus.OK) {
            fault(host.describe(s) + ": " + host.lastError());
            return zeros(out, outputs, DecodeStatus.ENGINE_FAULT);
        }
        pendingReset = false;
        stateFresh = saving;
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
        stateFresh = false;
    }

    @Override
    public int checkpointBytes() {
        return layout == null ? 0 : layout.bytes();
    }

    @Override
    public int saveCheckpoint(byte[] dst) {
        if (dims == null || closed()) {
            return DecodeStatus.NOT_READY;
        }
        if (faulted) {
            return DecodeStatus.ENGINE_FAULT;
        }
        if (dst == null || dst.length < layout.bytes()) {
            return DecodeStatus.INVALID_INPUT;
        }
        if (!stateFresh) {
            // the state as it stands (after a pending reset): one invocation without bins
            int s = host.control(LfadsStepHost.FLAG_SAVE | (pendingReset ? LfadsStepHost.FLAG_RESET : 0));
            lastCycles = host.lastCycles();
            if (s != HostStatus.OK) {
                return fault("checkpoint save: " + host.describe(s) + ": " + host.lastError());
            }
            pendingReset = false;
            stateFresh = true;
        }
        saving = true;
        int s = host.readState(stateStage, kernelState.bytes());
        if (s != HostStatus.OK) {
            return fault("checkpoint save: " + host.describe(s) + ": " + host.lastError());
        }
        CheckpointStatus c = kernelState.toCanonical(stateStage, layout, dst);
        if (!c.ok()) {
            return fault("checkpoint save: the kernel's state buffer is not a state of this model ("
                    + c.description() + ")");
        }
        return DecodeStatus.OK;
    }

    @Override
    public int restoreCheckpoint(byte[] src) {
        if (dims == null || closed()) {
            return DecodeStatus.NOT_READY;
        }
        if (faulted) {
            return DecodeStatus.ENGINE_FAULT;
        }
        if (!layout.check(src).ok()) {
            return DecodeStatus.INVALID_INPUT;
        }
        if (LfadsCheckpoint.bins(src) == 0) {
            // the start of a stream: exactly what a RESET gives (the golden model ignores the arrays there too)
            pendingReset = true;
            stateFresh = false;
            return DecodeStatus.OK;
        }
        kernelState.fromCanonical(src, layout, stateStage);
        int s = host.writeState(stateStage, kernelState.bytes());
        if (s == HostStatus.OK) {
            s = host.control(LfadsStepHost.FLAG_RESTORE);
            lastCycles = host.lastCycles();
        }
        if (s != HostStatus.OK) {
            return fault("checkpoint restore: " + host.describe(s) + ": " + host.lastError());
        }
        pendingReset = false;
        // the state buffer holds what the kernel now holds, in the layout a SAVE would write
        stateFresh = true;
        return DecodeStatus.OK;
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
