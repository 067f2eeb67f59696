package io.reflex.decoders.snn;

import io.reflex.decoders.checkpoint.CheckpointStatus;
import io.reflex.decoders.checkpoint.LittleEndian;
import io.reflex.decoders.checkpoint.SnnCheckpoint;
import java.util.Arrays;

/**
 * The Java golden model of the LIF core: decoders/FIXED_POINT.md §7, bit for bit, with optional STDP.
 *
 * <p>One call of {@link #tick} advances one tick (1 ms in the decoder). Per neuron {@code i}:
 * <pre>
 * in_i = Σ_recurrent w_ij·s_j[t−1] + Σ_input w_ik·u_k[t]                 (exact)
 * I_i  = sat_32(I_i − (I_i &gt;&gt; k_syn) + in_i)
 * V_i  = sat_32(V_i − ((V_i − V_rest) &gt;&gt; k_mem) + I_i + b_i)          (64-bit intermediate)
 * if ref_i &gt; 0: V_i = V_reset; ref_i−−; s_i[t] = 0
 * else: s_i[t] = V_i ≥ θ; on a spike V_i = sat_32(V_i − θ) (subtract) or V_reset (zero), ref_i = T_ref
 * </pre>
 * {@link #tick} is event-driven: it visits only the sources that spiked (the previous tick's neuron spikes and
 * this tick's input spikes) through the transposed CSR. {@link #tickDense} is the reference path that scans every
 * synapse row by row; both give identical state because the sums are exact integers.
 *
 * <p>STDP (when configured), after the neuron update of tick {@code t}, with the weights of the start of the tick
 * used for the update itself. The pre-synaptic events of tick {@code t} are the spikes delivered at {@code t}
 * (input spikes {@code u[t]}, neuron spikes {@code s[t−1]}):
 * <ol>
 *   <li>depression: for each delivered pre event {@code p} and each plastic synapse {@code p → i},
 *       {@code w −= rshift_round(A−·x_post[i], 16)} with {@code x_post} as it stood at the end of tick t−1;</li>
 *   <li>traces: {@code x ← x − (x >> k) + s·2^16} for every source ({@code k+}, pre events) and every neuron
 *       ({@code k−}, the spikes {@code s[t]});</li>
 *   <li>potentiation: for each neuron {@code i} that spiked at {@code t} and each plastic synapse {@code p → i},
 *       {@code w += rshift_round(A+·x_pre[p], 16)} with the trace just updated.</li>
 * </ol>
 * Each update saturates to {@code [wMin, wMax]}. So a pre event delivered in the same tick as the post spike
 * counts as pre-before-post (it contributed to that spike).
 *
 * <p>{@link #saveState} and {@link #restoreState} write and read the neuron state (V, I, ref and the last tick's
 * spikes) in the canonical {@code "SNS1"} layout ({@link SnnCheckpoint}); they cover populations without STDP (the
 * decoder's), since plastic weights and STDP traces are not part of that layout.
 *
 * <p>Ticks, saves and restores allocate nothing. Not thread-safe.
 */
public final class LifPopulation {
    /** {@link #tick} return code: an input index was outside {@code [0, inputCount)}; nothing was advanced. */
    public static final int ERR_INPUT_INDEX = -1;

    private final LifParams params;
    private final SynapseMatrix syn;
    private final StdpParams stdp;
    private final int n;
    private final int m;
    private final int[] bias;

    private final int kSyn;
    private final int kMem;
    private final int theta;
    private final int vRest;
    private final int vReset;
    private final int tRef;
    private final boolean subtract;

    private final int[] cur;
    private final int[] mem;
    private final int[] ref;
    private final int[] acc;

    private int[] prevSpikes;
    private int prevCount;
    private int[] spikes;
    private int spikeCount;
    private final byte[] spikedFlag;
    private final byte[] prevFlag;

    private final int[] inList;
    private int inCount;
    private final byte[] inFlag;

    private final int[] xPre;
    private final int[] xPost;
    private long tickCount;

    /**
     * @param params concluded (or concludable) population parameters
     * @param syn    connectivity; the population owns it from now on (STDP writes its weights)
     * @param bias   per-neuron bias {@code b_i} (length N), or null for zeros; copied
     * @param stdp   plasticity, or null for none
     */
    public LifPopulation(LifParams params, SynapseMatrix syn, int[] bias, StdpParams stdp) {
        this.params = params.conclude();
        this.syn = syn;
        this.stdp = stdp == null ? null : stdp.conclude();
        this.n = syn.neuronCount();
        this.m = syn.inputCount();
        if (bias != null && bias.length != n) {
            throw new IllegalArgumentException("bias must have N = " + n + " entries, got " + bias.length);
        }
        this.bias = bias == null ? new int[n] : bias.clone();
        kSyn = params.kSyn();
        kMem = params.kMem();
        theta = params.thetaV();
        vRest = params.vRest();
        vReset = params.vReset();
        tRef = params.tRefTicks();
        subtract = params.resetMode() == ResetMode.SUBTRACT;
        cur = new int[n];
        mem = new int[n];
        ref = new int[n];
        acc = new int[n];
        prevSpikes = new int[n];
        spikes = new int[n];
        spikedFlag = new byte[n];
        prevFlag = new byte[n];
        inList = new int[m];
        inFlag = new byte[m];
        xPre = this.stdp == null ? new int[0] : new int[n + m];
        xPost = this.stdp == null ? new int[0] : new int[n];
        reset();
    }

