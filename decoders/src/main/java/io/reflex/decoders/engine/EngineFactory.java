package io.reflex.decoders.engine;

/**
 * Creates engines by name; implementations are found with {@link java.util.ServiceLoader} (list them in
 * {@code META-INF/services/io.reflex.decoders.engine.EngineFactory}), so that modules further up (fpga-driver's
 * {@code rtl-sim} and {@code xrt}) plug into {@link EngineChain#of} without decoders knowing them.
 */
public interface EngineFactory {

    /** The engine name this factory makes, e.g. {@code "cpu"}. */
    String name();

    /** A new, unloaded engine. May throw {@link EngineException} when the engine cannot exist here. */
    Engine create();

    /**
     * A new, unloaded engine configured by engine-specific options (e.g. {@code xclbin} for {@code xrt}).
     *
     * @throws EngineException when an option is unknown or refused, or the engine cannot exist here
     */
    default Engine create(java.util.Map<String, String> options) {
        if (options != null && !options.isEmpty()) {
            throw new EngineException(name() + " takes no options; found " + new java.util.TreeSet<>(options.keySet()));
        }
        return create();
    }
}
