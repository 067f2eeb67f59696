package io.reflex.decoders.engine;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import java.util.Arrays;

/**
 * Stands in a chain for an engine that could not be created here (no provider on the class path, no device, a
 * refused option), so that reports list it with its reason. It never loads a model.
 */
final class UnavailableEngine implements Engine {
    private final String name;
    private final EngineHealth health;

    UnavailableEngine(String name, String reason) {
        this.name = name;
        this.health = new EngineHealth(false, reason, 0);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String arithmetic() {
        return "unknown";
    }

    @Override
    public String device() {
        return "unavailable";
    }

    @Override
    public void load(ModelBundle bundle) {
        String why = health.detail();
        // factories name themselves in their reasons ("xrt: no xclbin configured"): do not say it twice
        throw new EngineException(why.startsWith(name + ": ") ? why : name + ": " + why);
    }

    @Override
    public int inputCount() {
        return 0;
    }

    @Override
    public int outputCount() {
        return 0;
    }

    @Override
    public int maxTrialBins() {
        return 0;
    }

    @Override
    public int trialSteps(int bins) {
        return 0;
    }

    @Override
    public int step(float[] in, float[] out) {
        if (out != null) {
            Arrays.fill(out, 0f);
        }
        return DecodeStatus.ENGINE_FAULT;
    }

    @Override
    public int trial(float[] window, int bins, float[] out) {
        return step(null, out);
    }

    @Override
    public void reset() {
        // nothing to forget: this engine never ran
    }

    @Override
    public EngineHealth health() {
        return health;
    }

    @Override
    public void close() {
        // holds no resources
    }
}
