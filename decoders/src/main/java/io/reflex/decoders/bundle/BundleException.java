package io.reflex.decoders.bundle;

/**
 * A model bundle is malformed, corrupt or does not fit the model that reads it. The message names the offending
 * tensor (or manifest key) and what was expected; {@link #tensor()} returns the tensor name when one is at fault.
 */
public final class BundleException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String tensor;

    /** A problem with the bundle as a whole or with a manifest key. */
    public BundleException(String message) {
        super(message);
        this.tensor = null;
    }

    /** A problem with the bundle as a whole, caused by {@code cause}. */
    public BundleException(String message, Throwable cause) {
        super(message, cause);
        this.tensor = null;
    }

    /** A problem with one tensor; the message is prefixed with the tensor's name. */
    public static BundleException forTensor(String tensor, String problem) {
        return new BundleException(tensor, "tensor '" + tensor + "': " + problem, true);
    }

    private BundleException(String tensor, String message, boolean tensorMarker) {
        super(message);
        this.tensor = tensor;
    }

    /** Name of the offending tensor, or null when the problem is not about one tensor. */
    public String tensor() {
        return tensor;
    }
}