    /** Back to the initial state of §7 ({@code I = 0, V = V_rest, ref = 0}, no previous spikes, zero traces). */
    public void reset() {
        Arrays.fill(cur, 0);
        Arrays.fill(mem, vRest);
        Arrays.fill(ref, 0);
        Arrays.fill(acc, 0);
        Arrays.fill(spikedFlag, (byte) 0);
        Arrays.fill(prevFlag, (byte) 0);
        Arrays.fill(inFlag, (byte) 0);
        Arrays.fill(xPre, 0);
        Arrays.fill(xPost, 0);
        prevCount = 0;
        spikeCount = 0;
        inCount = 0;
        tickCount = 0;
    }

    /**
     * Advances one tick, event-driven.
     *
     * @param inputSpikes channel indices that spike this tick ({@code u_k[t] = 1}); duplicates count once
     * @param count       how many entries of {@code inputSpikes} to read
     * @return the number of neurons that spiked, or {@link #ERR_INPUT_INDEX} (state unchanged)
     */
    public int tick(int[] inputSpikes, int count) {
        for (int q = 0; q < count; q++) {
            int k = inputSpikes[q];
            if (k < 0 || k >= m) {
                return ERR_INPUT_INDEX;
            }
        }
        rotateSpikes();
        inCount = 0;
        for (int q = 0; q < count; q++) {
            int k = inputSpikes[q];
            if (inFlag[k] == 0) {
                inFlag[k] = 1;
                inList[inCount++] = k;
            }
        }
        final int[] tPtr = syn.tPtr();
        final int[] packed = syn.tPacked();
        final int[] a = acc;
        for (int q = 0; q < prevCount; q++) {
            int p = prevSpikes[q];
            for (int e = tPtr[p], end = tPtr[p + 1]; e < end; e++) {
                int x = packed[e];
                a[x >>> 16] += (short) x;
            }
        }
        for (int q = 0; q < inCount; q++) {
            int p = n + inList[q];
            for (int e = tPtr[p], end = tPtr[p + 1]; e < end; e++) {
                int x = packed[e];
                a[x >>> 16] += (short) x;
            }
        }
        integrateAndFire();
        finishTick();
        return spikeCount;
    }

    /**
     * Advances one tick by scanning every synapse row by row (the dense reference path of §7).
     *
     * @param inputSpikes length {@code inputCount}; {@code true} where {@code u_k[t] = 1}
     * @return the number of neurons that spiked
     */
    public int tickDense(boolean[] inputSpikes) {
        if (inputSpikes.length != m) {
            throw new IllegalArgumentException("inputSpikes must have " + m + " entries, got " + inputSpikes.length);
        }
        rotateSpikes();
        inCount = 0;
        for (int k = 0; k < m; k++) {
            if (inputSpikes[k]) {
                inFlag[k] = 1;
                inList[inCount++] = k;
            }
        }
        final int[] rowPtr = syn.rowPtr();
        final int[] col = syn.col();
        final short[] w = syn.w();
        for (int i = 0; i < n; i++) {
            long sum = 0;   // the reference path sums in 64 bits, as §7 writes it
            for (int e = rowPtr[i]; e < rowPtr[i + 1]; e++) {
                int c = col[e];
                boolean active = c < n ? prevFlag[c] != 0 : inFlag[c - n] != 0;
                if (active) {
                    sum += w[e];
                }
            }
            acc[i] = (int) sum;   // exact: a row has at most 65,536 int16 weights
        }
        integrateAndFire();
        finishTick();
        return spikeCount;
    }

    private void rotateSpikes() {
        for (int q = 0; q < prevCount; q++) {
            prevFlag[prevSpikes[q]] = 0;
        }
        int[] t = prevSpikes;
        prevSpikes = spikes;
        spikes = t;
        prevCount = spikeCount;
        spikeCount = 0;
        for (int q = 0; q < prevCount; q++) {
            int j = prevSpikes[q];
            prevFlag[j] = 1;
            spikedFlag[j] = 0;
        }
    }

