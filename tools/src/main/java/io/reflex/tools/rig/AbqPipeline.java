package io.reflex.tools.rig;

import io.reflex.decoders.Decoder;
import io.reflex.runtime.agent.IdleStrategies;
import io.reflex.runtime.pipeline.SampleBlock;
import io.reflex.runtime.pipeline.SampleSource;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.concurrent.IdleStrategy;

/**
 * Baseline (c): the pipeline built the textbook way, with {@link ArrayBlockingQueue} hand-offs instead of the
 * Disruptor: an ingest thread (polling the same source with the same idle strategy) fills preallocated slots, a
 * worker thread computes the features and decodes, an emit thread times the output; a slot goes back to the free
 * queue after emit. Bins that find no free slot are dropped and counted, as the ring would.
 */
final class AbqPipeline implements RigTarget {
    private static final int SLOTS = 1024;

    private final RigSignal signal;
    private final Decoder decoder;
    private final long deadlineNs;
    private final String hotIdle;
    private long drops;

    /** One bin in flight. */
    private static final class Slot {
        final SampleBlock block;
        final float[] features;
        final float[] out;
        long takenNs;
        boolean last;

        Slot(int channels, int samples, int outputs) {
            block = new SampleBlock(channels, samples, 0);
            features = new float[channels];
            out = new float[outputs];
        }
    }

    AbqPipeline(RigSignal signal, Decoder decoder, long deadlineUs, String hotIdle) {
        this.signal = signal;
        this.decoder = decoder;
        this.deadlineNs = deadlineUs * 1000;
        this.hotIdle = hotIdle;
    }

    @Override
    public String name() {
        return "abq_pipeline";
    }

    @Override
    public String label() {
        return "pipeline with ArrayBlockingQueue hand-offs (thread per stage)";
    }

    /** Bins dropped for want of a free slot, all segments. */
    long pipelineDrops() {
        return drops;
    }

    @Override
    public long runSegment(RigSchedule schedule, long bins, LatencyRecorder recorder, long timeoutNs)
            throws InterruptedException {
        decoder.reset();
        ScheduledSource source = new ScheduledSource(signal, schedule, bins);
        int channels = signal.channels();
        ArrayBlockingQueue<Slot> free = new ArrayBlockingQueue<>(SLOTS);
        ArrayBlockingQueue<Slot> toDecode = new ArrayBlockingQueue<>(SLOTS);
        ArrayBlockingQueue<Slot> toEmit = new ArrayBlockingQueue<>(SLOTS);
        for (int i = 0; i < SLOTS - 1; i++) {
            free.add(new Slot(channels, schedule.samplesPerBin(), decoder.outputCount()));
        }
        Slot endMarker = new Slot(1, 1, 1);
        endMarker.last = true;
        AtomicLong misses = new AtomicLong();
        AtomicLong dropped = new AtomicLong();
        long end = schedule.binSendNs(bins - 1) + timeoutNs;
        SampleBlock scratch = new SampleBlock(channels, schedule.samplesPerBin(), 0);
        Thread ingest = new Thread(() -> {
            IdleStrategy idle = IdleStrategies.byName(hotIdle);
            Slot slot = null;
            try {
                while (System.nanoTime() < end) {
                    if (slot == null && scratch.size() == 0) {
                        slot = free.poll(); // only at a bin's start, so a bin is never split across blocks
                    }
                    SampleBlock into = slot == null ? scratch : slot.block;
                    int n = source.poll(into);
                    if (n == SampleSource.END_OF_STREAM) {
                        break;
                    }
                    if (into.isFull()) {
                        if (slot == null) {
                            dropped.incrementAndGet();
                            scratch.clear();
                        } else {
                            slot.takenNs = System.nanoTime();
                            toDecode.put(slot);
                            slot = null;
                        }
                    }
                    idle.idle(n);
                }
                toDecode.put(endMarker);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "rig-abq-ingest");
        Thread worker = new Thread(() -> {
            try {
                while (true) {
                    Slot s = toDecode.take();
                    if (!s.last) {
                        s.block.sumChannelsInto(s.features);
                        decoder.decode(s.features, s.out);
                    }
                    toEmit.put(s);
                    if (s.last) {
                        return;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "rig-abq-decode");
        Thread emit = new Thread(() -> {
            try {
                while (true) {
                    Slot s = toEmit.take();
                    if (s.last) {
                        return;
                    }
                    long now = System.nanoTime();
                    if (now - s.takenNs > deadlineNs) {
                        misses.incrementAndGet();
                    }
                    long bin = schedule.binEndingAt(schedule.sampleAt(s.block.timestamps()[s.block.size() - 1]));
                    recorder.arrive(bin, now, source.actualSendNs(bin));
                    s.block.clear();
                    free.put(s);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "rig-abq-emit");
        emit.start();
        worker.start();
        ingest.start();
        ingest.join();
        worker.join();
        emit.join();
        drops += dropped.get();
        return misses.get();
    }
}
