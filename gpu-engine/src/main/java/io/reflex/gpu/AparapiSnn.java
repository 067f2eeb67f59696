package io.reflex.gpu;

import com.aparapi.device.Device;
import io.reflex.decoders.Counts;
import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.checkpoint.CheckpointStatus;
import io.reflex.decoders.checkpoint.LittleEndian;
import io.reflex.decoders.checkpoint.SnnCheckpoint;
import io.reflex.decoders.snn.LifParams;
import io.reflex.decoders.snn.ResetMode;
import io.reflex.decoders.snn.SnnReservoir;
import io.reflex.decoders.snn.SynapseMatrix;
import java.util.Arrays;

/**
 * The SNN stream of {@link SnnReservoir} with its ticks on an Aparapi device ({@link SnnTickKernel}): the same
 * input spreading, the same integer LIF, the same Q16 traces, so every step is bit-identical to {@code cpu-fixed}.
 * One launch per bin ({@code bin_ticks} passes); the host spreads the counts over the ticks and reads the traces.
 *
 * <p>Per-bin calls allocate nothing on the Java side. Not thread-safe.
 */
final class AparapiSnn implements AutoCloseable {
    private static final float TRACE_SCALE = 1f / SnnReservoir.TRACE_ONE;

    private final SnnTickKernel k;
    private final KernelLauncher launcher;
    private final int maxNeurons;
    private final int maxInputs;
    private final int maxSynapses;
    private final int maxTicks;
    private int n;
    private int m;
    private int binTicks;
    private SnnCheckpoint layout;
    private long tickCount;
    private long countsClipped;

    /** A stream sized exactly for {@code model}, loaded with it, on {@code device}. */
    AparapiSnn(SnnReservoir model, Device device) {
        this(device, model.neuronCount(), model.inputCount(), model.population().synapses().synapseCount(),
                model.binTicks());
        load(model);
    }

    /**
     * An empty stream with room for networks up to the given sizes (tests load many networks into one compiled
     * kernel), its kernel opened on {@code device}.
     *
     * @throws IllegalStateException when the kernel cannot be compiled for an OpenCL device
     */
    AparapiSnn(Device device, int maxNeurons, int maxInputs, int maxSynapses, int maxTicks) {
        this.maxNeurons = maxNeurons;
        this.maxInputs = maxInputs;
        this.maxSynapses = maxSynapses;
        this.maxTicks = maxTicks;
        k = new SnnTickKernel(maxNeurons, maxInputs, maxSynapses, maxTicks);
        launcher = KernelLauncher.open(k, device, maxNeurons);
        // One empty launch (n = 0: every work item returns at once) sets up Aparapi's native launch state, so that
        // close() can dispose the kernel (KernelLauncher#close), and shows a fallback at open rather than mid-stream.
        if (launcher.launch(1) != KernelLauncher.OK) {
            String why = launcher.fault();
            launcher.close();
            throw new IllegalStateException(why);
        }
    }

    /**
     * Copies the network and parameters of {@code model} (its state is not read: the stream starts reset).
     *
     * @throws IllegalArgumentException when the model exceeds the capacities
     */
    void load(SnnReservoir model) {
        SynapseMatrix syn = model.population().synapses();
        if (model.neuronCount() > maxNeurons || model.inputCount() > maxInputs || syn.synapseCount() > maxSynapses
                || model.binTicks() > maxTicks) {
            throw new IllegalArgumentException("model exceeds the kernel's capacity (N " + maxNeurons + ", M "
                    + maxInputs + ", synapses " + maxSynapses + ", ticks " + maxTicks + ")");
        }
        LifParams p = model.population().params();
        n = model.neuronCount();
        m = model.inputCount();
        binTicks = model.binTicks();
        k.n = n;
        k.m = m;
        k.kSyn = p.kSyn();
        k.kMem = p.kMem();
        k.theta = p.thetaV();
        k.vRest = p.vRest();
        k.vReset = p.vReset();
        k.tRef = p.tRefTicks();
        k.subtract = p.resetMode() == ResetMode.SUBTRACT ? 1 : 0;
        k.filterShift = model.filterShift();
        int[] rp = syn.rowPtrCopy();
        System.arraycopy(rp, 0, k.rowPtr, 0, n + 1);
        int[] c = syn.colCopy();
        System.arraycopy(c, 0, k.col, 0, c.length);
        short[] w = syn.weightsCopy();
        for (int e = 0; e < w.length; e++) {
            k.weight[e] = w[e];
        }
        int[] b = model.population().biasCopy();
        System.arraycopy(b, 0, k.bias, 0, n);
        layout = new SnnCheckpoint(n);
        countsClipped = 0;
        reset();
    }

    int inputCount() {
        return m;
    }

    int neuronCount() {
        return n;
    }

    int binTicks() {
        return binTicks;
    }

    KernelLauncher launcher() {
        return launcher;
    }

    long countsClipped() {
        return countsClipped;
    }

    long tickCount() {
        return tickCount;
    }

    /** Initial state of §7: {@code I = 0, V = V_rest, ref = 0}, no spikes, zero traces. */
    void reset() {
        Arrays.fill(k.cur, 0);
        Arrays.fill(k.mem, k.vRest);
        Arrays.fill(k.ref, 0);
        Arrays.fill(k.spikes, 0);
        Arrays.fill(k.trace, 0);
        tickCount = 0;
    }

