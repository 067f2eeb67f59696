package io.reflex.decoders.engine;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.checkpoint.CheckpointStatus;
import io.reflex.decoders.lfads.LfadsArithmetic;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.decoders.lfads.LfadsKernel;
import io.reflex.decoders.lfads.LfadsMode;
import io.reflex.decoders.lfads.LfadsOutput;
import io.reflex.decoders.lfads.LfadsStream;
import io.reflex.decoders.snn.SnnDecoder;
import io.reflex.decoders.snn.SnnReservoir;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The plain-Java engines {@code "cpu"} and {@code "cpu-fixed"}, for both model types.
 *
 * <p><b>LFADS</b> ({@code model_type} {@code lfads}): {@code cpu} runs float32 ({@link
 * io.reflex.decoders.lfads.LfadsFloat32}), {@code cpu-fixed} the bit-exact fixed-point golden model ({@link
 * io.reflex.decoders.lfads.LfadsFixed}). {@link #step} streams in causal mode for causal bundles and in sliding
 * mode otherwise, unless the option {@code mode} says; each bin yields factors, log-rates or rates (option
 * {@code output}, default factors). {@link #trial} runs whole windows of 1 to {@code encod_seq_len} bins.
 * Checkpoints: {@code "LFS1"} in causal mode, {@code "LFW1"} in sliding mode (decoders/LFADS.md).
 *
 * <p><b>SNN</b> ({@code model_type} {@code snn}): {@link #step} is one bin of counts through the reservoir
 * ({@link SnnReservoir}: the spreading rule, {@code bin_ticks} LIF ticks, the Q16 traces) and yields the N traces
 * divided by 2^16; the readout is not part of the engine. The LIF arithmetic is integer only (FIXED_POINT.md §7),
 * so for an SNN {@code cpu} and {@code cpu-fixed} run the same golden model and both report the arithmetic family
 * {@code "fixed"}: their outputs are bit-identical to each other and to the hardware engines. An SNN has no
 * {@link #trial} ({@link #maxTrialBins()} is 0). Checkpoints: {@code "SNS1"}.
 *
 * <p>Never throws for bad data: a short array, a negative, NaN or infinite count ({@link
 * io.reflex.decoders.Counts}), or a window outside
 * {@code [1, maxTrialBins()]} returns {@code INVALID_INPUT} with zeroed outputs and leaves the stream as it was.
 */
public final class CpuEngine implements Engine {
    /** Name of the float32 engine. */
    public static final String CPU = "cpu";
    /** Name of the fixed-point golden-model engine. */
    public static final String CPU_FIXED = "cpu-fixed";
    /** Options {@link EngineFactory#create(Map)} accepts for both names: {@code mode}, {@code output}. */
    public static final Set<String> OPTIONS = Set.of("mode", "output");

    private final LfadsArithmetic arithmetic;
    private final LfadsMode requestedMode;
    private final LfadsOutput output;
    private String modelType;
    private LfadsKernel kernel;
    private LfadsStream stream;
    private SnnReservoir reservoir;
    private float[] factors;
    private float[] logRates;
    private float[] trialFactors;
    private float[] trialLogRates;
    private int inputs;
    private int outputs;
    private String device = "jvm";
    private CheckpointStatus lastCheckpoint = CheckpointStatus.OK;
    private boolean closed;

    /** {@code cpu} (float32) or {@code cpu-fixed}; automatic streaming mode; factors out. */
    public CpuEngine(boolean fixed) {
        this(fixed ? LfadsArithmetic.FIXED : LfadsArithmetic.FLOAT32, null, LfadsOutput.FACTORS);
    }

    /**
     * @param arithmetic LFADS arithmetic (an SNN always runs the integer LIF model)
     * @param mode       LFADS streaming mode (SLIDING or CAUSAL), or null for CAUSAL with causal bundles, else SLIDING
     * @param output     what each LFADS bin yields
     */
    public CpuEngine(LfadsArithmetic arithmetic, LfadsMode mode, LfadsOutput output) {
        if (mode == LfadsMode.TRIAL) {
            throw new IllegalArgumentException("mode is the streaming mode: sliding, causal or null (automatic)");
        }
        if (arithmetic == null || output == null) {
            throw new IllegalArgumentException("arithmetic and output must not be null");
        }
        this.arithmetic = arithmetic;
        this.requestedMode = mode;
        this.output = output;
    }

    /**
     * An engine from its name and options ({@code mode}: causal | sliding; {@code output}: factors | log_rates |
     * rates).
     *
     * @throws EngineException naming the option and what is allowed
     */
    public static CpuEngine create(String name, Map<String, String> options) {
        if (!CPU.equals(name) && !CPU_FIXED.equals(name)) {
            throw new EngineException("CpuEngine makes cpu and cpu-fixed, not '" + name + "'");
        }
        Map<String, String> opts = options == null ? Map.of() : options;
        for (String k : opts.keySet()) {
            if (!OPTIONS.contains(k)) {
                throw new EngineException(name + ": unknown option '" + k + "'; allowed are " + new TreeSet<>(OPTIONS));
            }
        }
        LfadsMode mode = null;
        LfadsOutput out = LfadsOutput.FACTORS;
        try {
            if (opts.containsKey("mode")) {
                mode = LfadsMode.parse(opts.get("mode"));
                if (mode == LfadsMode.TRIAL) {
                    throw new IllegalArgumentException("option mode must be causal or sliding, found trial");
                }
            }
            if (opts.containsKey("output")) {
                out = LfadsOutput.parse(opts.get("output"));
            }
        } catch (IllegalArgumentException e) {
            throw new EngineException(name + ": " + e.getMessage(), e);
        }
        return new CpuEngine(CPU_FIXED.equals(name) ? LfadsArithmetic.FIXED : LfadsArithmetic.FLOAT32, mode, out);
    }

    @Override
    public String name() {
        return arithmetic == LfadsArithmetic.FLOAT32 ? CPU : CPU_FIXED;
    }

    /** {@code "fixed"} or {@code "float32"}; always {@code "fixed"} with an SNN loaded (the LIF is integer only). */
    @Override
    public String arithmetic() {
        return reservoir != null ? LfadsArithmetic.FIXED.jsonName() : arithmetic.jsonName();
    }

    @Override
    public String device() {
        return device;
    }

    /** The model type loaded ({@code lfads} or {@code snn}), or null. */
    public String modelType() {
        return modelType;
    }

    /** The LFADS streaming mode of the loaded model (null before load and for an SNN). */
    public LfadsMode mode() {
        return stream == null ? null : stream.mode();
    }

    /** The loaded LFADS kernel (null before load and for an SNN). */
    public LfadsKernel kernel() {
        return kernel;
    }

    /** The loaded SNN stream (null before load and for LFADS). */
    public SnnReservoir reservoir() {
        return reservoir;
    }

    /** What the last checkpoint save or restore found (OK before any). */
    public CheckpointStatus lastCheckpointStatus() {
        return lastCheckpoint;
    }

    @Override
    public void load(ModelBundle bundle) {
        if (closed) {
            throw new EngineException(name() + ": engine is closed");
        }
        String type = bundle.modelType();
        if ("lfads".equals(type)) {
            loadLfads(bundle);
        } else if (SnnDecoder.MODEL_TYPE.equals(type)) {
            loadSnn(bundle);
        } else {
            throw new EngineException(name() + ": model_type '" + type + "' is not supported (lfads, snn)");
        }
        modelType = type;
        lastCheckpoint = CheckpointStatus.OK;
    }

    private void loadLfads(ModelBundle bundle) {
        LfadsKernel k = arithmetic.load(bundle);
        LfadsDims d = k.dims();
        LfadsMode m = requestedMode != null ? requestedMode : d.causal() ? LfadsMode.CAUSAL : LfadsMode.SLIDING;
        LfadsStream s;
        try {
            s = new LfadsStream(k, m);
        } catch (IllegalArgumentException e) {
            throw new EngineException(name() + ": " + e.getMessage(), e);
        }
        reservoir = null;
        kernel = k;
        stream = s;
        factors = new float[d.facDim()];
        logRates = new float[d.readoutDim()];
        trialFactors = new float[d.reconSeqLen() * d.facDim()];
        trialLogRates = new float[d.reconSeqLen() * d.readoutDim()];
        inputs = d.dataDim();
        outputs = output == LfadsOutput.FACTORS ? d.facDim() : d.readoutDim();
        device = "jvm: LFADS " + (arithmetic == LfadsArithmetic.FIXED ? "fixed-point golden model" : "float32")
                + ", " + m.jsonName() + ", " + output.jsonName();
    }

    private void loadSnn(ModelBundle bundle) {
        if (requestedMode != null || output != LfadsOutput.FACTORS) {
            throw new EngineException(name() + ": options mode and output apply to LFADS models; an SNN engine "
                    + "yields its reservoir traces");
        }
        SnnReservoir r = SnnReservoir.fromBundle(bundle);
        kernel = null;
        stream = null;
        reservoir = r;
        inputs = r.inputCount();
        outputs = r.neuronCount();
        device = "jvm: SNN integer LIF golden model, " + r.neuronCount() + " neurons, " + r.binTicks()
                + " ticks per bin";
    }

    @Override
    public int inputCount() {
        return inputs;
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
        if (kernel == null || bins < 1 || bins > kernel.dims().encSeqLen()) {
            return 0;
        }
        return bins + kernel.dims().reconSeqLen() - kernel.dims().encSeqLen();
    }

    private boolean ready() {
        return !closed && (stream != null || reservoir != null);
    }

    private static void zero(float[] out, int n) {
        if (out != null) {
            Arrays.fill(out, 0, Math.min(out.length, n), 0f);
        }
    }

    @Override
    public int step(float[] in, float[] out) {
        if (!ready()) {
            zero(out, outputs);
            return DecodeStatus.NOT_READY;
        }
        if (in == null || out == null || in.length < inputs || out.length < outputs) {
            zero(out, outputs);
            return DecodeStatus.INVALID_INPUT;
        }
        if (reservoir != null) {
            return reservoir.step(in, out);
        }
        int s = stream.push(in, 0, factors, logRates);
        if (s != DecodeStatus.OK) {
            zero(out, outputs);
            return s;
        }
        emit(factors, 0, logRates, 0, out, 0);
        return s;
    }

    @Override
    public int trial(float[] window, int bins, float[] out) {
        if (!ready()) {
            zero(out, out == null ? 0 : out.length);
            return DecodeStatus.NOT_READY;
        }
        int steps = trialSteps(bins);
        if (steps <= 0 || window == null || out == null || window.length < (long) bins * inputs
                || out.length < (long) steps * outputs) {
            zero(out, out == null ? 0 : out.length);
            return DecodeStatus.INVALID_INPUT;
        }
        int s = kernel.trial(window, bins, trialFactors, trialLogRates);
        if (s != DecodeStatus.OK) {
            zero(out, steps * outputs);
            return s;
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
        if (reservoir != null) {
            reservoir.reset();
        }
    }

    @Override
    public int checkpointBytes() {
        if (closed) {
            return 0;
        }
        return stream != null ? stream.checkpointBytes() : reservoir != null ? reservoir.checkpointBytes() : 0;
    }

    @Override
    public int saveCheckpoint(byte[] dst) {
        if (!ready()) {
            return DecodeStatus.NOT_READY;
        }
        CheckpointStatus s = stream != null ? stream.save(dst) : reservoir.save(dst);
        lastCheckpoint = s;
        return switch (s) {
            case OK -> DecodeStatus.OK;
            case UNSUPPORTED -> DecodeStatus.NOT_READY;
            case BAD_VALUE -> DecodeStatus.NUMERIC_FAULT;
            default -> DecodeStatus.INVALID_INPUT;
        };
    }

    @Override
    public int restoreCheckpoint(byte[] src) {
        if (!ready()) {
            return DecodeStatus.NOT_READY;
        }
        CheckpointStatus s = stream != null ? stream.restore(src) : reservoir.restore(src);
        lastCheckpoint = s;
        return switch (s) {
            case OK -> DecodeStatus.OK;
            case UNSUPPORTED -> DecodeStatus.NOT_READY;
            default -> DecodeStatus.INVALID_INPUT;
        };
    }

    @Override
    public EngineHealth health() {
        if (closed) {
            return new EngineHealth(false, "closed", 0);
        }
        return ready() ? EngineHealth.OK : EngineHealth.NOT_LOADED;
    }

    @Override
    public void close() {
        closed = true;
    }

    /** Factory of {@code cpu} (float32 LFADS; the integer LIF for an SNN). */
    public static final class Float32Factory implements EngineFactory {
        @Override
        public String name() {
            return CPU;
        }

        @Override
        public Engine create() {
            return new CpuEngine(false);
        }

        @Override
        public Engine create(Map<String, String> options) {
            return CpuEngine.create(CPU, options);
        }
    }

    /** Factory of {@code cpu-fixed} (the fixed-point golden models). */
    public static final class FixedFactory implements EngineFactory {
        @Override
        public String name() {
            return CPU_FIXED;
        }

        @Override
        public Engine create() {
            return new CpuEngine(true);
        }

        @Override
        public Engine create(Map<String, String> options) {
            return CpuEngine.create(CPU_FIXED, options);
        }
    }
}
