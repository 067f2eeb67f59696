package io.reflex.decoders.snn;

import io.reflex.decoders.CalibrationSet;
import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.TrainableDecoder;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.bundle.ModelBundleWriter;
import java.util.Arrays;

/**
 * Spiking decoder: binned spike counts → LIF reservoir (decoders/FIXED_POINT.md §7, 1 ms ticks) → exponentially
 * filtered reservoir spike trains → ridge-regression readout to velocity (decoders/SNN.md).
 *
 * <p>Each {@link #decode} call consumes one bin of counts per channel and runs {@code binTicks} ticks. A count
 * {@code c} (rounded, clamped to {@code [0, binTicks]}) is spread over the bin's ticks deterministically and
 * evenly: spike {@code m = 0 .. c−1} falls on tick {@code floor((2m+1)·binTicks / (2c))}, so the ticks are distinct
 * and centred. After every tick the feature trace of each neuron, an integer in Q16, is
 * {@code r ← r − (r >> k_filt) + s·2^16} (an exponential filter with τ ≈ 2^k_filt ticks, exact in integers, so the
 * same features can be computed in hardware and never run into float denormals); the readout reads {@code r} after
 * the bin's last tick: {@code out = W·(r / 2^16) + b} in float.
 *
 * <p>{@link #fit} runs the reservoir over the calibration bins in order from the initial state, collects the
 * features after each bin and solves a ridge regression ({@link RidgeReadout}); the reservoir weights are not
 * trained (STDP is available in {@link LifPopulation} but is off in the decoder). Decoding allocates nothing.
 */
public final class SnnDecoder implements TrainableDecoder {
    /** {@code model_type} in the bundle. */
    public static final String MODEL_TYPE = "snn";
    /** One spike in a feature trace (Q16). */
    static final int TRACE_ONE = 1 << 16;
    private static final float TRACE_SCALE = 1f / TRACE_ONE;

    private final Context ctx;
    private final LifPopulation pop;
    private final int channels;
    private final int outputs;
    private final int n;
    private final int binTicks;
    private final int filterShift;

    private final int[][] tickInputs;
    private final int[] tickInputCount;
    private final int[] trace;
    private final float[] lastOut;

    private float[] readoutW;
    private float[] readoutB;
    private double lambda = Double.NaN;
    private boolean fitted;
    private long countsClipped;
    private long inputsRejected;

    /** Builds the reservoir of {@code ctx} (concluded here); not fitted yet. */
    public SnnDecoder(Context ctx) {
        this(ctx.conclude(), ctx.recipe().generate());
    }

    private SnnDecoder(Context ctx, NetworkGenerator.Network net) {
        this.ctx = ctx;
        this.pop = new LifPopulation(ctx.lif(), net.synapses(), net.bias(), null);
        this.channels = ctx.inputCount;
        this.outputs = ctx.outputCount;
        this.n = ctx.neuronCount;
        this.binTicks = ctx.binTicks;
        this.filterShift = ctx.filterShift;
        this.tickInputs = new int[binTicks][channels];
        this.tickInputCount = new int[binTicks];
        this.trace = new int[n];
        this.lastOut = new float[outputs];
    }

    @Override
    public String name() {
        return MODEL_TYPE;
    }

    @Override
    public int inputCount() {
        return channels;
    }

    @Override
    public int outputCount() {
        return outputs;
    }

    @Override
    public int decode(float[] features, float[] out) {
        if (!fitted) {
            safeOutput(out);
            return DecodeStatus.NOT_READY;
        }
        for (int k = 0; k < channels; k++) {
            if (!Float.isFinite(features[k])) {
                inputsRejected++;
                safeOutput(out);
                return DecodeStatus.INVALID_INPUT;
            }
        }
        runBin(features);
        for (int o = 0; o < outputs; o++) {
            float acc = readoutB[o];
            int base = o * n;
            for (int i = 0; i < n; i++) {
                acc += readoutW[base + i] * trace[i];
            }
            acc *= TRACE_SCALE;
            if (!Float.isFinite(acc)) {
                safeOutput(out);
                return DecodeStatus.NUMERIC_FAULT;
            }
            out[o] = acc;
        }
        System.arraycopy(out, 0, lastOut, 0, outputs);
        return DecodeStatus.OK;
    }

    /** Spreads one bin of counts over its ticks, runs them and updates the feature traces. */
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