    private void integrateAndFire() {
        final int[] iArr = cur;
        final int[] vArr = mem;
        final int[] rArr = ref;
        final int[] a = acc;
        final int[] b = bias;
        int count = 0;
        for (int i = 0; i < n; i++) {
            int ii = iArr[i];
            int ni = sat32((long) ii - (ii >> kSyn) + a[i]);
            a[i] = 0;
            iArr[i] = ni;
            long v = vArr[i];
            int nv = sat32(v - ((v - vRest) >> kMem) + ni + b[i]);
            if (rArr[i] > 0) {
                vArr[i] = vReset;
                rArr[i]--;
            } else if (nv >= theta) {
                vArr[i] = subtract ? sat32((long) nv - theta) : vReset;
                rArr[i] = tRef;
                spikes[count++] = i;
                spikedFlag[i] = 1;
            } else {
                vArr[i] = nv;
            }
        }
        spikeCount = count;
    }

    private void finishTick() {
        if (stdp != null) {
            applyStdp();
        }
        for (int q = 0; q < inCount; q++) {
            inFlag[inList[q]] = 0;
        }
        tickCount++;
    }

    private void applyStdp() {
        final boolean recPl = stdp.recurrentPlastic();
        final boolean inPl = stdp.inputPlastic();
        final int aMinus = stdp.aMinus();
        final int aPlus = stdp.aPlus();
        final int kPlus = stdp.kPlus();
        final int kMinus = stdp.kMinus();
        final int[] tPtr = syn.tPtr();
        final int[] tPost = syn.tPost();
        final int[] tEdge = syn.tEdge();
        final short[] w = syn.w();
        // 1. depression on delivered pre events, with x_post from the end of the previous tick
        if (recPl) {
            for (int q = 0; q < prevCount; q++) {
                int p = prevSpikes[q];
                for (int e = tPtr[p]; e < tPtr[p + 1]; e++) {
                    int edge = tEdge[e];
                    syn.setWeight(edge, clampW(w[edge] - rshiftRound16((long) aMinus * xPost[tPost[e]])));
                }
            }
        }
        if (inPl) {
            for (int q = 0; q < inCount; q++) {
                int p = n + inList[q];
                for (int e = tPtr[p]; e < tPtr[p + 1]; e++) {
                    int edge = tEdge[e];
                    syn.setWeight(edge, clampW(w[edge] - rshiftRound16((long) aMinus * xPost[tPost[e]])));
                }
            }
        }
        // 2. traces
        for (int p = 0; p < n + m; p++) {
            xPre[p] -= xPre[p] >> kPlus;
        }
        for (int q = 0; q < prevCount; q++) {
            xPre[prevSpikes[q]] += StdpParams.TRACE_ONE;
        }
        for (int q = 0; q < inCount; q++) {
            xPre[n + inList[q]] += StdpParams.TRACE_ONE;
        }
        for (int i = 0; i < n; i++) {
            xPost[i] -= xPost[i] >> kMinus;
        }
        for (int q = 0; q < spikeCount; q++) {
            xPost[spikes[q]] += StdpParams.TRACE_ONE;
        }
        // 3. potentiation on this tick's post spikes
        final int[] rowPtr = syn.rowPtr();
        final int[] col = syn.col();
        for (int q = 0; q < spikeCount; q++) {
            int i = spikes[q];
            for (int e = rowPtr[i]; e < rowPtr[i + 1]; e++) {
                int c = col[e];
                if (c < n ? recPl : inPl) {
                    syn.setWeight(e, clampW(w[e] + rshiftRound16((long) aPlus * xPre[c])));
                }
            }
        }
    }

    private short clampW(long value) {
        return (short) Math.max(stdp.wMin(), Math.min(stdp.wMax(), value));
    }

    private static long rshiftRound16(long value) {
        return (value + (1L << (StdpParams.TRACE_FRAC - 1))) >> StdpParams.TRACE_FRAC;
    }

    static int sat32(long x) {
        return x > Integer.MAX_VALUE ? Integer.MAX_VALUE : x < Integer.MIN_VALUE ? Integer.MIN_VALUE : (int) x;
    }

    /** Number of neurons N. */
    public int neuronCount() {
        return n;
    }

    /** Number of input channels M. */
    public int inputCount() {
        return m;
    }

    /** Number of neurons that spiked in the last tick. */
    public int spikeCount() {
        return spikeCount;
    }

    /** The {@code q}-th neuron (ascending index) that spiked in the last tick, {@code q < spikeCount()}. */
    public int spikeAt(int q) {
        return spikes[q];
    }

    /** Whether neuron {@code i} spiked in the last tick. */
    public boolean spiked(int i) {
        return spikedFlag[i] != 0;
    }

