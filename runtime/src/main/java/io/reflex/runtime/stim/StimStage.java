package io.reflex.runtime.stim;

import io.reflex.decoders.DecodeStatus;
import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.pipeline.OutputSink;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimController;
import io.reflex.stim.StimFault;
import io.reflex.stim.StimLink;
import io.reflex.stim.StimWatchdog;
import io.reflex.stim.policy.StimPolicy;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.agrona.concurrent.NanoClock;

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
 *
 * <p><b>Operator arming</b> ({@link #requestArm}, e.g. from the control API) is handed to this thread the same way:
 * the request waits in one atomic slot, the next frame that did not miss its deadline takes it up, asks for the
 * link when it is down, and arms once it is up; the outcome (armed, or the controller's refusal) completes the
 * request's future on this thread. The requesting thread waits on that future, never the pipeline.
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
    /** The operator's pending arm request, set by any thread, taken up and cleared by the emit thread. */
    private final AtomicReference<ArmRequest> operatorArm = new AtomicReference<>();

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
            refuseOperatorArm("the run is stopping: " + shutdown);
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
        final ArmRequest arm = operatorArm.get();
        if (arm != null) {
            armingFrame |= operatorArm(arm, now);
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

    /**
     * One step of an operator's arm request, never blocking: drop it when withdrawn or expired, ask for the link when
     * it is down, wait while it connects, then arm (or let the controller refuse, journaled with its reason) and
     * complete the request.
     *
     * @return true when this frame armed (or tried to)
     */
    private boolean operatorArm(ArmRequest r, long now) {
        if (r.claimed.get()) {
            operatorArm.compareAndSet(r, null);
            return false;
        }
        if (now - r.expiresNs > 0) {
            finish(r, "no stimulator link within the arm request's time; not armed");
            return false;
        }
        if (controller.isArmed()) {
            finish(r, null);
            return false;
        }
        // A latched fault refuses at once (arm() says why): no link is opened for a request that cannot arm.
        final int state = link == null || controller.faultCode() != StimFault.NONE ? StimLink.LINK_UP
                : link.linkState();
        if (state == StimLink.LINK_CONNECTING) {
            return false;
        }
        if (state == StimLink.LINK_DOWN || (state == StimLink.LINK_FAILED && !r.connectRequested)) {
            r.connectRequested = true;
            link.requestConnect();
            return false;
        }
        // Link up, or failed on this request's own attempt (arm() then refuses with the link's alarm).
        if (!r.claimed.compareAndSet(false, true)) {
            operatorArm.compareAndSet(r, null);
            return false;
        }
        final boolean armed = controller.arm(r.reason);
        operatorArm.compareAndSet(r, null);
        r.outcome.complete(armed ? null : String.valueOf(controller.lastRefusal()));
        return true;
    }

    private void finish(ArmRequest r, String refusal) {
        if (r.claimed.compareAndSet(false, true)) {
            r.outcome.complete(refusal);
        }
        operatorArm.compareAndSet(r, null);
    }

    private void refuseOperatorArm(String why) {
        final ArmRequest r = operatorArm.get();
        if (r != null) {
            finish(r, why);
        }
    }

    /**
     * Asks the emit thread to arm the controller with {@code reason} (an operator's explicit action), opening the
     * stimulator link first when it is down. Any thread; never blocks. A request still pending is withdrawn (its
     * outcome: superseded). The request is given up, unarmed, when no frame has armed it within {@code timeoutNs}.
     *
     * @return the request; its {@link ArmRequest#outcome()} completes on the emit thread with null when armed, else
     *         the refusal
     */
    public ArmRequest requestArm(String reason, long timeoutNs) {
        ArmRequest r = new ArmRequest(reason, clock.nanoTime() + timeoutNs);
        ArmRequest old = operatorArm.getAndSet(r);
        if (old != null && old.withdraw()) {
            old.outcome.complete("superseded by a later arm request");
        }
        return r;
    }

    /**
     * Withdraws a pending operator arm request, if any (a disarm does, so that nothing is armed after it).
     *
     * @return the request when the emit thread is arming on it right now (it could not be withdrawn: a disarm must
     *         wait for its outcome before it is queued, or it would be applied before the arm), else null
     */
    public ArmRequest withdrawArm(String why) {
        ArmRequest r = operatorArm.get();
        if (r == null) {
            return null;
        }
        if (r.withdraw()) {
            r.outcome.complete(why);
            return null;
        }
        return r.outcome.isDone() ? null : r;
    }

    /** An operator's arm request, handed from the requesting thread to the emit thread. */
    public static final class ArmRequest {
        private final String reason;
        private final long expiresNs;
        /** Taken by exactly one side: the emit thread (to arm or refuse) or the requester (to withdraw). */
        private final AtomicBoolean claimed = new AtomicBoolean();
        private final CompletableFuture<String> outcome = new CompletableFuture<>();
        /** Emit thread only: this request asked for the link once already. */
        private boolean connectRequested;

        ArmRequest(String reason, long expiresNs) {
            this.reason = reason;
            this.expiresNs = expiresNs;
        }

        /** Completes on the emit thread: null when armed, else why not. */
        public CompletableFuture<String> outcome() {
            return outcome;
        }

        /**
         * Withdraws the request unless the emit thread has taken it up already (then its outcome follows shortly).
         *
         * @return true when withdrawn: it will never arm
         */
        public boolean withdraw() {
            return claimed.compareAndSet(false, true);
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
