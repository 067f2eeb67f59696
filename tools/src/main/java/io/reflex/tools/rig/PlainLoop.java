package io.reflex.tools.rig;

import io.reflex.decoders.Decoder;
import io.reflex.runtime.agent.IdleStrategies;
import io.reflex.runtime.pipeline.SampleBlock;
import io.reflex.runtime.pipeline.SampleSource;
import org.agrona.concurrent.IdleStrategy;

/**
 * Baseline (b): the same work with no pipeline. One thread polls the same source with the same idle strategy, sums
 * each bin into features with the feature stage's own code ({@code SampleBlock.sumChannelsInto}), decodes with the
 * same decoder and times the output in place.
 */
final class PlainLoop implements RigTarget {
    private final RigSignal signal;
    private final Decoder decoder;
    private final long deadlineNs;
    private final String hotIdle;

    PlainLoop(RigSignal signal, Decoder decoder, long deadlineUs, String hotIdle) {
        this.signal = signal;
        this.decoder = decoder;
        this.deadlineNs = deadlineUs * 1000;
        this.hotIdle = hotIdle;
    }

    @Override
    public String name() {
        return "plain_loop";
    }

    @Override
    public String label() {
        return "plain loop, same work, no pipeline";
    }

    @Override
    public long runSegment(RigSchedule schedule, long bins, LatencyRecorder recorder, long timeoutNs)
            throws InterruptedException {
        decoder.reset();
        ScheduledSource source = new ScheduledSource(signal, schedule, bins);
        int channels = signal.channels();
        SampleBlock block = new SampleBlock(channels, schedule.samplesPerBin(), 0);
        float[] features = new float[channels];
        float[] out = new float[decoder.outputCount()];
        long[] misses = new long[1];
        IdleStrategy idle = IdleStrategies.byName(hotIdle);
        long end = schedule.binSendNs(bins - 1) + timeoutNs;
        Thread t = new Thread(() -> {
            while (System.nanoTime() < end) {
                int n = source.poll(block);
                if (n == SampleSource.END_OF_STREAM) {
                    return;
                }
                if (block.isFull()) {
                    long taken = System.nanoTime();
                    block.sumChannelsInto(features);
                    decoder.decode(features, out);
                    long now = System.nanoTime();
                    if (now - taken > deadlineNs) {
                        misses[0]++;
                    }
                    long bin = schedule.binEndingAt(schedule.sampleAt(block.timestamps()[block.size() - 1]));
                    recorder.arrive(bin, now, source.actualSendNs(bin));
                    block.clear();
                    idle.idle(1);
                } else {
                    idle.idle(n);
                }
            }
        }, "rig-plain-loop");
        t.start();
        t.join();
        return misses[0];
    }
}
