/**
 * The engine SPI and the decoder over it.
 *
 * <ul>
 *   <li>{@link io.reflex.decoders.engine.Engine} runs a model bundle (LFADS, SNN) on some hardware;
 *       {@link io.reflex.decoders.engine.EngineFactory} lets other modules add engines by name ({@code rtl-sim},
 *       {@code xrt} in fpga-driver); {@link io.reflex.decoders.engine.CpuEngine} is the plain-Java pair
 *       {@code cpu} (float32) and {@code cpu-fixed} (the bit-exact golden models).</li>
 *   <li>{@link io.reflex.decoders.engine.EngineChain} falls back along a list of engines with bumpless failover: it
 *       keeps a checkpoint of the active engine's stream state after every step (canonical layouts of
 *       {@link io.reflex.decoders.checkpoint}) and, on a fault, restores it into the next engine and repeats the same
 *       bin there. Between engines of the fixed family the continuation is bit-identical to an uninterrupted run.
 *       A float32 engine takes over through the same Q12 layout: it reads the fixed-point state divided by 4096
 *       (exactly the fixed-point values) and continues in float32, so its outputs then drift from the fixed-point
 *       run's by the usual float-vs-fixed difference (decoders/LFADS.md); a fixed-point engine taking over from a
 *       float32 one starts from the float state rounded to Q12. SNN engines all share the integer arithmetic.</li>
 *   <li>{@link io.reflex.decoders.engine.EngineDecoder} is the one decoder over a chain: engine outputs (LFADS
 *       factors, SNN traces) → a ridge readout fitted on the calibration block.</li>
 *   <li>{@link io.reflex.decoders.engine.EngineSpec} names a chain's engines with their options and an optional
 *       injected fault ({@link io.reflex.decoders.engine.FaultInjectingEngine}); {@link
 *       io.reflex.decoders.engine.EngineStatus} reports each engine.</li>
 * </ul>
 */
package io.reflex.decoders.engine;
