package io.reflex.stim;

import java.util.concurrent.atomic.AtomicLong;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * Stops stimulation when the pipeline's heartbeat or the decoder's output is late. An agent: its owner (a thread
 * of its own, so that it keeps running when the pipeline stalls) calls {@link #doWork()} at least every
 * {@code pollIntervalNs}.
 *
 * <p>The pipeline calls {@link #onHeartbeat(long)} every frame and {@link #onDecoderOutput(long)} every decoded
 * bin, from any thread, allocation-free. While the controller is armed, if either is older than its timeout the
 * watchdog {@linkplain StimController#trip trips} the controller: the driver's link is aborted at once and a
 * {@link StimFault#WATCHDOG} fault latches. Stimulation therefore stops at most
 * {@link #boundNs()} = max(timeouts) + pollIntervalNs after the last on-time signal.
 *
 * <p>It is also an {@link ArmInterlock}: arming is refused while either signal is stale.
 */
public final class StimWatchdog implements ArmInterlock, Agent {
    private final Context ctx;
    private final NanoClock clock;
    private final AtomicLong lastHeartbeatNs = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong lastDecoderNs = new AtomicLong(Long.MIN_VALUE);
    private StimController controller;
    private boolean tripped;
    private long trips;
    private long lastTripAtNs = Long.MIN_VALUE;

    private StimWatchdog(Context ctx) {
        this.ctx = ctx;
        this.clock = ctx.clock;
    }

    /** Attaches the controller to trip (set once, before the first {@link #doWork()}). */
    public StimWatchdog controller(StimController controller) {
        this.controller = controller;
        return this;
    }

    /** Agent name. */
    @Override
    public String roleName() {
        return "stim-watchdog";
    }

    /** The pipeline is alive at {@code nowNs} (any thread). */
    public void onHeartbeat(long nowNs) {
        lastHeartbeatNs.lazySet(nowNs);
    }

    /**
     * The pipeline is alive at {@code nowNs}: records the heartbeat like {@link #onHeartbeat} and returns the gap
     * since the previous one, ns (0 for the first). For the thread that owns the controller, which compares the gap
     * with {@link Context#heartbeatTimeoutNs()} itself: when the whole process was stopped (SIGSTOP, a VM pause)
     * every thread resumes at once, and if the pipeline thread runs first its heartbeat would hide the gap from
     * this watchdog's own thread. Allocation-free.
     */
    public long heartbeat(long nowNs) {
        final long previous = lastHeartbeatNs.getAndSet(nowNs);
        return previous == Long.MIN_VALUE ? 0 : nowNs - previous;
    }

    /** The decoder produced an output at {@code nowNs} (any thread). */
    public void onDecoderOutput(long nowNs) {
        lastDecoderNs.lazySet(nowNs);
    }

    /**
     * Checks both signals; trips the controller if it is armed and a signal is late.
     *
     * @return 1 if it tripped now, else 0
     */
    public int doWork() {
        final long now = clock.nanoTime();
        final int late = lateSignal(now);
        if (late == ON_TIME) {
            tripped = false;
            return 0;
        }
        if (tripped || controller == null || !controller.isArmed()) {
            return 0;
        }
        tripped = true;
        trips++;
        lastTripAtNs = now;
        controller.trip(StimFault.WATCHDOG, describe(late, now));
        return 1;
    }

    @Override
    public String refusal(long nowNs) {
        int late = lateSignal(nowNs);
        return late == ON_TIME ? null : "watchdog: " + describe(late, nowNs);
    }

    /** Times the watchdog tripped. */
    public long trips() {
        return trips;
    }

    /** Clock time of the latest trip, or {@code Long.MIN_VALUE}. */
    public long lastTripAtNs() {
        return lastTripAtNs;
    }

    /** Worst-case time from the last on-time signal to stopped stimulation. */
    public long boundNs() {
        return Math.max(ctx.heartbeatTimeoutNs, ctx.decoderTimeoutNs) + ctx.pollIntervalNs;
    }

    /** The concluded configuration. */
    public Context context() {
        return ctx;
    }

    private static final int ON_TIME = 0;
    private static final int NO_HEARTBEAT = 1;
    private static final int HEARTBEAT_LATE = 2;
    private static final int NO_DECODER_OUTPUT = 3;
    private static final int DECODER_LATE = 4;

    /** Allocation-free classification; the message is only built when it is needed. */
    private int lateSignal(long now) {
        long hb = lastHeartbeatNs.get();
        if (hb == Long.MIN_VALUE) {
            return NO_HEARTBEAT;
        }
        if (now - hb > ctx.heartbeatTimeoutNs) {
            return HEARTBEAT_LATE;
        }
        long dec = lastDecoderNs.get();
        if (dec == Long.MIN_VALUE) {
            return NO_DECODER_OUTPUT;
        }
        if (now - dec > ctx.decoderTimeoutNs) {
            return DECODER_LATE;
        }
        return ON_TIME;
    }

    private String describe(int late, long now) {
        return switch (late) {
            case NO_HEARTBEAT -> "no pipeline heartbeat yet";
            case HEARTBEAT_LATE -> "pipeline heartbeat late: " + (now - lastHeartbeatNs.get()) / 1000
                    + " us since the last one, bound " + ctx.heartbeatTimeoutNs / 1000 + " us (no frame came through:"
                    + " the source sent no samples, or the pipeline stalled)";
            case NO_DECODER_OUTPUT -> "no decoder output yet";
            case DECODER_LATE -> "decoder output late: " + (now - lastDecoderNs.get()) / 1000
                    + " us since the last one, bound " + ctx.decoderTimeoutNs / 1000 + " us";
            default -> "on time";
        };
    }

    /** Configuration of a {@link StimWatchdog}. */
    public static final class Context {
        private NanoClock clock = SystemNanoClock.INSTANCE;
        private long heartbeatTimeoutNs = 50_000_000L;
        private long decoderTimeoutNs = 50_000_000L;
        private long pollIntervalNs = 1_000_000L;
        private boolean concluded;

        /** Clock (default {@link SystemNanoClock}). */
        public Context clock(NanoClock v) {
            clock = v;
            return this;
        }

        /** Longest allowed gap between pipeline heartbeats (default 50 ms; 100 us .. 10 s). */
        public Context heartbeatTimeoutNs(long v) {
            heartbeatTimeoutNs = v;
            return this;
        }

        /** Longest allowed gap between decoder outputs (default 50 ms; 100 us .. 10 s). */
        public Context decoderTimeoutNs(long v) {
            decoderTimeoutNs = v;
            return this;
        }

        /** Longest gap between two calls of doWork by its owner (default 1 ms; 10 us .. 1 s). */
        public Context pollIntervalNs(long v) {
            pollIntervalNs = v;
            return this;
        }

        public long heartbeatTimeoutNs() {
            return heartbeatTimeoutNs;
        }

        public long decoderTimeoutNs() {
            return decoderTimeoutNs;
        }

        public long pollIntervalNs() {
            return pollIntervalNs;
        }

        /** Validates and builds the watchdog. Runs once. */
        public StimWatchdog conclude() {
            if (concluded) {
                throw new IllegalStateException("StimWatchdog.Context.conclude() already ran");
            }
            if (clock == null) {
                throw new IllegalArgumentException("stim watchdog: clock must be set");
            }
            range("heartbeatTimeoutNs", heartbeatTimeoutNs, 100_000L, 10_000_000_000L);
            range("decoderTimeoutNs", decoderTimeoutNs, 100_000L, 10_000_000_000L);
            range("pollIntervalNs", pollIntervalNs, 10_000L, 1_000_000_000L);
            concluded = true;
            return new StimWatchdog(this);
        }

        private static void range(String field, long v, long lo, long hi) {
            if (v < lo || v > hi) {
                throw new IllegalArgumentException("stim watchdog: " + field + " must be in [" + lo + ", " + hi
                        + "], was " + v);
            }
        }
    }
}
