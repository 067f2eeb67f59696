package io.reflex.tools;

import io.reflex.runtime.session.JournalReplay;
import io.reflex.runtime.session.StimReplay;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code reflex replay}: re-runs a recorded journal's features through a decoder (a model decoder on the engine chain
 * named), as fast as it goes or at the recorded pace, and compares the outputs with the recorded ones
 * ({@link JournalReplay}), and recomputes a stimulated run's decisions ({@link StimReplay}). Stimulation is never
 * sent during a replay.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        header = "Re-run a recorded journal's features through a decoder and compare the outputs with the recorded"
                + " ones.",
        description = {"Reads the journal run directory (journal.dir/run-...) and decodes its frames' features as fast"
                + " as possible (or paced by their recorded times, --speed), as the decode stage did (reset when a"
                + " decoder generation starts and at trial starts;"
                + " frames skipped at the deadline or with invalid input skipped). With the run's own decoder (its"
                + " saved decoder.rxdf, the default) the frames of decoder generation 1 are replayed and every output"
                + " the decoder produced is compared bit for bit with the recorded one. With another decoder (a"
                + " decoder file, or kalman / wiener / lfads / snn fitted on the journal as reflex fit does) every live frame is"
                + " replayed and R² against the recorded targets is reported for the recorded and the replayed"
                + " outputs side by side. Nothing is sent anywhere: no outlets, no stimulation.",
            "An LFADS or SNN decoder (a decoder.rxdf a session saved after fitting it) runs on the engine chain"
                + " --engine names (default: cpu-fixed for a fixed-point run, cpu for a float32 one); outputs are"
                + " claimed bit for bit only where the arithmetic is the run's (bit_exact), else the largest"
                + " difference is reported.",
            "With a run that had stimulation and its stimulation journal (found next to the run directory, or"
                + " --stim), the policy is evaluated again on the recorded outputs of the frames the stimulation"
                + " stage evaluated, each proposal judged by a fresh safety envelope (the controller's armed and"
                + " fault state taken from the journal's events), and compared with the recorded commands and"
                + " verdicts by input time.",
            "Exit: 0 done (with the run's own decoder: every compared output identical); 1 the run's own decoder did"
                + " not reproduce the recorded outputs (a mismatch, or nothing to compare), or a recorded"
                + " stimulation command was not recomputed, its verdict differs or its recorded clock reading lies"
                + " outside its frame's stamps; 2 the journal or the"
                + " decoder cannot be used, or the journal is damaged (a tail that cannot be read or a file cut short"
                + " after reporting what was replayed before it)."})
final class ReplayCommand implements Callable<Integer> {
    /** Exit code: the run's own decoder did not reproduce the recorded outputs, or the stimulation decisions differ. */
    static final int EXIT_MISMATCH = 1;
    /** Exit code: the journal or the decoder cannot be used. */
    static final int EXIT_REFUSED = 2;

    @Parameters(index = "0", paramLabel = "JOURNAL", description = "A journal run directory (journal.dir/run-...).")
    Path journal;

    @Option(names = "--decoder", paramLabel = "FILE.rxdf|kalman|wiener|lfads|snn",
            description = "The decoder to replay with (default: the run's saved decoder.rxdf, or the decoder.file it"
                    + " loaded); kalman, wiener, lfads or snn: fitted on the journal as reflex fit does.")
    String decoder;

    @Option(names = "--engine", paramLabel = "NAME[,NAME...]", split = ",",
            description = "The engine chain an LFADS or SNN decoder is replayed on, in order of preference, e.g."
                    + " cpu-fixed, rtl-sim, cpu (default: the reference engine of the recorded chain's arithmetic)."
                    + " Refused for Kalman and Wiener decoders.")
    List<String> engines;

    @Option(names = "--speed", paramLabel = "X",
            description = "Pace the replay by the frames' recorded acquisition times, X times the recorded pace (1: as"
                    + " recorded; at most 1000). Default: as fast as possible.")
    Double speed;

    @Option(names = "--stim", paramLabel = "DIR",
            description = "The run's stimulation journal (default: the stim-* directory its process wrote next to the"
                    + " run directory, when the run had stimulation).")
    Path stim;

    @Option(names = "--stim-threshold", paramLabel = "X",
            description = "Replay the threshold policy with this threshold instead of the recorded one (what-if;"
                    + " the comparison then shows what would have changed).")
    Double stimThreshold;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() {
        JournalReplay.Options o = new JournalReplay.Options();
        o.decoder = decoder;
        o.engines = engines;
        o.speed = speed == null ? 0 : speed;
        if (speed != null && !(speed > 0)) {
            System.err.println("reflex replay: --speed is " + speed + "; it must be > 0 (1: the recorded pace)");
            return EXIT_REFUSED;
        }
        return run(journal, o, stim, stimThreshold, json, System.out, System.err);
    }

    static int run(Path journal, String decoder, Path stim, Double stimThreshold, boolean json, PrintStream stdout,
                   PrintStream stderr) {
        JournalReplay.Options o = new JournalReplay.Options();
        o.decoder = decoder;
        return run(journal, o, stim, stimThreshold, json, stdout, stderr);
    }

