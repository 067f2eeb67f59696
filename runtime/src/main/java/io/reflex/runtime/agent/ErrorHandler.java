package io.reflex.runtime.agent;

/** Receives errors from agents and stages. Implementations must not throw. */
@FunctionalInterface
public interface ErrorHandler {

    /** Reports one error; {@code source} names the agent or stage. */
    void onError(String source, Throwable error);

    /** An error handler that prints one line per error to stderr. */
    static ErrorHandler stderr() {
        return (source, error) -> System.err.println("reflex: error in " + source + ": " + error);
    }
}
