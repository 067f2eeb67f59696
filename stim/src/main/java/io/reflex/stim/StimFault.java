package io.reflex.stim;

/** Causes of a latched fault in the {@link StimController}; each stops stimulation until an explicit reset. */
public final class StimFault {
    /** No fault latched. */
    public static final int NONE = 0;
    /** Emergency stop requested. */
    public static final int ESTOP = 1;
    /** The watchdog saw the pipeline heartbeat or the decoder output late beyond its bound. */
    public static final int WATCHDOG = 2;
    /**
     * The journal failed to record a command or an event, or a journal of the run faulted (e.g. its disk is full:
     * the stimulation journal or the run's data journal).
     */
    public static final int JOURNAL = 3;
    /** The stimulator link was lost, a send failed, or the stimulator reported an alarm or rejected a command. */
    public static final int DRIVER = 4;
    /** A frame missed its deadline on the way to stimulation. */
    public static final int DEADLINE_MISS = 5;
    /** A command was decided on input older than the controller's bound (see {@link StimVerdict#STALE_INPUT}). */
    public static final int STALE_INPUT = 6;

    /** Number of fault codes. */
    public static final int COUNT = 7;

    private static final String[] NAMES = {
        "none", "estop", "watchdog", "journal", "driver", "deadline_miss", "stale_input",
    };

    private StimFault() {
    }

    /** Stable snake_case name. */
    public static String name(int code) {
        return code >= 0 && code < COUNT ? NAMES[code] : "fault_" + code;
    }
}
