package io.reflex.runtime.pipeline;

/**
 * Where a frame's output command goes: an LSL outlet, a stimulator, a cursor. The emit stage calls every sink in
 * order on its thread for every frame, with {@link Frame#output} already final (the safe output when the
 * deadline passed or the input was bad). Must not block or allocate in steady state.
 */
public interface OutputSink {

    /** Short name for reports. */
    String name();

    /** Called once on the emit thread before the first frame. */
    default void onStart() {
    }

    /** Sends the frame's output; exceptions are counted as stage errors and the next sink still runs. */
    void emit(Frame frame) throws Exception;

    /** Called once on the emit thread after the last frame. */
    default void onClose() {
    }
}