    static int run(Path journal, JournalReplay.Options o, Path stim, Double stimThreshold, boolean json,
                   PrintStream stdout, PrintStream stderr) {
        JournalReplay.Result r;
        try {
            Path stimDir = stim != null ? stim : Files.isDirectory(journal) ? JournalInfo.stimJournalOf(journal) : null;
            o.stimDir = stimDir;
            o.stimExplicit = stim != null;
            o.threshold = stimThreshold;
            r = JournalReplay.replayWith(journal, o);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            stderr.println("reflex replay: " + e.getMessage());
            return EXIT_REFUSED;
        }
        if (json) {
            Json.Arr names = Json.array();
            r.targetNames.forEach(names::add);
            stdout.println(Json.object()
                    .put("journal", r.journal.toString())
                    .put("decoder", r.decoderType)
                    .put("decoder_source", r.decoderSource)
                    .put("decoder_file", r.decoderFile == null ? null : r.decoderFile.toString())
                    .put("recorded_decoder", r.recordedDecoder)
                    .put("engines", engineNames(r))
                    .put("engine_arithmetic", r.engineArithmetic)
                    .put("recorded_arithmetic", r.recordedArithmetic)
                    .put("bit_exact", r.bitExact)
                    .put("channels", r.channels)
                    .put("outputs", r.outputs)
                    .put("frames", r.frames)
                    .put("no_decoder_frames", r.noDecoderFrames)
                    .put("other_generation_frames", r.otherGenerationFrames)
                    .put("not_decoded_frames", r.notDecodedFrames)
                    .put("replayed", r.replayed)
                    .put("not_comparable", r.notComparable)
                    .put("compared", r.compared)
                    .put("mismatches", r.mismatches)
                    .put("first_mismatch_sequence", r.firstMismatchSequence)
                    .put("max_abs_difference", r.maxAbsDifference)
                    .put("reproduced", r.reproduced())
                    .put("targets", names)
                    .put("targets_from", r.targetsFrom)
                    .put("scored", r.scored)
                    .put("recorded_r2", round(r.recordedR2))
                    .put("replayed_r2", round(r.replayedR2))
                    .put("replay_ms", Math.round(r.replayMs * 1e3) / 1e3)
                    .put("frames_per_s", r.replayMs > 0 ? Math.round(r.replayed / (r.replayMs * 1e-3)) : 0)
                    .put("paced", r.paced)
                    .put("speed", r.speed)
                    .put("recorded_span_s", Math.round(r.recordedSpanS * 1e3) / 1e3)
                    .put("wall_s", Math.round(r.wallS * 1e3) / 1e3)
                    .put("tail_fault", r.tailFault)
                    .put("stim", stimJson(r))
                    .toJson());
        } else {
            print(r, stdout);
        }
        if (r.tailFault != null) {
            stderr.println("reflex replay: journal " + r.journal + " is damaged: " + r.tailFault + "; "
                    + r.frames + " frames before the damage were read");
            return EXIT_REFUSED;
        }
        if (r.stim != null && r.stim.tailFault != null) {
            stderr.println("reflex replay: stimulation journal " + r.stim.stimJournal + " is damaged: "
                    + r.stim.tailFault);
            return EXIT_REFUSED;
        }
        if (r.recordedDecoder && r.bitExact && !r.reproduced()) {
            stderr.println("reflex replay: the run's own decoder did not reproduce the recorded outputs ("
                    + (r.compared == 0 ? "no output to compare" : r.mismatches + " of " + r.compared
                    + " frames differ, the first is frame " + r.firstMismatchSequence) + ")");
            return EXIT_MISMATCH;
        }
        if (r.stim != null && !r.stim.agrees()) {
            stderr.println("reflex replay: the recomputed stimulation decisions differ from the recorded ones ("
                    + r.stim.recordedNotRecomputed + " recorded commands not recomputed, " + r.stim.verdictMismatches
                    + " verdicts differ, " + r.stim.clockOutsideStamps + " live clock readings outside their frame's"
                    + " stamps; first: " + r.stim.firstMismatch + ")");
            return EXIT_MISMATCH;
        }
        return 0;
    }

    private static Json.Arr engineNames(JournalReplay.Result r) {
        Json.Arr a = Json.array();
        r.engines.forEach(a::add);
        return a;
    }

