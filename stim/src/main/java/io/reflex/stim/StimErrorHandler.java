package io.reflex.stim;

/**
 * Receives errors of the stimulation components. Implementations must never throw. A fatal error has already
 * stopped stimulation when it is reported; a warning has not.
 */
@FunctionalInterface
public interface StimErrorHandler {
    /**
     * @param fatal   true when stimulation was stopped because of it
     * @param message a human-readable description naming the cause
     */
    void onError(boolean fatal, String message);

    /** A handler that prints to standard error. */
    static StimErrorHandler stderr() {
        return (fatal, message) -> System.err.println("reflex-stim " + (fatal ? "FATAL: " : "warning: ") + message);
    }
}
