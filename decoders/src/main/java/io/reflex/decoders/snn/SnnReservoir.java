package io.reflex.decoders.snn;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.BundleException;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.checkpoint.CheckpointStatus;
import io.reflex.decoders.checkpoint.SnnCheckpoint;
import java.util.Arrays;

/**
 * The SNN stream of the engines and of {@link SnnDecoder} (decoders/SNN.md §4, DESIGN of the engine semantics):
 * one bin of spike counts in, {@code binTicks} LIF ticks of the reservoir, the readout's Q16 spike-train filters out.
 * The arithmetic is integer only, so every engine that runs it agrees bit for bit.
 *
 * <p>Per bin: a count {@code c} (rounded half up by {@link Math#round(float)}, clamped to {@code [0, binTicks]},
 * the excess counted in {@link #countsClipped()}) becomes input spikes on ticks
 * {@code floor((2m+1)·binTicks/(2c))}, {@code m = 0 .. c−1}; then {@code binTicks} ticks of {@link LifPopulation},
 * each followed by the trace update {@code r ← r − (r >> k_filt) + s·2^16}. {@link #step} writes
 * {@code out[i] = r_i / 2^16}: the int32 trace converted to float32 (round to nearest, exact while
 * {@code r < 2^24}, which holds for {@code filter_shift ≤ 8}) and scaled by 2^−16 (exact).
 *
 * <p>{@link #save} and {@link #restore} use the canonical {@code "SNS1"} layout ({@link SnnCheckpoint}). Steps,
 * saves and restores allocate nothing. Not thread-safe.
 */
public final class SnnReservoir {
    /** One spike in a trace (Q16). */
    public static final int TRACE_ONE = 1 << 16;
    private static final float TRACE_SCALE = 1f / TRACE_ONE;

    private final LifPopulation pop;
    private final int channels;
    private final int n;
    private final int binTicks;
    private final int filterShift;
    private final int[][] tickInputs;
    private final int[] tickInputCount;
    private final int[] trace;
    private final SnnCheckpoint layout;
    private long countsClipped;

    /**
     * @param pop         the reservoir; must have no STDP (the stream is not plastic); owned by this object from now on
     * @param binTicks    LIF ticks per bin, [1, 1000]
     * @param filterShift {@code k_filt} of the trace filter, [1, 12]
     * @throws IllegalArgumentException naming the argument
     */
    public SnnReservoir(LifPopulation pop, int binTicks, int filterShift) {
        if (pop.stdp() != null) {
            throw new IllegalArgumentException("the SNN stream needs a population without STDP");
        }
        if (binTicks < 1 || binTicks > 1000) {
            throw new IllegalArgumentException("bin_ticks must be in [1, 1000], got " + binTicks);
        }
        if (filterShift < 1 || filterShift > 12) {
            throw new IllegalArgumentException("filter_shift must be in [1, 12], got " + filterShift);
        }
        this.pop = pop;
        this.channels = pop.inputCount();
        this.n = pop.neuronCount();
        this.binTicks = binTicks;
        this.filterShift = filterShift;
        this.tickInputs = new int[binTicks][channels];
        this.tickInputCount = new int[binTicks];
        this.trace = new int[n];
        this.layout = new SnnCheckpoint(n);
    }

    /**
     * The reservoir of a bundle of model_type {@code "snn"} (decoders/SNN.md §5): network, LIF parameters,
     * {@code bin_ticks}, {@code filter_shift}. Readout tensors, when present, are not read (the readout belongs to the
     * decoder, not to the stream).
     *
     * @throws BundleException          naming the key or tensor that is missing or inconsistent
     * @throws IllegalArgumentException naming the field when a value is out of range
     */
    public static SnnReservoir fromBundle(ModelBundle b) {
        b.requireModelType(SnnDecoder.MODEL_TYPE);
        int n = b.hpInt("neuron_count");
        int m = b.hpInt("input_count");
        if (n < 1 || n > SynapseMatrix.MAX_NEURONS) {
            throw new BundleException(b.source() + ": hyperparameter 'neuron_count' is " + n + "; allowed 1.."
                    + SynapseMatrix.MAX_NEURONS);
        }
        if (m < 0 || m > 1 << 20) {
            throw new BundleException(b.source() + ": hyperparameter 'input_count' is " + m + "; allowed 0..2^20");
        }
        if (b.hpInt("tick_us", 1000) != 1000) {
            throw new IllegalArgumentException("tick_us must be 1000, got " + b.hpInt("tick_us"));
        }
        if (!"even".equals(b.hpString("input_spread", "even"))) {
            throw new IllegalArgumentException("input_spread must be \"even\", got " + b.hpString("input_spread"));
        }
        LifParams p = new LifParams().kSyn(b.hpInt("k_syn")).kMem(b.hpInt("k_mem")).thetaV(b.hpInt("theta"))
            .vRest(b.hpInt("v_rest")).vReset(b.hpInt("v_reset")).tRefTicks(b.hpInt("t_ref"))
            .resetMode(ResetMode.fromBundleName(b.hpString("reset_mode")));
        b.requireShape("row_ptr", n + 1);
        int[] rowPtr = b.int32("row_ptr");
        int nnz = rowPtr[n];
        b.requireShape("col", nnz);
        b.requireShape("w", nnz);
        b.requireShape("bias", n);
        SynapseMatrix syn = new SynapseMatrix(n, m, rowPtr, b.int32("col"), b.int16("w"));
        return new SnnReservoir(new LifPopulation(p, syn, b.int32("bias"), null), b.hpInt("bin_ticks"),
            b.hpInt("filter_shift"));
    }

