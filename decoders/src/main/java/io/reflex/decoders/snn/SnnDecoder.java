package io.reflex.decoders.snn;

import io.reflex.decoders.CalibrationSet;
import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.TrainableDecoder;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.bundle.ModelBundleWriter;
import io.reflex.decoders.linear.RidgeReadout;
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
 * the bin's last tick: {@code out = W·(r / 2^16) + b} in float. The stream itself (spreading, ticks, traces,
 * checkpoints) is {@link SnnReservoir}, which the engines run too.
 *
 * <p>{@link #fit} runs the reservoir over the calibration bins in order from the initial state, collects the
 * features after each bin and solves a ridge regression ({@link RidgeReadout}); the reservoir weights are not
 * trained (STDP is available in {@link LifPopulation} but is off in the decoder). Decoding allocates nothing.
 */
public final class SnnDecoder implements TrainableDecoder {
    /** {@code model_type} in the bundle. */
    public static final String MODEL_TYPE = "snn";
    /** One spike in a feature trace (Q16). */
    static final int TRACE_ONE = SnnReservoir.TRACE_ONE;
    private static final float TRACE_SCALE = 1f / TRACE_ONE;

    private final Context ctx;
    private final SnnReservoir reservoir;
    private final int channels;
    private final int outputs;
    private final int n;
    private final float[] lastOut;

    private float[] readoutW;
    private float[] readoutB;
    private double lambda = Double.NaN;
    private boolean fitted;
    private long inputsRejected;

    /** Builds the reservoir of {@code ctx} (concluded here); not fitted yet. */
    public SnnDecoder(Context ctx) {
        this(ctx.conclude(), ctx.recipe().generate());
    }

    private SnnDecoder(Context ctx, NetworkGenerator.Network net) {
        this(ctx, new SnnReservoir(new LifPopulation(ctx.lif(), net.synapses(), net.bias(), null), ctx.binTicks,
            ctx.filterShift));
    }

    private SnnDecoder(Context ctx, SnnReservoir reservoir) {
        this.ctx = ctx;
        this.reservoir = reservoir;
        this.channels = ctx.inputCount;
        this.outputs = ctx.outputCount;
        this.n = ctx.neuronCount;
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
        if (reservoir.step(features, null) != DecodeStatus.OK) {
            inputsRejected++;
            safeOutput(out);
            return DecodeStatus.INVALID_INPUT;
        }
        for (int o = 0; o < outputs; o++) {
            float acc = 0f;
            int base = o * n;
            for (int i = 0; i < n; i++) {
                acc += readoutW[base + i] * reservoir.trace(i);
            }
            // the intercept is in output units: it is added after the traces are scaled to spikes
            acc = readoutB[o] + acc * TRACE_SCALE;
            if (!Float.isFinite(acc)) {
                safeOutput(out);
                return DecodeStatus.NUMERIC_FAULT;
            }
            out[o] = acc;
        }
        System.arraycopy(out, 0, lastOut, 0, outputs);
        return DecodeStatus.OK;
    }

    @Override
    public void safeOutput(float[] out) {
        System.arraycopy(lastOut, 0, out, 0, outputs);
    }

    @Override
    public void reset() {
        reservoir.reset();
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
            reservoir.step(bin, null);
            for (int i = 0; i < n; i++) {
                x[r * n + i] = reservoir.trace(i) * (double) TRACE_SCALE;
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
        return reservoir.countsClipped();
    }

    /** Bins refused because a feature was NaN or infinite. */
    public long inputsRejected() {
        return inputsRejected;
    }

    /** Ticks per bin. */
    public int binTicks() {
        return reservoir.binTicks();
    }

    /** The reservoir (read-only use: its state changes with every decode). */
    public LifPopulation population() {
        return reservoir.population();
    }

    /** The stream (reservoir, input spreading, traces) behind this decoder. */
    public SnnReservoir reservoir() {
        return reservoir;
    }

    /** The concluded configuration. */
    public Context context() {
        return ctx;
    }

    // ------------------------------------------------------------------------------------------------ bundle

    /**
     * A bundle writer holding this decoder (model_type {@code "snn"}): the reservoir and the fitted readout
     * (hyperparameter {@code readout: "ridge"}); decoders/SNN.md §5 lists the contents.
     */
    public ModelBundleWriter toBundle(String name, String createdBy) {
        if (!fitted) {
            throw new IllegalStateException("the SNN decoder must be fitted before it is saved with its readout; "
                + "reservoirBundle saves the reservoir alone");
        }
        return reservoirWriter(ctx, reservoir.population(), name, createdBy)
            .hyperparameter("readout", "ridge")
            .hyperparameter("output_count", outputs)
            .hyperparameter("ridge_lambda", lambda)
            .putFloat32("readout_w", new int[] {outputs, n}, readoutW)
            .putFloat32("readout_b", new int[] {outputs}, readoutB);
    }

    /**
     * A bundle writer holding the reservoir of a configuration without a readout (hyperparameter
     * {@code readout: "none"}, no {@code output_count}, no readout tensors): what the engines load; the readout is
     * fitted later by the decoder over the engines ({@link io.reflex.decoders.engine.EngineDecoder}).
     */
    public static ModelBundleWriter reservoirBundle(Context ctx, String name, String createdBy) {
        ctx.conclude();
        NetworkGenerator.Network net = ctx.recipe().generate();
        LifPopulation pop = new LifPopulation(ctx.lif(), net.synapses(), net.bias(), null);
        return reservoirWriter(ctx, pop, name, createdBy).hyperparameter("readout", "none");
    }

    private static ModelBundleWriter reservoirWriter(Context ctx, LifPopulation pop, String name, String createdBy) {
        LifParams p = pop.params();
        SynapseMatrix s = pop.synapses();
        int n = pop.neuronCount();
        ModelBundleWriter w = new ModelBundleWriter(MODEL_TYPE, name).createdBy(createdBy)
            .hyperparameter("neuron_count", n)
            .hyperparameter("input_count", pop.inputCount())
            .hyperparameter("synapse_count", s.synapseCount())
            .hyperparameter("k_syn", p.kSyn())
            .hyperparameter("k_mem", p.kMem())
            .hyperparameter("theta", p.thetaV())
            .hyperparameter("v_rest", p.vRest())
            .hyperparameter("v_reset", p.vReset())
            .hyperparameter("t_ref", p.tRefTicks())
            .hyperparameter("reset_mode", p.resetMode().bundleName())
            .hyperparameter("tick_us", 1000)
            .hyperparameter("bin_ticks", ctx.binTicks)
            .hyperparameter("input_spread", "even")
            .hyperparameter("filter_shift", ctx.filterShift)
            .hyperparameter("seed", ctx.seed)
            .hyperparameter("recurrent_fan_in", ctx.recurrentFanIn)
            .hyperparameter("input_fan_in", ctx.inputFanIn)
            .section("arithmetic", java.util.Map.of("fixed_point_version", 1));
        w.putInt32("row_ptr", new int[] {n + 1}, s.rowPtrCopy());
        w.putInt32("col", new int[] {s.synapseCount()}, s.colCopy());
        w.putInt16("w", new int[] {s.synapseCount()}, s.weightsCopy());
        w.putInt32("bias", new int[] {n}, pop.biasCopy());
        return w;
    }

    /** True when an SNN bundle carries a fitted readout ({@code readout: "ridge"} and the readout tensors). */
    public static boolean hasReadout(ModelBundle b) {
        return !"none".equals(b.hpString("readout", "ridge")) && b.hasTensor("readout_w");
    }

    /**
     * Loads a fitted decoder from a bundle of model_type {@code "snn"} written by {@link #toBundle}.
     *
     * @throws io.reflex.decoders.bundle.BundleException naming the key or tensor that is missing or inconsistent,
     *                                                   or saying that the bundle is a reservoir without a readout
     * @throws IllegalArgumentException                  naming the field when a value is out of range
     */
    public static SnnDecoder fromBundle(ModelBundle b) {
        b.requireModelType(MODEL_TYPE);
        if ("none".equals(b.hpString("readout", "ridge"))) {
            throw new io.reflex.decoders.bundle.BundleException(b.source() + ": bundle '" + b.name()
                + "' is an SNN reservoir without a readout (readout: none); fit one with the engine decoder");
        }
        SnnReservoir res = SnnReservoir.fromBundle(b);
        int n = res.neuronCount();
        int q = b.hpInt("output_count");
        b.requireShape("readout_w", q, n);
        b.requireShape("readout_b", q);
        Context ctx = new Context().inputCount(res.inputCount()).outputCount(q).neuronCount(n)
            .binTicks(res.binTicks()).filterShift(res.filterShift())
            .ridgeLambda(b.hpDouble("ridge_lambda", Double.NaN))
            .seed((long) b.hpDouble("seed", 0)).recurrentFanIn(b.hpDouble("recurrent_fan_in", 0))
            .inputFanIn(b.hpDouble("input_fan_in", 0)).lif(res.population().params());
        ctx.conclude();
        SnnDecoder d = new SnnDecoder(ctx, res);
        d.readoutW = b.float32("readout_w");
        d.readoutB = b.float32("readout_b");
        d.lambda = ctx.ridgeLambda;
        d.fitted = true;
        return d;
    }

    // ------------------------------------------------------------------------------------------------ context

    /** Configuration of an {@link SnnDecoder}: fluent setters, defaults here, {@link #conclude()} validates. */
    public static final class Context {
        /** Smallest reservoir. */
        public static final int MIN_NEURONS = 256;
        /** Largest reservoir (issue #16's 16,384: 32 recurrent synapses per neuron keep it sparse). */
        public static final int MAX_NEURONS = 16_384;

        private int inputCount = -1;
        private int outputCount = 2;
        private int neuronCount = 512;
        private int binTicks = 20;
        private double recurrentFanIn = 32;
        private double inputFanIn = 16;
        private int recurrentWeightMax = 3000;
        private int inputWeightMax = 16_000;
        private int biasMax = 0;
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

        /**
         * Reservoir size in [{@link #MIN_NEURONS}, {@link #MAX_NEURONS}]. Every engine and format takes the largest
         * (decoders/SNN.md §4); above 4,096 the readout fit is the cost: it holds 16·N² bytes (4 GiB at 16,384;
         * refused when the heap is smaller, {@link RidgeReadout#systemBytes}) and its Cholesky factorisation grows
         * with N³.
         */
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
            if (neuronCount < MIN_NEURONS || neuronCount > MAX_NEURONS) {
                throw new IllegalArgumentException("neuronCount must be in [" + MIN_NEURONS + ", " + MAX_NEURONS
                    + "], got " + neuronCount);
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
