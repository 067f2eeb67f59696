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
    private boolean armAttempted;
    private volatile long proposals;
    private volatile long deadlineMisses;
    private volatile long frames;

    /**
     * @param autoArmReason when not null, the stage arms the controller once, with this reason, at the first fresh
     *                      decoder output (the demo); null leaves arming to the operator
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
        if (frame.hasFlag(Frame.FLAG_DEADLINE_MISS)) {
            deadlineMisses++;
            if (controller.isArmed()) {
                controller.fault(StimFault.DEADLINE_MISS, "frame " + frame.sequence + " missed its deadline");
            }
            controller.doWork();
            return;
        }
        final boolean fresh = frame.decodeStatus == DecodeStatus.OK && !frame.hasFlag(Frame.FLAG_SAFE_OUTPUT)
                && frame.decoderGeneration > 0;
        if (fresh) {
            watchdog.onDecoderOutput(now);
            if (autoArmReason != null && !armAttempted) {
                armAttempted = true;
                if (beforeArm != null) {
                    beforeArm.run();
                }
                controller.arm(autoArmReason);
            }
        }
        controller.doWork();
        if (fresh && policy.evaluate(now, frame.output, frame.output.length, command)) {
            proposals++;
            controller.submit(command, frame.deadlineNs);
        }
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
