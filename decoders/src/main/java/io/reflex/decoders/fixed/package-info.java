/**
 * The fixed-point arithmetic of decoders/FIXED_POINT.md: shifts with round-half-up, saturation, weight and bias
 * quantisation, activation lookup tables and the exact matrix-vector product that the hardware reproduces.
 */
package io.reflex.decoders.fixed;
