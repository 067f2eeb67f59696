package io.reflex.decoders.engine;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.lfads.LfadsArithmetic;
import io.reflex.decoders.lfads.LfadsDecoder;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.decoders.lfads.LfadsKernel;
import io.reflex.decoders.lfads.LfadsMode;
import io.reflex.decoders.lfads.LfadsStream;
import java.util.Arrays;

/**
 * The plain-Java engine: runs LFADS bundles in float32 ({@code "cpu"}) or in the bit-exact fixed-point golden
 * arithmetic ({@code "cpu-fixed"}). Streaming {@link #step} uses causal mode for causal bundles and sliding mode
 * otherwise (or the mode given). Outputs per bin are factors, log-rates or rates ({@link LfadsDecoder.Output}).
 */
public final class CpuEngine implements Engine {

    private final LfadsArithmetic arithmetic;
    private final LfadsMode requestedMode;
    private final LfadsDecoder.Output output;
    private LfadsKernel kernel;
    private LfadsStream stream;
    private float[] factors;
    private float[] logRates;
    private float[] trialFactors;
    private float[] trialLogRates;
    private int outputs;
    private boolean closed;

    /** Float32, automatic streaming mode, factors out. */
    public CpuEngine() {
        this(LfadsArithmetic.FLOAT32, null, LfadsDecoder.Output.FACTORS);
    }

    /**
     * @param arithmetic float32 or fixed
     * @param mode       streaming mode (SLIDING or CAUSAL), or null for CAUSAL with causal bundles, else SLIDING
     * @param output     what each bin yields
     */
    public CpuEngine(LfadsArithmetic arithmetic, LfadsMode mode, LfadsDecoder.Output output) {
        if (mode == LfadsMode.TRIAL) {
            throw new IllegalArgumentException("mode is the streaming mode: sliding, causal or null (automatic)");
        }
        this.arithmetic = arithmetic;
        this.requestedMode = mode;
        this.output = output;
    }

    @Override
    public String name() {
        return arithmetic == LfadsArithmetic.FLOAT32 ? "cpu" : "cpu-fixed";
    }

    @Override
    public String arithmetic() {
        return arithmetic.jsonName();
    }

    /** The streaming mode of the loaded model (null before load). */
    public LfadsMode mode() {
        return stream == null ? null : stream.mode();
    }

    /** The loaded kernel (null before load). */
    public LfadsKernel kernel() {
        return kernel;
    }

    @Override
    public void load(ModelBundle bundle) {
        if (closed) {
            throw new EngineException(name() + ": engine is closed");
        }
        if (!"lfads".equals(bundle.modelType())) {
            throw new EngineException(name() + ": model_type '" + bundle.modelType() + "' is not supported (lfads)");
        }
        LfadsKernel k = arithmetic.load(bundle);
        LfadsDims d = k.dims();
        LfadsMode m = requestedMode != null ? requestedMode : d.causal() ? LfadsMode.CAUSAL : LfadsMode.SLIDING;
        LfadsStream s;
        try {
            s = new LfadsStream(k, m);
        } catch (IllegalArgumentException e) {
            throw new EngineException(name() + ": " + e.getMessage(), e);
        }
        kernel = k;
        stream = s;
        factors = new float[d.facDim()];
        logRates = new float[d.readoutDim()];
        trialFactors = new float[d.reconSeqLen() * d.facDim()];
        trialLogRates = new float[d.reconSeqLen() * d.readoutDim()];
        outputs = output == LfadsDecoder.Output.FACTORS ? d.facDim() : d.readoutDim();
    }

    @Override
    public int inputCount() {
        return kernel == null ? 0 : kernel.dims().dataDim();
    }

    @Override
    public int outputCount() {
        return outputs;
    }

    @Override
    public int maxTrialBins() {
        return kernel == null ? 0 : kernel.dims().encSeqLen();
    }

    @Override
    public int trialSteps(int bins) {
        return kernel == null ? 0 : bins + kernel.dims().reconSeqLen() - kernel.dims().encSeqLen();
    }

    @Override
    public int step(float[] in, float[] out) {
        if (stream == null || closed) {
            Arrays.fill(out, 0, Math.min(out.length, outputs), 0f);
            return DecodeStatus.NOT_READY;
        }
        int s = stream.push(in, 0, factors, logRates);
        emit(factors, 0, logRates, 0, out, 0);
        return s;
    }

    @Override
    public int trial(float[] window, int bins, float[] out) {
        if (kernel == null || closed) {
            Arrays.fill(out, 0f);
            return DecodeStatus.NOT_READY;
        }
        int s = kernel.trial(window, bins, trialFactors, trialLogRates);
        int steps = trialSteps(bins);
        if (steps <= 0 || out.length < steps * outputs) {
            Arrays.fill(out, 0f);
            return DecodeStatus.INVALID_INPUT;
        }
        LfadsDims d = kernel.dims();
        for (int t = 0; t < steps; t++) {
            emit(trialFactors, t * d.facDim(), trialLogRates, t * d.readoutDim(), out, t * outputs);
        }
        return s;
    }

    private void emit(float[] fac, int facOff, float[] lr, int lrOff, float[] out, int outOff) {
        switch (output) {
            case FACTORS -> System.arraycopy(fac, facOff, out, outOff, outputs);
            case LOG_RATES -> System.arraycopy(lr, lrOff, out, outOff, outputs);
            default -> {
                for (int i = 0; i < outputs; i++) {
                    out[outOff + i] = (float) Math.exp(lr[lrOff + i]);
                }
            }
        }
    }

    @Override
    public void reset() {
        if (stream != null) {
            stream.reset();
        }
    }

    @Override
    public EngineHealth health() {
        if (closed) {
            return new EngineHealth(false, "closed", 0);
        }
        return kernel == null ? EngineHealth.NOT_LOADED : EngineHealth.OK;
    }

    @Override
    public void close() {
        closed = true;
    }

    /** Factory of {@code cpu} (float32). */
    public static final class Float32Factory implements EngineFactory {
        @Override
        public String name() {
            return "cpu";
        }

        @Override
        public Engine create() {
            return new CpuEngine(LfadsArithmetic.FLOAT32, null, LfadsDecoder.Output.FACTORS);
        }
    }

    /** Factory of {@code cpu-fixed} (the fixed-point golden model). */
    public static final class FixedFactory implements EngineFactory {
        @Override
        public String name() {
            return "cpu-fixed";
        }

        @Override
        public Engine create() {
            return new CpuEngine(LfadsArithmetic.FIXED, null, LfadsDecoder.Output.FACTORS);
        }
    }
}
