/**
 * Canonical stream-state checkpoints (little-endian byte layouts) that make an engine failover bumpless:
 * {@link io.reflex.decoders.checkpoint.LfadsCheckpoint} ("LFS1", LFADS causal stream),
 * {@link io.reflex.decoders.checkpoint.LfadsWindowCheckpoint} ("LFW1", LFADS sliding window) and
 * {@link io.reflex.decoders.checkpoint.SnnCheckpoint} ("SNS1", SNN reservoir). Each class is the layout for one
 * model's dimensions: offsets, header writing and an allocation-free {@code check} that names what is wrong with a
 * {@link io.reflex.decoders.checkpoint.CheckpointStatus}.
 */
package io.reflex.decoders.checkpoint;
