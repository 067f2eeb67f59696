package io.reflex.decoders.lfads;

import java.util.Locale;

/** What an LFADS engine yields per bin. */
public enum LfadsOutput {
    /** {@code fac_dim} latent factors. */
    FACTORS,
    /** {@code readout_dim} natural-log rates, counts per bin. */
    LOG_RATES,
    /** {@code readout_dim} rates, counts per bin (divide by {@code bin_s} for spikes/s). */
    RATES;

    /** Lower-case name for options and JSON: {@code factors}, {@code log_rates}, {@code rates}. */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code factors}, {@code log_rates} or {@code rates}. */
    public static LfadsOutput parse(String s) {
        for (LfadsOutput o : values()) {
            if (o.jsonName().equals(s)) {
                return o;
            }
        }
        throw new IllegalArgumentException("output must be one of factors, log_rates, rates; found '" + s + "'");
    }
}
