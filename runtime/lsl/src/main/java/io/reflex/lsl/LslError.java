package io.reflex.lsl;

import org.agrona.ErrorHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An error that an LSL thread cannot return to a caller (a peer sent garbage, a connection broke, an accept failed),
 * as the LSL components hand it to their Agrona {@link ErrorHandler}: {@link #where()} names the component and peer,
 * {@link #what()} says what happened, readable on its own, and {@link #getMessage()} reads {@code where: what}. The
 * exception that caused it, if any, is its {@linkplain #getCause() cause}. Handlers must never throw. Each component
 * also counts its errors, so an operator can read them without a handler.
 *
 * <p>It captures no stack trace: it is made on the LSL thread that saw the failure (an acceptor, a connection, a
 * receiver, the service socket), whose stack is always the same run loop and says nothing that {@link #where()}
 * does not; the cause, when there is one, carries the stack of the actual failure. Walking the stack would also cost
 * microseconds on a thread that a hostile peer can make report errors at will. Errors are rare otherwise, so one
 * object per error is fine.
 */
public final class LslError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String where;
    private final String what;

    /**
     * @param where which component and peer, e.g. {@code outlet 'EEG' connection /127.0.0.1:40000}
     * @param what what happened, readable on its own
     * @param cause the exception, or null
     */
    public LslError(String where, String what, Throwable cause) {
        super(where + ": " + what, cause, false, false);
        this.where = where;
        this.what = what;
    }

    /** Which component and peer, e.g. {@code outlet 'EEG' connection /127.0.0.1:40000}. */
    public String where() {
        return where;
    }

    /** What happened, without {@link #where()}. */
    public String what() {
        return what;
    }

    /**
     * An error handler that logs each error at warn level through slf4j (logger {@code io.reflex.lsl}): an
     * {@link LslError} as {@code where: what}, any other throwable as its {@code toString()}. Never throws.
     */
    public static ErrorHandler logging() {
        Logger log = LoggerFactory.getLogger("io.reflex.lsl");
        return error -> {
            try {
                if (error instanceof LslError e) {
                    log.warn("{}: {}", e.where, e.what);
                } else {
                    log.warn("{}", String.valueOf(error));
                }
            } catch (RuntimeException ignored) {
                // A broken logging setup must not take an LSL thread down with it.
            }
        };
    }
}
