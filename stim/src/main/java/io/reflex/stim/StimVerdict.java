package io.reflex.stim;

/**
 * Verdict codes for a stimulation command: {@link #ACCEPTED} or the reason it was rejected. The envelope returns
 * the first failing check in the order listed; the controller adds the state-related reasons. Codes are stable:
 * they are journaled and sent on the wire.
 */
public final class StimVerdict {
    /** Within the envelope and allowed by the controller's state. */
    public static final int ACCEPTED = 0;
    /** Channel count is 0 or above the envelope's per-command limit. */
    public static final int BAD_CHANNEL_COUNT = 1;
    /** A channel index is outside the configured electrodes. */
    public static final int UNKNOWN_CHANNEL = 2;
    /** A channel appears twice in one command. */
    public static final int DUPLICATE_CHANNEL = 3;
    /** Polarity is neither cathodic-first nor anodic-first. */
    public static final int BAD_POLARITY = 4;
    /** An amplitude is zero or negative. */
    public static final int AMPLITUDE_NOT_POSITIVE = 5;
    /** An amplitude exceeds the electrode's maximum amplitude. */
    public static final int AMPLITUDE_OVER_LIMIT = 6;
    /** A phase width is zero, negative or above the envelope's maximum phase width. */
    public static final int PHASE_WIDTH_OUT_OF_RANGE = 7;
    /** The interphase gap is negative or above the envelope's maximum. */
    public static final int GAP_OUT_OF_RANGE = 8;
    /** A phase carries more charge than the electrode's maximum charge per phase. */
    public static final int CHARGE_PER_PHASE_OVER_LIMIT = 9;
    /** A phase's charge and charge density exceed the Shannon k limit for the electrode. */
    public static final int SHANNON_K_OVER_LIMIT = 10;
    /** The two phases' charges differ by more than the electrode's charge-balance tolerance. */
    public static final int CHARGE_IMBALANCE = 11;
    /** Pulse count is zero, negative or above the envelope's maximum per command. */
    public static final int PULSE_COUNT_OUT_OF_RANGE = 12;
    /** Frequency is not positive (for trains of 2+ pulses) or exceeds the electrode's maximum frequency. */
    public static final int FREQUENCY_OUT_OF_RANGE = 13;
    /** One pulse (phase 1 + gap + phase 2) does not fit in one period. */
    public static final int PULSE_LONGER_THAN_PERIOD = 14;
    /** The train lasts longer than the envelope's maximum train duration. */
    public static final int TRAIN_TOO_LONG = 15;
    /** The trigger time is in the past or further ahead than the envelope's scheduling horizon. */
    public static final int TRIGGER_OUT_OF_WINDOW = 16;
    /** A channel would receive more charge in some 1 s window than its maximum charge per second. */
    public static final int CHARGE_RATE_OVER_LIMIT = 17;
    /** More channels would stimulate at overlapping times than the envelope allows. */
    public static final int TOO_MANY_SIMULTANEOUS_CHANNELS = 18;
    /** The summed current of overlapping trains would exceed the global current cap. */
    public static final int GLOBAL_CURRENT_OVER_CAP = 19;
    /** The envelope's history of recent trains is full of still-relevant entries (conservative reject). */
    public static final int HISTORY_FULL = 20;
    /** The controller is not ARMED or ACTIVE. */
    public static final int NOT_ARMED = 21;
    /** A fault (e-stop, watchdog, journal, driver) is latched; nothing is sent until it is reset. */
    public static final int FAULT_LATCHED = 22;
    /** The journal could not record the command: it is not sent and the controller disarms. */
    public static final int JOURNAL_FAILED = 23;
    /** The frame that produced the command missed its deadline: it is not sent and the controller disarms. */
    public static final int DEADLINE_MISSED = 24;
    /**
     * The command's input (the newest sample it was decided on) was older than the controller's
     * {@code maxInputAgeNs} when it was judged or, checked again, right before it would have been written to the
     * stimulator; or its input time is unknown or lies ahead of the clock by more than that bound. It is not sent
     * and a {@link StimFault#STALE_INPUT} fault latches.
     */
    public static final int STALE_INPUT = 25;

    /** Number of verdict codes; arrays counted by reason have this length. */
    public static final int COUNT = 26;

    private static final String[] NAMES = {
        "accepted", "bad_channel_count", "unknown_channel", "duplicate_channel", "bad_polarity",
        "amplitude_not_positive", "amplitude_over_limit", "phase_width_out_of_range", "gap_out_of_range",
        "charge_per_phase_over_limit", "shannon_k_over_limit", "charge_imbalance", "pulse_count_out_of_range",
        "frequency_out_of_range", "pulse_longer_than_period", "train_too_long", "trigger_out_of_window",
        "charge_rate_over_limit", "too_many_simultaneous_channels", "global_current_over_cap", "history_full",
        "not_armed", "fault_latched", "journal_failed", "deadline_missed", "stale_input",
    };

    private StimVerdict() {
    }

    /** Stable snake_case name of a code (no allocation for known codes). */
    public static String name(int code) {
        return code >= 0 && code < COUNT ? NAMES[code] : "verdict_" + code;
    }
}
