package io.reflex.tools.rig;

import io.reflex.decoders.Decoder;
import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.pipeline.OutputSink;
import io.reflex.runtime.pipeline.Pipeline;
import io.reflex.runtime.pipeline.PipelineCounters;
import io.reflex.runtime.pipeline.Topology;
import java.util.concurrent.locks.LockSupport;

/**
 * Reflex's own pipeline (the Disruptor ring, its stages and idle strategies, as the daemon builds it) fed by the
 * rig's schedule in the same process; the output is timed in a sink on the emit stage's thread.
 */
final class ReflexInProcess implements RigTarget {
    private final RigSignal signal;
    private final Decoder decoder;
    private final long deadlineUs;
    private final Topology topology;
    private final String hotIdle;
    private final String idle;
    final StageTimes stages = new StageTimes();
    /** For tests: holds each output in the sink until this long after its bin was due (null: none). */
    private volatile java.util.function.LongUnaryOperator injectedDelayNs;
    private long drops;

    ReflexInProcess(RigSignal signal, Decoder decoder, long deadlineUs, Topology topology,
                    String hotIdle, String idle) {
        this.signal = signal;
        this.decoder = decoder;
        this.deadlineUs = deadlineUs;
        this.topology = topology;
        this.hotIdle = hotIdle;
        this.idle = idle;
    }

    @Override
    public String name() {
        return "reflex";
    }

    @Override
    public String label() {
        return "Reflex pipeline (Disruptor, " + topology.key() + ")";
    }

    /**
     * For tests: the sink holds the output of bin {@code b} until {@code delayNs.applyAsLong(b)} after the bin was
     * due, as a slow or stalled consumer would (the emit stage's thread waits, so later bins queue behind it).
     */
    void injectDelay(java.util.function.LongUnaryOperator delayNs) {
        this.injectedDelayNs = delayNs;
    }

    /** Bins the pipeline dropped at ingest (ring full), all segments. */
    long pipelineDrops() {
        return drops;
    }

    @Override
    public long runSegment(RigSchedule schedule, long bins, LatencyRecorder recorder, long timeoutNs)
            throws InterruptedException {
        decoder.reset();
        ScheduledSource source = new ScheduledSource(signal, schedule, bins);
        OutputSink sink = new OutputSink() {
            @Override
            public String name() {
                return "rig";
            }

            @Override
            public void emit(Frame frame) {
                long bin = schedule.binEndingAt(schedule.sampleAt(frame.acquisitionTimeS));
                java.util.function.LongUnaryOperator inject = injectedDelayNs;
                if (inject != null && bin >= 0) {
                    long until = schedule.binSendNs(bin) + inject.applyAsLong(bin);
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                }
                long now = System.nanoTime();
                if (recorder.arrive(bin, now, source.actualSendNs(bin))) {
                    stages.record(schedule.binSendNs(bin), frame.stampNs, now);
                }
            }
        };
        // the bin width follows the schedule, so that a faster warm-up schedule keeps the bins' sample count
        long binUs = Math.round(schedule.samplesPerBin() * 1e6 / schedule.rateHz());
        Pipeline p = new Pipeline(new Pipeline.Context().source(source).channels(signal.channels())
                .binWidthUs(binUs).ringSize(1024).deadlineUs(deadlineUs).topology(topology).hotIdle(hotIdle)
                .idle(idle).clock(System::nanoTime).decoder(decoder).sink(sink));
        PipelineCounters c;
        try {
            p.start();
            long end = schedule.binSendNs(bins - 1) + timeoutNs;
            // the coordinator waits off the measured threads' way: parked, checked every millisecond
            while (!(source.done() && p.ingestStopped() && p.drained()) && System.nanoTime() < end) {
                LockSupport.parkNanos(1_000_000);
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
            }
        } finally {
            p.close();
        }
        c = p.counters();
        drops += c.dropped.get();
        return c.deadlineMisses();
    }
}
