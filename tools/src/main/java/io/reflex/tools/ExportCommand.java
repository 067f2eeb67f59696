package io.reflex.tools;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code reflex export JOURNAL --xdf FILE}: a journal run as an XDF file ({@link JournalExport}). */
@Command(name = "export", mixinStandardHelpOptions = true,
        header = "Export a journal run to XDF (the format LabRecorder writes and pyxdf, MNE and EEGLAB read).",
        description = {"Writes the run's input samples, per-bin features, decoded output, bin targets, markers (task"
                + " markers and control actions) and the stimulation commands with their verdicts (from the"
                + " stimulation journal of the same process, or --stim) as XDF streams, each with a header (channel"
                + " labels, units, nominal rate), clock offsets and a footer. Reads and writes as a stream; the file is"
                + " written as FILE.part and renamed to FILE only once complete.",
            "Exit: 0 exported whole; 2 the journal or the file cannot be used, or the journal is damaged (every"
                + " record before the damage is exported and the file is complete up to it)."})
final class ExportCommand implements Callable<Integer> {
    static final int EXIT_REFUSED = 2;

    @Parameters(index = "0", paramLabel = "JOURNAL", description = "A journal run directory (journal.dir/run-...).")
    Path journal;

    @Option(names = "--xdf", required = true, paramLabel = "FILE", description = "The XDF file to write.")
    Path xdf;

    @Option(names = "--streams", paramLabel = "LIST", defaultValue = "input,features,output,targets,markers,stim",
            description = "Streams to export, comma-separated (default: ${DEFAULT-VALUE}).")
    String streams;

    @Option(names = "--stim", paramLabel = "DIR", description = "The stimulation journal to export (default: the one"
            + " of the same process, if any).")
    Path stim;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() {
        return run(journal, xdf, streams, stim, json, System.out, System.err);
    }

    static int run(Path journal, Path xdf, String streams, Path stim, boolean json, PrintStream stdout,
                   PrintStream stderr) {
        JournalExport.Result r;
        try {
            Set<JournalExport.Kind> kinds = JournalExport.Kind.parse(streams);
            long[] last = {System.nanoTime()};
            r = JournalExport.export(journal, stim, xdf, kinds, frames -> {
                long now = System.nanoTime();
                if (now - last[0] > 2_000_000_000L) {
                    last[0] = now;
                    stderr.println("reflex export: " + frames + " frames written");
                }
            });
        } catch (IllegalArgumentException e) {
            stderr.println("reflex export: " + e.getMessage());
            return EXIT_REFUSED;
        } catch (IOException e) {
            stderr.println("reflex export: " + xdf + " could not be written: " + e);
            return EXIT_REFUSED;
        }
        if (json) {
            Json.Arr arr = Json.array();
            for (JournalExport.Written w : r.streams.values()) {
                arr.add(Json.object().put("stream", w.kind).put("id", w.id).put("name", w.name)
                        .put("channels", w.channels).put("format", w.format).put("nominal_srate", w.nominalSrateHz)
                        .put("samples", w.samples));
            }
            stdout.println(Json.object()
                    .put("journal", r.journal.toString())
                    .put("stim_journal", r.stimJournal == null ? null : r.stimJournal.toString())
                    .put("file", r.file.toString())
                    .put("bytes", r.bytes)
                    .put("frames", r.frames)
                    .put("streams", arr)
                    .put("journal_damage", r.journalDamage)
                    .put("stim_damage", r.stimDamage)
                    .toJson());
        } else {
            stdout.println("exported " + r.frames + " frames of " + r.journal + " to " + r.file + " (" + r.bytes
                    + " bytes)");
            for (JournalExport.Written w : r.streams.values()) {
                stdout.printf("  stream %d %-9s '%s': %d channels %s, %d samples%n", w.id, w.kind, w.name,
                        w.channels, w.format, w.samples);
            }
        }
        if (r.journalDamage != null) {
            stderr.println("reflex export: journal " + r.journal + " is damaged; exported what came before: "
                    + r.journalDamage);
        }
        if (r.stimDamage != null) {
            stderr.println("reflex export: stimulation journal " + r.stimJournal + " is damaged; exported what came"
                    + " before: " + r.stimDamage);
        }
        return r.journalDamage == null && r.stimDamage == null ? 0 : EXIT_REFUSED;
    }
}
