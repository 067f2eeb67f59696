package io.reflex.runtime.session;

import io.reflex.runtime.config.DecoderCatalog;
import io.reflex.runtime.config.SavedDecoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.reflex.decoders.CalibrationSet;
import io.reflex.decoders.catalog.Decoders;
import io.reflex.decoders.Metrics;
import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.TrainableDecoder;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.engine.EngineDecoder;
import io.reflex.decoders.engine.EngineSpec;
import io.reflex.decoders.file.DecoderFile;
import io.reflex.runtime.journal.JournalFormat;
import io.reflex.runtime.journal.JournalReader;
import io.reflex.runtime.journal.JournalRecord;
import io.reflex.runtime.pipeline.Frame;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fits a Kalman, Wiener, LFADS or SNN decoder offline from a recorded journal ({@code reflex fit}): every frame's features with
 * its reference targets (the source's {@code vx, vy} or {@code lx, ly, lz}), or, for a session whose targets came from
 * a separate kinematics stream, the paired targets journaled with the frame ({@link
 * JournalFormat#TYPE_PAIRED_TARGETS}). The decoder is scored on the last {@link #HELD_OUT_FRACTION} of the bins after
 * a fit on the rest, then fitted on all of them and written as a decoder file.
 *
 * <p>An LFADS or SNN decoder is built as a session builds it ({@link DecoderCatalog}): the recorded run's
 * {@code decoder.options} when the run decoded with the same decoder, else the defaults (for LFADS the shipped model
 * for the journal's source type). Its readout is fitted on the reference engine of the recorded chain's arithmetic
 * ({@code cpu} for a float32 LFADS run, else {@code cpu-fixed}), the stream reset at every frame that started a trial
 * as a session's calibration marks them, and the held-out bins are decoded in order on that engine, reset at trial
 * starts as the decode stage does.
 */
public final class JournalFit {
    /** The share of the bins, at the end of the run, held out for the R² figure. */
    public static final double HELD_OUT_FRACTION = 0.2;
    /** Most bins read from a journal (about 28 h of 20 ms bins). */
    public static final int MAX_BINS = 5_000_000;
    /** Most feature values held in memory (1 GiB of float32). */
    public static final long MAX_FEATURE_VALUES = 1L << 28;

    /** Most paired-targets records held while their frames' records have not come yet. */
    public static final int MAX_EARLY_PAIRED = 1 << 20;

    private JournalFit() {
    }

    /** What a fit did. */
    public static final class Result {
        public String decoder;
        public Path journal;
        public Path out;
        public int channels;
        public int outputs;
        public List<String> targetNames;
        /** The decoder's options as fitted (for LFADS the model), without {@code outputs}. */
        public Map<String, String> options = new LinkedHashMap<>();
        /** The engine an LFADS or SNN decoder was fitted and scored on; empty for Kalman and Wiener. */
        public List<String> engines = new ArrayList<>();
        /** {@code reference} (the neural stream's own references) or {@code paired} (a kinematics stream). */
        public String targetsFrom;
        public long binWidthUs;
        public double sampleRateHz;
        public long framesRead;
        /** Bins with finite features and targets: the ones fitted on. */
        public int bins;
        /** Frames without usable targets (unpaired, or NaN/Inf). */
        public long skipped;
        public int heldOutBins;
        /** Mean R² over the targets on the held-out bins, decoded in order (NaN when too few bins to hold out). */
        public double heldOutR2 = Double.NaN;
    }

    /** Decoder names {@link #fit} accepts. */
    public static final List<String> NAMES = List.of("kalman", "wiener", "lfads", "snn");

    /**
     * Fits {@code decoderName} ({@code kalman}, {@code wiener}, {@code lfads} or {@code snn}; null picks the
     * journal's {@code decoder.name} when it is kalman or wiener, else kalman) on the journal in {@code dir} and
     * writes it to {@code out}.
     *
     * @throws IllegalArgumentException with the reason when the journal holds nothing to fit on, an LFADS model does
     *                                  not read the journal's channels, or the fit fails
     */
    public static Result fit(Path dir, String decoderName, Path out) {
        return fit(dir, decoderName, out, true);
    }

    /**
     * Fits as {@link #fit(Path, String, Path)}, with the held-out score only when {@code scoreHeldOut} ({@code reflex
     * replay} scores the decoder itself and skips that second fit).
     */
    public static Result fit(Path dir, String decoderName, Path out, boolean scoreHeldOut) {
        if (decoderName != null && !NAMES.contains(decoderName)) {
            throw new IllegalArgumentException("--decoder must be one of " + String.join(", ", NAMES) + ", was "
                    + decoderName);
        }
        Result r = new Result();
        r.journal = dir;
        r.out = out;
        float[] features = new float[0];
        float[] targets = new float[0];
        int[] flags = new int[0];
        boolean[] hasTargets = new boolean[0];
        Map<Long, Integer> bySequence = new HashMap<>();
        Map<Long, float[]> early = new HashMap<>();
        int frames = 0;
        JsonNode meta = null;
        int[] refIndex = null;
        int channels = -1;
        int outputs = -1;
        boolean paired = false;
        try (JournalReader reader = new JournalReader(dir)) {
            JournalRecord rec = new JournalRecord();
            for (byte type = reader.nextRecord(rec); type != 0; type = reader.nextRecord(rec)) {
                if (meta == null) {
                    meta = metadata(dir, reader.metadataJson());
                    List<String> pairedNames = strings(meta.get("paired_targets"));
                    if (!pairedNames.isEmpty()) {
                        paired = true;
                        r.targetNames = pairedNames;
                        r.targetsFrom = "paired";
                    } else {
                        List<String> refs = strings(meta.get("references"));
                        DecodeTargets t = DecodeTargets.of(refs);
                        if (t == null) {
                            throw new IllegalArgumentException("journal " + dir + ": its frames carry no reference to"
                                    + " fit on (references " + refs + ", no paired kinematics); a session whose"
                                    + " kinematics came from source.lsl.kinematics journals them from journal format 2"
                                    + " on");
                        }
                        refIndex = t.indices();
                        r.targetNames = t.names();
                        r.targetsFrom = "reference";
                    }
                    outputs = r.targetNames.size();
                    JsonNode cfg = meta.get("config");
                    r.binWidthUs = cfg.path("pipeline").path("binWidthUs").asLong(0);
                    r.sampleRateHz = cfg.path("source").path("sampleRateHz").asDouble(0);
                    if (decoderName == null) {
                        String n = cfg.path("decoder").path("name").asText("kalman");
                        decoderName = n.equals("wiener") ? "wiener" : "kalman";
                    }
                }
                if (type == JournalFormat.TYPE_PAIRED_TARGETS) {
                    if (!paired || rec.pairedCount != outputs) {
                        continue;
                    }
                    Integer row = bySequence.get(rec.sequence);
                    if (row == null) {
                        // the pairing ran ahead of the journal writer: the frame's record comes later
                        if (early.size() == MAX_EARLY_PAIRED) {
                            throw new IllegalArgumentException("journal " + dir + " holds more than "
                                    + MAX_EARLY_PAIRED + " paired-targets records whose frames never came");
                        }
                        early.put(rec.sequence, Arrays.copyOf(rec.pairedTargets, outputs));
                        continue;
                    }
                    System.arraycopy(rec.pairedTargets, 0, targets, row * outputs, outputs);
                    hasTargets[row] = true;
                    continue;
                }
                if (type != JournalFormat.TYPE_FRAME) {
                    continue; // markers (journal format 3) do not enter a fit
                }
                if (channels < 0) {
                    // what the decoder reads: the frame's features, one per channel or, from a broadband front end
                    // with both outputs, channels × outputs (below, "channels" is that width)
                    channels = rec.featureCount;
                    r.channels = rec.channels;
                }
                if (rec.featureCount != channels || rec.channels != r.channels) {
                    throw new IllegalArgumentException("journal " + dir + ": frame " + rec.sequence + " has "
                            + rec.channels + " channels and " + rec.featureCount + " features, the first had "
                            + r.channels + " and " + channels);
                }
                if (frames == MAX_BINS || (long) (frames + 1) * channels > MAX_FEATURE_VALUES) {
                    throw new IllegalArgumentException("journal " + dir + " holds more than " + frames + " frames of "
                            + channels + " channels, more than reflex fit reads (" + MAX_BINS + " bins, "
                            + MAX_FEATURE_VALUES + " feature values)");
                }
                if (frames == flags.length) {
                    int cap = (int) Math.min(Math.min(MAX_BINS, MAX_FEATURE_VALUES / channels),
                            Math.max(1024, flags.length * 2L));
                    features = Arrays.copyOf(features, cap * channels);
                    targets = Arrays.copyOf(targets, cap * outputs);
                    flags = Arrays.copyOf(flags, cap);
                    hasTargets = Arrays.copyOf(hasTargets, cap);
                }
                System.arraycopy(rec.features, 0, features, frames * channels, channels);
                flags[frames] = rec.flags;
                if (paired) {
                    bySequence.put(rec.sequence, frames);
                    float[] first = early.remove(rec.sequence);
                    if (first != null) {
                        System.arraycopy(first, 0, targets, frames * outputs, outputs);
                        hasTargets[frames] = true;
                    }
                } else {
                    for (int k = 0; k < outputs; k++) {
                        int idx = refIndex[k];
                        if (idx >= rec.referenceCount) {
                            throw new IllegalArgumentException("journal " + dir + ": frame " + rec.sequence + " has "
                                    + rec.referenceCount + " reference values, the metadata names more");
                        }
                        targets[frames * outputs + k] = rec.targets[idx];
                    }
                    hasTargets[frames] = true;
                }
                frames++;
            }
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException("journal " + dir + " cannot be read: " + e.getMessage());
        }
        if (meta == null || frames == 0) {
            throw new IllegalArgumentException("journal " + dir + " holds no frames");
        }
        r.framesRead = frames;
        r.outputs = outputs;
        // the usable rows, in order; a trial start on a frame left out moves to the next usable one (as the
        // calibration recorder's mark waits for the next row it adds)
        int[] rows = new int[frames];
        boolean[] trialStart = new boolean[frames];
        int n = 0;
        boolean pendingStart = false;
        for (int i = 0; i < frames; i++) {
            pendingStart |= (flags[i] & Frame.FLAG_TRIAL_START) != 0;
            if (hasTargets[i] && finite(features, i * channels, channels) && finite(targets, i * outputs, outputs)) {
                trialStart[n] = pendingStart;
                pendingStart = false;
                rows[n++] = i;
            }
        }
        r.bins = n;
        r.skipped = frames - n;
        r.decoder = decoderName;
        JsonNode cfg = meta.path("config");
        String sourceType = cfg.path("source").path("type").asText("");
        if (DecoderCatalog.usesEngines(decoderName)) {
            modelSetup(dir, decoderName, cfg, sourceType, channels, r);
        }
        int minimum = minimumBins(decoderName, channels, outputs, r.options);
        if (n < minimum) {
            throw new IllegalArgumentException("journal " + dir + " has " + n + " bins with features and targets ("
                    + frames + " frames, " + r.skipped + " without usable targets); a " + decoderName + " decoder of "
                    + channels + " channels needs at least " + minimum);
        }
        int train = (int) Math.floor(n * (1 - HELD_OUT_FRACTION));
        if (scoreHeldOut && train >= minimum && n - train >= 10) {
            TrainableDecoder d = create(decoderName, channels, outputs, r);
            try {
                fitOn(d, set(features, targets, trialStart, rows, 0, train, channels, outputs), dir);
                r.heldOutBins = n - train;
                r.heldOutR2 = score(d, features, targets, trialStart, rows, train, n, channels, outputs);
            } finally {
                close(d);
            }
        }
        TrainableDecoder all = create(decoderName, channels, outputs, r);
        try {
            fitOn(all, set(features, targets, trialStart, rows, 0, n, channels, outputs), dir);
            DecoderFile.write(out, all, r.binWidthUs, r.sampleRateHz, n,
                    SavedDecoder.provenance("reflex fit", sourceType, dir.toString(), n, r.targetNames));
        } finally {
            close(all);
        }
        return r;
    }

    /**
     * The options and engine of a model decoder, as a session of the recorded config would build it: the run's
     * {@code decoder.options} when it decoded with the same decoder, the session's defaults for the rest; the
     * reference engine of the recorded chain's arithmetic. An LFADS model that does not read the journal's channels is
     * refused here, before any engine opens.
     */
    private static void modelSetup(Path dir, String name, JsonNode cfg, String sourceType, int channels, Result r) {
        JsonNode dec = cfg.path("decoder");
        Map<String, String> recorded = new LinkedHashMap<>();
        boolean sameDecoder = name.equals(dec.path("name").asText(""));
        if (sameDecoder) {
            dec.path("options").properties().forEach(e -> recorded.put(e.getKey(), e.getValue().asText()));
            recorded.remove("outputs"); // the outputs are the journal's targets
        }
        r.options = DecoderCatalog.options(name, recorded, sourceType);
        String firstEngine = dec.path("engines").path(0).asText("cpu-fixed");
        // every SNN chain is of the fixed family; an LFADS chain is float32 on cpu and aparapi
        boolean float32 = sameDecoder && name.equals("lfads")
                && (firstEngine.equals("cpu") || firstEngine.equals("aparapi"));
        r.engines = List.of(float32 ? "cpu" : "cpu-fixed");
        if (name.equals("lfads")) {
            String model = r.options.get("model");
            ModelBundle bundle;
            try {
                bundle = Decoders.lfadsModel(model);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("journal " + dir + ": the LFADS model cannot be used: "
                        + e.getMessage(), e);
            }
            int dataDim = bundle.hpInt("encod_data_dim");
            if (dataDim != channels) {
                throw new IllegalArgumentException("journal " + dir + " has " + channels + " channels but the LFADS"
                        + " model " + model + " (" + (sameDecoder && recorded.containsKey("model")
                        ? "the run's decoder.options.model" : "the default for source type \"" + sourceType + "\"")
                        + ") reads " + dataDim + " (encod_data_dim); an LFADS decoder needs a model trained on this"
                        + " source's channels");
            }
        }
    }

    private static TrainableDecoder create(String name, int channels, int outputs, Result r) {
        Map<String, String> opts = new LinkedHashMap<>(r.options);
        opts.put("outputs", Integer.toString(outputs));
        List<EngineSpec> engines = new ArrayList<>();
        for (String e : r.engines) {
            engines.add(EngineSpec.of(e, Map.of()));
        }
        try {
            return Decoders.create(name, channels, opts, engines);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a " + name + " decoder of " + channels + " channels and " + outputs
                    + " outputs cannot be built with options " + r.options + ": " + e.getMessage(), e);
        }
    }

    private static void fitOn(TrainableDecoder d, CalibrationSet set, Path dir) {
        try {
            d.fit(set);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("fitting " + d.name() + " on " + set.size() + " bins of journal " + dir
                    + " failed: " + e.getMessage(), e);
        }
    }

    private static void close(TrainableDecoder d) {
        if (d instanceof EngineDecoder e) {
            e.close();
        }
    }

    private static int minimumBins(String name, int channels, int outputs, Map<String, String> options) {
        if (DecoderCatalog.usesEngines(name)) {
            return EngineDecoder.MIN_CALIBRATION_ROWS;
        }
        Map<String, String> opts = new LinkedHashMap<>(options);
        opts.put("outputs", Integer.toString(outputs));
        TrainableDecoder d = Decoders.create(name, channels, opts);
        if (d instanceof io.reflex.decoders.linear.KalmanDecoder k) {
            return k.minimumCalibrationBins();
        }
        return ((io.reflex.decoders.linear.WienerDecoder) d).minimumCalibrationBins();
    }

    private static CalibrationSet set(float[] features, float[] targets, boolean[] trialStart, int[] rows, int from,
                                      int to, int channels, int outputs) {
        CalibrationSet set = new CalibrationSet(to - from, channels, outputs);
        float[] z = new float[channels];
        float[] y = new float[outputs];
        for (int i = from; i < to; i++) {
            int row = rows[i];
            System.arraycopy(features, row * channels, z, 0, channels);
            System.arraycopy(targets, row * outputs, y, 0, outputs);
            if (trialStart[i]) {
                set.markTrialStart();
            }
            set.add(z, y);
        }
        return set;
    }

    /**
     * Mean R² of {@code d} on rows {@code [from, to)} decoded in order, reset first and at each trial start; a bin an
     * engine decoder refused (its output the held safe output) is not scored.
     */
    private static double score(TrainableDecoder d, float[] features, float[] targets, boolean[] trialStart,
                                int[] rows, int from, int to, int channels, int outputs) {
        Metrics.R2Accumulator acc = new Metrics.R2Accumulator(outputs);
        float[] z = new float[channels];
        float[] out = new float[outputs];
        double[] truth = new double[outputs];
        d.reset();
        for (int i = from; i < to; i++) {
            int row = rows[i];
            if (trialStart[i]) {
                d.reset();
            }
            System.arraycopy(features, row * channels, z, 0, channels);
            for (int k = 0; k < outputs; k++) {
                truth[k] = targets[row * outputs + k];
            }
            if (d.decode(z, out) != DecodeStatus.OK) {
                continue;
            }
            acc.add(truth, out);
        }
        return acc.meanR2();
    }

    private static boolean finite(float[] a, int from, int count) {
        for (int i = from; i < from + count; i++) {
            if (!Float.isFinite(a[i])) {
                return false;
            }
        }
        return true;
    }

    private static JsonNode metadata(Path dir, String json) {
        if (json == null) {
            throw new IllegalArgumentException("journal " + dir + " has no run metadata record");
        }
        JsonNode node;
        try {
            node = new ObjectMapper().readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException("journal " + dir + ": its run metadata is not JSON: " + e.getMessage());
        }
        if (!node.has("references")) {
            throw new IllegalArgumentException("journal " + dir + " was written before journal format 2 (its metadata"
                    + " names no references); reflex fit reads journals of format 2 and later");
        }
        if (!node.path("config").isObject()) {
            throw new IllegalArgumentException("journal " + dir + ": its run metadata holds no config");
        }
        return node;
    }

    private static List<String> strings(JsonNode node) {
        List<String> out = new ArrayList<>();
        if (node != null && node.isArray()) {
            for (JsonNode n : node) {
                out.add(n.asText());
            }
        }
        return out;
    }
}
