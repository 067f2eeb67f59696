package io.reflex.tools;

import io.reflex.runtime.session.JournalFit;
import io.reflex.runtime.config.SavedDecoder;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code reflex fit}: fits a Kalman, Wiener, LFADS or SNN decoder from a recorded journal and writes it as a decoder file
 * (decoders/DECODER_FILE.md) that {@code decoder.file} loads.
 */
@Command(name = "fit", mixinStandardHelpOptions = true,
        header = "Fit a Kalman, Wiener, LFADS or SNN decoder from a recorded journal and save it as a decoder file.",
        description = {"Reads every frame of the journal run directory with its targets (the source's vx, vy or"
                + " lx, ly, lz, or the kinematics stream's paired velocity), scores the decoder on the last 20% of the"
                + " bins after fitting it on the rest, fits it on all of them and writes the decoder file. A session"
                + " loads it with decoder.file and skips calibration.",
            "An LFADS or SNN decoder is built as a session of the recorded config builds it (the run's"
                + " decoder.options when it ran the same decoder, else the defaults: for LFADS the shipped model for"
                + " the source type), its readout fitted on cpu-fixed (cpu for a float32 LFADS run) with the stream"
                + " reset at trial starts; an LFADS model that does not read the journal's channels is refused."})
final class FitCommand implements Callable<Integer> {
    /** Exit status when the journal or the fit is refused. */
    static final int EXIT_REFUSED = 2;

    @Option(names = "--journal", paramLabel = "DIR", required = true,
            description = "A journal run directory (journal.dir/run-...).")
    Path journal;

    @Option(names = "--decoder", paramLabel = "NAME",
            description = "kalman, wiener, lfads or snn (default: the journal's decoder.name when it is kalman or"
                    + " wiener, else kalman).")
    String decoder;

    @Option(names = "--out", paramLabel = "FILE",
            description = "The decoder file to write (default: DIR/" + SavedDecoder.FILE_NAME + ").")
    Path out;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() {
        return run(journal, decoder, out, json, System.out, System.err);
    }

    static int run(Path journal, String decoder, Path out, boolean json, PrintStream stdout, PrintStream stderr) {
        Path file = out != null ? out : journal.resolve(SavedDecoder.FILE_NAME);
        JournalFit.Result r;
        try {
            r = JournalFit.fit(journal, decoder, file);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            stderr.println("reflex fit: " + e.getMessage());
            return EXIT_REFUSED;
        }
        if (json) {
            Json.Arr names = Json.array();
            for (String t : r.targetNames) {
                names.add(t);
            }
            Json.Obj options = Json.object();
            r.options.forEach(options::put);
            Json.Arr engines = Json.array();
            for (String e : r.engines) {
                engines.add(e);
            }
            stdout.println(Json.object()
                    .put("decoder", r.decoder)
                    .put("journal", r.journal.toString())
                    .put("out", r.out.toString())
                    .put("channels", r.channels)
                    .put("outputs", r.outputs)
                    .put("targets", names)
                    .put("targets_from", r.targetsFrom)
                    .put("bin_width_us", r.binWidthUs)
                    .put("sample_rate_hz", r.sampleRateHz)
                    .put("frames", r.framesRead)
                    .put("bins", r.bins)
                    .put("skipped", r.skipped)
                    .put("held_out_bins", r.heldOutBins)
                    .put("held_out_r2", Double.isNaN(r.heldOutR2) ? Double.NaN : Math.round(r.heldOutR2 * 1e4) / 1e4)
                    .put("options", options)
                    .put("engines", engines)
                    .toJson());
        } else {
            stdout.printf(Locale.ROOT, "reflex fit: %s decoder, %d channels -> %s, fitted on %d bins of %s (%d frames,"
                            + " %d without usable targets; targets %s from the %s)%n", r.decoder, r.channels,
                    r.targetNames, r.bins, r.journal, r.framesRead, r.skipped, r.targetNames,
                    "paired".equals(r.targetsFrom) ? "kinematics stream" : "neural stream's references");
            if (!r.engines.isEmpty()) {
                stdout.printf(Locale.ROOT, "  options %s, fitted and scored on %s%n", r.options,
                        String.join(",", r.engines));
            }
            stdout.printf(Locale.ROOT, "  held-out R² (last %d bins, fitted on the rest): %s%n", r.heldOutBins,
                    Double.isNaN(r.heldOutR2) ? "n/a (too few bins)" : String.format(Locale.ROOT, "%.4f", r.heldOutR2));
            stdout.println("  wrote " + r.out + " (load it with decoder.file)");
        }
        return 0;
    }
}
