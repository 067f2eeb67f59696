package io.reflex.fpga.engine;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.engine.Engine;
import io.reflex.decoders.engine.EngineException;
import io.reflex.decoders.engine.EngineHealth;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.fpga.device.DeviceException;
import io.reflex.fpga.lfads.LfadsKernelImage;
import io.reflex.fpga.lfads.LfadsStepImage;
import io.reflex.fpga.snn.LifNet;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The engine a kernel device provider offers through {@code EngineFactory}: at {@link #load} it reads the bundle's
 * model type and dimensions, chooses the kernel build (the model's dimensions plus the options {@code p},
 * {@code t_max}, {@code lag_max}, {@code max_extra}, {@code max_n}, {@code max_in}, {@code max_nnz}), gets that
 * device from its {@link DeviceProvider} and runs the model through the matching engine: {@link LfadsStepEngine}
 * (causal LFADS with a controller), {@link LfadsTrialEngine} (acausal LFADS without a controller) or
 * {@link SnnEngine}. A later load of a model that fits the same build reuses the device.
 */
public final class DeviceEngine implements Engine {
    /** Largest bin in ticks the SNN engine sizes its buffers for. */
    public static final int SNN_MAX_TICKS = 1000;

    private final String name;
    private final DeviceProvider provider;
    private final EngineOptions options;
    private ModelEngine current;
    private Map<String, Integer> currentRequest;
    private boolean closed;

    /**
     * @param name     the engine name ({@code "rtl-sim"})
     * @param provider where the device comes from
     * @param options  the parsed options
     */
    public DeviceEngine(String name, DeviceProvider provider, EngineOptions options) {
        this.name = name;
        this.provider = provider;
        this.options = options;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String arithmetic() {
        return "fixed";
    }

    @Override
    public String device() {
        return current == null ? name + " (no model loaded)" : current.device();
    }

    /** The engine of the loaded model (null before load). */
    public Engine modelEngine() {
        return current;
    }

    /** The Verilog parameters of the kernel build in use (empty before load). */
    public Map<String, Integer> buildParams() {
        return current == null ? Map.of() : current.buildParams();
    }

    /** Largest power of two in [1, 32] (at most {@code cap}) dividing {@code h}. */
    static int lanesWidth(int h, int cap) {
        int p = cap;
        while (p > 1 && h % p != 0) {
            p >>= 1;
        }
        return p;
    }

    @Override
    public void load(ModelBundle bundle) {
        if (closed) {
            throw new EngineException(name + ": engine is closed");
        }
        String type = bundle.modelType();
        if ("lfads".equals(type)) {
            LfadsDims d = LfadsDims.from(bundle);
            if (d.causal()) {
                loadCausal(bundle, d);
            } else if (!d.hasController()) {
                loadTrial(bundle, d);
            } else {
                throw new EngineException(name + ": acausal LFADS models with a controller have no RTL kernel"
                        + " (hdl/README.md); use a causal model or the cpu engines");
            }
        } else if ("snn".equals(type)) {
            loadSnn(bundle);
        } else {
            throw new EngineException(name + ": model_type '" + type + "' is not supported (lfads, snn)");
        }
    }

    private void loadCausal(ModelBundle bundle, LfadsDims d) {
        int h = d.genDim();
        int p = options.p != 0 ? options.p : lanesWidth(h, 16);
        LfadsStepImage.Build want = new LfadsStepImage.Build(d.dataDim(), options.tMax != 0 ? options.tMax
                : d.encSeqLen(), h, d.coDim(), d.facDim(), d.readoutDim(), p,
                options.lagMax != 0 ? options.lagMax : Math.max(4, d.ciLag()));
        String why = LfadsStepEngine.misfit(d, want);
        if (why != null) {
            throw new EngineException(name + ": " + why);
        }
        if (h % p != 0) {
            throw new EngineException(name + ": p " + p + " must divide the state size " + h);
        }
        DeviceProvider.FixedBuild fixed = fixedBuild("lfads_kernel");
        if (fixed != null) {
            requireCausal(bundle, fixed, 1, "the causal-step build");
            String misfit = LfadsStepEngine.misfit(d, LfadsStepImage.Build.of(fixed.params()));
            if (misfit != null) {
                throw new EngineException(name + ": " + fixed.source() + ": " + misfit);
            }
        }
        if (reuse(want.params(), bundle)) {
            return;
        }
        DeviceProvider.Provided dev = open("lfads_kernel", want.params());
        try {
            LfadsStepImage.Build have = LfadsStepImage.Build.of(dev.params());
            String misfit = LfadsStepEngine.misfit(d, have);
            if (misfit != null) {
                throw new EngineException(name + ": " + dev.device().description() + ": " + misfit);
            }
            install(new LfadsStepEngine(name, dev, have, options), want.params(), bundle);
        } catch (RuntimeException e) {
            dev.device().close();
            throw wrap(e);
        }
    }

    private void loadTrial(ModelBundle bundle, LfadsDims d) {
        int h = d.genDim();
        int p = options.p != 0 ? options.p : lanesWidth(h, 32);
        int extra = options.maxExtra >= 0 ? options.maxExtra : d.reconSeqLen() - d.encSeqLen();
        LfadsKernelImage.Build want = new LfadsKernelImage.Build(d.dataDim(), options.tMax != 0 ? options.tMax
                : d.encSeqLen(), h, d.icDim(), d.facDim(), d.readoutDim(), p);
        String why = LfadsTrialEngine.misfit(d, want, extra);
        if (why != null) {
            throw new EngineException(name + ": " + why);
        }
        if (h % p != 0) {
            throw new EngineException(name + ": p " + p + " must divide the state size " + h);
        }
        DeviceProvider.FixedBuild fixed = fixedBuild("lfads_kernel");
        if (fixed != null) {
            requireCausal(bundle, fixed, 0, "the trial build");
            String misfit = LfadsTrialEngine.misfit(d, LfadsKernelImage.Build.of(fixed.params()), extra);
            if (misfit != null) {
                throw new EngineException(name + ": " + fixed.source() + ": " + misfit);
            }
        }
        Map<String, Integer> request = new LinkedHashMap<>(want.params());
        request.put("max_extra", extra);
        if (reuse(request, bundle)) {
            return;
        }
        DeviceProvider.Provided dev = open("lfads_kernel", want.params());
        try {
            LfadsKernelImage.Build have = LfadsKernelImage.Build.of(dev.params());
            String misfit = LfadsTrialEngine.misfit(d, have, extra);
            if (misfit != null) {
                throw new EngineException(name + ": " + dev.device().description() + ": " + misfit);
            }
            install(new LfadsTrialEngine(name, dev, have, extra, options), request, bundle);
        } catch (RuntimeException e) {
            dev.device().close();
            throw wrap(e);
        }
    }

    private void loadSnn(ModelBundle bundle) {
        LifNet net;
        int binTicks;
        try {
            net = SnnEngine.network(bundle);
            binTicks = bundle.hpInt("bin_ticks");
        } catch (IllegalArgumentException e) {
            throw new EngineException(name + ": " + bundle.name() + ": " + e.getMessage(), e);
        }
        Map<String, Integer> want = new LinkedHashMap<>();
        want.put("MAX_N", options.maxN != 0 ? options.maxN : Math.max(1024, pow2(net.n())));
        want.put("MAX_IN", options.maxIn != 0 ? options.maxIn : Math.max(256, pow2(net.nIn())));
        want.put("MAX_NNZ", options.maxNnz != 0 ? options.maxNnz : Math.max(32768, pow2(net.nnz())));
        String why = SnnEngine.misfit(net, binTicks, want.get("MAX_N"), want.get("MAX_IN"), want.get("MAX_NNZ"),
                SNN_MAX_TICKS);
        if (why != null) {
            throw new EngineException(name + ": " + why);
        }
        DeviceProvider.FixedBuild fixed = fixedBuild("snn_kernel");
        if (fixed != null) {
            Map<String, Integer> f = fixed.params();
            String misfit = SnnEngine.misfit(net, binTicks, f.get("MAX_N"), f.get("MAX_IN"), f.get("MAX_NNZ"),
                    SNN_MAX_TICKS);
            if (misfit != null) {
                throw new EngineException(name + ": " + fixed.source() + ": " + misfit);
            }
        }
        if (reuse(want, bundle)) {
            return;
        }
        DeviceProvider.Provided dev = open("snn_kernel", want);
        try {
            Map<String, Integer> have = dev.params();
            int maxN = have.get("MAX_N");
            int maxIn = have.get("MAX_IN");
            int maxNnz = have.get("MAX_NNZ");
            String misfit = SnnEngine.misfit(net, binTicks, maxN, maxIn, maxNnz, SNN_MAX_TICKS);
            if (misfit != null) {
                throw new EngineException(name + ": " + dev.device().description() + ": " + misfit);
            }
            install(new SnnEngine(name, dev, maxN, maxIn, maxNnz, SNN_MAX_TICKS, options), want, bundle);
        } catch (RuntimeException e) {
            dev.device().close();
            throw wrap(e);
        }
    }

    /** The provider's fixed build of a kernel, or null; a provider without the kernel is a refusal. */
    private DeviceProvider.FixedBuild fixedBuild(String kernel) {
        try {
            return provider.fixedBuild(kernel);
        } catch (DeviceException e) {
            throw new EngineException(name + ": " + e.getMessage(), e);
        }
    }

    /** Refuses a model for the other lfads_kernel core than the fixed build has, naming both. */
    private void requireCausal(ModelBundle bundle, DeviceProvider.FixedBuild fixed, int causal, String core) {
        int have = fixed.params().getOrDefault("CAUSAL", 0);
        if (have != causal) {
            throw new EngineException(name + ": model " + bundle.name() + " needs " + core + " of lfads_kernel"
                    + " (CAUSAL=" + causal + "); " + fixed.source() + " is built with " + io.reflex.fpga.xclbin.BuildParams.text(fixed.params()));
        }
    }

    private static int pow2(int x) {
        return x <= 1 ? 1 : Integer.highestOneBit(x - 1) << 1;
    }

    /** Loads on the current engine when it was opened for the same request. */
    private boolean reuse(Map<String, Integer> request, ModelBundle bundle) {
        if (current == null || !request.equals(currentRequest) || current.faulted) {
            return false;
        }
        current.load(bundle);
        return true;
    }

    private DeviceProvider.Provided open(String kernel, Map<String, Integer> params) {
        DeviceProvider.Provided dev;
        try {
            dev = provider.open(kernel, params);
        } catch (DeviceException e) {
            throw new EngineException(name + ": " + e.getMessage(), e);
        }
        if (!dev.device().computesResults()) {
            // XRT's noop shim runs the whole host flow and computes nothing: never let its outputs pass as decodes
            String what = dev.device().description();
            dev.device().close();
            throw new EngineException(name + ": " + what + " computes nothing (XRT's noop shim); an engine needs a"
                    + " card or the RTL simulation");
        }
        return dev;
    }

    private void install(ModelEngine next, Map<String, Integer> request, ModelBundle bundle) {
        try {
            next.load(bundle);
        } catch (RuntimeException e) {
            next.closeHost();
            throw e;
        }
        if (current != null) {
            current.close();
        }
        current = next;
        currentRequest = request;
    }

    private RuntimeException wrap(RuntimeException e) {
        if (e instanceof EngineException) {
            return e;
        }
        return new EngineException(name + ": " + e.getMessage(), e);
    }

    @Override
    public int inputCount() {
        return current == null ? 0 : current.inputCount();
    }

    @Override
    public int outputCount() {
        return current == null ? 0 : current.outputCount();
    }

    @Override
    public int maxTrialBins() {
        return current == null ? 0 : current.maxTrialBins();
    }

    @Override
    public int trialSteps(int bins) {
        return current == null ? 0 : current.trialSteps(bins);
    }

    @Override
    public int step(float[] in, float[] out) {
        if (current == null) {
            Arrays.fill(out, 0f);
            return DecodeStatus.NOT_READY;
        }
        return current.step(in, out);
    }

    @Override
    public int trial(float[] window, int bins, float[] out) {
        if (current == null) {
            Arrays.fill(out, 0f);
            return DecodeStatus.NOT_READY;
        }
        return current.trial(window, bins, out);
    }

    @Override
    public void reset() {
        if (current != null) {
            current.reset();
        }
    }

    @Override
    public int checkpointBytes() {
        return current == null ? 0 : current.checkpointBytes();
    }

    @Override
    public int saveCheckpoint(byte[] dst) {
        return current == null ? DecodeStatus.NOT_READY : current.saveCheckpoint(dst);
    }

    @Override
    public int restoreCheckpoint(byte[] src) {
        return current == null ? DecodeStatus.NOT_READY : current.restoreCheckpoint(src);
    }

    @Override
    public long lastCallCycles() {
        return current == null ? -1 : current.lastCallCycles();
    }

    @Override
    public EngineHealth health() {
        if (closed) {
            return new EngineHealth(false, "closed", 0);
        }
        return current == null ? EngineHealth.NOT_LOADED : current.health();
    }

    @Override
    public void close() {
        closed = true;
        if (current != null) {
            current.close();
            current = null;
        }
    }
}
