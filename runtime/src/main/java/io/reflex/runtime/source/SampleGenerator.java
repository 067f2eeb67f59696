package io.reflex.runtime.source;

/**
 * Produces the next sample of a synthetic stream: {@code channels} values and the reference values (e.g. true
 * kinematics) that go with them. {@code CenterOutSource::nextSample} has this shape.
 */
@FunctionalInterface
public interface SampleGenerator {
    void nextSample(float[] valuesOut, double[] referenceOut);
}
