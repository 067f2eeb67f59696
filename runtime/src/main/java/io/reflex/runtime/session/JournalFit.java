package io.reflex.runtime.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.reflex.decoders.CalibrationSet;
import io.reflex.decoders.catalog.Decoders;
import io.reflex.decoders.Metrics;
import io.reflex.decoders.TrainableDecoder;
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
 * Fits a Kalman or Wiener decoder offline from a recorded journal ({@code reflex fit}): every frame's features with
 * its reference targets (the source's {@code vx, vy} or {@code lx, ly, lz}), or, for a session whose targets came from
 * a separate kinematics stream, the paired targets journaled with the frame ({@link
 * JournalFormat#TYPE_PAIRED_TARGETS}). The decoder is scored on the last {@link #HELD_OUT_FRACTION} of the bins after
 * a fit on the rest, then fitted on all of them and written as a decoder file.
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

    /**
     * Fits {@code decoderName} ({@code kalman} or {@code wiener}; null picks the journal's {@code decoder.name} when
     * it is one of them, else kalman) on the journal in {@code dir} and writes it to {@code out}.
     *
     * @throws IllegalArgumentException with the reason when the journal holds nothing to fit on, or the fit fails
     */
    public static Result fit(Path dir, String decoderName, Path out) {
        if (decoderName != null && !decoderName.equals("kalman") && !decoderName.equals("wiener")) {
            throw new IllegalArgumentException("--decoder must be kalman or wiener, was " + decoderName);
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
                    channels = rec.channels;
                    r.channels = channels;
                }
                if (rec.channels != channels) {
                    throw new IllegalArgumentException("journal " + dir + ": frame " + rec.sequence + " has "
                            + rec.channels + " channels, the first had " + channels);
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
        // the usable rows, in order
        int[] rows = new int[frames];
        int n = 0;
        for (int i = 0; i < frames; i++) {
            if (hasTargets[i] && finite(features, i * channels, channels) && finite(targets, i * outputs, outputs)) {
                rows[n++] = i;
            }
        }
        r.bins = n;
        r.skipped = frames - n;
        r.decoder = decoderName;
        TrainableDecoder probe = create(decoderName, channels, outputs);
        int minimum = minimumBins(probe);
        if (n < minimum) {
            throw new IllegalArgumentException("journal " + dir + " has " + n + " bins with features and targets ("
                    + frames + " frames, " + r.skipped + " without usable targets); a " + decoderName + " decoder of "
                    + channels + " channels needs at least " + minimum);
        }
        int train = (int) Math.floor(n * (1 - HELD_OUT_FRACTION));
        if (train >= minimum && n - train >= 10) {
            TrainableDecoder d = create(decoderName, channels, outputs);
            d.fit(set(features, targets, flags, rows, 0, train, channels, outputs));
            r.heldOutBins = n - train;
            r.heldOutR2 = score(d, features, targets, flags, rows, train, n, channels, outputs);
        }
        TrainableDecoder all = create(decoderName, channels, outputs);
        all.fit(set(features, targets, flags, rows, 0, n, channels, outputs));
        DecoderFile.write(out, all, r.binWidthUs, r.sampleRateHz, n,
                SavedDecoder.provenance("reflex fit", meta.path("config").path("source").path("type").asText(""),
                        dir.toString(), n, r.targetNames));
        return r;
    }

    private static TrainableDecoder create(String name, int channels, int outputs) {
        Map<String, String> opts = new LinkedHashMap<>();
        opts.put("outputs", Integer.toString(outputs));
        return Decoders.create(name, channels, opts);
    }

    private static int minimumBins(TrainableDecoder d) {
        if (d instanceof io.reflex.decoders.linear.KalmanDecoder k) {
            return k.minimumCalibrationBins();
        }
        return ((io.reflex.decoders.linear.WienerDecoder) d).minimumCalibrationBins();
    }

    private static CalibrationSet set(float[] features, float[] targets, int[] flags, int[] rows, int from, int to,
                                      int channels, int outputs) {
        CalibrationSet set = new CalibrationSet(to - from, channels, outputs);
        float[] z = new float[channels];
        float[] y = new float[outputs];
        for (int i = from; i < to; i++) {
            int row = rows[i];
            System.arraycopy(features, row * channels, z, 0, channels);
            System.arraycopy(targets, row * outputs, y, 0, outputs);
            if ((flags[row] & Frame.FLAG_TRIAL_START) != 0) {
                set.markTrialStart();
            }
            set.add(z, y);
        }
        return set;
    }

    private static double score(TrainableDecoder d, float[] features, float[] targets, int[] flags, int[] rows,
                                int from, int to, int channels, int outputs) {
        Metrics.R2Accumulator acc = new Metrics.R2Accumulator(outputs);
        float[] z = new float[channels];
        float[] out = new float[outputs];
        double[] truth = new double[outputs];
        d.reset();
        for (int i = from; i < to; i++) {
            int row = rows[i];
            if ((flags[row] & Frame.FLAG_TRIAL_START) != 0) {
                d.reset();
            }
            System.arraycopy(features, row * channels, z, 0, channels);
            for (int k = 0; k < outputs; k++) {
                truth[k] = targets[row * outputs + k];
            }
            d.decode(z, out);
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
