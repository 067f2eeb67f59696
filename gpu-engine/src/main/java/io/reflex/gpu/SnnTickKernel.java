package io.reflex.gpu;

import com.aparapi.Kernel;

/**
 * The LIF tick of decoders/FIXED_POINT.md §7 and the readout trace filter of decoders/SNN.md as an Aparapi kernel:
 * one work item per neuron, one pass per tick, integer arithmetic only ({@code int} and {@code long}, no float), so
 * that it is bit-identical to {@code cpu-fixed} ({@link io.reflex.decoders.snn.LifPopulation} and
 * {@link io.reflex.decoders.snn.SnnReservoir}).
 *
 * <p>Work item {@code i} of pass {@code t} (tick {@code t} of the bin):
 * <pre>
 * in_i = Σ_{e in row i} w_e · (col_e &lt; N ? s[t−1][col_e] : u[t][col_e − N])     (exact in int32: ≤ 65,536 int16)
 * I_i  = sat_32(I_i − (I_i &gt;&gt; k_syn) + in_i)
 * V_i  = sat_32(V_i − ((V_i − V_rest) &gt;&gt; k_mem) + I_i + b_i)                       (64-bit intermediate)
 * refractory, threshold and reset as §7; s[t][i] written to the other half of {@code spikes}
 * r_i  = r_i − (r_i &gt;&gt; k_filt) + s[t][i]·2^16
 * </pre>
 * It scans each row (the dense path of §7) instead of the golden model's event-driven transposed CSR: the sums are
 * exact integers, so both give the same state. Spikes are double-buffered ({@code spikes[0, N)} and
 * {@code spikes[N, 2N)}, the half of tick {@code t} chosen by the parity of the global tick count) because every
 * work item reads the previous tick's spikes of others while writing its own.
 *
 * <p>Arrays are allocated once with the capacities given; {@link AparapiSnn} fills them and sets the scalar fields.
 * Fields are package-private for that host code; the kernel itself only reads scalars and its arrays.
 */
final class SnnTickKernel extends Kernel {
    // Model (set at load).
    int n;
    int m;
    int kSyn;
    int kMem;
    int theta;
    int vRest;
    int vReset;
    int tRef;
    int subtract;
    int filterShift;
    final int[] rowPtr;
    final int[] col;
    final int[] weight;
    final int[] bias;

    // Stream state (the device copy is authoritative during a bin; the host reads it back after each launch).
    final int[] cur;
    final int[] mem;
    final int[] ref;
    final int[] spikes;
    final int[] trace;

    // Per bin.
    /** Input spikes {@code u[t][k]} at {@code t·M + k}, 0 or 1, for the ticks of the coming launch. */
    final int[] inputs;
    /** Parity of the global tick count before the first pass of the coming launch. */
    int parityBase;

    /**
     * @param maxNeurons  capacity N
     * @param maxInputs   capacity M
     * @param maxSynapses capacity of the CSR arrays
     * @param maxTicks    capacity of ticks per launch
     */
    SnnTickKernel(int maxNeurons, int maxInputs, int maxSynapses, int maxTicks) {
        rowPtr = new int[maxNeurons + 1];
        col = new int[Math.max(1, maxSynapses)];
        weight = new int[Math.max(1, maxSynapses)];
        bias = new int[maxNeurons];
        cur = new int[maxNeurons];
        mem = new int[maxNeurons];
        ref = new int[maxNeurons];
        spikes = new int[2 * maxNeurons];
        trace = new int[maxNeurons];
        inputs = new int[Math.max(1, maxInputs * maxTicks)];
    }

    @Override
    public void run() {
        int i = getGlobalId();
        if (i < n) {
            int pass = getPassId();
            int curOff = ((parityBase + pass) & 1) * n;
            int prevOff = n - curOff;
            int inOff = pass * m - n;
            int acc = 0;
            for (int e = rowPtr[i]; e < rowPtr[i + 1]; e++) {
                int c = col[e];
                int active = 0;
                if (c < n) {
                    active = spikes[prevOff + c];
                } else {
                    active = inputs[inOff + c];
                }
                if (active != 0) {
                    acc = acc + weight[e];
                }
            }
            int ii = cur[i];
            int ni = sat32((long) ii - (ii >> kSyn) + acc);
            cur[i] = ni;
            long v = mem[i];
            int nv = sat32(v - ((v - vRest) >> kMem) + ni + bias[i]);
            int s = 0;
            if (ref[i] > 0) {
                mem[i] = vReset;
                ref[i] = ref[i] - 1;
            } else if (nv >= theta) {
                if (subtract != 0) {
                    mem[i] = sat32((long) nv - theta);
                } else {
                    mem[i] = vReset;
                }
                ref[i] = tRef;
                s = 1;
            } else {
                mem[i] = nv;
            }
            spikes[curOff + i] = s;
            int r = trace[i];
            r = r - (r >> filterShift);
            if (s != 0) {
                r = r + 65536;
            }
            trace[i] = r;
        }
    }

    private int sat32(long x) {
        int r = (int) x;
        if (x > 2147483647L) {
            r = 2147483647;
        }
        if (x < -2147483648L) {
            r = -2147483647 - 1;
        }
        return r;
    }
}
