/**
 * Seeded synthetic neural sources that carry their ground truth, for demos and decoder tests:
 * {@link io.reflex.decoders.synth.CenterOutSource} (center-out reaching, cosine-tuned Poisson neurons), and
 * {@link io.reflex.decoders.synth.CenterOutDataset}, which exports a span of its binned stream as {@code .npz} for
 * the Python model tools (tools/python/centerout_data.py).
 */
package io.reflex.decoders.synth;
