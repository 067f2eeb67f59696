package io.reflex.tools;

import io.reflex.decoders.file.DecoderFile;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code reflex journal}: what the recorded journals hold. */
@Command(name = "journal", mixinStandardHelpOptions = true,
        header = "Inspect recorded journals.",
        subcommands = {JournalCommand.Info.class})
final class JournalCommand implements Runnable {
    /** Exit code: the path is missing, not a journal, or a journal in it is damaged. */
    static final int EXIT_BAD_JOURNAL = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** {@code reflex journal info JOURNAL [--stim DIR] [--json]}. */
    @Command(name = "info", mixinStandardHelpOptions = true,
            header = "What a journal directory holds: runs, frames, time span, channels, bin width, decoder"
                    + " generations, markers, deadline misses, safe outputs, stimulation counts.",
            description = {"JOURNAL is one run directory (journal.dir/run-...) or a journal.dir holding several. Each"
                    + " run is read from start to end; the stimulation journals of the same process (stim-... with the"
                    + " run's pid, or the config's stim.journalDir) are counted too, or the one --stim names.",
                "Exit: 0 every journal read whole; 2 the path is missing or not a journal, or a journal is damaged"
                    + " (what was read before the damage is still reported)."})
    static final class Info implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "JOURNAL", description = "A run directory or a journal.dir.")
        Path journal;

        @Option(names = "--stim", paramLabel = "DIR", description = "A stimulation journal directory to count.")
        Path stim;

        @Option(names = "--json", description = "Print one JSON object on stdout.")
        boolean json;

        @Override
        public Integer call() {
            return run(journal, stim, json, System.out, System.err);
        }
    }

    static int run(Path journal, Path stim, boolean json, PrintStream stdout, PrintStream stderr) {
        JournalInfo.Result r;
        try {
            r = JournalInfo.inspect(journal, stim);
        } catch (IllegalArgumentException e) {
            stderr.println("reflex journal info: " + e.getMessage());
            return EXIT_BAD_JOURNAL;
        }
        if (json) {
            stdout.println(toJson(r).toJson());
        } else {
            print(r, stdout);
        }
        for (JournalInfo.Run run : r.runs) {
            if (run.error != null) {
                stderr.println("reflex journal info: " + run.error);
            }
        }
        for (JournalInfo.Stim s : r.stim) {
            if (s.error != null) {
                stderr.println("reflex journal info: " + s.error);
            }
        }
        return r.ok() ? 0 : EXIT_BAD_JOURNAL;
    }

    static Json.Obj toJson(JournalInfo.Result r) {
        Json.Arr runs = Json.array();
        for (JournalInfo.Run run : r.runs) {
            Json.Arr refs = Json.array();
            run.references.forEach(refs::add);
            Json.Arr paired = Json.array();
            run.pairedTargets.forEach(paired::add);
            Json.Arr gens = Json.array();
            for (Map.Entry<Integer, long[]> g : run.generations.entrySet()) {
                gens.add(Json.object().put("generation", g.getKey()).put("frames", g.getValue()[0])
                        .put("first_sequence", g.getValue()[1]));
            }
            Json.Obj o = Json.object()
                    .put("path", run.path.toString())
                    .put("format_version", run.formatVersion)
                    .put("source", run.source)
                    .put("decoder", run.decoder)
                    .put("bin_width_us", run.binWidthUs)
                    .put("channels", run.channels)
                    .put("features", run.features)
                    .put("outputs", run.outputs)
                    .put("references", refs)
                    .put("paired_targets", paired)
                    .put("records", run.records)
                    .put("frames", run.frames)
                    .put("first_sequence", run.firstSequence)
                    .put("last_sequence", run.lastSequence)
                    .put("sequence_gaps", run.sequenceGaps)
                    .put("first_time_s", run.firstTimeS)
                    .put("last_time_s", run.lastTimeS)
                    .put("span_s", run.lastTimeS - run.firstTimeS)
                    .put("generations", gens)
                    .put("more_generations", run.moreGenerations)
                    .put("markers", run.markers)
                    .put("paired_target_records", run.pairedTargetRecords)
                    .put("trial_starts", run.trialStarts)
                    .put("deadline_misses", run.deadlineMisses)
                    .put("safe_outputs", run.safeOutputs)
                    .put("invalid_input", run.invalidInput)
                    .put("decode_skipped", run.decodeSkipped);
            if (run.decoderFile != null) {
                DecoderFile.Contents c = run.decoderFile;
                o.put("decoder_file", Json.object().put("path", c.path().toString()).put("type", c.type())
                        .put("channels", c.channels()).put("outputs", c.outputs())
                        .put("calibration_bins", c.calibrationBins()));
            } else {
                o.node().putNull("decoder_file");
            }
            o.put("decoder_file_error", run.decoderFileError);
            o.put("error", run.error);
            runs.add(o);
        }
        Json.Arr stims = Json.array();
        for (JournalInfo.Stim s : r.stim) {
            stims.add(Json.object().put("path", s.path.toString()).put("records", s.records)
                    .put("commands", s.commands).put("accepted", s.accepted).put("refused", s.refused)
                    .put("stop_all", s.stopAll).put("events", s.events).put("error", s.error));
        }
        return Json.object().put("path", r.path.toString()).put("ok", r.ok()).put("runs", runs)
                .put("stim_journals", stims);
    }

    private static void print(JournalInfo.Result r, PrintStream out) {
        out.println("reflex journal info: " + r.path + " (" + r.runs.size() + " run" + (r.runs.size() == 1 ? "" : "s")
                + ", " + r.stim.size() + " stimulation journal" + (r.stim.size() == 1 ? "" : "s") + ")");
        for (JournalInfo.Run run : r.runs) {
            out.println("run " + run.path);
            out.printf(Locale.ROOT, "  format %d, source %s, decoder %s, bin width %d us, %d channels -> %d outputs"
                            + " (references %s%s)%n", run.formatVersion, run.source, run.decoder, run.binWidthUs,
                    run.channels, run.outputs, run.references,
                    run.pairedTargets.isEmpty() ? "" : ", paired targets " + run.pairedTargets);
            out.printf(Locale.ROOT, "  %d records: %d frames (sequence %d..%d, %d gaps), %d markers, %d paired-target"
                            + " records%n", run.records, run.frames, run.firstSequence, run.lastSequence,
                    run.sequenceGaps, run.markers, run.pairedTargetRecords);
            if (run.frames > 0) {
                out.printf(Locale.ROOT, "  time span %.3f s (acquisition time %.6f .. %.6f s)%n",
                        run.lastTimeS - run.firstTimeS, run.firstTimeS, run.lastTimeS);
            }
            StringBuilder gens = new StringBuilder();
            for (Map.Entry<Integer, long[]> g : run.generations.entrySet()) {
                gens.append(gens.length() == 0 ? "" : ", ").append(g.getKey()).append(": ").append(g.getValue()[0])
                        .append(" frames from ").append(g.getValue()[1]);
            }
            out.println("  decoder generations (0: no decoder yet): " + (gens.length() == 0 ? "none" : gens)
                    + (run.moreGenerations > 0 ? " (+" + run.moreGenerations + " frames of more)" : ""));
            out.printf(Locale.ROOT, "  trial starts %d, deadline misses %d, safe outputs %d, invalid input %d,"
                            + " decodes skipped %d%n", run.trialStarts, run.deadlineMisses, run.safeOutputs,
                    run.invalidInput, run.decodeSkipped);
            if (run.decoderFile != null) {
                out.printf(Locale.ROOT, "  saved decoder %s: %s, %d channels -> %d outputs, %d calibration bins%n",
                        run.decoderFile.path(), run.decoderFile.type(), run.decoderFile.channels(),
                        run.decoderFile.outputs(), run.decoderFile.calibrationBins());
            } else if (run.decoderFileError != null) {
                out.println("  saved decoder unreadable: " + run.decoderFileError);
            }
            if (run.error != null) {
                out.println("  ERROR: " + run.error);
            }
        }
        for (JournalInfo.Stim s : r.stim) {
            out.printf(Locale.ROOT, "stimulation journal %s: %d records: %d commands (%d accepted, %d refused), %d"
                    + " stop-alls, %d events%n", s.path, s.records, s.commands, s.accepted, s.refused, s.stopAll,
                    s.events);
            if (s.error != null) {
                out.println("  ERROR: " + s.error);
            }
        }
    }
}
