/**
 * Seeded synthetic neural sources that carry their ground truth, for demos and decoder tests:
 * {@link io.reflex.decoders.synth.CenterOutSource} (center-out reaching, cosine-tuned Poisson neurons).
 */
package io.reflex.decoders.synth;
