package io.reflex.stim;

import org.agrona.ErrorHandler;

/**
 * A stimulation warning or fault, as the stimulation components hand it to their Agrona {@link ErrorHandler}: the
 * message names the cause, and {@link #fatal()} says whether stimulation was stopped because of it (a fatal alarm
 * is reported after stimulation stopped; a warning changed nothing). It carries no stack trace: it is made on the
 * thread that saw the event (the emit thread or the watchdog's), where walking the stack would cost microseconds.
 * It prints as the {@link IllegalStateException} it is. Handlers must never throw.
 */
public final class StimAlarm extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final boolean fatal;

    public StimAlarm(boolean fatal, String message) {
        super(message);
        this.fatal = fatal;
    }

    /** Whether stimulation was stopped because of it. */
    public boolean fatal() {
        return fatal;
    }

    /**
     * Whether {@code error}, handed to a stimulation error handler, stopped stimulation: a {@link StimAlarm}'s own
     * flag; any other throwable is taken as fatal (nothing in stim reports one, so it is a fault nobody planned).
     */
    public static boolean isFatal(Throwable error) {
        return !(error instanceof StimAlarm a) || a.fatal;
    }

    /** An error handler that prints one line per alarm to standard error. */
    public static ErrorHandler stderr() {
        return error -> System.err.println("reflex-stim " + (isFatal(error) ? "FATAL: " : "warning: ")
                + error.getMessage());
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }

    @Override
    public String toString() {
        return IllegalStateException.class.getName() + ": " + getMessage();
    }
}
