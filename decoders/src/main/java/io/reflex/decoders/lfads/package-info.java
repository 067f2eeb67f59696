/**
 * LFADS inference (decoders/LFADS.md §1): the float32 reference {@link io.reflex.decoders.lfads.LfadsFloat32}, the
 * fixed-point golden model {@link io.reflex.decoders.lfads.LfadsFixed} (decoders/FIXED_POINT.md), trial, sliding
 * and causal modes with stream checkpoints, and the Lorenz benchmark data. The per-bin decoder over LFADS is
 * {@link io.reflex.decoders.engine.EngineDecoder}. See decoders/LFADS.md.
 */
package io.reflex.decoders.lfads;
