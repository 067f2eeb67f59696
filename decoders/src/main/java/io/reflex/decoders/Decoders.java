package io.reflex.decoders;

import io.reflex.decoders.linear.KalmanDecoder;
import io.reflex.decoders.linear.WienerDecoder;
import io.reflex.decoders.snn.SnnDecoder;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Creates trainable decoders by name, for configs and command lines.
 *
 * <table>
 *   <caption>Names and options (all values are strings)</caption>
 *   <tr><th>name</th><th>option</th><th>default</th><th>allowed</th></tr>
 *   <tr><td>kalman, wiener</td><td>{@code outputs}</td><td>2</td><td>1…16 (velocity x, y)</td></tr>
 *   <tr><td>kalman</td><td>{@code gain}</td><td>steady</td><td>full | steady</td></tr>
 *   <tr><td>kalman</td><td>{@code constant}</td><td>true</td><td>true | false (append a constant 1 to the state)</td></tr>
 *   <tr><td>wiener</td><td>{@code lags}</td><td>{@value #DEFAULT_WIENER_LAGS}</td><td>1…1000 bins</td></tr>
 *   <tr><td>wiener</td><td>{@code lambda}</td><td>{@value #DEFAULT_WIENER_LAMBDA}</td><td>finite, ≥ 0</td></tr>
 *   <tr><td>snn</td><td>{@code outputs}</td><td>2</td><td>1…16</td></tr>
 *   <tr><td>snn</td><td>{@code neurons}</td><td>512</td><td>256…4096 (reservoir size)</td></tr>
 *   <tr><td>snn</td><td>{@code bin_ticks}</td><td>20</td><td>1…1000 (1 ms ticks per bin)</td></tr>
 *   <tr><td>snn</td><td>{@code filter_shift}</td><td>5</td><td>1…12 (readout filter τ ≈ 2^k ms)</td></tr>
 *   <tr><td>snn</td><td>{@code lambda}</td><td>chosen by 5-fold blocked CV</td><td>finite, ≥ 0 (relative ridge)</td></tr>
 *   <tr><td>snn</td><td>{@code seed}</td><td>1</td><td>0…2^31−1 (reservoir recipe)</td></tr>
 * </table>
 */
public final class Decoders {
    /** Names {@link #create} accepts. */
    public static final Set<String> NAMES = Set.of("kalman", "wiener", "snn");
    /** Default number of Wiener lags (20 ms bins: 200 ms of history). */
    public static final int DEFAULT_WIENER_LAGS = 10;
    /** Default Wiener ridge, in units of ΦᵀΦ (spike counts² summed over the calibration rows). */
    public static final double DEFAULT_WIENER_LAMBDA = 100.0;

    private static final Set<String> KALMAN_OPTIONS = Set.of("outputs", "gain", "constant");
    private static final Set<String> WIENER_OPTIONS = Set.of("outputs", "lags", "lambda");
    private static final Set<String> SNN_OPTIONS = Set.of("outputs", "neurons", "bin_ticks", "filter_shift", "lambda",
            "seed");

    private Decoders() {
    }

    /**
     * Creates an unfitted decoder.
     *
     * @param name     {@code "kalman"}, {@code "wiener"} or {@code "snn"} (case-insensitive)
     * @param channels features per bin, at least 1
     * @param options  options of the table above; may be empty or null
     * @throws IllegalArgumentException naming the decoder, option, value and what is allowed
     */
    public static TrainableDecoder create(String name, int channels, Map<String, String> options) {
        final Map<String, String> opts = options == null ? Map.of() : options;
        final String key = name == null ? "" : name.toLowerCase(Locale.ROOT);
        if (channels < 1) {
            throw new IllegalArgumentException("channels must be >= 1, was " + channels);
        }
        switch (key) {
            case "kalman": {
                checkKeys("kalman", opts, KALMAN_OPTIONS);
                final int outputs = intOption(opts, "outputs", 2, 1, 16);
                final KalmanDecoder.Gain gain = KalmanDecoder.Gain.parse(opts.getOrDefault("gain", "steady"));
                final boolean constant = boolOption(opts, "constant", true);
                return new KalmanDecoder(channels, outputs, gain, constant);
            }
            case "wiener": {
                checkKeys("wiener", opts, WIENER_OPTIONS);
                final int outputs = intOption(opts, "outputs", 2, 1, 16);
                final int lags = intOption(opts, "lags", DEFAULT_WIENER_LAGS, 1, 1000);
                final double lambda = doubleOption(opts, "lambda", DEFAULT_WIENER_LAMBDA);
                return new WienerDecoder(channels, outputs, lags, lambda);
            }
            case "snn": {
                checkKeys("snn", opts, SNN_OPTIONS);
                final SnnDecoder.Context ctx = new SnnDecoder.Context().inputCount(channels)
                        .outputCount(intOption(opts, "outputs", 2, 1, 16))
                        .neuronCount(intOption(opts, "neurons", 512, 256, 4096))
                        .binTicks(intOption(opts, "bin_ticks", 20, 1, 1000))
                        .filterShift(intOption(opts, "filter_shift", 5, 1, 12))
                        .seed(intOption(opts, "seed", 1, 0, Integer.MAX_VALUE));
                if (opts.containsKey("lambda")) {
                    ctx.ridgeLambda(doubleOption(opts, "lambda", 1.0));
                }
                return new SnnDecoder(ctx);
            }
            default:
                throw new IllegalArgumentException("unknown decoder '" + name + "': allowed are "
                        + new TreeSet<>(NAMES));
        }
    }

    private static void checkKeys(String decoder, Map<String, String> opts, Set<String> allowed) {
        for (String k : opts.keySet()) {
            if (!allowed.contains(k)) {
                throw new IllegalArgumentException("unknown option '" + k + "' for decoder " + decoder
                        + ": allowed are " + new TreeSet<>(allowed));
            }
        }
    }

    private static int intOption(Map<String, String> opts, String key, int dflt, int min, int max) {
        final String v = opts.get(key);
        if (v == null) {
            return dflt;
        }
        try {
            final int value = Integer.parseInt(v.trim());
            if (value < min || value > max) {
                throw new IllegalArgumentException("option " + key + " must be in [" + min + ", " + max
                        + "], was " + v);
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option " + key + " must be an integer in [" + min + ", " + max
                    + "], was '" + v + "'", e);
        }
    }

    private static double doubleOption(Map<String, String> opts, String key, double dflt) {
        final String v = opts.get(key);
        if (v == null) {
            return dflt;
        }
        try {
            final double value = Double.parseDouble(v.trim());
            if (!(value >= 0) || !Double.isFinite(value)) {
                throw new IllegalArgumentException("option " + key + " must be finite and >= 0, was " + v);
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option " + key + " must be a number >= 0, was '" + v + "'", e);
        }
    }

    private static boolean boolOption(Map<String, String> opts, String key, boolean dflt) {
        final String v = opts.get(key);
        if (v == null) {
            return dflt;
        }
        switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true":
                return true;
            case "false":
                return false;
            default:
                throw new IllegalArgumentException("option " + key + " must be true or false, was '" + v + "'");
        }
    }
}
