package io.reflex.fpga.engine;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.checkpoint.LittleEndian;
import io.reflex.decoders.checkpoint.SnnCheckpoint;
import io.reflex.decoders.engine.EngineException;
import io.reflex.decoders.snn.LifParams;
import io.reflex.decoders.snn.ResetMode;
import io.reflex.decoders.snn.SynapseMatrix;
import io.reflex.fpga.host.HostStatus;
import io.reflex.fpga.snn.LifNet;
import io.reflex.fpga.snn.SnnHost;
import java.util.Arrays;

/**
 * SNN reservoirs ({@code model_type} {@code snn}, decoders/SNN.md) on {@code snn_kernel}, with the engine semantics
 * of the fixed family: {@code step(counts[M], out[N])} spreads one bin of counts over {@code bin_ticks} ticks as the
 * SNN decoder does (rounded, clamped to [0, bin_ticks], spike m of c on tick floor((2m+1)·bin_ticks/(2c))), runs the
 * {@code bin_ticks} LIF ticks in one kernel invocation (the state stays on the chip), and updates the Q16 spike-train
 * traces from the returned spike words after each tick ({@code r ← r − (r >> k_filt) + s·2^16});
 * {@code out[i] = r_i / 65536}. The ridge readout belongs to the decoder, not to the engine. Trials are not offered.
 *
 * <p>Checkpoints ({@code "SNS1"}, {@link SnnCheckpoint}, the same bytes as {@code cpu-fixed}'s): V, I, ref and the
 * last tick's spike words come from the kernel's state buffer (SAVE), whose layout is that part of the checkpoint;
 * the tick counter and the traces are the host's. Once a checkpoint has been asked for, every step's invocation also
 * SAVEs, so that {@link #saveCheckpoint} after a step only copies the state buffer; at any other time it runs one
 * SAVE invocation without ticks. {@link #restoreCheckpoint} checks the checkpoint as the golden model does
 * ({@code ref ≤ T_ref} among it) and runs one RESTORE invocation. All of it allocates nothing.
 */
public final class SnnEngine extends ModelEngine {
    private static final int TRACE_ONE = 1 << 16;
    private static final float TRACE_SCALE = 1f / TRACE_ONE;

    private final int maxN;
    private final int maxIn;
    private final int maxNnz;
    private final int maxTicks;
    private final SnnHost host;
    private int n = -1;
    private int m;
    private int binTicks;
    private int filterShift;
    private int wi;
    private int wn;
    private int[] spikesIn = new int[0];
    private int[] spikesOut = new int[0];
    private int[] trace = new int[0];
    private SnnCheckpoint layout;
    private int tRef;
    /** Ticks since the last reset (the checkpoint's counter). */
    private long ticks;
    private boolean pendingReset;
    /** Steps SAVE beside their spikes (set by the first checkpoint request, kept until the next load). */
    private boolean saving;
    /** The state buffer holds the neurons' state as it stands now. */
    private boolean stateFresh;
    private long lastCycles = -1;

    SnnEngine(String name, DeviceProvider.Provided provided, int maxN, int maxIn, int maxNnz, int maxTicks,
            EngineOptions o) {
        super(name, provided);
        this.maxN = maxN;
        this.maxIn = maxIn;
        this.maxNnz = maxNnz;
        this.maxTicks = maxTicks;
        this.host = new SnnHost(device, maxN, maxIn, maxNnz, maxTicks, o.timeoutMs);
    }

    /** The network of an SNN bundle in the kernel's form, validated as decoders' SnnDecoder validates it. */
    static LifNet network(ModelBundle b) {
        b.requireModelType("snn");
        int n = b.hpInt("neuron_count");
        int m = b.hpInt("input_count");
        if (b.hpInt("tick_us", 1000) != 1000) {
            throw new IllegalArgumentException("tick_us must be 1000, got " + b.hpInt("tick_us"));
        }
        if (!"even".equals(b.hpString("input_spread", "even"))) {
            throw new IllegalArgumentException("input_spread must be \"even\", got " + b.hpString("input_spread"));
        }
        LifParams p = new LifParams().kSyn(b.hpInt("k_syn")).kMem(b.hpInt("k_mem")).thetaV(b.hpInt("theta"))
                .vRest(b.hpInt("v_rest")).vReset(b.hpInt("v_reset")).tRefTicks(b.hpInt("t_ref"))
                .resetMode(ResetMode.fromBundleName(b.hpString("reset_mode"))).conclude();
        b.requireShape("row_ptr", n + 1);
        int[] rowPtr = b.int32("row_ptr");
        int nnz = rowPtr[n];
        b.requireShape("col", nnz);
        b.requireShape("w", nnz);
        b.requireShape("bias", n);
        int[] col = b.int32("col");
        short[] w = b.int16("w");
        new SynapseMatrix(n, m, rowPtr, col, w);
        return new LifNet(n, m, rowPtr, col, w, b.int32("bias"), p.kSyn(), p.kMem(), p.thetaV(), p.vRest(),
                p.vReset(), p.tRefTicks(), p.resetMode() == ResetMode.SUBTRACT);
    }

