package io.reflex.runtime.stim;

/**
 * A stimulation warning or fault ({@link io.reflex.stim.StimErrorHandler}'s fatal flag and message) passed on to the
 * runtime's error handler, under {@link StimSystem#FAULT_SOURCE} or {@code stim}. It carries no stack trace: it is
 * created on the thread that saw the event (the emit thread or the watchdog's), where walking the stack would cost
 * microseconds, and the message names the cause. It prints as the {@link IllegalStateException} it is, so reports
 * read as before.
 */
public final class StimAlarm extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    StimAlarm(String message) {
        super(message);
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
