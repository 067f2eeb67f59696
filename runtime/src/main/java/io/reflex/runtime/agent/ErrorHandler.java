package io.reflex.runtime.agent;

/**
 * Agrona's {@link org.agrona.ErrorHandler} that also takes the name of the agent or stage an error came from: the
 * rate limiter counts errors per source and kind, and a fault names where it happened. Agrona's
 * {@link org.agrona.concurrent.AgentRunner} calls {@link #onError(Throwable)}; {@link Agents#start} hands it
 * {@link #forSource(String)} so that errors caught by the runner carry the agent's role name. Implementations must
 * not throw.
 */
@FunctionalInterface
public interface ErrorHandler extends org.agrona.ErrorHandler {

    /** Reports one error; {@code source} names the agent or stage. */
    void onError(String source, Throwable error);

    /** An error without a named source: reported as coming from the current thread. */
    @Override
    default void onError(Throwable error) {
        onError(Thread.currentThread().getName(), error);
    }

    /** An Agrona error handler that reports every error as coming from {@code source}; allocated once, up front. */
    default org.agrona.ErrorHandler forSource(String source) {
        return error -> onError(source, error);
    }

    /** An error handler that prints one line per error to stderr. */
    static ErrorHandler stderr() {
        return (source, error) -> System.err.println("reflex: error in " + source + ": " + error);
    }
}