    /** Null when the network and its bin fit this engine's build and buffers, else why not. */
    static String misfit(LifNet net, int binTicks, int maxN, int maxIn, int maxNnz, int maxTicks) {
        if (net.n() > maxN || net.nIn() > maxIn || net.nnz() > maxNnz) {
            return "the reservoir (N " + net.n() + ", " + net.nIn() + " inputs, " + net.nnz()
                    + " synapses) exceeds the build (MAX_N " + maxN + ", MAX_IN " + maxIn + ", MAX_NNZ " + maxNnz + ")";
        }
        if (binTicks < 1 || binTicks > maxTicks) {
            return "bin_ticks " + binTicks + " outside [1, " + maxTicks + "]";
        }
        return null;
    }

    @Override
    public void load(ModelBundle bundle) {
        if (closed()) {
            throw new EngineException(name + ": engine is closed");
        }
        LifNet net;
        int bt;
        int fs;
        try {
            net = network(bundle);
            bt = bundle.hpInt("bin_ticks");
            fs = bundle.hpInt("filter_shift");
        } catch (IllegalArgumentException e) {
            throw new EngineException(name + ": " + bundle.name() + ": " + e.getMessage(), e);
        }
        if (fs < 1 || fs > 30) {
            throw new EngineException(name + ": filter_shift must be in [1, 30], got " + fs);
        }
        String why = misfit(net, bt, maxN, maxIn, maxNnz, maxTicks);
        if (why != null) {
            throw new EngineException(name + ": " + why);
        }
        int s = host.load(net);
        if (s != HostStatus.OK) {
            fault("loading " + bundle.name() + " failed: " + host.describe(s) + " " + host.lastError());
            throw new EngineException(name + ": loading " + bundle.name() + " on " + device.description()
                    + " failed: " + host.describe(s) + " " + host.lastError());
        }
        n = net.n();
        m = net.nIn();
        binTicks = bt;
        filterShift = fs;
        wi = net.inWordsPerTick();
        wn = net.outWordsPerTick();
        spikesIn = new int[Math.max(1, bt * wi)];
        spikesOut = new int[bt * wn];
        trace = new int[n];
        layout = new SnnCheckpoint(n);
        tRef = net.tRef();
        for (int flags : new int[] {0, SnnHost.FLAG_RESET, SnnHost.FLAG_SAVE, SnnHost.FLAG_RESET | SnnHost.FLAG_SAVE}) {
            host.prepare(flags, bt);
        }
        host.prepare(SnnHost.FLAG_SAVE, 0);
        host.prepare(SnnHost.FLAG_RESET | SnnHost.FLAG_SAVE, 0);
        host.prepare(SnnHost.FLAG_RESTORE, 0);
        ticks = 0;
        pendingReset = false;
        saving = false;
        stateFresh = false;
        healthy();
    }

    @Override
    public int inputCount() {
        return n < 0 ? 0 : m;
    }

