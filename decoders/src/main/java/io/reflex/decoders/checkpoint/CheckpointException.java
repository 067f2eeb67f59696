package io.reflex.decoders.checkpoint;

/** A checkpoint was refused at an edge (a file, a test, a tool); hot paths use {@link CheckpointStatus} instead. */
public final class CheckpointException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The reason, as a status. */
    private final transient CheckpointStatus status;

    public CheckpointException(CheckpointStatus status, String message) {
        super(message);
        this.status = status;
    }

    /** Why the checkpoint was refused. */
    public CheckpointStatus status() {
        return status;
    }
}
