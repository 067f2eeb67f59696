package io.reflex.runtime.session;

import io.reflex.runtime.config.SavedDecoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.Metrics;
import io.reflex.decoders.TrainableDecoder;
import io.reflex.decoders.engine.EngineDecoder;
import io.reflex.decoders.engine.EngineSpec;
import io.reflex.decoders.file.DecoderFile;
import io.reflex.runtime.journal.JournalFormat;
import io.reflex.runtime.journal.JournalReader;
import io.reflex.runtime.journal.JournalRecord;
import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.stim.StimConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * Re-runs a recorded journal's features through a decoder ({@code reflex replay}), as fast as it goes or paced by the
 * frames' recorded acquisition times ({@link Options#speed}), following the decode stage's rules: the decoder is
 * reset when a decoder generation starts and at each trial start, and a frame
 * the stage did not decode (skipped at the deadline, invalid input) is not decoded. Nothing else of the pipeline
 * runs: no source, no sinks, no stimulation.
 *
 * <p>With the run's own decoder (the {@code decoder.rxdf} a calibrated session saved, or the {@code decoder.file} it
 * loaded) only the frames of decoder generation 1, the frames that decoder decoded, are replayed, and every recorded
 * output the decoder produced (decode OK, not replaced by the safe output) is compared bit for bit. With another
 * decoder every live frame is replayed and the outputs are compared too (they will differ). R² against the recorded
 * targets (the source's references, or the paired targets of a kinematics stream) is reported for the recorded and
 * the replayed outputs side by side.
 *
 * <p>A model decoder (LFADS, SNN: a decoder file of format version 2) runs on an engine chain ({@link Options#engines};
 * default the reference engine of the recorded chain's arithmetic: {@code cpu-fixed} for the fixed family,
 * {@code cpu} for float32). Bit identity is claimed only where it holds ({@link Result#bitExact}): between engines of
 * the fixed family, or on the recorded chain's own first engine; otherwise (the float {@code cpu} engine against a
 * fixed-point run) the largest difference is reported instead.
 *
 * <p>When the run had stimulation and its stimulation journal is given, the policy's proposals and the envelope's
 * verdicts are recomputed from the recorded outputs and compared with the recorded commands ({@link StimReplay});
 * nothing is sent.
 */
public final class JournalReplay {

    /** Most paired-targets records held for scoring (about 5.8 h of 20 ms bins); later frames are not scored. */
    public static final int MAX_PAIRED = 1 << 20;

    private JournalReplay() {
    }

    /** What to replay with and how fast; the defaults are the run's own decoder, as fast as possible. */
    public static final class Options {
        /**
         * Null for the run's own decoder, {@code kalman} / {@code wiener} / {@code lfads} / {@code snn} (fitted on the
         * journal as {@link JournalFit} does), or a file.
         */
        public String decoder;
        /** The engine chain a model decoder runs on, by name; null or empty for the recorded chain's reference. */
        public List<String> engines;
        /** Replay pace relative to the recorded one (1: as recorded); 0 (default): as fast as possible. */
        public double speed;
        /** The run's stimulation journal, or null. */
        public Path stimDir;
        /** The operator named {@link #stimDir}: a run without stimulation config is refused. */
        public boolean stimExplicit;
        /** Replaces the threshold policy's threshold, or null. */
        public Double threshold;
    }

    /** Highest {@link Options#speed}. */
    public static final double MAX_SPEED = 1000.0;

    /** What a replay did. */
    public static final class Result {
        public Path journal;
        /** {@code saved} (the run's decoder.rxdf), {@code loaded} (the run's decoder.file), {@code file}, {@code fitted}. */
        public String decoderSource;
        /** The decoder file replayed (for {@code fitted}: none, null). */
        public Path decoderFile;
        public String decoderType;
        /** True when the decoder is the one the run decoded generation 1 with: outputs must match bit for bit. */
        public boolean recordedDecoder;
        /** The engine chain a model decoder was replayed on, by name; empty for Kalman and Wiener. */
        public List<String> engines = new ArrayList<>();
        /** The arithmetic family of that chain ({@code fixed}, {@code float32}), or null for Kalman and Wiener. */
        public String engineArithmetic;
        /** The arithmetic family of the chain the run decoded on, from its config; null for Kalman and Wiener. */
        public String recordedArithmetic;
        /**
         * True when the replay's arithmetic is the run's, so that the run's own decoder must reproduce every output
         * bit for bit (always for Kalman and Wiener); false e.g. for the float {@code cpu} engine against a
         * fixed-point run: then {@link #maxAbsDifference} is the figure.
         */
        public boolean bitExact = true;
        /** Paced by the recorded acquisition times ({@link Options#speed} > 0). */
        public boolean paced;
        /** The pace, 1 = as recorded; NaN when not paced. */
        public double speed = Double.NaN;
        /** Recorded acquisition time from the first frame to the last, seconds. */
        public double recordedSpanS;
        /** Wall time of the replay from the first frame to the last, seconds. */
        public double wallS;
        public int channels = -1;
        public int outputs = -1;
        /** The targets R² is scored on (empty: the journal has neither reference nor paired targets). */
        public List<String> targetNames = new ArrayList<>();
        /** {@code reference} (the source's own), {@code paired} (a kinematics stream's), or "" (none). */
        public String targetsFrom = "";
        public long frames;
        /** Frames of decoder generation 0 (calibration: no decoder yet). */
        public long noDecoderFrames;
        /** Frames of generations not replayed (with the run's decoder: the generations after 1, other decoders). */
        public long otherGenerationFrames;
        /** Frames the decode stage did not decode (skipped at the deadline, invalid input): not decoded again. */
        public long notDecodedFrames;
        /** Frames decoded by the replay. */
        public long replayed;
        /** Decoded frames whose recorded output was the safe output (a deadline miss or decode fault): not compared. */
        public long notComparable;
        public long compared;
        public long mismatches;
        public long firstMismatchSequence = -1;
        public double maxAbsDifference;
        /** Frames scored for R² (compared frames with finite targets). */
        public long scored;
        public double recordedR2 = Double.NaN;
        public double replayedR2 = Double.NaN;
        public double replayMs;
        /** Why the journal's reading stopped early, or null. */
        public String tailFault;
        /** The recomputed stimulation decisions ({@link StimReplay}), or null when not replayed ({@link #stimNote}). */
        public StimReplay.Result stim;
        /** Why stimulation was not replayed (the run had none, or no stimulation journal was found), or null. */
        public String stimNote;
        /** The engine a model decoder fitted on the journal was fitted on: its default chain; else null. */
        private List<String> fittedEngines;

        /** True when the run's own decoder reproduced every compared output (and some were compared). */
        public boolean reproduced() {
            return recordedDecoder && bitExact && compared > 0 && mismatches == 0 && tailFault == null;
        }
    }

    /**
     * Replays the journal in {@code dir} through {@code decoder}: null for the run's own decoder, {@code kalman},
     * {@code wiener}, {@code lfads} or {@code snn} for one fitted on the journal as {@code reflex fit} does, or a
     * decoder file.
     *
     * @throws IllegalArgumentException with the reason when the journal or the decoder cannot be used
     */
    public static Result replay(Path dir, String decoder) {
        return replay(dir, decoder, null, false, null);
    }

    /**
     * Replays as {@link #replay(Path, String)}, and the stimulation decisions too ({@link StimReplay}) when the run's
     * config had stimulation and {@code stimDir} (its stimulation journal) is given.
     *
     * @param stimDir      the run's stimulation journal, or null (none found)
     * @param stimExplicit the operator named {@code stimDir}: a run without stimulation config is refused
     * @param threshold    replaces the threshold policy's threshold, or null
     * @throws IllegalArgumentException with the reason when the journal or the decoder cannot be used
     */
    public static Result replay(Path dir, String decoder, Path stimDir, boolean stimExplicit, Double threshold) {
        Options o = new Options();
        o.decoder = decoder;
        o.stimDir = stimDir;
        o.stimExplicit = stimExplicit;
        o.threshold = threshold;
        return replayWith(dir, o);
    }

    /**
     * Replays the journal in {@code dir} as {@code o} says: the decoder, the engine chain of a model decoder, the
     * pace, and the stimulation decisions (as {@link #replay(Path, String, Path, boolean, Double)}).
     *
     * @throws IllegalArgumentException with the reason when the journal, the decoder, the engines or the speed cannot
     *                                  be used
     */
    public static Result replayWith(Path dir, Options o) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("no journal directory at " + dir.toAbsolutePath());
        }
        if (!(o.speed == 0 || o.speed > 0 && o.speed <= MAX_SPEED)) {
            throw new IllegalArgumentException("--speed is " + o.speed + "; it must be > 0 and <= " + MAX_SPEED
                    + " (1: the recorded pace), or left out for as fast as possible");
        }
        Result r = new Result();
        r.journal = dir;
        r.paced = o.speed > 0;
        r.speed = r.paced ? o.speed : Double.NaN;
        JsonNode meta = readMetadata(dir);
        DecoderFile.Contents contents = resolve(dir, o.decoder, meta, r);
        boolean engineList = o.engines != null && !o.engines.isEmpty();
        if (!contents.isModel() && engineList) {
            throw new IllegalArgumentException("--engine " + String.join(",", o.engines) + ": the " + contents.type()
                    + " decoder runs on the JVM and takes no engines (engines are for lfads and snn decoders)");
        }
        TrainableDecoder d = contents.isModel()
                ? openModel(contents, engineList ? o.engines : r.fittedEngines, meta, r) : contents.decoder();
        try {
            r.decoderType = contents.type();
            replayDecoder(dir, d, meta, o, r);
        } finally {
            if (d instanceof EngineDecoder ed) {
                ed.close();
            }
        }
        return r;
    }

    /**
     * The saved model decoder on the chain named (each engine with the recorded run's options for it, e.g. an
     * rtl-sim library), or on the reference engine of the recorded chain's arithmetic.
     */
    private static EngineDecoder openModel(DecoderFile.Contents c, List<String> names, JsonNode meta, Result r) {
        JsonNode dec = meta.path("config").path("decoder");
        List<String> recorded = new ArrayList<>();
        for (JsonNode n : dec.path("engines")) {
            recorded.add(n.asText());
        }
        String recordedFirst = recorded.isEmpty() ? "cpu-fixed" : recorded.get(0);
        // every SNN chain is of the fixed family (the CPU engine runs a reservoir in fixed point whatever its name)
        r.recordedArithmetic = "lfads".equals(c.type()) && (recordedFirst.equals("cpu")
                || recordedFirst.equals("aparapi")) ? "float32" : "fixed";
        List<String> chain = names != null ? names
                : List.of("float32".equals(r.recordedArithmetic) ? "cpu" : "cpu-fixed");
        List<EngineSpec> specs = new ArrayList<>();
        for (String n : chain) {
            String name = n.trim().toLowerCase(Locale.ROOT);
            if (name.isEmpty()) {
                throw new IllegalArgumentException("--engine: an empty engine name in " + chain);
            }
            Map<String, String> opts = new LinkedHashMap<>();
            dec.path("engineOptions").path(name).properties().forEach(e -> opts.put(e.getKey(), e.getValue().asText()));
            specs.add(EngineSpec.of(name, opts));
            r.engines.add(name);
        }
        EngineDecoder d = c.openModel(specs);
        r.engineArithmetic = d.arithmetic();
        r.bitExact = ("fixed".equals(r.engineArithmetic) && "fixed".equals(r.recordedArithmetic))
                || r.engines.get(0).equals(recordedFirst);
        return d;
    }

    private static void replayDecoder(Path dir, TrainableDecoder d, JsonNode meta, Options o, Result r) {
        List<String> refs = new ArrayList<>();
        for (JsonNode n : meta.path("references")) {
            refs.add(n.asText());
        }
        DecodeTargets targets = DecodeTargets.of(refs);
        Map<Long, float[]> paired = null;
        if (targets != null && targets.count() == d.outputCount()) {
            r.targetNames = targets.names();
            r.targetsFrom = "reference";
        } else {
            targets = null;
            List<String> pairedNames = new ArrayList<>();
            for (JsonNode n : meta.path("paired_targets")) {
                pairedNames.add(n.asText());
            }
            if (pairedNames.size() == d.outputCount()) {
                paired = pairedTargets(dir, d.outputCount());
                r.targetNames = pairedNames;
                r.targetsFrom = "paired";
            }
        }
        run(dir, d, targets, paired, o.speed, r);
        StimConfig stim = StimReplay.config(meta);
        Path stimDir = o.stimDir;
        Double threshold = o.threshold;
        if (stim == null) {
            if (o.stimExplicit || threshold != null) {
                throw new IllegalArgumentException("journal " + dir + ": its run had no stimulation (config.stim)");
            }
            r.stimNote = "the run had no stimulation";
        } else if (stimDir == null) {
            if (threshold != null) {
                throw new IllegalArgumentException("journal " + dir + ": no stimulation journal found next to it;"
                        + " name it with --stim DIR");
            }
            r.stimNote = "no stimulation journal found (name it with --stim DIR)";
        } else if (!Files.isDirectory(stimDir)) {
            throw new IllegalArgumentException("no stimulation journal directory at " + stimDir.toAbsolutePath());
        } else {
            r.stim = StimReplay.replay(dir, stimDir, stim, threshold);
        }
    }

    /** The paired-targets records of a journal by frame sequence (the first {@link #MAX_PAIRED} of them). */
    private static Map<Long, float[]> pairedTargets(Path dir, int count) {
        Map<Long, float[]> out = new HashMap<>();
        try (JournalReader reader = new JournalReader(dir)) {
            JournalRecord rec = new JournalRecord();
            for (byte type = reader.nextRecord(rec); type != 0 && out.size() < MAX_PAIRED;
                 type = reader.nextRecord(rec)) {
                if (type == JournalFormat.TYPE_PAIRED_TARGETS && rec.pairedCount == count) {
                    out.put(rec.sequence, Arrays.copyOf(rec.pairedTargets, count));
                }
            }
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException("journal " + dir + " cannot be read: " + e.getMessage());
        }
        return out;
    }

    private static void run(Path dir, TrainableDecoder d, DecodeTargets targets, Map<Long, float[]> paired,
                            double speed, Result r) {
        int outputs = d.outputCount();
        float[] features = new float[d.inputCount()];
        float[] out = new float[outputs];
        double[] truth = new double[outputs];
        Metrics.R2Accumulator recordedAcc = new Metrics.R2Accumulator(outputs);
        Metrics.R2Accumulator replayedAcc = new Metrics.R2Accumulator(outputs);
        int generation = 0;
        int firstFeatures = -1;
        long t0 = System.nanoTime();
        double firstAcquisitionS = Double.NaN;
        double lastAcquisitionS = Double.NaN;
        try (JournalReader reader = new JournalReader(dir)) {
            JournalRecord rec = new JournalRecord();
            for (byte type = reader.nextRecord(rec); type != 0; type = reader.nextRecord(rec)) {
                if (type != JournalFormat.TYPE_FRAME) {
                    continue;
                }
                r.frames++;
                if (Double.isNaN(firstAcquisitionS)) {
                    firstAcquisitionS = rec.acquisitionTimeS;
                }
                lastAcquisitionS = rec.acquisitionTimeS;
                if (speed > 0) {
                    // paced: this frame is due when its recorded time since the first, divided by the speed, is past
                    long dueNs = t0 + Math.round((rec.acquisitionTimeS - firstAcquisitionS) / speed * 1e9);
                    for (long wait = dueNs - System.nanoTime(); wait > 0; wait = dueNs - System.nanoTime()) {
                        LockSupport.parkNanos(wait);
                    }
                }
                if (r.channels < 0) {
                    r.channels = rec.channels;
                    r.outputs = rec.outputCount;
                    firstFeatures = rec.featureCount;
                    // the decoder reads the frame's features: one per channel, or channels × outputs of a broadband
                    // front end with both outputs
                    if (rec.featureCount != d.inputCount() || rec.outputCount != outputs) {
                        throw new IllegalArgumentException("the decoder maps " + d.inputCount() + " features to "
                                + outputs + " outputs but the journal's frames have " + rec.featureCount
                                + " features (" + rec.channels + " channels) and " + rec.outputCount + " outputs");
                    }
                }
                if (rec.featureCount != firstFeatures || rec.channels != r.channels || rec.outputCount != outputs) {
                    throw new IllegalArgumentException("journal " + dir + ": frame " + rec.sequence + " has "
                            + rec.channels + " channels, " + rec.featureCount + " features and " + rec.outputCount
                            + " outputs, the first had " + r.channels + ", " + firstFeatures + " and " + r.outputs);
                }
                if (rec.decoderGeneration == 0) {
                    r.noDecoderFrames++;
                    continue;
                }
                if (r.recordedDecoder && rec.decoderGeneration != 1) {
                    r.otherGenerationFrames++;
                    continue;
                }
                // as the decode stage: a decoder taken up starts from reset, and so does every trial
                if (rec.decoderGeneration != generation || (rec.flags & Frame.FLAG_TRIAL_START) != 0) {
                    d.reset();
                    generation = rec.decoderGeneration;
                }
                if (rec.decodeStatus == Frame.DECODE_SKIPPED || (rec.flags & Frame.FLAG_INVALID_INPUT) != 0) {
                    r.notDecodedFrames++;
                    continue;
                }
                System.arraycopy(rec.features, 0, features, 0, features.length);
                d.decode(features, out);
                r.replayed++;
                if (rec.decodeStatus != DecodeStatus.OK || (rec.flags & Frame.FLAG_SAFE_OUTPUT) != 0) {
                    r.notComparable++;
                    continue;
                }
                r.compared++;
                boolean same = true;
                for (int k = 0; k < outputs; k++) {
                    if (Float.floatToRawIntBits(out[k]) != Float.floatToRawIntBits(rec.output[k])) {
                        same = false;
                        r.maxAbsDifference = Math.max(r.maxAbsDifference, Math.abs((double) out[k] - rec.output[k]));
                    }
                }
                if (!same && r.mismatches++ == 0) {
                    r.firstMismatchSequence = rec.sequence;
                }
                if ((targets != null && score(rec, targets, truth)) || (paired != null && score(rec, paired, truth))) {
                    recordedAcc.add(truth, rec.output);
                    replayedAcc.add(truth, out);
                    r.scored++;
                }
            }
            r.tailFault = reader.tailFault();
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException("journal " + dir + " cannot be read: " + e.getMessage());
        }
        r.replayMs = (System.nanoTime() - t0) * 1e-6;
        r.wallS = r.replayMs * 1e-3;
        r.recordedSpanS = Double.isNaN(firstAcquisitionS) ? 0 : Math.max(0, lastAcquisitionS - firstAcquisitionS);
        if (r.frames == 0) {
            throw new IllegalArgumentException("journal " + dir + " holds no frames");
        }
        if (r.scored > 1) {
            r.recordedR2 = recordedAcc.meanR2();
            r.replayedR2 = replayedAcc.meanR2();
        }
    }

    private static boolean score(JournalRecord rec, Map<Long, float[]> paired, double[] truth) {
        float[] t = paired.get(rec.sequence);
        if (t == null) {
            return false;
        }
        for (int k = 0; k < truth.length; k++) {
            if (!Float.isFinite(t[k]) || !Float.isFinite(rec.output[k])) {
                return false;
            }
            truth[k] = t[k];
        }
        return true;
    }

    private static boolean score(JournalRecord rec, DecodeTargets targets, double[] truth) {
        int[] idx = targets.indices();
        for (int k = 0; k < truth.length; k++) {
            if (idx[k] >= rec.referenceCount) {
                return false;
            }
            float v = rec.targets[idx[k]];
            if (!Float.isFinite(v)) {
                return false;
            }
            truth[k] = v;
        }
        for (int k = 0; k < truth.length; k++) {
            if (!Float.isFinite(rec.output[k])) {
                return false;
            }
        }
        return true;
    }

    private static DecoderFile.Contents resolve(Path dir, String decoder, JsonNode meta, Result r) {
        Path saved = dir.resolve(SavedDecoder.FILE_NAME);
        String loadedName = meta.path("config").path("decoder").path("file").asText("");
        Path loaded = loadedName.isEmpty() ? null : Path.of(loadedName);
        if (decoder == null) {
            if (Files.isRegularFile(saved)) {
                r.decoderSource = "saved";
                r.decoderFile = saved;
            } else if (loaded != null && Files.isRegularFile(loaded)) {
                r.decoderSource = "loaded";
                r.decoderFile = loaded;
            } else {
                throw new IllegalArgumentException("journal " + dir + " holds no saved decoder ("
                        + SavedDecoder.FILE_NAME + ")" + (loaded != null ? " and the decoder.file its run loaded ("
                        + loaded + ") is not there" : "") + "; name one with --decoder FILE.rxdf, "
                        + String.join(", ", JournalFit.NAMES));
            }
            r.recordedDecoder = true;
            return DecoderFile.read(r.decoderFile);
        }
        if (JournalFit.NAMES.contains(decoder)) {
            r.decoderSource = "fitted";
            Path tmp;
            try {
                tmp = Files.createTempFile("reflex-replay-", ".rxdf");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            try {
                JournalFit.Result fit = JournalFit.fit(dir, decoder, tmp, false);
                if (!fit.engines.isEmpty()) {
                    r.fittedEngines = fit.engines;
                }
                return DecoderFile.read(tmp);
            } finally {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a temporary file the system cleans up
                }
            }
        }
        Path file = Path.of(decoder);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--decoder " + decoder + " is neither one of "
                    + String.join(", ", JournalFit.NAMES) + " nor a decoder file");
        }
        r.decoderSource = "file";
        r.decoderFile = file;
        r.recordedDecoder = sameBytes(file, saved) || (loaded != null && sameBytes(file, loaded));
        return DecoderFile.read(file);
    }

    private static boolean sameBytes(Path a, Path b) {
        try {
            return Files.isRegularFile(b) && Files.mismatch(a, b) == -1;
        } catch (IOException e) {
            return false;
        }
    }

    private static JsonNode readMetadata(Path dir) {
        try (JournalReader reader = new JournalReader(dir)) {
            JournalRecord rec = new JournalRecord();
            reader.nextRecord(rec);
            String json = reader.metadataJson();
            if (json == null) {
                throw new IllegalArgumentException("journal " + dir + " has no run metadata record"
                        + (reader.tailFault() != null ? " (" + reader.tailFault() + ")" : ""));
            }
            JsonNode node = new ObjectMapper().readTree(json);
            if (!node.path("config").isObject()) {
                throw new IllegalArgumentException("journal " + dir + ": its run metadata holds no config");
            }
            return node;
        } catch (IOException e) {
            throw new IllegalArgumentException("journal " + dir + ": its run metadata is not JSON: " + e.getMessage());
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException("journal " + dir + " cannot be read: " + e.getMessage());
        } catch (RuntimeException | InternalError e) {
            if (e instanceof IllegalArgumentException iae) {
                throw iae;
            }
            throw new IllegalArgumentException("journal " + dir + " cannot be opened: " + e);
        }
    }
}
