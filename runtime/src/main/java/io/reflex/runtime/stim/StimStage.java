package io.reflex.runtime.stim;

import io.reflex.decoders.DecodeStatus;
import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.pipeline.OutputSink;
import io.reflex.runtime.time.NanoClock;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimController;
import io.reflex.stim.StimFault;
import io.reflex.stim.StimLink;
import io.reflex.stim.StimWatchdog;
import io.reflex.stim.policy.StimPolicy;

/**
 * The closed loop's stimulation stage, an {@link OutputSink} on the emit thread (which owns the
 * {@link StimController}). For every frame: the frame is the pipeline's heartbeat for the watchdog; a fresh decode
 * (status OK, not the safe output) is the decoder's output; a frame that missed its deadline latches a fault
 * (stimulation stops on any doubt); otherwise the policy may propose a command, which goes through the controller
 * (envelope, write-ahead journal, driver) with the frame's deadline and the acquisition time of its bin (the
 * controller refuses the command, right before the write, when that input has grown older than its bound).
 * Allocation-free per frame.
 *
 * <p>A frame that arrives later than the watchdog's heartbeat timeout after the previous one, while armed, latches a
 * {@link StimFault#WATCHDOG} fault on this thread before anything else is done with it; the watchdog's own thread
 * covers a pipeline that produces no frame at all.
 *
 * <p><b>Arming never waits on the stimulator.</b> With auto-arming, a fresh frame that finds the stimulator link
 * down asks the link to connect ({@link StimLink#requestConnect()}, done on the driver's own thread within its
 * deadline) and goes on; the stage arms on the first fresh frame after the link is up. A failed attempt is
 * reported through the controller (arm refused, with the link's alarm) and retried, {@value #AUTO_ARM_ATTEMPTS}
 * attempts in all.
 */
public final class StimStage implements OutputSink {
    private final StimController controller;
    private final StimWatchdog watchdog;
    private final StimPolicy policy;
    private final NanoClock clock;
    private final String autoArmReason;
    private final StimLink link;
    private final StimCommand command = new StimCommand();
    /** Auto-arming (a connection attempt, then arming) is tried this many times at most. */
    static final int AUTO_ARM_ATTEMPTS = 3;
    private int armAttempts;
    private boolean autoArmed;
    private volatile long proposals;
    private volatile long deadlineMisses;
    private volatile long frames;
    private volatile long lateHeartbeats;
    private final long heartbeatTimeoutNs;
    /** Set from any thread by {@link #requestShutdown}; read once per frame. */
    private volatile String shutdownReason;

    /**
     * @param autoArmReason when not null, the stage arms the controller, with this reason, at the first fresh
     *                      decoder output with the link up (the demo; {@value #AUTO_ARM_ATTEMPTS} attempts at
     *                      most, never again after one succeeded); null leaves arming to the operator
     * @param link          the stimulator link to open before auto-arming (its heartbeats ride on the frames, so
     *                      it is opened when stimulation is about to start); null when the driver is always
     *                      connected
     */
    public StimStage(StimController controller, StimWatchdog watchdog, StimPolicy policy, NanoClock clock,
                     String autoArmReason, StimLink link) {
        this.link = link;
        this.controller = controller;
        this.watchdog = watchdog;
        this.policy = policy;
        this.clock = clock;
        this.autoArmReason = autoArmReason;
        this.heartbeatTimeoutNs = watchdog.context().heartbeatTimeoutNs();
    }

    @Override
    public String name() {
        return "stim";
    }

    @Override
    public void emit(Frame frame) {
        final long now = clock.nanoTime();
        frames++;
        final long heartbeatGapNs = watchdog.heartbeat(now);
        if (heartbeatGapNs > heartbeatTimeoutNs && controller.isArmed()) {
            // Judged here as well as on the watchdog's thread: after a stop of the whole process this thread may
            // run first, and its heartbeat would hide the gap from the watchdog.
            lateHeartbeats++;
            controller.fault(StimFault.WATCHDOG, "pipeline heartbeat late: " + heartbeatGapNs / 1000
                    + " us since the previous frame, bound " + heartbeatTimeoutNs / 1000
                    + " us (seen by the pipeline thread)");
        }
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
                armingFrame = autoArm();
            }
        }
        controller.doWork();
        // Nothing is proposed in the frame that armed: the first command follows on the next fresh decode.
        if (fresh && !armingFrame && policy.evaluate(clock.nanoTime(), frame.output, frame.output.length, command)) {
            proposals++;
            command.inputTimeNs(inputTimeNs(frame));
            controller.submit(command, frame.deadlineNs);
        }
    }

    /**
     * One step of auto-arming, never blocking: ask for the link, or wait for it, or arm once it is up. Only until
     * the first success: after a fault, re-arming is the operator's decision.
     *
     * @return true when this frame armed (or tried to)
     */
    private boolean autoArm() {
        final int state = link == null ? StimLink.LINK_UP : link.linkState();
        switch (state) {
            case StimLink.LINK_DOWN -> {
                link.requestConnect();
                return false;
            }
            case StimLink.LINK_CONNECTING -> {
                return false;
            }
            case StimLink.LINK_FAILED -> {
                // Counted as an attempt; arm() refuses with the link's alarm, journaled and reported.
                armAttempts++;
                controller.arm(autoArmReason);
                if (armAttempts < AUTO_ARM_ATTEMPTS) {
                    link.requestConnect();
                }
                return false;
            }
            default -> {
                armAttempts++;
                autoArmed = controller.arm(autoArmReason);
                return true;
            }
        }
    }

    /** The acquisition time of the frame's newest sample on the pipeline clock, ns (unknown when not finite). */
    static long inputTimeNs(Frame frame) {
        final double s = frame.acquisitionTimeS;
        return Double.isFinite(s) && s > 0 ? Math.round(s * 1e9) : StimCommand.NO_INPUT_TIME;
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

    /** Frames that came later than the watchdog's heartbeat timeout after the previous one while armed. */
    public long lateHeartbeats() {
        return lateHeartbeats;
    }

    /** Frames seen. */
    public long frames() {
        return frames;
    }
}