    @Override
    public void safeOutput(float[] out) {
        System.arraycopy(lastOut, 0, out, 0, outputs);
    }

    @Override
    public void reset() {
        pop.reset();
        Arrays.fill(trace, 0);
        Arrays.fill(lastOut, 0f);
    }

    @Override
    public void fit(CalibrationSet set) {
        if (set.channels() != channels || set.outputs() != outputs) {
            throw new IllegalArgumentException("calibration set has " + set.channels() + " channels and "
                + set.outputs() + " outputs, the SNN decoder " + channels + " and " + outputs);
        }
        int rows = set.size();
        double[] x = new double[rows * channels];
        double[] y = new double[rows * outputs];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < channels; k++) {
                x[r * channels + k] = set.feature(r, k);
            }
            for (int o = 0; o < outputs; o++) {
                y[r * outputs + o] = set.target(r, o);
            }
        }
        fit(x, y, rows);
    }

    /**
     * Fits the readout on consecutive calibration bins (row-major arrays) and resets the per-trial state.
     *
     * @param features rows × {@link #inputCount()} counts
     * @param targets  rows × {@link #outputCount()} targets
     * @throws IllegalArgumentException naming the problem (shape, too few rows, non-finite value, singular fit)
     */
    public void fit(double[] features, double[] targets, int rows) {
        if (rows < 10) {
            throw new IllegalArgumentException("calibration needs at least 10 bins, got " + rows);
        }
        if (features.length < (long) rows * channels || targets.length < (long) rows * outputs) {
            throw new IllegalArgumentException("calibration arrays too short for " + rows + " rows of "
                + channels + " features and " + outputs + " targets");
        }
        double[] x = new double[rows * n];
        float[] bin = new float[channels];
        reset();
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < channels; k++) {
                double v = features[r * channels + k];
                if (!Double.isFinite(v)) {
                    throw new IllegalArgumentException("calibration feature at row " + r + ", channel " + k
                        + " is not finite: " + v);
                }
                bin[k] = (float) v;
            }
            runBin(bin);
            for (int i = 0; i < n; i++) {
                x[r * n + i] = trace[i] * (double) TRACE_SCALE;
            }
        }
        for (int i = 0; i < rows * outputs; i++) {
            if (!Double.isFinite(targets[i])) {
                throw new IllegalArgumentException("calibration target " + i + " is not finite: " + targets[i]);
            }
        }
        RidgeReadout.Fit fit = RidgeReadout.fit(x, targets, rows, n, outputs, ctx.ridgeLambda);
        readoutW = fit.weights();
        readoutB = fit.intercepts();
        lambda = fit.lambda();
        fitted = true;
        reset();
    }

    /** True once {@link #fit} or a bundle load has set the readout. */
    @Override
    public boolean fitted() {
        return fitted;
    }

    /** The relative ridge penalty of the last fit (NaN before). */
    public double ridgeLambda() {
        return lambda;
    }

    /** Spikes dropped because a bin's count exceeded {@code binTicks} (one input spike per channel and tick). */
    public long countsClipped() {
        return countsClipped;
    }

    /** Bins refused because a feature was NaN or infinite. */
    public long inputsRejected() {
        return inputsRejected;
    }

    /** Ticks per bin. */
    public int binTicks() {
        return binTicks;
    }

    /** The reservoir (read-only use: its state changes with every decode). */
    public LifPopulation population() {
        return pop;
    }

    /** The concluded configuration. */
    public Context context() {
        return ctx;
    }

    // ------------------------------------------------------------------------------------------------ bundle

    /** A bundle writer holding this decoder (model_type {@code "snn"}); decoders/SNN.md lists the contents. */
    public ModelBundleWriter toBundle(String name, String createdBy) {
        if (!fitted) {
            throw new IllegalStateException("the SNN decoder must be fitted before it is saved");
        }
        LifParams p = pop.params();
        SynapseMatrix s = pop.synapses();
        ModelBundleWriter w = new ModelBundleWriter(MODEL_TYPE, name).createdBy(createdBy)
            .hyperparameter("neuron_count", n)
            .hyperparameter("input_count", channels)
            .hyperparameter("output_count", outputs)
            .hyperparameter("synapse_count", s.synapseCount())
            .hyperparameter("k_syn", p.kSyn())
            .hyperparameter("k_mem", p.kMem())
            .hyperparameter("theta", p.thetaV())
            .hyperparameter("v_rest", p.vRest())
            .hyperparameter("v_reset", p.vReset())
            .hyperparameter("t_ref", p.tRefTicks())
            .hyperparameter("reset_mode", p.resetMode().bundleName())
            .hyperparameter("tick_us", 1000)
            .hyperparameter("bin_ticks", binTicks)
            .hyperparameter("input_spread", "even")
            .hyperparameter("readout", "ridge")
            .hyperparameter("filter_shift", ctx.filterShift)
            .hyperparameter("ridge_lambda", lambda)
            .hyperparameter("seed", ctx.seed)
            .hyperparameter("recurrent_fan_in", ctx.recurrentFanIn)
            .hyperparameter("input_fan_in", ctx.inputFanIn)
            .section("arithmetic", java.util.Map.of("fixed_point_version", 1));
        w.putInt32("row_ptr", new int[] {n + 1}, s.rowPtrCopy());
        w.putInt32("col", new int[] {s.synapseCount()}, s.colCopy());
        w.putInt16("w", new int[] {s.synapseCount()}, s.weightsCopy());
        w.putInt32("bias", new int[] {n}, pop.biasCopy());
        w.putFloat32("readout_w", new int[] {outputs, n}, readoutW);
        w.putFloat32("readout_b", new int[] {outputs}, readoutB);
        return w;
    }

    /**
     * Loads a fitted decoder from a bundle of model_type {@code "snn"}.
     *
     * @throws io.reflex.decoders.bundle.BundleException naming the key or tensor that is missing or inconsistent
     * @throws IllegalArgumentException                  naming the field when a value is out of range
     */
    public static SnnDecoder fromBundle(ModelBundle b) {
        b.requireModelType(MODEL_TYPE);
        int n = b.hpInt("neuron_count");
        int m = b.hpInt("input_count");
        int q = b.hpInt("output_count");
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
        b.requireShape("readout_w", q, n);
        b.requireShape("readout_b", q);
        SynapseMatrix syn = new SynapseMatrix(n, m, rowPtr, b.int32("col"), b.int16("w"));
        Context ctx = new Context().inputCount(m).outputCount(q).neuronCount(n).binTicks(b.hpInt("bin_ticks"))
            .filterShift(b.hpInt("filter_shift")).ridgeLambda(b.hpDouble("ridge_lambda", Double.NaN))
            .seed((long) b.hpDouble("seed", 0)).recurrentFanIn(b.hpDouble("recurrent_fan_in", 0))
            .inputFanIn(b.hpDouble("input_fan_in", 0)).lif(p);
        ctx.conclude();
        SnnDecoder d = new SnnDecoder(ctx, new NetworkGenerator.Network(syn, b.int32("bias")));
        d.readoutW = b.float32("readout_w");
        d.readoutB = b.float32("readout_b");
        d.lambda = ctx.ridgeLambda;
        d.fitted = true;
        return d;
    }

    // ------------------------------------------------------------------------------------------------ context

    /** Configuration of an {@link SnnDecoder}: fluent setters, defaults here, {@link #conclude()} validates. */
    public static final class Context {
        private int inputCount = -1;
        private int outputCount = 2;
        private int neuronCount = 512;
        private int binTicks = 20;
        private double recurrentFanIn = 32;
        private double inputFanIn = 16;
        private int recurrentWeightMax = 6000;
        private int inputWeightMax = 16_000;
        private int biasMax = 2000;
        private int filterShift = 5;
        private double ridgeLambda = Double.NaN;
        private long seed = 1;
        private LifParams lif = new LifParams().kSyn(3).kMem(4).thetaV(1 << 16).vRest(0).vReset(0).tRefTicks(2)
            .resetMode(ResetMode.SUBTRACT);
        private boolean concluded;

        /** Input channels (features per bin), at least 1; required. */
        public Context inputCount(int value) {
            inputCount = value;
            return this;
        }

        /** Outputs (2 for velocity x, y), at least 1. */
        public Context outputCount(int value) {
            outputCount = value;
            return this;
        }

        /** Reservoir size in [256, 4096]. */
        public Context neuronCount(int value) {
            neuronCount = value;
            return this;
        }

        /** Ticks (ms) per bin, [1, 1000]; 20 for 20 ms bins. */
        public Context binTicks(int value) {
            binTicks = value;
            return this;
        }

        /** Mean recurrent synapses per neuron (clamped to N − 1). */
        public Context recurrentFanIn(double value) {
            recurrentFanIn = value;
            return this;
        }

        /** Mean input synapses per neuron (clamped to the channel count). */
        public Context inputFanIn(double value) {
            inputFanIn = value;
            return this;
        }

        /** Recurrent weights are uniform in {@code [−value, value]}; [0, 32767]. */
        public Context recurrentWeightMax(int value) {
            recurrentWeightMax = value;
            return this;
        }

        /** Input weights are uniform in {@code [0, value]}; [0, 32767]. */
        public Context inputWeightMax(int value) {
            inputWeightMax = value;
            return this;
        }

        /** Biases are uniform in {@code [0, value]}; [0, 2^30]. */
        public Context biasMax(int value) {
            biasMax = value;
            return this;
        }

        /** Shift {@code k_filt} in [1, 12] of the readout's spike-train filter; τ ≈ 2^k_filt ticks (5: 32 ms). */
        public Context filterShift(int value) {
            filterShift = value;
            return this;
        }

        /** Relative ridge penalty (≥ 0), or NaN to choose it on a forward hold-out of the calibration block. */
        public Context ridgeLambda(double value) {
            ridgeLambda = value;
            return this;
        }

        /** Seed of the reservoir recipe. */
        public Context seed(long value) {
            seed = value;
            return this;
        }

        /** LIF parameters of the reservoir. */
        public Context lif(LifParams value) {
            lif = value;
            return this;
        }

        /** Validates every field; idempotent. */
        public Context conclude() {
            if (concluded) {
                return this;
            }
            if (inputCount < 1) {
                throw new IllegalArgumentException("inputCount must be >= 1, got " + inputCount);
            }
            if (outputCount < 1 || outputCount > 64) {
                throw new IllegalArgumentException("outputCount must be in [1, 64], got " + outputCount);
            }
            if (neuronCount < 256 || neuronCount > 4096) {
                throw new IllegalArgumentException("neuronCount must be in [256, 4096], got " + neuronCount);
            }
            if (binTicks < 1 || binTicks > 1000) {
                throw new IllegalArgumentException("binTicks must be in [1, 1000], got " + binTicks);
            }
            if (!(recurrentFanIn >= 0)) {
                throw new IllegalArgumentException("recurrentFanIn must be >= 0, got " + recurrentFanIn);
            }
            if (!(inputFanIn >= 0)) {
                throw new IllegalArgumentException("inputFanIn must be >= 0, got " + inputFanIn);
            }
            if (recurrentWeightMax < 0 || recurrentWeightMax > Short.MAX_VALUE) {
                throw new IllegalArgumentException("recurrentWeightMax must be in [0, 32767], got " + recurrentWeightMax);
            }
            if (inputWeightMax < 0 || inputWeightMax > Short.MAX_VALUE) {
                throw new IllegalArgumentException("inputWeightMax must be in [0, 32767], got " + inputWeightMax);
            }
            if (biasMax < 0 || biasMax > (1 << 30)) {
                throw new IllegalArgumentException("biasMax must be in [0, 2^30], got " + biasMax);
            }
            if (filterShift < 1 || filterShift > 12) {
                throw new IllegalArgumentException("filterShift must be in [1, 12], got " + filterShift);
            }
            if (!(Double.isNaN(ridgeLambda) || ridgeLambda >= 0 && Double.isFinite(ridgeLambda))) {
                throw new IllegalArgumentException("ridgeLambda must be >= 0 or NaN (auto), got " + ridgeLambda);
            }
            if (lif == null) {
                throw new IllegalArgumentException("lif must be set");
            }
            recurrentFanIn = Math.min(recurrentFanIn, neuronCount - 1);
            inputFanIn = Math.min(inputFanIn, inputCount);
            lif.conclude();
            concluded = true;
            return this;
        }

        /** The network recipe of this configuration (see {@link NetworkGenerator}). */
        public NetworkGenerator recipe() {
            conclude();
            return new NetworkGenerator().neuronCount(neuronCount).inputCount(inputCount)
                .recurrentFanIn(recurrentFanIn).inputFanIn(inputFanIn)
                .recurrentWeights(-recurrentWeightMax, recurrentWeightMax).inputWeights(0, inputWeightMax)
                .biases(0, biasMax).seed(seed);
        }

        public int neuronCount() {
            return neuronCount;
        }

        public int binTicks() {
            return binTicks;
        }

        public LifParams lif() {
            return lif;
        }
    }
}