    /**
     * One bin, as {@link SnnReservoir#step}.
     *
     * @return OK; INVALID_INPUT (state unchanged, {@code out} zeroed) for a short array or an invalid count;
     *         ENGINE_FAULT when the launch failed or ran on another device ({@link KernelLauncher#fault()})
     */
    int step(float[] counts, float[] out) {
        if (counts == null || counts.length < m || out != null && out.length < n) {
            if (out != null) {
                Arrays.fill(out, 0f);
            }
            return DecodeStatus.INVALID_INPUT;
        }
        if (!Counts.allValid(counts, 0, m)) {
            if (out != null) {
                Arrays.fill(out, 0, n, 0f);
            }
            return DecodeStatus.INVALID_INPUT;
        }
        final int[] in = k.inputs;
        Arrays.fill(in, 0, Math.max(1, m * binTicks), 0);
        for (int ch = 0; ch < m; ch++) {
            int c = Math.round(counts[ch]);
            if (c <= 0) {
                continue;
            }
            if (c > binTicks) {
                countsClipped += c - binTicks;
                c = binTicks;
            }
            for (int q = 0; q < c; q++) {
                int t = (2 * q + 1) * binTicks / (2 * c);
                in[t * m + ch] = 1;
            }
        }
        k.parityBase = (int) (tickCount & 1);
        int s = launcher.launch(binTicks);
        if (s != KernelLauncher.OK) {
            if (out != null) {
                Arrays.fill(out, 0, n, 0f);
            }
            return DecodeStatus.ENGINE_FAULT;
        }
        tickCount += binTicks;
        if (out != null) {
            final int[] r = k.trace;
            for (int i = 0; i < n; i++) {
                out[i] = r[i] * TRACE_SCALE;
            }
        }
        return DecodeStatus.OK;
    }

    /** Offset in {@code spikes} of the half the last tick wrote. */
    private int lastSpikeOffset() {
        return (int) ((tickCount - 1) & 1) * n;   // tick −1 (before any) has parity 1, like the kernel's
    }

    /** The Q16 trace of neuron {@code i} after the last bin. */
    int trace(int i) {
        return k.trace[i];
    }

    /** {@code V_i}, {@code I_i}, {@code ref_i} after the last bin. */
    int membrane(int i) {
        return k.mem[i];
    }

    int current(int i) {
        return k.cur[i];
    }

    int refractory(int i) {
        return k.ref[i];
    }

    /** Whether neuron {@code i} spiked in the last tick. */
    boolean spiked(int i) {
        return k.spikes[lastSpikeOffset() + i] != 0;
    }

    int checkpointBytes() {
        return layout.bytes();
    }

    /** Writes the stream state in the {@code "SNS1"} layout, as {@link SnnReservoir#save}. Allocates nothing. */
    CheckpointStatus save(byte[] dst) {
        if (dst == null || dst.length < layout.bytes()) {
            return CheckpointStatus.TOO_SHORT;
        }
        layout.writeHeader(dst, tickCount);
        SnnCheckpoint.putInts(dst, layout.vOffset(), k.mem, 0, n);
        SnnCheckpoint.putInts(dst, layout.iOffset(), k.cur, 0, n);
        SnnCheckpoint.putInts(dst, layout.refOffset(), k.ref, 0, n);
        int off = lastSpikeOffset();
        for (int w = 0, words = layout.spikeWords(); w < words; w++) {
            int bits = 0;
            for (int j = 0; j < 32; j++) {
                int i = 32 * w + j;
                if (i < n && k.spikes[off + i] != 0) {
                    bits |= 1 << j;
                }
            }
            LittleEndian.putInt(dst, layout.spikesOffset() + 4 * w, bits);
        }
        SnnCheckpoint.putInts(dst, layout.traceOffset(), k.trace, 0, n);
        return CheckpointStatus.OK;
    }

    /**
     * Continues from an {@code "SNS1"} checkpoint written by any engine for the same network, as
     * {@link SnnReservoir#restore}: on any status but OK the state is left as it was. Allocates nothing.
     */
    CheckpointStatus restore(byte[] src) {
        CheckpointStatus s = layout.check(src);
        if (!s.ok()) {
            return s;
        }
        for (int i = 0; i < n; i++) {
            if (LittleEndian.getInt(src, layout.refOffset() + 4 * i) > k.tRef) {
                return CheckpointStatus.BAD_VALUE;
            }
        }
        SnnCheckpoint.getInts(src, layout.vOffset(), k.mem, 0, n);
        SnnCheckpoint.getInts(src, layout.iOffset(), k.cur, 0, n);
        SnnCheckpoint.getInts(src, layout.refOffset(), k.ref, 0, n);
        tickCount = SnnCheckpoint.ticks(src);
        Arrays.fill(k.spikes, 0);
        int off = lastSpikeOffset();
        for (int i = 0; i < n; i++) {
            if (layout.spiked(src, i)) {
                k.spikes[off + i] = 1;
            }
        }
        SnnCheckpoint.getInts(src, layout.traceOffset(), k.trace, 0, n);
        return CheckpointStatus.OK;
    }

    @Override
    public void close() {
        launcher.close();
    }
}
