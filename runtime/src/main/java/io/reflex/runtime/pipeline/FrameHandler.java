package io.reflex.runtime.pipeline;

/**
 * Processes one frame on a pipeline thread. Used for the critical stages and for observers (journal, calibration
 * recorder, scoring) that run after emit, off the critical path. Must not allocate in steady state; an exception
 * is reported to the pipeline's error handler and counted, and the frame moves on.
 */
@FunctionalInterface
public interface FrameHandler {

    /** Called once on the handler's thread before the first frame. */
    default void onStart() {
    }

    void onFrame(Frame frame) throws Exception;

    /** Called once on the handler's thread after the last frame. */
    default void onClose() {
    }
}
