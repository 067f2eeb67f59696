package io.reflex.tools;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.decoders.file.DecoderFile;
import io.reflex.runtime.journal.JournalFormat;
import io.reflex.runtime.journal.JournalReader;
import io.reflex.runtime.journal.JournalRecord;
import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.config.SavedDecoder;
import io.reflex.runtime.stim.ChronicleStimJournal;
import io.reflex.stim.StimCommand;
import io.reflex.stim.StimVerdict;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What a journal directory holds ({@code reflex journal info}): one run directory ({@code run-...}) or a
 * {@code journal.dir} holding several, each read from start to end with a {@link JournalReader} (nothing is kept
 * but counts), and the stimulation journals that go with them. A damaged run is summarised up to the damage, with
 * the reason in {@link Run#error}.
 */
final class JournalInfo {
    /** Most distinct decoder generations listed per run; more are counted in {@link Run#moreGenerations}. */
    static final int MAX_GENERATIONS = 1024;
    /** Most run or stimulation directories listed from one {@code journal.dir}. */
    static final int MAX_DIRECTORIES = 10_000;

    /** The summary of one run journal. */
    static final class Run {
        Path path;
        int formatVersion = -1;
        String source = "";
        String decoder = "";
        long binWidthUs;
        /** The config's stim.journalDir, or "". */
        String stimJournalDir = "";
        List<String> references = new ArrayList<>();
        List<String> pairedTargets = new ArrayList<>();
        long records;
        long frames;
        int channels = -1;
        /** Features per frame: the channels, or channels × outputs of a broadband front end with both (frame layout 2). */
        int features = -1;
        int outputs = -1;
        long firstSequence = -1;
        long lastSequence = -1;
        long sequenceGaps;
        double firstTimeS = Double.NaN;
        double lastTimeS = Double.NaN;
        /** generation -> {frames, first sequence} */
        final Map<Integer, long[]> generations = new TreeMap<>();
        long moreGenerations;
        long markers;
        long pairedTargetRecords;
        long trialStarts;
        long deadlineMisses;
        long safeOutputs;
        long invalidInput;
        long decodeSkipped;
        DecoderFile.Contents decoderFile;
        String decoderFileError;
        /** What is wrong with the journal (not a journal, damaged, cut short), or null. */
        String error;
    }

    /** The summary of one stimulation journal. */
    static final class Stim {
        Path path;
        long records;
        long commands;
        long accepted;
        long refused;
        long stopAll;
        long events;
        String error;
    }

    /** Everything {@code journal info} found under one path. */
    static final class Result {
        Path path;
        final List<Run> runs = new ArrayList<>();
        final List<Stim> stim = new ArrayList<>();

        /** True when no run or stimulation journal is damaged or foreign. */
        boolean ok() {
            return runs.stream().allMatch(r -> r.error == null) && stim.stream().allMatch(s -> s.error == null);
        }
    }

    private JournalInfo() {
    }

    /**
     * Summarises {@code path}: a run directory, or a directory of {@code run-*} directories; with {@code stimDir}
     * that stimulation journal, else the {@code stim-*} directories of the same process found next to the run (or
     * all of them in a {@code journal.dir}).
     *
     * @throws IllegalArgumentException naming the path when it is missing, not a directory, or holds no journal
     */
    static Result inspect(Path path, Path stimDir) {
        Path abs = path.toAbsolutePath().normalize();
        if (!Files.exists(abs)) {
            throw new IllegalArgumentException(abs + ": no such journal directory");
        }
        if (!Files.isDirectory(abs)) {
            throw new IllegalArgumentException(abs + " is not a directory (a journal is a run-... directory under"
                    + " journal.dir)");
        }
        Result result = new Result();
        result.path = abs;
        List<Path> runs = new ArrayList<>();
        List<Path> stims = new ArrayList<>();
        if (hasQueueFiles(abs)) {
            runs.add(abs);
            if (stimDir == null) {
                stims.addAll(siblingStim(abs));
            }
        } else {
            for (Path child : children(abs)) {
                String name = child.getFileName().toString();
                if (name.startsWith("run-")) {
                    runs.add(child);
                } else if (name.startsWith("stim-") && stimDir == null) {
                    stims.add(child);
                }
            }
            if (runs.isEmpty() && stims.isEmpty()) {
                throw new IllegalArgumentException(abs + " is not a Reflex journal: it holds no Chronicle queue file"
                        + " (*.cq4) and no run-* or stim-* directory");
            }
        }
        if (stimDir != null) {
            stims.add(stimDir.toAbsolutePath().normalize());
        }
        for (Path run : runs) {
            Run r = readRun(run);
            result.runs.add(r);
            if (stimDir == null && runs.size() == 1) {
                Path named = namedStimDir(r);
                if (named != null && !stims.contains(named)) {
                    stims.add(named);
                }
            }
        }
        for (Path s : stims) {
            result.stim.add(readStim(s));
        }
        return result;
    }

    private static Path namedStimDir(Run r) {
        // a run whose config named stim.journalDir wrote its stimulation journal there
        String dir = r.stimJournalDir;
        if (dir == null || dir.isEmpty()) {
            return null;
        }
        Path p = Path.of(dir).toAbsolutePath().normalize();
        return Files.isDirectory(p) ? p : null;
    }

    static boolean hasQueueFiles(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(p -> p.getFileName().toString().endsWith(".cq4") && Files.isRegularFile(p));
        } catch (IOException e) {
            throw new IllegalArgumentException(dir + " cannot be listed: " + e.getMessage());
        }
    }

    private static List<Path> children(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> out = s.filter(Files::isDirectory).sorted().limit(MAX_DIRECTORIES + 1L).toList();
            if (out.size() > MAX_DIRECTORIES) {
                throw new IllegalArgumentException(dir + " holds more than " + MAX_DIRECTORIES + " directories;"
                        + " name one run directory");
            }
            return out;
        } catch (IOException e) {
            throw new IllegalArgumentException(dir + " cannot be listed: " + e.getMessage());
        }
    }

    /** The stimulation journal written by the same process as run directory {@code run}, or null if none. */
    static Path stimJournalOf(Path run) {
        for (Path p : siblingStim(run)) {
            if (hasQueueFiles(p)) {
                return p;
            }
        }
        return null;
    }

    /** The {@code stim-*} directories next to a run directory written by the same process (same pid suffix). */
    private static List<Path> siblingStim(Path run) {
        Path parent = run.getParent();
        String name = run.getFileName().toString();
        int dash = name.lastIndexOf('-');
        if (parent == null || !name.startsWith("run-") || dash < 0) {
            return List.of();
        }
        String pid = name.substring(dash);
        List<Path> out = new ArrayList<>();
        for (Path child : children(parent)) {
            String n = child.getFileName().toString();
            if (n.startsWith("stim-") && n.endsWith(pid)) {
                out.add(child);
            }
        }
        return out;
    }

    /** Reads one run journal to its end (or its damage). */
    static Run readRun(Path dir) {
        Run r = new Run();
        r.path = dir;
        Path saved = dir.resolve(SavedDecoder.FILE_NAME);
        if (Files.isRegularFile(saved)) {
            try {
                r.decoderFile = DecoderFile.read(saved);
            } catch (IllegalArgumentException e) {
                r.decoderFileError = e.getMessage();
            }
        }
        if (!hasQueueFiles(dir)) {
            r.error = dir + " is not a Reflex journal: it holds no Chronicle queue file (*.cq4)";
            return r;
        }
        JournalReader reader;
        try {
            reader = new JournalReader(dir);
        } catch (RuntimeException | InternalError e) {
            r.error = dir + " cannot be opened as a Chronicle queue: " + e;
            return r;
        }
        JournalRecord rec = new JournalRecord();
        boolean metaSeen = false;
        try (reader) {
            for (byte type = reader.nextRecord(rec); type != 0; type = reader.nextRecord(rec)) {
                if (!metaSeen) {
                    metaSeen = true;
                    if (!metadata(r, reader.metadataJson())) {
                        return r;
                    }
                }
                r.records++;
                if (type == JournalFormat.TYPE_MARKER) {
                    r.markers++;
                } else if (type == JournalFormat.TYPE_PAIRED_TARGETS) {
                    r.pairedTargetRecords++;
                } else {
                    frame(r, rec);
                }
            }
            if (!metaSeen && !metadata(r, reader.metadataJson())) {
                return r;
            }
            if (reader.tailFault() != null) {
                r.error = "journal " + dir + " is damaged after " + r.records + " records (" + r.frames + " frames): "
                        + reader.tailFault();
            }
        } catch (RuntimeException | InternalError e) {
            r.error = "journal " + dir + " is damaged after " + r.records + " records (" + r.frames + " frames): "
                    + (e.getMessage() != null ? e.getMessage() : e.toString());
        }
        return r;
    }

    private static boolean metadata(Run r, String json) {
        if (json == null) {
            r.error = r.path + " is not a Reflex journal: it holds no run metadata record";
            return false;
        }
        JsonNode m;
        try {
            m = Json.mapper().readTree(json);
        } catch (IOException e) {
            r.error = r.path + ": its run metadata is not JSON: " + e.getMessage();
            return false;
        }
        JsonNode cfg = m.path("config");
        if (!cfg.isObject()) {
            r.error = r.path + " is not a Reflex journal: its run metadata holds no config";
            return false;
        }
        r.formatVersion = m.path("version").asInt(1);
        r.source = cfg.path("source").path("type").asText("");
        r.decoder = cfg.path("decoder").path("name").asText("");
        r.binWidthUs = cfg.path("pipeline").path("binWidthUs").asLong(0);
        r.stimJournalDir = cfg.path("stim").path("journalDir").asText("");
        for (JsonNode n : m.path("references")) {
            r.references.add(n.asText());
        }
        for (JsonNode n : m.path("paired_targets")) {
            r.pairedTargets.add(n.asText());
        }
        return true;
    }

    private static void frame(Run r, JournalRecord rec) {
        if (r.frames == 0) {
            r.firstSequence = rec.sequence;
            r.firstTimeS = rec.acquisitionTimeS;
            r.channels = rec.channels;
            r.features = rec.featureCount;
            r.outputs = rec.outputCount;
        } else if (rec.sequence != r.lastSequence + 1) {
            r.sequenceGaps++;
        }
        r.frames++;
        r.lastSequence = rec.sequence;
        r.lastTimeS = rec.acquisitionTimeS;
        long[] g = r.generations.get(rec.decoderGeneration);
        if (g == null) {
            if (r.generations.size() < MAX_GENERATIONS) {
                r.generations.put(rec.decoderGeneration, new long[] {1, rec.sequence});
            } else {
                r.moreGenerations++;
            }
        } else {
            g[0]++;
        }
        int f = rec.flags;
        r.trialStarts += (f & Frame.FLAG_TRIAL_START) != 0 ? 1 : 0;
        r.deadlineMisses += (f & Frame.FLAG_DEADLINE_MISS) != 0 ? 1 : 0;
        r.safeOutputs += (f & Frame.FLAG_SAFE_OUTPUT) != 0 ? 1 : 0;
        r.invalidInput += (f & Frame.FLAG_INVALID_INPUT) != 0 ? 1 : 0;
        r.decodeSkipped += rec.decodeStatus == Frame.DECODE_SKIPPED ? 1 : 0;
    }

    /** Reads one stimulation journal; a damaged one is counted up to the damage. */
    static Stim readStim(Path dir) {
        Stim s = new Stim();
        s.path = dir;
        if (!Files.isDirectory(dir)) {
            s.error = dir + ": no such stimulation journal directory";
            return s;
        }
        if (!hasQueueFiles(dir)) {
            s.error = dir + " is not a stimulation journal: it holds no Chronicle queue file (*.cq4)";
            return s;
        }
        try {
            s.records = ChronicleStimJournal.read(dir, new ChronicleStimJournal.Visitor() {
                @Override
                public void command(long sequence, long timeNs, int verdict, StimCommand command) {
                    s.commands++;
                    if (verdict == StimVerdict.ACCEPTED) {
                        s.accepted++;
                    } else {
                        s.refused++;
                    }
                }

                @Override
                public void event(long timeNs, int event, int code, String reason) {
                    s.events++;
                }

                @Override
                public void stopAll(long sequence, long timeNs) {
                    s.stopAll++;
                }

                @Override
                public void damaged(String reason) {
                    s.error = "stimulation journal " + dir + " is damaged: " + reason + " (read before it: " + s.commands
                            + " commands, " + s.events + " events, " + s.stopAll + " stop-alls)";
                }
            });
        } catch (RuntimeException | InternalError e) {
            s.records = s.commands + s.events + s.stopAll;
            s.error = "stimulation journal " + dir + " is damaged after " + s.records + " records: " + e;
        }
        return s;
    }
}
