package io.reflex.runtime.pipeline;

import io.reflex.runtime.agent.ErrorHandler;
import org.agrona.concurrent.NanoClock;

/**
 * Hands the output to every sink, unless the deadline has passed: then the safe output leaves instead (a late
 * command never does).
 */
final class EmitStage implements FrameHandler {
    private final NanoClock clock;
    private final PipelineCounters counters;
    private final OutputSink[] sinks;
    private final ErrorHandler errorHandler;

    EmitStage(NanoClock clock, PipelineCounters counters, OutputSink[] sinks, ErrorHandler errorHandler) {
        this.clock = clock;
        this.counters = counters;
        this.sinks = sinks;
        this.errorHandler = errorHandler;
    }

    @Override
    public void onStart() {
        for (OutputSink s : sinks) {
            s.onStart();
        }
    }

    @Override
    public void onFrame(Frame frame) {
        if ((frame.flags & Frame.FLAG_DEADLINE_MISS) == 0 && clock.nanoTime() > frame.deadlineNs) {
            counters.emitDeadlineMisses.increment();
            frame.flags |= Frame.FLAG_DEADLINE_MISS | Frame.FLAG_SAFE_OUTPUT;
            System.arraycopy(frame.safeOutput, 0, frame.output, 0, frame.output.length);
        }
        if ((frame.flags & Frame.FLAG_SAFE_OUTPUT) != 0) {
            counters.safeOutputs.increment();
        }
        for (OutputSink s : sinks) {
            try {
                s.emit(frame);
            } catch (Exception | Error e) {
                counters.stageErrors.increment();
                errorHandler.onError("sink " + s.name(), e);
            }
        }
        counters.framesOut.increment();
    }

    @Override
    public void onClose() {
        for (OutputSink s : sinks) {
            s.onClose();
        }
    }
}
