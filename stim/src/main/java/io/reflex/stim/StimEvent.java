package io.reflex.stim;

/** Controller event types recorded in the {@link StimJournal} (stable codes). */
public final class StimEvent {
    /** DISARMED to ARMED; reason given by the operator. */
    public static final int ARMED = 1;
    /** Back to DISARMED on request; a stop-all was sent. */
    public static final int DISARMED = 2;
    /** A fault latched (code: a {@link StimFault} code); a stop-all was sent. */
    public static final int FAULT = 3;
    /** A latched fault was reset by the operator. */
    public static final int RESET = 4;
    /** ARMED to ACTIVE (first pulse train issued). */
    public static final int ACTIVE = 5;
    /** ACTIVE back to ARMED (all issued trains have ended). */
    public static final int IDLE = 6;
    /** An arm request was refused (reason says why). */
    public static final int ARM_REFUSED = 7;
    /** The journal was opened (first record of a journal that writes one). */
    public static final int JOURNAL_OPENED = 8;

    private StimEvent() {
    }

    /** Stable snake_case name. */
    public static String name(int event) {
        return switch (event) {
            case ARMED -> "armed";
            case DISARMED -> "disarmed";
            case FAULT -> "fault";
            case RESET -> "reset";
            case ACTIVE -> "active";
            case IDLE -> "idle";
            case ARM_REFUSED -> "arm_refused";
            case JOURNAL_OPENED -> "journal_opened";
            default -> "event_" + event;
        };
    }
}
