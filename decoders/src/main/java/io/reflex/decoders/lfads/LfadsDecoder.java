package io.reflex.decoders.lfads;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.Decoder;
import io.reflex.decoders.bundle.ModelBundle;

/**
 * LFADS as a {@link Decoder}: features are the spike counts of one bin ({@code encod_data_dim} channels); outputs
 * are, per {@link Output}, the factors, the log-rates or the rates (counts per bin) of that bin. Runs in
 * {@link LfadsMode#CAUSAL} (causal bundles) or {@link LfadsMode#SLIDING} mode. The safe output holds the last good
 * output (zeros before the first). Allocates nothing per bin.
 */
public final class LfadsDecoder implements Decoder {

    /** What {@link #decode} writes. */
    public enum Output {
        /** {@code fac_dim} latent factors. */
        FACTORS,
        /** {@code readout_dim} natural-log rates, counts per bin. */
        LOG_RATES,
        /** {@code readout_dim} rates, counts per bin (divide by {@code bin_s} for spikes/s). */
        RATES
    }

    /** Configuration; {@link #conclude()} validates it. */
    public static final class Context {
        private ModelBundle bundle;
        private LfadsMode mode;
        private LfadsArithmetic arithmetic = LfadsArithmetic.FLOAT32;
        private Output output = Output.FACTORS;
        private boolean concluded;

        /** The LFADS bundle (required). */
        public Context bundle(ModelBundle b) {
            this.bundle = b;
            return this;
        }

        /** SLIDING or CAUSAL; default: CAUSAL for a causal bundle, else SLIDING. */
        public Context mode(LfadsMode m) {
            this.mode = m;
            return this;
        }

        /** Default FLOAT32. */
        public Context arithmetic(LfadsArithmetic a) {
            this.arithmetic = a;
            return this;
        }

        /** Default FACTORS. */
        public Context output(Output o) {
            this.output = o;
            return this;
        }

        public ModelBundle bundle() {
            return bundle;
        }

        public LfadsMode mode() {
            return mode;
        }

        public LfadsArithmetic arithmetic() {
            return arithmetic;
        }

        public Output output() {
            return output;
        }

        /** Validates every field and fills the defaults; runs once. */
        public Context conclude() {
            if (concluded) {
                return this;
            }
            if (bundle == null) {
                throw new IllegalArgumentException("bundle must be set (an LFADS model bundle)");
            }
            bundle.requireModelType("lfads");
            if (arithmetic == null || output == null) {
                throw new IllegalArgumentException("arithmetic and output must not be null");
            }
            boolean causal = bundle.hpBoolean("causal", false);
            if (mode == null) {
                mode = causal ? LfadsMode.CAUSAL : LfadsMode.SLIDING;
            }
            if (mode == LfadsMode.TRIAL) {
                throw new IllegalArgumentException("mode must be sliding or causal for a per-bin decoder, found trial");
            }
            if (mode == LfadsMode.CAUSAL && !causal) {
                throw new IllegalArgumentException("mode causal needs a causal bundle; " + bundle.name() + " is not");
            }
            concluded = true;
            return this;
        }
    }

    private final LfadsStream stream;
    private final Output output;
    private final float[] factors;
    private final float[] logRates;
    private final float[] lastGood;
    private final int outputs;

    public LfadsDecoder(Context ctx) {
        ctx.conclude();
        this.stream = new LfadsStream(ctx.arithmetic().load(ctx.bundle()), ctx.mode());
        this.output = ctx.output();
        LfadsDims d = stream.kernel().dims();
        this.factors = new float[d.facDim()];
        this.logRates = new float[d.readoutDim()];
        this.outputs = output == Output.FACTORS ? d.facDim() : d.readoutDim();
        this.lastGood = new float[outputs];
    }

    /** The stream (kernel, mode) behind this decoder. */
    public LfadsStream stream() {
        return stream;
    }

    @Override
    public String name() {
        return "lfads";
    }

    @Override
    public int inputCount() {
        return stream.kernel().dims().dataDim();
    }

    @Override
    public int outputCount() {
        return outputs;
    }

    @Override
    public int decode(float[] features, float[] out) {
        int s = stream.push(features, 0, factors, logRates);
        if (s != DecodeStatus.OK) {
            safeOutput(out);
            return s;
        }
        switch (output) {
            case FACTORS -> System.arraycopy(factors, 0, out, 0, outputs);
            case LOG_RATES -> System.arraycopy(logRates, 0, out, 0, outputs);
            default -> {
                for (int i = 0; i < outputs; i++) {
                    out[i] = (float) Math.exp(logRates[i]);
                }
            }
        }
        for (int i = 0; i < outputs; i++) {
            if (!Float.isFinite(out[i])) {
                safeOutput(out);
                return DecodeStatus.NUMERIC_FAULT;
            }
        }
        System.arraycopy(out, 0, lastGood, 0, outputs);
        return DecodeStatus.OK;
    }

    @Override
    public void safeOutput(float[] out) {
        System.arraycopy(lastGood, 0, out, 0, outputs);
    }

    @Override
    public void reset() {
        stream.reset();
        java.util.Arrays.fill(lastGood, 0f);
    }
}
