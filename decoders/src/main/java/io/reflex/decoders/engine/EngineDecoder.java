package io.reflex.decoders.engine;

import io.reflex.decoders.CalibrationSet;
import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.TrainableDecoder;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.lfads.LfadsMode;
import io.reflex.decoders.linear.RidgeReadout;
import io.reflex.decoders.snn.SnnDecoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The decoder over an {@link EngineChain}: one adapter for every model an engine runs (LFADS, SNN). Per bin, the
 * chain turns the features (spike counts) into the model's outputs (LFADS factors, SNN reservoir traces), and a
 * linear readout fitted on the calibration block maps them to the calibration targets (velocity {@code vx, vy};
 * Lorenz latents): {@code out = b + W·x}.
 *
 * <p><b>Fit</b> ({@link #fit}) runs the calibration features through a private reference engine of the chain's
 * arithmetic family ({@code cpu-fixed} for a chain whose first usable engine is of the {@code fixed} family, as every
 * SNN chain is; {@code cpu} for {@code float32}), from a reset and resetting its stream before each row that starts a
 * trial ({@link CalibrationSet#markTrialStart()}), then fits the ridge readout ({@link RidgeReadout}: blocked
 * cross-validation of the penalty unless one is given) and resets the chain. The chain itself is not stepped by a
 * fit, so its counters describe live decoding only.
 *
 * <p><b>Decode</b> ({@link #decode}): {@code chain.step} → readout → finite check. Any status but OK writes the
 * safe output (the last good output; zeros after {@link #reset} and before the first), so bad input, a numeric
 * fault, or a chain with no engine left never leaves NaN or a stale partial result in {@code out}. Allocation-free.
 *
 * <p>{@link #reset()} starts a new stream on the chain (the runtime calls it at trial starts). {@link #twin} makes
 * the same fitted decoder on another chain, e.g. {@code cpu-fixed} for the live golden-model comparison: between
 * engines of the fixed family its outputs equal this decoder's bit for bit on the same input.
 *
 * <p>A decoder is owned by one thread. {@link #close()} closes the chain's engines.
 */
public final class EngineDecoder implements TrainableDecoder, AutoCloseable {

    /** The chain when none is given: the bit-exact fixed-point golden model on the CPU. */
    public static final List<EngineSpec> DEFAULT_ENGINES = List.of(EngineSpec.of(CpuEngine.CPU_FIXED));
    /** Fewest calibration rows a fit accepts (cross-validating the penalty needs 25). */
    public static final int MIN_CALIBRATION_ROWS = 10;

    /** Configuration: fluent setters, defaults here, {@link #conclude()} validates once. */
    public static final class Context {
        private String name;
        private ModelBundle bundle;
        private List<EngineSpec> engines = DEFAULT_ENGINES;
        private LfadsMode mode;
        private int outputs = 2;
        private double ridgeLambda = Double.NaN;
        private boolean concluded;

        /** Decoder name for reports; default the bundle's model type ({@code "lfads"}, {@code "snn"}). */
        public Context name(String value) {
            name = value;
            return this;
        }

        /** The model every engine of the chain loads (required): an LFADS bundle or an SNN reservoir bundle. */
        public Context bundle(ModelBundle value) {
            bundle = value;
            return this;
        }

        /** The chain, in order of preference (default {@link #DEFAULT_ENGINES}). */
        public Context engines(List<EngineSpec> value) {
            engines = value;
            return this;
        }

        /**
         * LFADS streaming mode, causal or sliding; null (default) for the bundle's own (causal for a causal bundle,
         * else sliding). When set, it is passed to every engine as the option {@code mode}.
         */
        public Context mode(LfadsMode value) {
            mode = value;
            return this;
        }

        /** Readout outputs = calibration targets per bin, [1, 64] (2 for velocity; 3 for Lorenz latents). */
        public Context outputs(int value) {
            outputs = value;
            return this;
        }

        /** Relative ridge penalty ≥ 0, or NaN (default) to choose it by blocked cross-validation. */
        public Context ridgeLambda(double value) {
            ridgeLambda = value;
            return this;
        }

        public String name() {
            return name;
        }

        public ModelBundle bundle() {
            return bundle;
        }

        public List<EngineSpec> engines() {
            return engines;
        }

        public LfadsMode mode() {
            return mode;
        }

        public int outputs() {
            return outputs;
        }

        public double ridgeLambda() {
            return ridgeLambda;
        }

        /** A copy of the values, not concluded. */
        public Context copy() {
            return new Context().name(name).bundle(bundle).engines(engines).mode(mode).outputs(outputs)
                    .ridgeLambda(ridgeLambda);
        }

        /**
         * Validates every field (naming it and the allowed values) and fills the defaults; idempotent.
         *
         * @throws IllegalArgumentException naming the field
         */
        public Context conclude() {
            if (concluded) {
                return this;
            }
            if (bundle == null) {
                throw new IllegalArgumentException("bundle must be set (an LFADS or SNN model bundle)");
            }
            String type = bundle.modelType();
            if (!"lfads".equals(type) && !SnnDecoder.MODEL_TYPE.equals(type)) {
                throw new IllegalArgumentException("bundle " + bundle.name() + " has model_type '" + type
                        + "'; the engine decoder runs lfads and snn");
            }
            if (engines == null || engines.isEmpty()) {
                throw new IllegalArgumentException("engines must name at least one engine, e.g. cpu-fixed");
            }
            if (outputs < 1 || outputs > 64) {
                throw new IllegalArgumentException("outputs must be in [1, 64], was " + outputs);
            }
            if (!(Double.isNaN(ridgeLambda) || ridgeLambda >= 0 && Double.isFinite(ridgeLambda))) {
                throw new IllegalArgumentException("ridgeLambda must be >= 0 or NaN (cross-validated), was "
                        + ridgeLambda);
            }
            if (mode != null) {
                if (!"lfads".equals(type)) {
                    throw new IllegalArgumentException("mode applies to LFADS models; " + bundle.name() + " is "
                            + type);
                }
                if (mode == LfadsMode.TRIAL) {
                    throw new IllegalArgumentException("mode must be causal or sliding for a per-bin decoder, was "
                            + "trial");
                }
                if (mode == LfadsMode.CAUSAL && !bundle.hpBoolean("causal", false)) {
                    throw new IllegalArgumentException("mode causal needs a causal bundle; " + bundle.name()
                            + " is not (use mode sliding)");
                }
            }
            if (name == null || name.isBlank()) {
                name = type;
            }
            engines = List.copyOf(engines);
            concluded = true;
            return this;
        }

        /** The engine specs with the mode option added to each (where the spec does not set one). */
        List<EngineSpec> chainSpecs() {
            if (mode == null) {
                return engines;
            }
            List<EngineSpec> l = new ArrayList<>();
            for (EngineSpec s : engines) {
                l.add(s.options().containsKey("mode") ? s : s.withOption("mode", mode.jsonName()));
            }
            return l;
        }
    }

    private final Context ctx;
    private final EngineChain chain;
    private final String family;
    private final int channels;
    private final int features;
    private final int outputs;
    private final float[] engineOut;
    private final float[] lastGood;
    private float[] weights;
    private float[] intercepts;
    private double lambda = Double.NaN;
    private boolean fitted;
    private int lastEngine = -1;
    private long inputsRejected;
    private long numericFaults;
    private long engineFaults;

    /**
     * Builds the chain of {@code ctx} and loads the bundle on it. An SNN bundle that carries a fitted readout
     * ({@link SnnDecoder#toBundle}) makes the decoder fitted at once.
     *
     * @throws IllegalArgumentException naming the field when the context is invalid
     * @throws EngineException          when no engine of the chain can run the model (with every engine's reason)
     */
    public EngineDecoder(Context ctx) {
        this(ctx, null);
    }

    /**
     * The decoder of {@code ctx}, fitted with {@code fitted}'s readout when it is not null ({@link FittedModel#open}).
     */
    EngineDecoder(Context ctx, FittedModel fitted) {
        this.ctx = ctx.conclude();
        EngineChain c = EngineChain.create(ctx.chainSpecs());
        try {
            c.load(ctx.bundle());
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        this.chain = c;
        this.family = c.arithmetic();
        this.channels = c.inputCount();
        this.features = c.outputCount();
        this.outputs = ctx.outputs();
        this.engineOut = new float[features];
        this.lastGood = new float[outputs];
        ModelBundle b = ctx.bundle();
        if (SnnDecoder.MODEL_TYPE.equals(b.modelType()) && SnnDecoder.hasReadout(b)) {
            int q = b.hpInt("output_count");
            if (q != outputs) {
                c.close();
                throw new IllegalArgumentException("bundle " + b.name() + " has a readout of " + q
                        + " outputs; the decoder was asked for " + outputs);
            }
            b.requireShape("readout_w", q, features);
            b.requireShape("readout_b", q);
            weights = b.float32("readout_w");
            intercepts = b.float32("readout_b");
            lambda = b.hpDouble("ridge_lambda", Double.NaN);
            this.fitted = true;
        }
        if (fitted != null) {
            if (fitted.features() != features || fitted.outputs() != outputs) {
                c.close();
                throw new IllegalArgumentException("the saved readout maps " + fitted.features() + " features to "
                        + fitted.outputs() + " outputs; model " + b.name() + " on this chain gives " + features
                        + " features and the decoder " + outputs + " outputs");
            }
            weights = fitted.weights().clone();
            intercepts = fitted.intercepts().clone();
            lambda = fitted.lambda();
            this.fitted = true;
        }
    }

    /**
     * The fitted state (bundle, mode, readout exactly as held) that {@link FittedModel#open} rebuilds this decoder
     * from, e.g. to save it in a decoder file.
     *
     * @throws IllegalStateException before a fit
     */
    public FittedModel fittedModel() {
        if (!fitted) {
            throw new IllegalStateException("decoder " + name() + " is not fitted");
        }
        return new FittedModel(ctx.bundle(), ctx.mode(), features, outputs, weights.clone(), intercepts.clone(),
                lambda);
    }

    @Override
    public String name() {
        return ctx.name();
    }

    @Override
    public int inputCount() {
        return channels;
    }

    @Override
    public int outputCount() {
        return outputs;
    }

    /** Engine outputs per bin that the readout reads (LFADS factors, SNN neurons). */
    public int featureCount() {
        return features;
    }

    /** The model type of the bundle ({@code "lfads"} or {@code "snn"}). */
    public String modelType() {
        return ctx.bundle().modelType();
    }

    /** The bundle the engines run. */
    public ModelBundle bundle() {
        return ctx.bundle();
    }

    /** The concluded configuration. */
    public Context context() {
        return ctx;
    }

    /** The chain (for reports: statuses, counts, failovers). */
    public EngineChain chain() {
        return chain;
    }

    /** The arithmetic family of the chain's first usable engine at construction, used by {@link #fit}. */
    public String arithmetic() {
        return family;
    }

    /** Index in the chain of the engine that served the last {@link #decode}, or -1 when none did. */
    public int lastEngineIndex() {
        return lastEngine;
    }

    /** Name of the engine that served the last {@link #decode}, or null when none did. */
    public String lastEngineName() {
        return lastEngine < 0 ? null : chain.engine(lastEngine).name();
    }

    /** Device cycles of the last {@link #decode}'s engine call, or -1 when unknown. */
    public long lastCallCycles() {
        return lastEngine < 0 ? -1 : chain.lastCallCycles();
    }

    /** Bins refused as bad input (NaN, infinite, short). */
    public long inputsRejected() {
        return inputsRejected;
    }

    /** Bins whose readout was not finite. */
    public long numericFaults() {
        return numericFaults;
    }

    /** Bins for which no engine was left ({@code ENGINE_FAULT}). */
    public long engineFaults() {
        return engineFaults;
    }

    /** The relative ridge penalty of the fit (NaN before). */
    public double ridgeLambda() {
        return lambda;
    }

    /** A copy of the readout weights {@code [outputs][featureCount]}, or null before a fit. */
    public float[] readoutWeights() {
        return weights == null ? null : weights.clone();
    }

    /** A copy of the readout intercepts {@code [outputs]}, or null before a fit. */
    public float[] readoutIntercepts() {
        return intercepts == null ? null : intercepts.clone();
    }

    @Override
    public boolean fitted() {
        return fitted;
    }

    @Override
    public int decode(float[] in, float[] out) {
        if (!fitted) {
            lastEngine = -1;
            safeOutput(out);
            return DecodeStatus.NOT_READY;
        }
        int s = chain.step(in, engineOut);
        lastEngine = chain.lastServedIndex();
        if (s != DecodeStatus.OK) {
            if (s == DecodeStatus.INVALID_INPUT) {
                inputsRejected++;
            } else if (s == DecodeStatus.ENGINE_FAULT) {
                engineFaults++;
            } else if (s == DecodeStatus.NUMERIC_FAULT) {
                numericFaults++;
            }
            safeOutput(out);
            return s;
        }
        final int f = features;
        for (int o = 0; o < outputs; o++) {
            double acc = intercepts[o];
            int base = o * f;
            for (int i = 0; i < f; i++) {
                acc += weights[base + i] * engineOut[i];
            }
            float v = (float) acc;
            if (!Float.isFinite(v)) {
                numericFaults++;
                safeOutput(out);
                return DecodeStatus.NUMERIC_FAULT;
            }
            out[o] = v;
        }
        System.arraycopy(out, 0, lastGood, 0, outputs);
        return DecodeStatus.OK;
    }

    @Override
    public void safeOutput(float[] out) {
        System.arraycopy(lastGood, 0, out, 0, outputs);
    }

    /** Starts a new stream on the chain (a trial start) and zeroes the held output. */
    @Override
    public void reset() {
        chain.reset();
        Arrays.fill(lastGood, 0f);
    }

    /**
     * Fits the readout (see the class comment) and resets the stream. A failed fit leaves the previous readout.
     *
     * @throws IllegalArgumentException naming the problem: shape, too few rows, a bin the reference engine refused,
     *                                  a singular fit
     */
    @Override
    public void fit(CalibrationSet set) {
        if (set.channels() != channels || set.outputs() != outputs) {
            throw new IllegalArgumentException("calibration set has " + set.channels() + " channels and "
                    + set.outputs() + " outputs; decoder " + name() + " has " + channels + " and " + outputs);
        }
        int rows = set.size();
        if (rows < MIN_CALIBRATION_ROWS) {
            throw new IllegalArgumentException("calibration needs at least " + MIN_CALIBRATION_ROWS + " bins, got "
                    + rows);
        }
        String refName = "fixed".equals(family) ? CpuEngine.CPU_FIXED : CpuEngine.CPU;
        CpuEngine ref = CpuEngine.create(refName, ctx.mode() == null ? null
                : java.util.Map.of("mode", ctx.mode().jsonName()));
        double[] x = new double[Math.multiplyExact(rows, features)];
        double[] y = new double[rows * outputs];
        try {
            ref.load(ctx.bundle());
            if (ref.inputCount() != channels || ref.outputCount() != features) {
                throw new IllegalArgumentException("reference engine " + refName + " has " + ref.inputCount()
                        + " inputs and " + ref.outputCount() + " outputs, the chain " + channels + " and " + features);
            }
            float[] bin = new float[channels];
            float[] feat = new float[features];
            ref.reset();
            for (int r = 0; r < rows; r++) {
                if (r > 0 && set.startsTrial(r)) {
                    ref.reset();
                }
                for (int k = 0; k < channels; k++) {
                    bin[k] = (float) set.feature(r, k);
                }
                int s = ref.step(bin, feat);
                if (s != DecodeStatus.OK) {
                    throw new IllegalArgumentException("calibration row " + r + ": reference engine " + refName
                            + " returned " + DecodeStatus.name(s));
                }
                for (int i = 0; i < features; i++) {
                    x[r * features + i] = feat[i];
                }
                for (int o = 0; o < outputs; o++) {
                    y[r * outputs + o] = set.target(r, o);
                }
            }
        } finally {
            ref.close();
        }
        RidgeReadout.Fit fit = RidgeReadout.fit(x, y, rows, features, outputs, ctx.ridgeLambda());
        weights = fit.weights();
        intercepts = fit.intercepts();
        lambda = fit.lambda();
        fitted = true;
        reset();
    }

    /**
     * The same decoder (bundle, mode, outputs, readout) on another chain, e.g. {@code [cpu-fixed]} for the live
     * golden-model comparison. Fitted when this one is.
     *
     * @throws EngineException when no engine of that chain can run the model
     */
    public EngineDecoder twin(List<EngineSpec> engines) {
        EngineDecoder t = new EngineDecoder(ctx.copy().engines(engines));
        if (fitted) {
            t.weights = weights.clone();
            t.intercepts = intercepts.clone();
            t.lambda = lambda;
            t.fitted = true;
        }
        return t;
    }

    /** Closes the chain's engines; the decoder is unusable afterwards. Never throws. */
    @Override
    public void close() {
        chain.close();
    }
}
