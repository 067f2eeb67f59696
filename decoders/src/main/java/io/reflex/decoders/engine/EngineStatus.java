package io.reflex.decoders.engine;

/**
 * One engine of a chain, for reports and {@code ./reflex engines}: a snapshot taken by
 * {@link EngineChain#statuses()}.
 *
 * @param index      position in the chain (0 = preferred)
 * @param name       engine name, e.g. {@code "rtl-sim"}
 * @param device     what it runs on ({@link Engine#device()})
 * @param arithmetic {@code "fixed"} or {@code "float32"}
 * @param usable     loaded and not failed: the chain may send calls to it
 * @param healthy    what the engine's own {@link Engine#health()} says now
 * @param active     the engine calls go to now
 * @param reason     {@code "ready"}, or why it is not usable (load refusal, {@code "failed: …"} with the fault)
 * @param served     calls it answered without a fault ({@link Engine#step} bins and {@link Engine#trial} windows)
 * @param faults     faults the chain saw from it (0 or 1: a faulted engine is not called again until a new load)
 */
public record EngineStatus(int index, String name, String device, String arithmetic, boolean usable, boolean healthy,
                           boolean active, String reason, long served, long faults) {
}