    /** Input channels M. */
    public int inputCount() {
        return channels;
    }

    /** Neurons N (= outputs of {@link #step}). */
    public int neuronCount() {
        return n;
    }

    /** LIF ticks per bin. */
    public int binTicks() {
        return binTicks;
    }

    /** {@code k_filt} of the trace filter. */
    public int filterShift() {
        return filterShift;
    }

    /**
     * One bin.
     *
     * @param counts {@link #inputCount()} spike counts
     * @param out    receives the N traces divided by 2^16, or null to only advance the stream
     * @return OK; INVALID_INPUT (state unchanged, {@code out} zeroed) for a short array or a negative, NaN or infinite count ({@link io.reflex.decoders.Counts})
     */
    public int step(float[] counts, float[] out) {
        if (counts == null || counts.length < channels || out != null && out.length < n) {
            if (out != null) {
                Arrays.fill(out, 0f);
            }
            return DecodeStatus.INVALID_INPUT;
        }
        for (int k = 0; k < channels; k++) {
            if (!io.reflex.decoders.Counts.valid(counts[k])) {
                if (out != null) {
                    Arrays.fill(out, 0, n, 0f);
                }
                return DecodeStatus.INVALID_INPUT;
            }
        }
        runBin(counts);
        if (out != null) {
            for (int i = 0; i < n; i++) {
                out[i] = trace[i] * TRACE_SCALE;
            }
        }
        return DecodeStatus.OK;
    }

    /** Spreads one bin of (finite) counts over its ticks, runs them and updates the traces. */
    private void runBin(float[] counts) {
        Arrays.fill(tickInputCount, 0);
        for (int k = 0; k < channels; k++) {
            int c = Math.round(counts[k]);
            if (c <= 0) {
                continue;
            }
            if (c > binTicks) {
                countsClipped += c - binTicks;
                c = binTicks;
            }
            for (int mm = 0; mm < c; mm++) {
                int t = (2 * mm + 1) * binTicks / (2 * c);
                tickInputs[t][tickInputCount[t]++] = k;
            }
        }
        final int k = filterShift;
        final int[] r = trace;
        for (int t = 0; t < binTicks; t++) {
            pop.tick(tickInputs[t], tickInputCount[t]);
            for (int i = 0; i < n; i++) {
                r[i] -= r[i] >> k;
            }
            for (int q = 0, s = pop.spikeCount(); q < s; q++) {
                r[pop.spikeAt(q)] += TRACE_ONE;
            }
        }
    }

    /** The Q16 trace of neuron {@code i} after the last bin. */
    public int trace(int i) {
        return trace[i];
    }

    /** Back to the initial state: population reset, traces zero. */
    public void reset() {
        pop.reset();
        Arrays.fill(trace, 0);
    }

    /** Spikes dropped because a bin's count exceeded {@code binTicks} (one input spike per channel and tick). */
    public long countsClipped() {
        return countsClipped;
    }

    /** The population (read-only use: its state changes with every step). */
    public LifPopulation population() {
        return pop;
    }

    /** The {@code "SNS1"} layout of this reservoir. */
    public SnnCheckpoint layout() {
        return layout;
    }

    /** Bytes of a checkpoint. */
    public int checkpointBytes() {
        return layout.bytes();
    }

    /** Writes the stream state in the {@code "SNS1"} layout. Allocates nothing. */
    public CheckpointStatus save(byte[] dst) {
        CheckpointStatus s = pop.saveState(dst, layout);
        if (s.ok()) {
            SnnCheckpoint.putInts(dst, layout.traceOffset(), trace, 0, n);
        }
        return s;
    }

    /**
     * Continues from an {@code "SNS1"} checkpoint of a reservoir with the same N (the caller loads the same network):
     * the next {@link #step} gives what the writer's next step would have given. On any status but OK the state is
     * left as it was. Allocates nothing.
     */
    public CheckpointStatus restore(byte[] src) {
        CheckpointStatus s = pop.restoreState(src, layout);
        if (s.ok()) {
            SnnCheckpoint.getInts(src, layout.traceOffset(), trace, 0, n);
        }
        return s;
    }
}
