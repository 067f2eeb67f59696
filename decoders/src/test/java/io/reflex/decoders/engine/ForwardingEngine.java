package io.reflex.decoders.engine;

import io.reflex.decoders.bundle.ModelBundle;

/** A test decorator that forwards every call; subclasses override what they change. */
class ForwardingEngine implements Engine {
    final Engine inner;

    ForwardingEngine(Engine inner) {
        this.inner = inner;
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
        return inner.device();
    }

    @Override
    public void load(ModelBundle bundle) {
        inner.load(bundle);
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
        return inner.step(in, out);
    }

    @Override
    public int trial(float[] window, int bins, float[] out) {
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

    @Override
    public int saveCheckpoint(byte[] dst) {
        return inner.saveCheckpoint(dst);
    }

    @Override
    public int restoreCheckpoint(byte[] src) {
        return inner.restoreCheckpoint(src);
    }

    @Override
    public long lastCallCycles() {
        return inner.lastCallCycles();
    }

    @Override
    public EngineHealth health() {
        return inner.health();
    }

    @Override
    public void close() {
        inner.close();
    }
}
