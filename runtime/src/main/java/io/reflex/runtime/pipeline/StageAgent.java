package io.reflex.runtime.pipeline;

import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.Sequence;
import io.reflex.runtime.agent.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * Polls one Disruptor consumer sequence and runs a {@link FrameHandler} on each frame. A critical stage stamps the
 * frame; the emit stage, once its sinks have the output, records every stage latency of the frame (ingest: from
 * the bin's acquisition time; each later stage: since the previous stage's stamp) and ingest-to-emit. An observer
 * records its lag behind emit.
 *
 * <p>Recording only after the sinks keeps the histograms off the critical path: with frames 20 ms apart each
 * recorder's code and data are cold again at every frame, and four records before the sink cost microseconds
 * (docs/benchmarks.md). The emit stage's thread is then the one writer of every critical track.
 */
final class StageAgent implements Agent, EventPoller.Handler<Frame> {
    private final String name;
    private final EventPoller<Frame> poller;
    private final FrameHandler handler;
    private final Stage stage;
    private final NanoClock clock;
    private final LatencyStats latency;
    private final int[] tracks;
    private final int endToEndTrack;
    private final AtomicCounter errors;
    private final ErrorHandler errorHandler;
    private int batch;

    /**
     * @param stage         the critical stage, or null for an observer
     * @param tracks        for the EMIT stage, the latency track of each {@link Stage} by ordinal; for an observer,
     *                      its one track; null for the other critical stages (they record nothing)
     * @param endToEndTrack latency track for ingest-to-emit (used by the EMIT stage only)
     */
    StageAgent(String name, EventPoller<Frame> poller, FrameHandler handler, Stage stage, NanoClock clock,
               LatencyStats latency, int[] tracks, int endToEndTrack, AtomicCounter errors, ErrorHandler errorHandler) {
        this.name = name;
        this.poller = poller;
        this.handler = handler;
        this.stage = stage;
        this.clock = clock;
        this.latency = latency;
        this.tracks = tracks;
        this.endToEndTrack = endToEndTrack;
        this.errors = errors;
        this.errorHandler = errorHandler;
    }

    Sequence sequence() {
        return poller.getSequence();
    }

    @Override
    public void onStart() {
        handler.onStart();
    }

    @Override
    public int doWork() throws Exception {
        batch = 0;
        poller.poll(this);
        return batch;
    }

    @Override
    public boolean onEvent(Frame frame, long sequence, boolean endOfBatch) {
        try {
            // One call site per critical handler type: through the single handler.onFrame call site the JIT sees
            // three receiver types (megamorphic) and cannot inline, so each stage would run as separately compiled
            // code, cold again at every frame when frames are 20 ms apart. Here each site sees one type and the
            // stages are inlined into the loop that polls the ring (docs/benchmarks.md).
            if (handler instanceof FeatureStage features) {
                features.onFrame(frame);
            } else if (handler instanceof DecodeStage decode) {
                decode.onFrame(frame);
            } else if (handler instanceof EmitStage emit) {
                emit.onFrame(frame);
            } else {
                handler.onFrame(frame);
            }
        } catch (Exception | Error e) {
            // Errors too (an InternalError from a fault in mapped memory): the frame moves on, the thread lives.
            errors.increment();
            errorHandler.onError(name, e);
        }
        long now = clock.nanoTime();
        long[] stamps = frame.stampNs;
        if (stage != null) {
            stamps[stage.ordinal()] = now;
            if (stage == Stage.EMIT) {
                recordCritical(frame);
            }
        } else {
            latency.record(tracks[0], now - stamps[Stage.EMIT.ordinal()]);
        }
        batch++;
        return true;
    }

    private void recordCritical(Frame frame) {
        long[] stamps = frame.stampNs;
        long ingest = stamps[Stage.INGEST.ordinal()];
        latency.record(tracks[Stage.INGEST.ordinal()], ingest - Math.round(frame.acquisitionTimeS * 1e9));
        for (int s = Stage.INGEST.ordinal() + 1; s < Stage.COUNT; s++) {
            latency.record(tracks[s], stamps[s] - stamps[s - 1]);
        }
        latency.record(endToEndTrack, stamps[Stage.EMIT.ordinal()] - ingest);
    }

    @Override
    public void onClose() {
        handler.onClose();
    }

    @Override
    public String roleName() {
        return name;
    }
}