    @Override
    public int outputCount() {
        return Math.max(0, n);
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
        if (n < 0 || closed()) {
            return zeros(out, n, DecodeStatus.NOT_READY);
        }
        if (faulted) {
            return zeros(out, n, DecodeStatus.ENGINE_FAULT);
        }
        if (in == null || out == null || in.length < m || out.length < n) {
            return zeros(out, n, DecodeStatus.INVALID_INPUT);
        }
        for (int k = 0; k < m; k++) {
            if (!io.reflex.decoders.Counts.valid(in[k])) {
                return zeros(out, n, DecodeStatus.INVALID_INPUT);
            }
        }
        Arrays.fill(spikesIn, 0);
        for (int k = 0; k < m; k++) {
            int c = Math.round(in[k]);
            if (c <= 0) {
                continue;
            }
            if (c > binTicks) {
                c = binTicks;
            }
            for (int q = 0; q < c; q++) {
                int t = (2 * q + 1) * binTicks / (2 * c);
                spikesIn[t * wi + (k >>> 5)] |= 1 << (k & 31);
            }
        }
        int flags = (pendingReset ? SnnHost.FLAG_RESET : 0) | (saving ? SnnHost.FLAG_SAVE : 0);
        stateFresh = false;
        int s = host.run(flags, spikesIn, 0, binTicks, spikesOut);
        lastCycles = host.lastCycles();
        if (s != HostStatus.OK) {
            fault(host.describe(s) + ": " + host.lastError());
            return zeros(out, n, DecodeStatus.ENGINE_FAULT);
        }
        pendingReset = false;
        stateFresh = saving;
        ticks += binTicks;
        final int k = filterShift;
        for (int t = 0; t < binTicks; t++) {
            int base = t * wn;
            for (int i = 0; i < n; i++) {
                int r = trace[i] - (trace[i] >> k);
                if ((spikesOut[base + (i >>> 5)] >>> (i & 31) & 1) != 0) {
                    r += TRACE_ONE;
                }
                trace[i] = r;
            }
        }
        for (int i = 0; i < n; i++) {
            out[i] = trace[i] * TRACE_SCALE;
        }
        return DecodeStatus.OK;
    }

    @Override
    public int trial(float[] window, int bins, float[] out) {
        zeros(out, Integer.MAX_VALUE, 0);
        return n < 0 ? DecodeStatus.NOT_READY : DecodeStatus.INVALID_INPUT;
    }

    @Override
    public void reset() {
        pendingReset = true;
        stateFresh = false;
        ticks = 0;
        Arrays.fill(trace, 0);
    }

    @Override
    public int checkpointBytes() {
        return layout == null ? 0 : layout.bytes();
    }

    @Override
    public int saveCheckpoint(byte[] dst) {
        if (n < 0 || closed()) {
            return DecodeStatus.NOT_READY;
        }
        if (faulted) {
            return DecodeStatus.ENGINE_FAULT;
        }
        if (dst == null || dst.length < layout.bytes()) {
            return DecodeStatus.INVALID_INPUT;
        }
        if (!stateFresh) {
            int s = host.invokeRaw(SnnHost.FLAG_SAVE | (pendingReset ? SnnHost.FLAG_RESET : 0), 0);
            lastCycles = host.lastCycles();
            if (s != HostStatus.OK) {
                return fault("checkpoint save: " + host.describe(s) + ": " + host.lastError());
            }
            pendingReset = false;
            stateFresh = true;
        }
        saving = true;
        // V, I, ref and the spike words: the kernel's state buffer is that part of the checkpoint, byte for byte
        int s = host.readState(dst, layout.vOffset());
        if (s != HostStatus.OK) {
            return fault("checkpoint save: " + host.describe(s) + ": " + host.lastError());
        }
        layout.writeHeader(dst, ticks);
        SnnCheckpoint.putInts(dst, layout.traceOffset(), trace, 0, n);
        return DecodeStatus.OK;
    }

    @Override
    public int restoreCheckpoint(byte[] src) {
        if (n < 0 || closed()) {
            return DecodeStatus.NOT_READY;
        }
        if (faulted) {
            return DecodeStatus.ENGINE_FAULT;
        }
        if (!layout.check(src).ok()) {
            return DecodeStatus.INVALID_INPUT;
        }
        for (int i = 0; i < n; i++) {
            // as the golden model: a refractory count the network cannot reach is not a state of it
            if (LittleEndian.getInt(src, layout.refOffset() + 4 * i) > tRef) {
                return DecodeStatus.INVALID_INPUT;
            }
        }
        int s = host.writeState(src, layout.vOffset());
        if (s == HostStatus.OK) {
            s = host.invokeRaw(SnnHost.FLAG_RESTORE, 0);
            lastCycles = host.lastCycles();
        }
        if (s != HostStatus.OK) {
            return fault("checkpoint restore: " + host.describe(s) + ": " + host.lastError());
        }
        SnnCheckpoint.getInts(src, layout.traceOffset(), trace, 0, n);
        ticks = SnnCheckpoint.ticks(src);
        pendingReset = false;
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
