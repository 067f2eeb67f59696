package io.reflex.runtime.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/** Copies what the emit stage sends, for assertions (allocates: tests only). */
final class CollectingSink implements OutputSink {
    final List<float[]> outputs = new ArrayList<>();
    final List<float[]> features = new ArrayList<>();
    final List<Integer> flags = new ArrayList<>();
    final List<Long> sourceSequences = new ArrayList<>();
    final List<Double> acquisitionTimes = new ArrayList<>();
    final List<long[]> stamps = new ArrayList<>();
    final List<float[]> samples = new ArrayList<>();
    final CountDownLatch latch;

    CollectingSink(int expected) {
        latch = new CountDownLatch(expected);
    }

    @Override
    public String name() {
        return "collect";
    }

    @Override
    public synchronized void emit(Frame f) {
        outputs.add(f.output.clone());
        features.add(f.features.clone());
        flags.add(f.flags);
        sourceSequences.add(f.sourceSequence);
        acquisitionTimes.add(f.acquisitionTimeS);
        stamps.add(f.stampNs.clone());
        samples.add(java.util.Arrays.copyOf(f.input.samples(), f.input.size() * f.input.channels()));
        latch.countDown();
    }
}
