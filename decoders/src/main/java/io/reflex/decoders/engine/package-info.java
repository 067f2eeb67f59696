/**
 * The engine SPI: {@link io.reflex.decoders.engine.Engine} runs a model bundle on some hardware,
 * {@link io.reflex.decoders.engine.CpuEngine} is the plain-Java one, {@link io.reflex.decoders.engine.EngineChain}
 * falls back along a list of engines, and {@link io.reflex.decoders.engine.EngineFactory} lets other modules add
 * engines by name.
 */
package io.reflex.decoders.engine;
