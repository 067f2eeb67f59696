package io.reflex.lsl.nativelsl;

/**
 * A liblsl call that failed: a negative error code of lsl/common.h, or a NULL handle. Thrown instead of passing the
 * failure on to the next liblsl call (which would dereference NULL inside liblsl and kill the JVM).
 */
public final class NativeLslException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final int code;

    NativeLslException(int code, String message) {
        super(message);
        this.code = code;
    }

    /** liblsl's error code ({@link LslLibrary#TIMEOUT_ERROR} ... {@link LslLibrary#INTERNAL_ERROR}). */
    public int code() {
        return code;
    }

    /** True when the call ran out of time (the stream may still come). */
    public boolean isTimeout() {
        return code == LslLibrary.TIMEOUT_ERROR;
    }

    /** The name of a liblsl error code as in lsl/common.h. */
    public static String codeName(int code) {
        switch (code) {
            case 0:
                return "no error";
            case LslLibrary.TIMEOUT_ERROR:
                return "timeout";
            case LslLibrary.LOST_ERROR:
                return "stream lost";
            case LslLibrary.ARGUMENT_ERROR:
                return "invalid argument";
            case LslLibrary.INTERNAL_ERROR:
                return "internal error";
            default:
                return "unknown error " + code;
        }
    }
}
