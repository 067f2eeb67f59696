package io.reflex.lsl;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives errors that LSL threads cannot return to a caller (a peer sent garbage, a connection broke). Must
 * never throw. Each component also counts its errors, so an operator can read them without a handler.
 */
@FunctionalInterface
public interface LslErrorHandler {
    /**
     * @param where which component and peer, e.g. {@code outlet 'EEG' connection from /127.0.0.1:40000}
     * @param message what happened, readable on its own
     * @param cause the exception, or null
     */
    void onError(String where, String message, Throwable cause);

    /** Logs at warn level through slf4j. */
    static LslErrorHandler logging() {
        Logger log = LoggerFactory.getLogger("io.reflex.lsl");
        return (where, message, cause) -> {
            try {
                log.warn("{}: {}", where, message);
            } catch (RuntimeException ignored) {
                // A broken logging setup must not take an LSL thread down with it.
            }
        };
    }
}