    /** Synaptic current {@code I_i} after the last tick. */
    public int current(int i) {
        return cur[i];
    }

    /** Membrane {@code V_i} after the last tick (after reset). */
    public int membrane(int i) {
        return mem[i];
    }

    /** Refractory counter {@code ref_i} after the last tick. */
    public int refractory(int i) {
        return ref[i];
    }

    /** Pre-synaptic STDP trace of source {@code p} (neuron, or N + input channel), Q16; 0 without STDP. */
    public int preTrace(int p) {
        return stdp == null ? 0 : xPre[p];
    }

    /** Post-synaptic STDP trace of neuron {@code i}, Q16; 0 without STDP. */
    public int postTrace(int i) {
        return stdp == null ? 0 : xPost[i];
    }

    /** Ticks since construction or {@link #reset()}. */
    public long tickCount() {
        return tickCount;
    }

    /** The connectivity (weights change under STDP). */
    public SynapseMatrix synapses() {
        return syn;
    }

    /** The population parameters. */
    public LifParams params() {
        return params;
    }

    /** Bias of neuron {@code i}. */
    public int bias(int i) {
        return bias[i];
    }

    /** A copy of the biases. */
    public int[] biasCopy() {
        return bias.clone();
    }

    /** The STDP parameters, or null. */
    public StdpParams stdp() {
        return stdp;
    }

    /**
     * Writes the header (ticks = {@link #tickCount()}) and {@code V, I, ref} and the spike bits of the last tick into
     * an {@code "SNS1"} checkpoint; the trace array that follows belongs to the caller (the readout filter is not part
     * of the population). Allocates nothing.
     *
     * @return OK; WRONG_SHAPE when the layout is for another N; TOO_SHORT; UNSUPPORTED with STDP
     */
    public CheckpointStatus saveState(byte[] dst, SnnCheckpoint layout) {
        if (stdp != null) {
            return CheckpointStatus.UNSUPPORTED;
        }
        if (layout.neurons() != n) {
            return CheckpointStatus.WRONG_SHAPE;
        }
        if (dst == null || dst.length < layout.bytes()) {
            return CheckpointStatus.TOO_SHORT;
        }
        layout.writeHeader(dst, tickCount);
        SnnCheckpoint.putInts(dst, layout.vOffset(), mem, 0, n);
        SnnCheckpoint.putInts(dst, layout.iOffset(), cur, 0, n);
        SnnCheckpoint.putInts(dst, layout.refOffset(), ref, 0, n);
        int q = 0;
        for (int w = 0, words = layout.spikeWords(); w < words; w++) {
            int bits = 0;
            while (q < spikeCount && spikes[q] >>> 5 == w) {
                bits |= 1 << (spikes[q] & 31);
                q++;
            }
            LittleEndian.putInt(dst, layout.spikesOffset() + 4 * w, bits);
        }
        return CheckpointStatus.OK;
    }

    /**
     * Continues from an {@code "SNS1"} checkpoint: {@code V, I, ref}, the last tick's spikes (the recurrent input of
     * the next tick) and the tick counter. The next {@link #tick} gives what the writer's next tick would have given.
     * Checks the layout ({@link SnnCheckpoint#check}) and {@code ref ≤ T_ref}; on any status but OK the state is
     * left as it was. Allocates nothing.
     *
     * @return OK, UNSUPPORTED with STDP, WRONG_SHAPE for another N, BAD_VALUE, or what the layout check found
     */
    public CheckpointStatus restoreState(byte[] src, SnnCheckpoint layout) {
        if (stdp != null) {
            return CheckpointStatus.UNSUPPORTED;
        }
        if (layout.neurons() != n) {
            return CheckpointStatus.WRONG_SHAPE;
        }
        CheckpointStatus s = layout.check(src);
        if (!s.ok()) {
            return s;
        }
        for (int i = 0; i < n; i++) {
            if (LittleEndian.getInt(src, layout.refOffset() + 4 * i) > tRef) {
                return CheckpointStatus.BAD_VALUE;
            }
        }
        SnnCheckpoint.getInts(src, layout.vOffset(), mem, 0, n);
        SnnCheckpoint.getInts(src, layout.iOffset(), cur, 0, n);
        SnnCheckpoint.getInts(src, layout.refOffset(), ref, 0, n);
        Arrays.fill(prevFlag, (byte) 0);
        Arrays.fill(spikedFlag, (byte) 0);
        Arrays.fill(acc, 0);
        prevCount = 0;
        spikeCount = 0;
        for (int i = 0; i < n; i++) {
            if (layout.spiked(src, i)) {
                spikes[spikeCount++] = i;
                spikedFlag[i] = 1;
            }
        }
        tickCount = SnnCheckpoint.ticks(src);
        return CheckpointStatus.OK;
    }
}
