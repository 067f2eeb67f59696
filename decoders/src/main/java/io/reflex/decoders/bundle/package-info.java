/**
 * Model bundles (decoders/BUNDLE.md): one file per model, a JSON manifest plus little-endian tensors, read by
 * {@link io.reflex.decoders.bundle.ModelBundle} and written by {@link io.reflex.decoders.bundle.ModelBundleWriter}.
 */
package io.reflex.decoders.bundle;
