package io.reflex.runtime.pipeline;

import com.lmax.disruptor.RingBuffer;
import io.reflex.runtime.pipeline.SampleSource;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;

/**
 * Fills ring slots from the source, one bin per frame, and publishes each full bin with its ingest stamp and
 * deadline. The slot is claimed when a bin starts so samples land in it without a copy; when the ring is full at
 * that moment, the bin is read into a scratch block and counted as dropped, so the source never falls behind.
 *
 * <p>When asked to stop, it counts the bins that the source had due by then (from its nominal rate and the first
 * sample's acquisition time) but that were never taken in, e.g. because this thread was held up: they are in
 * neither {@code frames_in} nor {@code dropped}, and without this count a stalled loop would look clean. One bin of
 * grace is allowed for the bin in progress at the stop.
 */
final class IngestAgent implements Agent {
    private final RingBuffer<Frame> ring;
    private final SampleSource source;
    private final NanoClock clock;
    private final PipelineCounters counters;
    private final long deadlineNs;
    private final SampleBlock scratch;
    private long claimed = -1;
    private Frame frame;
    private SampleBlock block;
    private long samplesSeen;
    private final int samplesPerFrame;
    private double firstSampleS = Double.NaN;
    private volatile boolean stopRequested;
    private volatile boolean stopped;
    private volatile RuntimeException lastSourceError;

    IngestAgent(RingBuffer<Frame> ring, SampleSource source, NanoClock clock, PipelineCounters counters,
                long deadlineNs, int samplesPerFrame) {
        this.ring = ring;
        this.source = source;
        this.clock = clock;
        this.counters = counters;
        this.deadlineNs = deadlineNs;
        this.scratch = new SampleBlock(source.channels(), samplesPerFrame, source.referenceCount());
        this.samplesPerFrame = samplesPerFrame;
    }

    @Override
    public int doWork() {
        if (stopped) {
            return 0;
        }
        if (stopRequested) {
            stopped = true;
            countNotTakenIn(clock.nanoTime());
            return 0;
        }
        if (block == null) {
            begin();
        }
        int n;
        try {
            n = source.poll(block);
        } catch (RuntimeException e) {
            // counted here, reported by the runner's error handler: a source failing on every poll shows in the report
            counters.sourceErrors.increment();
            lastSourceError = e;
            throw e;
        }
        if (n == SampleSource.END_OF_STREAM) {
            stopped = true;
            return 0;
        }
        if (n > 0 && samplesSeen == 0) {
            firstSampleS = block.timestamps()[0];
        }
        samplesSeen += n;
        if (block.isFull()) {
            complete();
        }
        return n;
    }

    private void begin() {
        if (ring.hasAvailableCapacity(1)) {
            claimed = ring.next();
            frame = ring.get(claimed);
            frame.clear();
            block = frame.input;
        } else {
            claimed = -1;
            frame = null;
            scratch.clear();
            block = scratch;
        }
    }

    private void complete() {
        if (frame == null) {
            counters.dropped.increment();
        } else {
            int n = block.size();
            long now = clock.nanoTime();
            frame.sequence = claimed;
            frame.sourceSequence = samplesSeen - n;
            frame.acquisitionTimeS = block.timestamps()[n - 1];
            frame.stampNs[Stage.INGEST.ordinal()] = now;
            frame.deadlineNs = now + deadlineNs;
            ring.publish(claimed);
            counters.framesIn.increment();
        }
        frame = null;
        block = null;
    }

    /** At a requested stop: complete bins due from the source by {@code nowNs} (less one) that never came in. */
    private void countNotTakenIn(long nowNs) {
        final double rate = source.nominalRateHz();
        if (!(rate > 0) || Double.isNaN(firstSampleS)) {
            return; // irregular stream or nothing received: nothing to expect
        }
        final double binS = samplesPerFrame / rate;
        final double dueS = nowNs * 1e-9 - firstSampleS - binS;
        if (dueS <= 0) {
            return;
        }
        final long dueSamples = (long) Math.floor(dueS * rate + 1e-9) + 1;
        final long missingBins = (dueSamples - samplesSeen) / samplesPerFrame;
        if (missingBins > 0) {
            counters.notTakenIn.getAndAdd(missingBins);
        }
    }

    /** Asks the agent to stop taking samples (any partial bin is discarded); callable from any thread. */
    void requestStop() {
        stopRequested = true;
    }

    /** The last exception the source threw when polled, or null. */
    RuntimeException lastSourceError() {
        return lastSourceError;
    }

    /** True once the agent has stopped (stop requested, or the source ended). */
    boolean isStopped() {
        return stopped;
    }

    @Override
    public String roleName() {
        return "ingest";
    }
}
