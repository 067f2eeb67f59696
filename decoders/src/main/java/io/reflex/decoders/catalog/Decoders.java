package io.reflex.decoders.catalog;

import io.reflex.decoders.TrainableDecoder;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.engine.EngineDecoder;
import io.reflex.decoders.engine.EngineException;
import io.reflex.decoders.engine.EngineSpec;
import io.reflex.decoders.lfads.LfadsMode;
import io.reflex.decoders.linear.KalmanDecoder;
import io.reflex.decoders.linear.WienerDecoder;
import io.reflex.decoders.snn.SnnDecoder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Creates trainable decoders by name, for configs and command lines. {@code lfads} and {@code snn} are
 * {@link EngineDecoder}s over an engine chain ({@link #create(String, int, Map, List)} names it; default
 * {@link EngineDecoder#DEFAULT_ENGINES}); {@code kalman} and {@code wiener} run on the JVM and take no engines.
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
 *   <tr><td>snn</td><td>{@code neurons}</td><td>512</td><td>256…16384 (reservoir size)</td></tr>
 *   <tr><td>snn</td><td>{@code bin_ticks}</td><td>20</td><td>1…1000 (1 ms ticks per bin)</td></tr>
 *   <tr><td>snn</td><td>{@code filter_shift}</td><td>5</td><td>1…12 (readout filter τ ≈ 2^k ms)</td></tr>
 *   <tr><td>snn</td><td>{@code lambda}</td><td>chosen by 5-fold blocked CV</td><td>finite, ≥ 0 (relative ridge)</td></tr>
 *   <tr><td>snn</td><td>{@code seed}</td><td>1</td><td>0…2^31−1 (reservoir recipe)</td></tr>
 *   <tr><td>lfads</td><td>{@code model}</td><td>{@value #DEFAULT_LFADS_MODEL}</td><td>a path to an .rbundle, or the
 *       name of a shipped model ({@code decoders/src/main/resources/models/NAME.rbundle}); its
 *       {@code encod_data_dim} must equal the channels</td></tr>
 *   <tr><td>lfads</td><td>{@code mode}</td><td>the bundle's (causal for a causal bundle, else sliding)</td>
 *       <td>causal | sliding</td></tr>
 *   <tr><td>lfads</td><td>{@code outputs}</td><td>2</td><td>1…64 (calibration targets: 2 for velocity, 3 for
 *       Lorenz latents)</td></tr>
 *   <tr><td>lfads</td><td>{@code lambda}</td><td>chosen by 5-fold blocked CV</td><td>finite, ≥ 0 (relative ridge)</td></tr>
 * </table>
 */
public final class Decoders {
    /** Names {@link #create} accepts. */
    public static final Set<String> NAMES = Set.of("kalman", "wiener", "snn", "lfads");
    /** The LFADS model {@code lfads} runs when the option {@code model} is not given (a shipped model's name). */
    public static final String DEFAULT_LFADS_MODEL = "lfads-lorenz-causal";
    /** Where shipped models live on the class path: {@code /models/NAME.rbundle}. */
    public static final String SHIPPED_MODELS = "/models/";
    /** Default number of Wiener lags (20 ms bins: 200 ms of history). */
    public static final int DEFAULT_WIENER_LAGS = 10;
    /** Default Wiener ridge, in units of ΦᵀΦ (spike counts² summed over the calibration rows). */
    public static final double DEFAULT_WIENER_LAMBDA = 100.0;

    private static final Set<String> KALMAN_OPTIONS = Set.of("outputs", "gain", "constant");
    private static final Set<String> WIENER_OPTIONS = Set.of("outputs", "lags", "lambda");
    private static final Set<String> SNN_OPTIONS = Set.of("outputs", "neurons", "bin_ticks", "filter_shift", "lambda",
            "seed");
    private static final Set<String> LFADS_OPTIONS = Set.of("model", "mode", "outputs", "lambda");

    private Decoders() {
    }

    /**
     * Creates an unfitted decoder; {@code lfads} and {@code snn} run on {@link EngineDecoder#DEFAULT_ENGINES}.
     *
     * @param name     {@code "kalman"}, {@code "wiener"}, {@code "snn"} or {@code "lfads"} (case-insensitive)
     * @param channels features per bin, at least 1
     * @param options  options of the table above; may be empty or null
     * @throws IllegalArgumentException naming the decoder, option, value and what is allowed
     */
    public static TrainableDecoder create(String name, int channels, Map<String, String> options) {
        return create(name, channels, options, null);
    }

    /**
     * Creates an unfitted decoder on an engine chain.
     *
     * @param name     {@code "kalman"}, {@code "wiener"}, {@code "snn"} or {@code "lfads"} (case-insensitive)
     * @param channels features per bin, at least 1
     * @param options  options of the table above; may be empty or null
     * @param engines  for {@code lfads} and {@code snn}: the chain in order of preference, each engine with its
     *                 options and optional injected fault ({@link EngineSpec}); null or empty for
     *                 {@link EngineDecoder#DEFAULT_ENGINES}. Must be null or empty for {@code kalman} and
     *                 {@code wiener}.
     * @throws IllegalArgumentException naming the decoder, option, value and what is allowed, or why no engine of the
     *                                  chain can run the model
     */
    public static TrainableDecoder create(String name, int channels, Map<String, String> options,
                                          List<EngineSpec> engines) {
        final List<EngineSpec> chain = engines == null || engines.isEmpty() ? EngineDecoder.DEFAULT_ENGINES : engines;
        final Spec spec = parse(name, channels, options);
        if (!(spec instanceof Model)) {
            noEngines(spec.name(), engines);
        }
        if (spec instanceof Kalman k) {
            return new KalmanDecoder(channels, k.outputs, k.gain, k.constant);
        }
        if (spec instanceof Wiener w) {
            return new WienerDecoder(channels, w.outputs, w.lags, w.lambda);
        }
        final Model m = (Model) spec;
        final ModelBundle bundle = m.bundle != null ? m.bundle
                : SnnDecoder.reservoirBundle(m.snn, "snn-reservoir", "Decoders.create(\"snn\", " + channels + ", "
                        + new java.util.TreeMap<>(options == null ? Map.of() : options) + ")").toBundle();
        final EngineDecoder.Context ec = new EngineDecoder.Context().name(m.name).bundle(bundle).engines(chain)
                .outputs(m.outputs);
        if (m.mode != null) {
            ec.mode(m.mode);
        }
        if (m.lambda != null) {
            ec.ridgeLambda(m.lambda);
        }
        return engineDecoder(m.name, ec);
    }

    /**
     * Checks a decoder name and its options exactly as {@link #create} does, and builds nothing: no decoder, no
     * reservoir, no engine (for config validation). An {@code lfads} model is read to compare its input dimension
     * with the channels, since that is part of what is checked.
     *
     * @throws IllegalArgumentException with the message {@link #create} would give
     */
    public static void checkOptions(String name, int channels, Map<String, String> options) {
        parse(name, channels, options);
    }

    /** A decoder's options, parsed and checked. */
    private sealed interface Spec permits Kalman, Wiener, Model {
        String name();
    }

    private record Kalman(int outputs, KalmanDecoder.Gain gain, boolean constant) implements Spec {
        @Override
        public String name() {
            return "kalman";
        }
    }

    private record Wiener(int outputs, int lags, double lambda) implements Spec {
        @Override
        public String name() {
            return "wiener";
        }
    }

    /** lfads (bundle set, snn null) or snn (snn set, bundle built only by create). */
    private record Model(String name, ModelBundle bundle, SnnDecoder.Context snn, int outputs, LfadsMode mode,
                         Double lambda) implements Spec {
    }

    private static Spec parse(String name, int channels, Map<String, String> options) {
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
                return new Kalman(outputs, gain, constant);
            }
            case "wiener": {
                checkKeys("wiener", opts, WIENER_OPTIONS);
                final int outputs = intOption(opts, "outputs", 2, 1, 16);
                final int lags = intOption(opts, "lags", DEFAULT_WIENER_LAGS, 1, 1000);
                final double lambda = doubleOption(opts, "lambda", DEFAULT_WIENER_LAMBDA);
                return new Wiener(outputs, lags, lambda);
            }
            case "snn": {
                checkKeys("snn", opts, SNN_OPTIONS);
                final int outputs = intOption(opts, "outputs", 2, 1, 16);
                final SnnDecoder.Context ctx = new SnnDecoder.Context().inputCount(channels)
                        .outputCount(outputs)
                        .neuronCount(intOption(opts, "neurons", 512, SnnDecoder.Context.MIN_NEURONS,
                                SnnDecoder.Context.MAX_NEURONS))
                        .binTicks(intOption(opts, "bin_ticks", 20, 1, 1000))
                        .filterShift(intOption(opts, "filter_shift", 5, 1, 12))
                        .seed(intOption(opts, "seed", 1, 0, Integer.MAX_VALUE));
                ctx.conclude();
                final Double lambda = opts.containsKey("lambda") ? doubleOption(opts, "lambda", 1.0) : null;
                return new Model("snn", null, ctx, outputs, null, lambda);
            }
            case "lfads": {
                checkKeys("lfads", opts, LFADS_OPTIONS);
                final String model = opts.getOrDefault("model", DEFAULT_LFADS_MODEL);
                final ModelBundle bundle = lfadsModel(model);
                if (!"lfads".equals(bundle.modelType())) {
                    throw new IllegalArgumentException("option model: " + model + " has model_type '"
                            + bundle.modelType() + "'; decoder lfads needs an LFADS bundle");
                }
                final int dataDim = bundle.hpInt("encod_data_dim");
                if (dataDim != channels) {
                    throw new IllegalArgumentException("decoder lfads: channels (" + channels + ") must equal the "
                            + "input dimension of model " + model + " (encod_data_dim " + dataDim + ")");
                }
                final int outputs = intOption(opts, "outputs", 2, 1, 64);
                LfadsMode mode = null;
                if (opts.containsKey("mode")) {
                    try {
                        mode = LfadsMode.parse(opts.get("mode").trim());
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("option " + e.getMessage(), e);
                    }
                }
                final Double lambda = opts.containsKey("lambda") ? doubleOption(opts, "lambda", 1.0) : null;
                return new Model("lfads", bundle, null, outputs, mode, lambda);
            }
            default:
                throw new IllegalArgumentException("unknown decoder '" + name + "': allowed are "
                        + new TreeSet<>(NAMES));
        }
    }

    private static void noEngines(String decoder, List<EngineSpec> engines) {
        if (engines != null && !engines.isEmpty()) {
            throw new IllegalArgumentException("decoder " + decoder + " runs on the JVM and takes no engines; found "
                    + engines + " (engines are for lfads and snn)");
        }
    }

    private static EngineDecoder engineDecoder(String decoder, EngineDecoder.Context ec) {
        try {
            return new EngineDecoder(ec);
        } catch (EngineException | io.reflex.decoders.bundle.BundleException e) {
            throw new IllegalArgumentException("decoder " + decoder + ": " + e.getMessage(), e);
        }
    }

    /**
     * The LFADS bundle an option {@code model} names: an existing file (a path), else a shipped model
     * ({@value #SHIPPED_MODELS}NAME.rbundle on the class path).
     *
     * @throws IllegalArgumentException when neither exists or the file is not a valid bundle
     */
    public static ModelBundle lfadsModel(String model) {
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("option model must name a bundle file or a shipped model, e.g. "
                    + DEFAULT_LFADS_MODEL);
        }
        final Path path = Path.of(model);
        if (Files.isRegularFile(path) || Files.isDirectory(path)) {
            try {
                return ModelBundle.open(path);
            } catch (IOException | io.reflex.decoders.bundle.BundleException e) {
                throw new IllegalArgumentException("option model: cannot read " + model + ": " + e.getMessage(), e);
            }
        }
        final String resource = SHIPPED_MODELS + model + (model.endsWith(".rbundle") ? "" : ".rbundle");
        if (model.contains("/") || model.contains("\\") || Decoders.class.getResource(resource) == null) {
            throw new IllegalArgumentException("option model: '" + model + "' is neither a bundle file nor a shipped "
                    + "model (shipped models are decoders/src/main/resources" + SHIPPED_MODELS + "NAME.rbundle, e.g. "
                    + DEFAULT_LFADS_MODEL + ")");
        }
        try {
            return ModelBundle.fromResource(resource);
        } catch (io.reflex.decoders.bundle.BundleException e) {
            throw new IllegalArgumentException("option model: shipped model " + model + ": " + e.getMessage(), e);
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
