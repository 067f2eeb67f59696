package io.reflex.stim;

import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * The stimulation interlock: a state machine DISARMED &rarr; ARMED &rarr; ACTIVE through which every command must
 * pass on its way to the {@link StimulatorDriver}.
 *
 * <ul>
 *   <li>DISARMED: nothing is sent. {@link #arm(String)} (an explicit action with a reason) moves to ARMED if no
 *       fault is latched, the driver is connected and every {@link ArmInterlock} agrees.</li>
 *   <li>ARMED: commands inside the {@link SafetyEnvelope} are journaled, then sent; the first one moves to
 *       ACTIVE.</li>
 *   <li>ACTIVE: a train is (or may be) running; when every issued train has ended, back to ARMED.</li>
 * </ul>
 * Any fault (e-stop, watchdog, journal failure, link loss, missed deadline) sends a stop-all, moves to DISARMED and
 * <em>latches</em>: arming is refused until {@link #reset(String)}.
 *
 * <p>Order for every submitted command: verdict (state, deadline, input freshness, then envelope) &rarr; journal
 * record &rarr; (accepted only) envelope commit &rarr; freshness checked again &rarr; driver send. A journal failure
 * latches a fault before anything is sent. Every stop-all is journaled with its sequence number before it is sent.
 *
 * <p><b>Threads.</b> One owning thread calls {@link #submit}, {@link #doWork}, {@link #arm}, {@link #disarm},
 * {@link #reset}. Other threads use {@link #requestArm}, {@link #requestDisarm}, {@link #requestReset} (queued and
 * applied by the owner) and {@link #estop}/{@link #trip}, which latch at the owner's next call and abort the
 * driver's link at once from the calling thread. Counters are written by the owner; other threads read them as
 * plain (possibly slightly stale) values.
 */
public final class StimController {
    /** Nothing is sent. */
    public static final int DISARMED = 0;
    /** Commands inside the envelope are sent. */
    public static final int ARMED = 1;
    /** A train has been issued and may still be running. */
    public static final int ACTIVE = 2;

    private final Context ctx;
    private final SafetyEnvelope envelope;
    private final StimJournal journal;
    private final StimulatorDriver driver;
    private final NanoClock clock;
    private final ErrorHandler errorHandler;
    private final ArmInterlock[] interlocks;

    private final AtomicReference<Request> pendingFault = new AtomicReference<>();
    private final ConcurrentLinkedQueue<Request> requests = new ConcurrentLinkedQueue<>();

    private volatile int state = DISARMED;
    private volatile int faultCode = StimFault.NONE;
    /** The current fault was told as a fault already (by a trip, a request or its latch); cleared by a reset. */
    private volatile boolean faultTold;
    private volatile String faultReason;
    private volatile String lastRefusal;
    private long sequence;
    private long activeUntilNs;
    private boolean driverWasConnected;

    private long issued;
    private final long[] verdictCounts = new long[StimVerdict.COUNT];
    private final long[] faultCounts = new long[StimFault.COUNT];
    private long sendFailures;
    private long journalFailures;
    private long stopAllSent;
    private long staleAtSend;
    private final long maxInputAgeNs;

    private StimController(Context ctx) {
        this.ctx = ctx;
        this.envelope = ctx.envelope;
        this.journal = ctx.journal;
        this.driver = ctx.driver;
        this.clock = ctx.clock;
        this.errorHandler = ctx.errorHandler;
        this.interlocks = ctx.interlocks;
        this.maxInputAgeNs = ctx.maxInputAgeNs;
        this.driverWasConnected = driver.isConnected();
    }

    /** The concluded configuration. */
    public Context context() {
        return ctx;
    }

    // ---------------------------------------------------------------- owner thread

    /** Submits a command with no deadline; see {@link #submit(StimCommand, long)}. */
    public int submit(StimCommand command) {
        return submit(command, Long.MAX_VALUE);
    }

    /**
     * Decides on, journals and (if accepted) sends one command. Allocation-free. A command is sent only when the
     * controller is ARMED or ACTIVE, no fault is latched, the deadline has not passed, its input is fresh, the
     * envelope accepts it and its journal record was written.
     *
     * <p><b>Freshness.</b> The command's {@link StimCommand#inputTimeNs()} (acquisition time of the newest input
     * sample it was decided on) must lie within {@code maxInputAgeNs} of the clock, both when the verdict is reached
     * and again right before the write to the driver, after the journal record: a thread stopped between decision
     * and send (SIGSTOP, a page fault in the journal, a descheduled VM) cannot send a command decided on stale data.
     * A refusal is journaled ({@link StimVerdict#STALE_INPUT}; a command already recorded as accepted is recorded
     * again with that verdict), counted, and latches a {@link StimFault#STALE_INPUT} fault. This check runs on the
     * sending thread and does not depend on the watchdog's thread being scheduled.
     *
     * @param deadlineNs latest time at which the command may still be sent; past it the command is refused and a
     *                   {@link StimFault#DEADLINE_MISS} fault latches ({@code Long.MAX_VALUE}: none)
     * @return {@link StimVerdict#ACCEPTED} when sent, else the reason it was not
     */
    public int submit(StimCommand command, long deadlineNs) {
        applyPending();
        final long now = clock.nanoTime();
        final long seq = ++sequence;
        int verdict;
        if (faultCode != StimFault.NONE) {
            verdict = StimVerdict.FAULT_LATCHED;
        } else if (state == DISARMED) {
            verdict = StimVerdict.NOT_ARMED;
        } else if (now > deadlineNs) {
            verdict = StimVerdict.DEADLINE_MISSED;
        } else if (!fresh(command, now)) {
            verdict = StimVerdict.STALE_INPUT;
        } else if (!driver.isConnected()) {
            linkLost(now);
            verdict = StimVerdict.FAULT_LATCHED;
        } else {
            verdict = envelope.check(command, now);
        }
        if (journal.recordCommand(seq, now, command, verdict) != StimJournal.OK) {
            journalFailures++;
            verdictCounts[StimVerdict.JOURNAL_FAILED]++;
            latch(now, StimFault.JOURNAL, "journal failed to record command " + seq + "; nothing was sent");
            return StimVerdict.JOURNAL_FAILED;
        }
        if (verdict != StimVerdict.ACCEPTED) {
            verdictCounts[verdict]++;
            if (verdict == StimVerdict.DEADLINE_MISSED) {
                latch(now, StimFault.DEADLINE_MISS, "command " + seq + " missed its deadline by "
                        + (now - deadlineNs) + " ns");
            } else if (verdict == StimVerdict.STALE_INPUT) {
                latch(now, StimFault.STALE_INPUT, staleReason(seq, command, now, "when judged"));
            }
            return verdict;
        }
        envelope.commit(command);
        // The last clock reading before the write: nothing that can block (journal, envelope) lies between it and
        // the driver's non-blocking send.
        final long sendNs = clock.nanoTime();
        if (!fresh(command, sendNs)) {
            return refuseAtSend(seq, command, sendNs);
        }
        final int rc = driver.send(seq, command);
        if (rc != StimulatorDriver.OK) {
            sendFailures++;
            latch(now, StimFault.DRIVER, "stimulator send failed (code " + rc + ") for command " + seq + ": "
                    + driver.alarm());
            return StimVerdict.FAULT_LATCHED;
        }
        issued++;
        verdictCounts[StimVerdict.ACCEPTED]++;
        activeUntilNs = Math.max(activeUntilNs, envelope.acceptedEndNs());
        if (state == ARMED) {
            state = ACTIVE;
            recordEvent(now, StimEvent.ACTIVE, 0, "train issued");
        }
        return StimVerdict.ACCEPTED;
    }

    /** Input within {@code maxInputAgeNs} of {@code nowNs}, in either direction (a future time is doubtful too). */
    private boolean fresh(StimCommand command, long nowNs) {
        final long input = command.inputTimeNs();
        if (input == StimCommand.NO_INPUT_TIME) {
            return false;
        }
        final long age = nowNs - input;
        return age <= maxInputAgeNs && age >= -maxInputAgeNs;
    }

    /** The command was journaled as accepted, then found stale right before the write: record the refusal. */
    private int refuseAtSend(long seq, StimCommand command, long sendNs) {
        staleAtSend++;
        verdictCounts[StimVerdict.STALE_INPUT]++;
        if (journal.recordCommand(seq, sendNs, command, StimVerdict.STALE_INPUT) != StimJournal.OK) {
            journalFailures++;
            alarm(true, "journal failed to record the send-time refusal of command " + seq);
        }
        latch(sendNs, StimFault.STALE_INPUT, staleReason(seq, command, sendNs, "at the send check, after its"
                + " journal record"));
        return StimVerdict.STALE_INPUT;
    }

    private String staleReason(long seq, StimCommand command, long nowNs, String when) {
        long input = command.inputTimeNs();
        String age = input == StimCommand.NO_INPUT_TIME ? "input time unknown"
                : nowNs - input < 0 ? "input time " + (input - nowNs) / 1000 + " us ahead of the clock"
                : "input " + (nowNs - input) / 1000 + " us old";
        return "command " + seq + " refused " + when + ": " + age + " (bound " + maxInputAgeNs / 1000
                + " us); not sent";
    }

    /**
     * Duty cycle of the owning thread: applies queued requests and latched trips, polls the driver, latches a fault
     * if the stimulator link was lost, and returns ACTIVE to ARMED when every train has ended.
     *
     * @return the amount of work done
     */
    public int doWork() {
        int work = applyPending();
        final long now = clock.nanoTime();
        work += driver.doWork(now);
        final boolean connected = driver.isConnected();
        if (driverWasConnected && !connected) {
            linkLost(now);
            work++;
        }
        driverWasConnected = connected;
        if (state == ACTIVE && now >= activeUntilNs) {
            state = ARMED;
            recordEvent(now, StimEvent.IDLE, 0, "all trains ended");
            work++;
        }
        return work;
    }

    /**
     * Arms the controller (owner thread). Refused, with the reason in {@link #lastRefusal()} and the journal, when
     * the reason is blank, a fault is latched, the driver is not connected or an interlock objects.
     *
     * @return true when ARMED (or already ARMED/ACTIVE)
     */
    public boolean arm(String reason) {
        applyPending();
        final long now = clock.nanoTime();
        if (state != DISARMED) {
            return true;
        }
        String refusal = null;
        if (reason == null || reason.isBlank()) {
            refusal = "arming needs a reason";
        } else if (faultCode != StimFault.NONE) {
            refusal = "fault latched (" + StimFault.name(faultCode) + ": " + faultReason + "); reset it first";
        } else if (!driver.isConnected()) {
            refusal = "stimulator " + driver.name() + " not connected: " + driver.alarm();
        } else {
            for (ArmInterlock interlock : interlocks) {
                refusal = interlock.refusal(now);
                if (refusal != null) {
                    break;
                }
            }
        }
        if (refusal != null) {
            lastRefusal = refusal;
            recordEvent(now, StimEvent.ARM_REFUSED, 0, refusal);
            alarm(false, "arm refused: " + refusal);
            return false;
        }
        if (recordEvent(now, StimEvent.ARMED, 0, reason) != StimJournal.OK) {
            return false;
        }
        driverWasConnected = true;
        lastRefusal = null;
        state = ARMED;
        return true;
    }

    /** Disarms (owner thread): sends a stop-all and moves to DISARMED. No-op when already DISARMED. */
    public void disarm(String reason) {
        applyPending();
        if (state == DISARMED) {
            return;
        }
        final long now = clock.nanoTime();
        state = DISARMED;
        final long stopSeq = sendStopAll(now);
        recordEvent(now, StimEvent.DISARMED, 0, reason == null ? "disarm" : reason);
        if (stopSeq < 0) {
            latch(now, StimFault.JOURNAL, "journal failed to record stop-all " + -stopSeq + " (it was sent)");
        }
    }

    /**
     * Clears a latched fault (owner thread) so that the controller may be armed again; an explicit operator action
     * with a reason. Returns false when no fault was latched or the reason is blank.
     */
    public boolean reset(String reason) {
        applyPending();
        if (faultCode == StimFault.NONE || reason == null || reason.isBlank()) {
            return false;
        }
        final long now = clock.nanoTime();
        int old = faultCode;
        faultCode = StimFault.NONE;
        faultReason = null;
        faultTold = false;
        recordEvent(now, StimEvent.RESET, old, reason);
        return faultCode == StimFault.NONE;
    }

    /** Latches a fault from the owning thread (e.g. a deadline miss seen by the pipeline stage). */
    public void fault(int faultCode, String reason) {
        latch(clock.nanoTime(), faultCode, reason);
    }

    // ---------------------------------------------------------------- any thread

    /**
     * Emergency stop from any thread: aborts the driver's link immediately (the stimulator stops on link loss) and
     * latches an {@link StimFault#ESTOP} fault at the owner's next call. Stays latched until {@link #reset}.
     */
    public void estop(String reason) {
        trip(StimFault.ESTOP, reason == null ? "e-stop" : reason);
    }

    /**
     * Latches a fault from any thread and aborts the driver's link at once (used by the watchdog). The error handler
     * hears of it at once, from the calling thread, so that the fault is reported even while the owning thread is
     * stuck; the fault latches (and is journaled) at the owner's next call.
     */
    public void trip(int faultCode, String reason) {
        boolean tell = this.faultCode == StimFault.NONE && !faultTold;
        boolean first = pendingFault.compareAndSet(null, new Request(faultCode, reason, tell));
        driver.abort();
        if (first && tell) {
            faultTold = true;
            alarm(true, "stimulation cut off (" + StimFault.name(faultCode) + "): " + reason);
        }
    }

    /**
     * Latches a fault from any thread without cutting the link (e.g. a journal on a full disk): at the owner's next
     * call the fault latches, which disarms and sends a stop-all to the stimulator (recorded when the journal still
     * can; stopping never waits on it), and nothing is issued until an explicit {@link #reset}. The error handler
     * hears of it at once, from the calling thread. Use {@link #trip} when the owning thread may be stuck.
     */
    public void requestFault(int faultCode, String reason) {
        boolean tell = this.faultCode == StimFault.NONE && !faultTold;
        boolean first = pendingFault.compareAndSet(null, new Request(faultCode, reason, tell));
        if (first && tell) {
            faultTold = true;
            alarm(true, "stimulation stopping (" + StimFault.name(faultCode) + "): " + reason);
        }
    }

    /** Queues an arm request for the owning thread. */
    public void requestArm(String reason) {
        requests.add(new Request(Request.ARM, reason));
    }

    /** Queues a disarm request for the owning thread. */
    public void requestDisarm(String reason) {
        requests.add(new Request(Request.DISARM, reason));
    }

    /** Queues a fault reset request for the owning thread. */
    public void requestReset(String reason) {
        requests.add(new Request(Request.RESET, reason));
    }

    /** Current state: {@link #DISARMED}, {@link #ARMED} or {@link #ACTIVE}. */
    public int state() {
        return state;
    }

    /** True when ARMED or ACTIVE. */
    public boolean isArmed() {
        return state != DISARMED;
    }

    /** Name of a state code. */
    public static String stateName(int state) {
        return switch (state) {
            case DISARMED -> "disarmed";
            case ARMED -> "armed";
            case ACTIVE -> "active";
            default -> "state_" + state;
        };
    }

    /** The latched fault ({@link StimFault#NONE} when none). */
    public int faultCode() {
        return faultCode;
    }

    /** The latched fault's alarm text, or null. */
    public String faultReason() {
        return faultReason;
    }

    /** Why the last arm attempt was refused, or null. */
    public String lastRefusal() {
        return lastRefusal;
    }

    /** Commands sent to the driver. */
    public long issued() {
        return issued;
    }

    /** Commands not sent because of {@code verdict} (a {@link StimVerdict} code). */
    public long rejected(int verdict) {
        return verdict == StimVerdict.ACCEPTED ? 0 : verdictCounts[verdict];
    }

    /** All commands not sent. */
    public long rejectedTotal() {
        long sum = 0;
        for (int v = 1; v < StimVerdict.COUNT; v++) {
            sum += verdictCounts[v];
        }
        return sum;
    }

    /** Faults latched with {@code code} (a {@link StimFault} code), including ones raised while one was latched. */
    public long faults(int code) {
        return faultCounts[code];
    }

    public long sendFailures() {
        return sendFailures;
    }

    public long journalFailures() {
        return journalFailures;
    }

    /** Stop-all frames sent to the driver. */
    public long stopAllSent() {
        return stopAllSent;
    }

    /**
     * Commands journaled as accepted and then refused by the freshness check right before the write (also counted
     * in {@code rejected(STALE_INPUT)}).
     */
    public long staleAtSend() {
        return staleAtSend;
    }

    /** Largest input age at which a command is still sent, ns. */
    public long maxInputAgeNs() {
        return maxInputAgeNs;
    }

    // ---------------------------------------------------------------- internals

    private int applyPending() {
        int work = 0;
        Request f = pendingFault.getAndSet(null);
        if (f != null) {
            latch(clock.nanoTime(), f.code, f.reason, f.told);
            work++;
        }
        Request r;
        while ((r = requests.poll()) != null) {
            switch (r.code) {
                case Request.ARM -> arm(r.reason);
                case Request.DISARM -> disarm(r.reason);
                case Request.RESET -> reset(r.reason);
                default -> alarm(false, "unknown controller request " + r.code);
            }
            work++;
        }
        return work;
    }

    private void linkLost(long now) {
        latch(now, StimFault.DRIVER, "stimulator link lost (" + driver.name() + "): " + driver.alarm());
    }

    private void latch(long now, int code, String reason) {
        latch(now, code, reason, false);
    }

    /**
     * Disarms, sends a stop-all and latches the fault (the first one's code and reason stay). One event, one fault
     * message: the first fault of a latch is told as a fault unless it was told already (by its own trip or request,
     * {@code told}, or by another thread's trip that has not latched yet); faults that follow while it is latched (the
     * same stall seen by another thread, a deadline miss behind it) are told as warnings. Every one is counted and
     * journaled.
     */
    private void latch(long now, int code, String reason, boolean told) {
        faultCounts[code]++;
        state = DISARMED;
        final long stopSeq = sendStopAll(now);
        final boolean first = faultCode == StimFault.NONE;
        if (first) {
            faultReason = reason;
            faultCode = code;
        }
        // told already: by this latch's own trip or request, or by another thread's trip still pending
        final boolean tell = first && !told && !faultTold;
        faultTold = true;
        alarm(tell, first
                ? "stimulation stopped, fault latched (" + StimFault.name(code) + "): " + reason
                : "stimulation already stopped (" + StimFault.name(faultCode) + " latched); also "
                        + StimFault.name(code) + ": " + reason);
        if (journal.recordEvent(now, StimEvent.FAULT, code, reason) != StimJournal.OK) {
            // Already disarmed and latched; the failure is counted and reported, nothing more to stop.
            journalFailures++;
            alarm(true, "journal failed to record fault " + StimFault.name(code));
        }
        if (stopSeq < 0) {
            faultCounts[StimFault.JOURNAL]++;
            alarm(true, "journal failed to record stop-all " + -stopSeq + " (it was sent)");
        }
    }

    /**
     * Journals a stop-all with the next sequence number, then hands it to the driver (write-ahead, like commands).
     * The stop-all is sent even when its record fails: stopping never waits on the journal.
     *
     * @return its sequence, negated when the record failed; 0 when the link is down (nothing to send)
     */
    private long sendStopAll(long now) {
        if (!driver.isConnected()) {
            return 0;
        }
        final long seq = ++sequence;
        final boolean recorded = journal.recordStopAll(seq, now) == StimJournal.OK;
        stopAllSent++;
        driver.stopAll(seq);
        if (!recorded) {
            journalFailures++;
            return -seq;
        }
        return seq;
    }

    private int recordEvent(long now, int event, int code, String reason) {
        int rc = journal.recordEvent(now, event, code, reason);
        if (rc != StimJournal.OK) {
            journalFailures++;
            latch(now, StimFault.JOURNAL, "journal failed to record event " + StimEvent.name(event));
        }
        return rc;
    }

    private static final class Request {
        static final int ARM = -1;
        static final int DISARM = -2;
        static final int RESET = -3;
        final int code;
        final String reason;
        /** A fault request whose caller told the error handler already. */
        final boolean told;

        Request(int code, String reason) {
            this(code, reason, false);
        }

        Request(int code, String reason, boolean told) {
            this.code = code;
            this.reason = reason;
            this.told = told;
        }
    }

    /** Hands a warning ({@code fatal} false) or a fault to the error handler. */
    private void alarm(boolean fatal, String message) {
        errorHandler.onError(new StimAlarm(fatal, message));
    }

    /** Configuration of a {@link StimController}. */
    public static final class Context {
        private SafetyEnvelope envelope;
        private StimJournal journal;
        private StimulatorDriver driver;
        private NanoClock clock = SystemNanoClock.INSTANCE;
        private ErrorHandler errorHandler = StimAlarm.stderr();
        private ArmInterlock[] interlocks = new ArmInterlock[0];
        private long maxInputAgeNs = DEFAULT_MAX_INPUT_AGE_NS;
        private boolean concluded;

        /** Default of {@link #maxInputAgeNs(long)}: 100 ms. */
        public static final long DEFAULT_MAX_INPUT_AGE_NS = 100_000_000L;
        /** Smallest {@link #maxInputAgeNs(long)}: 100 us. */
        public static final long MIN_MAX_INPUT_AGE_NS = 100_000L;
        /** Largest {@link #maxInputAgeNs(long)}: 10 s. */
        public static final long MAX_MAX_INPUT_AGE_NS = 10_000_000_000L;

        /** The concluded envelope every command is checked against (required). */
        public Context envelope(SafetyEnvelope v) {
            envelope = v;
            return this;
        }

        /** The write-ahead journal (required). */
        public Context journal(StimJournal v) {
            journal = v;
            return this;
        }

        /** Where accepted commands go (required). */
        public Context driver(StimulatorDriver v) {
            driver = v;
            return this;
        }

        /** Monotonic clock (default {@link SystemNanoClock}). */
        public Context clock(NanoClock v) {
            clock = v;
            return this;
        }

        /**
         * Error handler (default: standard error): gets a {@link StimAlarm} per warning or fault, whose
         * {@link StimAlarm#fatal()} says whether stimulation was stopped because of it.
         */
        public Context errorHandler(ErrorHandler v) {
            errorHandler = v;
            return this;
        }

        /**
         * Oldest input a command may be decided on, ns (default 100 ms; 100 us .. 10 s): a command whose
         * {@link StimCommand#inputTimeNs()} is further than this from the clock, when judged or right before the
         * write, is refused ({@link StimVerdict#STALE_INPUT}) and latches a fault.
         */
        public Context maxInputAgeNs(long v) {
            maxInputAgeNs = v;
            return this;
        }

        public long maxInputAgeNs() {
            return maxInputAgeNs;
        }

        /** Conditions that must hold to arm (e.g. the watchdog). */
        public Context interlocks(ArmInterlock... v) {
            interlocks = v.clone();
            return this;
        }

        public SafetyEnvelope envelope() {
            return envelope;
        }

        public StimulatorDriver driver() {
            return driver;
        }

        public StimJournal journal() {
            return journal;
        }

        /** Validates the configuration and builds the controller (DISARMED, no fault). Runs once. */
        public StimController conclude() {
            if (concluded) {
                throw new IllegalStateException("StimController.Context.conclude() already ran");
            }
            require("envelope", envelope);
            require("journal", journal);
            require("driver", driver);
            require("clock", clock);
            require("errorHandler", errorHandler);
            if (maxInputAgeNs < MIN_MAX_INPUT_AGE_NS || maxInputAgeNs > MAX_MAX_INPUT_AGE_NS) {
                throw new IllegalArgumentException("stim controller: maxInputAgeNs must be in [" + MIN_MAX_INPUT_AGE_NS
                        + ", " + MAX_MAX_INPUT_AGE_NS + "], was " + maxInputAgeNs);
            }
            for (int i = 0; i < interlocks.length; i++) {
                Objects.requireNonNull(interlocks[i], "stim controller: interlocks[" + i + "] is null");
            }
            concluded = true;
            return new StimController(this);
        }

        private static void require(String field, Object v) {
            if (v == null) {
                throw new IllegalArgumentException("stim controller: " + field + " must be set");
            }
        }
    }
}
