package io.reflex.runtime.stim;

import io.reflex.decoders.DecodeStatus;
import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.pipeline.OutputSink;
import io.reflex.runtime.time.NanoClock;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimController;
import io.reflex.stim.StimFault;
import io.reflex.stim.StimWatchdog;
import io.reflex.stim.policy.StimPolicy;

/**
 * The closed loop's stimulation stage, an {@link OutputSink} on the emit thread (which owns the
 * {@link StimController}). For every frame: the frame is the pipeline's heartbeat for the watchdog; a fresh decode
 * (status OK, not the safe output) is the decoder's output; a frame that missed its deadline latches a fault
 * (stimulation stops on any doubt); otherwise the policy may propose a command, which goes through the controller
 * (envelope, write-ahead journal, driver) with the frame's deadline. Allocation-free per frame.
 */
public final class StimStage implements OutputSink {
    private final StimController controller;
    private final StimWatchdog watchdog;
    private final StimPolicy policy;
    private final NanoClock clock;
    private final String autoArmReason;
    private final Runnable beforeArm;
    private final StimCommand command = new StimCommand();
    /** Auto-arming is retried on this many fresh frames (opening the link may outlast a watchdog timeout). */
    static final int AUTO_ARM_ATTEMPTS = 3;
    private int armAttempts;
    private boolean autoArmed;
    private volatile long proposals;
    private volatile long deadlineMisses;
    private volatile long frames;
    /** Set from any thread by {@link #requestShutdown}; read once per frame. */
    private volatile String shutdownReason;

    /**
     * @param autoArmReason when not null, the stage arms the controller, with this reason, at the first fresh
     *                      decoder output (the demo; retried on the next {@value #AUTO_ARM_ATTEMPTS} fresh frames
     *                      at most, never again after it once succeeded); null leaves arming to the operator
     * @param beforeArm     run on the stage's thread just before that arming (e.g. open the stimulator link, so
     *                      that its heartbeats start with the frames that carry them); may be null
     */
    public StimStage(StimController controller, StimWatchdog watchdog, StimPolicy policy, NanoClock clock,
                     String autoArmReason, Runnable beforeArm) {
        this.beforeArm = beforeArm;
        this.controller = controller;
        this.watchdog = watchdog;
        this.policy = policy;
        this.clock = clock;
        this.autoArmReason = autoArmReason;
    }

    @Override
    public String name() {
        return "stim";
    }

    @Override
    public void emit(Frame frame) {
        final long now = clock.nanoTime();
        frames++;
        watchdog.onHeartbeat(now);
        final String shutdown = shutdownReason;
        if (shutdown != null) {
            // Stopping: nothing is proposed or armed again; the first frame after the request disarms (stop-all).
            controller.disarm(shutdown);
            controller.doWork();
            return;
        }
        if (frame.hasFlag(Frame.FLAG_DEADLINE_MISS)) {
            deadlineMisses++;
            if (controller.isArmed()) {
                controller.fault(StimFault.DEADLINE_MISS, "frame " + frame.sequence + " missed its deadline");
            }
            controller.doWork();
            return;
        }
        boolean armingFrame = false;
        final boolean fresh = frame.decodeStatus == DecodeStatus.OK && !frame.hasFlag(Frame.FLAG_SAFE_OUTPUT)
                && frame.decoderGeneration > 0;
        if (fresh) {
            watchdog.onDecoderOutput(now);
            if (autoArmReason != null && !autoArmed && armAttempts < AUTO_ARM_ATTEMPTS) {
                armingFrame = true;
                // Only until the first success: after a fault, re-arming is the operator's decision.
                armAttempts++;
                if (beforeArm != null) {
                    beforeArm.run();
                }
                autoArmed = controller.arm(autoArmReason);
            }
        }
        controller.doWork();
        // Decide on a fresh reading: arming may have opened the stimulator link in between, and a trigger time
        // computed from a stale clock would fall in the past (and be refused).
        // Nothing is proposed in a frame that opened the link and armed: that frame's time budget is spent.
        if (fresh && !armingFrame && policy.evaluate(clock.nanoTime(), frame.output, frame.output.length, command)) {
            proposals++;
            controller.submit(command, frame.deadlineNs);
        }
    }

    /**
     * Stops stimulation from any thread (e.g. a SIGTERM hook) before the pipeline is drained: the next frame
     * disarms the controller with this reason (a stop-all goes to the stimulator and the reason to the journal) and
     * no later frame proposes or arms. {@link #onClose()} disarms too, should no frame come.
     */
    public void requestShutdown(String reason) {
        shutdownReason = reason == null || reason.isBlank() ? "shutdown" : reason;
        controller.requestDisarm(shutdownReason);
    }

    /** Whether {@link #requestShutdown} was called. */
    public boolean shutdownRequested() {
        return shutdownReason != null;
    }

    @Override
    public void onClose() {
        controller.disarm("session end");
        controller.doWork();
    }

    /** Commands the policy proposed. */
    public long proposals() {
        return proposals;
    }

    /** Frames that reached the stage after their deadline. */
    public long deadlineMisses() {
        return deadlineMisses;
    }

    /** Frames seen. */
    public long frames() {
        return frames;
    }
}
