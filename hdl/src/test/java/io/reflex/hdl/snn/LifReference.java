package io.reflex.hdl.snn;

import io.reflex.fpga.snn.LifNet;

/**
 * Bring-up reference of the LIF core, written from decoders/FIXED_POINT.md section 7 alone. The tests compare it
 * with the golden model of io.reflex.decoders.snn when that is on the classpath, and the RTL with both.
 */
public final class LifReference {
    private final LifNet net;
    private final int[] cur;
    private final int[] mem;
    private final int[] ref;
    private boolean[] prev;
    private boolean[] next;

    /** A population in its initial state (I = 0, V = V_rest, ref = 0, no previous spikes). */
    public LifReference(LifNet net) {
        this.net = net;
        cur = new int[net.n()];
        mem = new int[net.n()];
        ref = new int[net.n()];
        prev = new boolean[net.n()];
        next = new boolean[net.n()];
        java.util.Arrays.fill(mem, net.vRest());
    }

    /** A population in the state the golden model holds now (V, I, ref and the last tick's spikes). */
    public static LifReference from(LifNet net, io.reflex.decoders.snn.LifPopulation pop) {
        LifReference r = new LifReference(net);
        for (int i = 0; i < net.n(); i++) {
            r.cur[i] = pop.current(i);
            r.mem[i] = pop.membrane(i);
            r.ref[i] = pop.refractory(i);
            r.prev[i] = pop.spiked(i);
        }
        return r;
    }

    private static int sat32(long x) {
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, x));
    }

    /** One tick with input spikes u; returns this tick's spikes (a view valid until the next call). */
    public boolean[] step(boolean[] u) {
        int n = net.n();
        for (int i = 0; i < n; i++) {
            long in = 0;
            for (int p = net.rowPtr()[i]; p < net.rowPtr()[i + 1]; p++) {
                int c = net.col()[p];
                boolean s = c < n ? prev[c] : u[c - n];
                if (s) {
                    in += net.w()[p];
                }
            }
            int ii = sat32((long) cur[i] - (cur[i] >> net.kSyn()) + in);
            cur[i] = ii;
            long vd = (long) mem[i] - net.vRest();
            int v = sat32((long) mem[i] - (vd >> net.kMem()) + ii + net.bias()[i]);
            boolean s = false;
            if (ref[i] > 0) {
                v = net.vReset();
                ref[i]--;
            } else if (v >= net.theta()) {
                s = true;
                v = net.subtract() ? sat32((long) v - net.theta()) : net.vReset();
                ref[i] = net.tRef();
            }
            mem[i] = v;
            next[i] = s;
        }
        boolean[] t = prev;
        prev = next;
        next = t;
        return prev;
    }

    /** Membrane potentials. */
    public int[] v() {
        return mem;
    }

    /** Synaptic currents. */
    public int[] i() {
        return cur;
    }

    /** Refractory counters. */
    public int[] ref() {
        return ref;
    }
}
