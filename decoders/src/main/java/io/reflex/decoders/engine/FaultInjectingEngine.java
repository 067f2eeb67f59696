package io.reflex.decoders.engine;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import java.util.Arrays;

/**
 * A decorator that makes an engine fail on purpose, for tests and for fault drills in the demo: the wrapped engine
 * works normally until its {@code faultAtStep}-th {@link #step} (1-based, counted since {@link #load}; resets do not
 * restart the count), which faults; from then on the engine is unhealthy with the reason
 * {@code "injected fault at step N"} and every call faults. Checkpoint saves and restores pass through until a step
 * has faulted.
 *
 * <p>How the fault shows ({@link Mode}): the step returns {@code ENGINE_FAULT} (a device error), throws (a
 * driver bug), or the engine turns unhealthy before step N is called (a device that stops answering).
 */
public final class FaultInjectingEngine implements Engine {

    /** How the injected fault shows. */
    public enum Mode {
        /** Step N returns {@code ENGINE_FAULT} with zeroed outputs. */
        STATUS,
        /** Step N throws an {@link EngineException}. */
        EXCEPTION,
        /** The engine reports itself unhealthy once N − 1 steps are done; a step called anyway faults. */
        UNHEALTHY
    }

    private final Engine inner;
    private final long faultAtStep;
    private final Mode mode;
    private final String reason;
    private final EngineHealth failedHealth;
    private long steps;
    private boolean faulted;

    /** Faults at step {@code faultAtStep} by returning {@code ENGINE_FAULT}. */
    public FaultInjectingEngine(Engine inner, long faultAtStep) {
        this(inner, faultAtStep, Mode.STATUS);
    }

    /**
     * @param inner       the engine to wrap (owned from now on: closed with this one)
     * @param faultAtStep the failing step, ≥ 1
     * @param mode        how the fault shows
     */
    public FaultInjectingEngine(Engine inner, long faultAtStep, Mode mode) {
        if (inner == null || mode == null) {
            throw new IllegalArgumentException("inner engine and mode must not be null");
        }
        if (faultAtStep < 1) {
            throw new IllegalArgumentException("faultAtStep must be >= 1, was " + faultAtStep);
        }
        this.inner = inner;
        this.faultAtStep = faultAtStep;
        this.mode = mode;
        this.reason = "injected fault at step " + faultAtStep;
        this.failedHealth = new EngineHealth(false, reason, 1);
    }

    /** The wrapped engine. */
    public Engine inner() {
        return inner;
    }

    /** The step that faults. */
    public long faultAtStep() {
        return faultAtStep;
    }

    /** Steps called since load. */
    public long steps() {
        return steps;
    }

    /** True once the fault has happened (or, in {@link Mode#UNHEALTHY}, is announced). */
    public boolean faulted() {
        return faulted || mode == Mode.UNHEALTHY && steps >= faultAtStep - 1;
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public String arithmetic() {
        return inner.arithmetic();
    }

    @Override
    public String device() {
        return inner.device() + " (fault injected at step " + faultAtStep + ")";
    }

    @Override
    public void load(ModelBundle bundle) {
        inner.load(bundle);
        steps = 0;
        faulted = false;
    }

    @Override
    public int inputCount() {
        return inner.inputCount();
    }

    @Override
    public int outputCount() {
        return inner.outputCount();
    }

    @Override
    public int maxTrialBins() {
        return inner.maxTrialBins();
    }

    @Override
    public int trialSteps(int bins) {
        return inner.trialSteps(bins);
    }

    @Override
    public int step(float[] in, float[] out) {
        boolean announced = faulted();
        steps++;
        if (announced || steps >= faultAtStep) {
            faulted = true;
            if (mode == Mode.EXCEPTION) {
                throw new EngineException(reason);
            }
            if (out != null) {
                Arrays.fill(out, 0f);
            }
            return DecodeStatus.ENGINE_FAULT;
        }
        return inner.step(in, out);
    }

    @Override
    public int trial(float[] window, int bins, float[] out) {
        if (faulted()) {
            if (out != null) {
                Arrays.fill(out, 0f);
            }
            return DecodeStatus.ENGINE_FAULT;
        }
        return inner.trial(window, bins, out);
    }

    @Override
    public void reset() {
        inner.reset();
    }

    @Override
    public int checkpointBytes() {
        return inner.checkpointBytes();
    }

    /** Passes through until a step has faulted (the state of the last good step can still be read). */
    @Override
    public int saveCheckpoint(byte[] dst) {
        return faulted ? DecodeStatus.ENGINE_FAULT : inner.saveCheckpoint(dst);
    }

    @Override
    public int restoreCheckpoint(byte[] src) {
        return faulted ? DecodeStatus.ENGINE_FAULT : inner.restoreCheckpoint(src);
    }

    @Override
    public long lastCallCycles() {
        return inner.lastCallCycles();
    }

    @Override
    public EngineHealth health() {
        return faulted() ? failedHealth : inner.health();
    }

    @Override
    public void close() {
        inner.close();
    }
}