    private static Json.Obj stimJson(JournalReplay.Result r) {
        StimReplay.Result s = r.stim;
        if (s == null) {
            return Json.object().put("replayed", false).put("why_not", r.stimNote);
        }
        Json.Obj verdicts = Json.object();
        s.verdicts.forEach((k, v) -> verdicts.put(k, (long) v));
        return Json.object()
                .put("replayed", true)
                .put("stim_journal", s.stimJournal.toString())
                .put("policy", s.policy)
                .put("threshold", s.threshold)
                .put("threshold_overridden", s.thresholdOverridden)
                .put("recorded_commands", s.recordedCommands)
                .put("evaluated_frames", s.evaluatedFrames)
                .put("arming_frames", s.armingFrames)
                .put("proposals", s.proposals)
                .put("matched", s.matched)
                .put("proposals_not_recorded", s.proposalsNotRecorded)
                .put("proposals_after_stop", s.proposalsAfterStop)
                .put("recorded_not_recomputed", s.recordedNotRecomputed)
                .put("verdict_mismatches", s.verdictMismatches)
                .put("limiter_timing_tolerated", s.limiterTimingTolerated)
                .put("refused_at_send", s.refusedAtSend)
                .put("verdicts", verdicts)
                .put("max_trigger_offset_us", us(s.maxTriggerOffsetNs))
                .put("policy_clock_after_decode_us", us(s.maxAfterDecodeNs))
                .put("policy_clock_before_emit_us", us(s.maxBeforeEmitNs))
                .put("policy_clock_outside_stamps", s.clockOutsideStamps)
                .put("first_mismatch", s.firstMismatch)
                .put("agrees", s.agrees())
                .put("tail_fault", s.tailFault);
    }

    /** Microseconds to two decimals; a negative count (nothing measured) is null. */
    private static double us(long ns) {
        return ns < 0 ? Double.NaN : Math.round(ns / 1e1) / 1e2;
    }

    private static double round(double v) {
        return Double.isNaN(v) ? Double.NaN : Math.round(v * 1e4) / 1e4;
    }

    private static void print(JournalReplay.Result r, PrintStream out) {
        String which = switch (r.decoderSource) {
            case "saved" -> "the run's saved decoder";
            case "loaded" -> "the decoder file the run loaded";
            case "fitted" -> ("lfads".equals(r.decoderType) ? "an " : "a ") + r.decoderType
                    + " decoder fitted on this journal (in-sample)";
            default -> r.recordedDecoder ? "the run's own decoder" : "another decoder";
        };
        out.printf(Locale.ROOT, "reflex replay: %s with %s (%s%s, %d channels -> %d outputs); stimulation is never"
                        + " sent in a replay%n", r.journal, which, r.decoderType,
                r.decoderFile == null ? "" : ", " + r.decoderFile, r.channels, r.outputs);
        out.printf(Locale.ROOT, "  frames: %d read, %d without a decoder (calibration), %d of other generations, %d not"
                        + " decoded live (skipped, invalid), %d replayed, %d left with the safe output live%n", r.frames,
                r.noDecoderFrames, r.otherGenerationFrames, r.notDecodedFrames, r.replayed, r.notComparable);
        if (!r.engines.isEmpty()) {
            out.printf(Locale.ROOT, "  engines: %s (%s arithmetic; the run's was %s)%s%n", String.join(",", r.engines),
                    r.engineArithmetic, r.recordedArithmetic, r.bitExact ? ""
                            : "; not the run's arithmetic, so the outputs are not expected to be bit-identical");
        }
        out.printf(Locale.ROOT, "  compared: %d, mismatches: %d%s%n", r.compared, r.mismatches,
                r.mismatches == 0 ? (r.recordedDecoder && r.bitExact && r.compared > 0 ? " (bit for bit)" : "")
                        : String.format(Locale.ROOT, " (first at frame %d, largest difference %.6g)",
                        r.firstMismatchSequence, r.maxAbsDifference));
        if (!r.targetNames.isEmpty()) {
            out.printf(Locale.ROOT, "  R² against the recorded targets %s (%s) on %d bins: recorded %s, replayed %s%n",
                    r.targetNames, r.targetsFrom.equals("paired") ? "the kinematics stream's" : "the source's",
                    r.scored, fmt(r.recordedR2), fmt(r.replayedR2));
        } else {
            out.println("  R²: n/a (the journal holds no targets for these outputs)");
        }
        out.printf(Locale.ROOT, "  %d frames decoded in %.1f ms%s%n", r.replayed, r.replayMs, r.paced
                ? String.format(Locale.ROOT, ", paced at %sx the recorded pace (recorded span %.3f s)",
                fmtSpeed(r.speed), r.recordedSpanS) : "");
        StimReplay.Result s = r.stim;
        if (s == null) {
            out.println("  stimulation: not replayed (" + r.stimNote + ")");
            return;
        }
        out.printf(Locale.ROOT, "  stimulation (%s policy%s, nothing sent): %d recorded commands, %d proposals"
                        + " recomputed on %d frames, %d matched, %d verdicts differ, %d recorded not recomputed, %d"
                        + " proposals not recorded (+%d after the last disarm); trigger times within %.1f us%n",
                s.policy, s.thresholdOverridden ? ", threshold " + s.threshold + " instead of the recorded one" : "",
                s.recordedCommands, s.proposals, s.evaluatedFrames, s.matched, s.verdictMismatches,
                s.recordedNotRecomputed, s.proposalsNotRecorded, s.proposalsAfterStop, s.maxTriggerOffsetNs / 1e3);
        if (s.firstMismatch != null) {
            out.println("  first stimulation difference: " + s.firstMismatch);
        }
    }

    private static String fmtSpeed(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.4f", v);
    }
}
