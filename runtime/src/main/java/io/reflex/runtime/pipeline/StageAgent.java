package io.reflex.runtime.pipeline;

import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.Sequence;
import io.reflex.runtime.agent.Agent;
import io.reflex.runtime.agent.ErrorHandler;
import io.reflex.runtime.time.NanoClock;

/**
 * Polls one Disruptor consumer sequence and runs a {@link FrameHandler} on each frame. For a critical stage it
 * stamps the frame and records the stage latency (since the previous stage's stamp); for an observer it records
 * the lag behind emit.
 */
final class StageAgent implements Agent, EventPoller.Handler<Frame> {
    private final String name;
    private final EventPoller<Frame> poller;
    private final FrameHandler handler;
    private final Stage stage;
    private final NanoClock clock;
    private final LatencyStats latency;
    private final int track;
    private final int endToEndTrack;
    private final Counter errors;
    private final ErrorHandler errorHandler;
    private int batch;

    /**
     * @param stage         the critical stage, or null for an observer
     * @param endToEndTrack latency track for ingest-to-emit (used by the EMIT stage only), or -1
     */
    StageAgent(String name, EventPoller<Frame> poller, FrameHandler handler, Stage stage, NanoClock clock,
               LatencyStats latency, int track, int endToEndTrack, Counter errors, ErrorHandler errorHandler) {
        this.name = name;
        this.poller = poller;
        this.handler = handler;
        this.stage = stage;
        this.clock = clock;
        this.latency = latency;
        this.track = track;
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
            handler.onFrame(frame);
        } catch (Exception | Error e) {
            // Errors too (an InternalError from a fault in mapped memory): the frame moves on, the thread lives.
            errors.increment();
            errorHandler.onError(name, e);
        }
        long now = clock.nanoTime();
        long[] stamps = frame.stampNs;
        if (stage != null) {
            int s = stage.ordinal();
            stamps[s] = now;
            latency.record(track, now - stamps[s - 1]);
            if (endToEndTrack >= 0) {
                latency.record(endToEndTrack, now - stamps[Stage.INGEST.ordinal()]);
            }
        } else {
            latency.record(track, now - stamps[Stage.EMIT.ordinal()]);
        }
        batch++;
        return true;
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
