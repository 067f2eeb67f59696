package io.reflex.decoders.engine;

/** An engine cannot load or run a model (missing device or library, unsupported model type or size). */
public final class EngineException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public EngineException(String message) {
        super(message);
    }

    public EngineException(String message, Throwable cause) {
        super(message, cause);
    }
}
