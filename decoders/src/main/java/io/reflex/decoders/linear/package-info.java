/**
 * Classic linear decoders fitted by least squares on a calibration block (decoders/BASELINES.md §1–2): the velocity
 * {@link io.reflex.decoders.linear.KalmanDecoder} (full or steady-state gain) and the lagged ridge
 * {@link io.reflex.decoders.linear.WienerDecoder}. Fitting allocates; decoding does not. Create them by name through
 * {@link io.reflex.decoders.catalog.Decoders#create}.
 */
package io.reflex.decoders.linear;
