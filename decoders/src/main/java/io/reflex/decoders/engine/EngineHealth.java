package io.reflex.decoders.engine;

/**
 * Health of an engine.
 *
 * @param healthy true when the engine can take the next bin
 * @param detail  short human-readable state, e.g. {@code "ok"} or why it is unhealthy
 * @param faults  number of faults (failed calls) seen since load
 */
public record EngineHealth(boolean healthy, String detail, long faults) {

    /** A healthy engine with no faults. */
    public static final EngineHealth OK = new EngineHealth(true, "ok", 0);

    /** An engine that has no model loaded. */
    public static final EngineHealth NOT_LOADED = new EngineHealth(false, "no model loaded", 0);
}
