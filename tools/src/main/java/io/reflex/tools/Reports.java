package io.reflex.tools;

import io.reflex.runtime.pipeline.Stage;
import io.reflex.runtime.session.DetectionScorer;
import io.reflex.runtime.session.SessionReport;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** Turns a {@link SessionReport} into the JSON object and the human summary that demo and daemon print. */
final class Reports {
    private Reports() {
    }

    /** The JSON report; keys are documented in the README ("demo --json keys"). */
    static Json.Obj json(SessionReport r) {
        Json.Obj r2 = Json.object();
        for (Map.Entry<String, Double> e : r.r2.entrySet()) {
            r2.put(e.getKey(), round(e.getValue(), 4));
        }
        Json.Obj stages = Json.object();
        for (Map.Entry<String, Histogram> e : r.latencyNs.entrySet()) {
            if (!e.getKey().equals("ingest_to_emit")) {
                stages.put(e.getKey(), percentiles(e.getValue()));
            }
        }
        Double liveR2 = r.r2.get(r.decoder);
        String kind = r.targetKind;
        Json.Obj o = Json.object()
                .put("decoder", r.decoder)
                .put("engine", r.engine)
                .put("channels", r.channels)
                .put("bin_width_us", r.binWidthUs)
                .put("deadline_us", r.deadlineUs)
                .put("topology", r.topology)
                .put("ending", r.ending)
                .put("failure", r.failure)
                .put("calibration_frames", r.calibrationFrames)
                .put("calibration_seconds", round(r.calibrationSeconds, 3))
                .put("fit_ms", round(r.fitMs, 3))
                .put("live_seconds", round(r.liveSeconds, 3))
                .put("frames", r.frames)
                .put("dropped", r.dropped)
                .put("not_taken_in", r.notTakenIn)
                .put("deadline_misses", r.deadlineMisses)
                .put("invalid_input", r.invalidInput)
                .put("safe_outputs", r.safeOutputs)
                .put("errors", r.errors())
                .put("source_errors", r.sourceErrors)
                .put("targets", kind)
                .put(kind + "_r2", liveR2 == null ? Double.NaN : round(liveR2, 4))
                .put(kind + "_r2_by_decoder", r2)
                .put("latency_us", percentiles(r.latencyNs.get("ingest_to_emit")))
                .put("stage_latency_us", stages)
                .put("gc_count", r.gcCount)
                .put("gc_time_ms", r.gcTimeMs)
                .put("pipeline_allocated_bytes", r.pipelineAllocatedBytes)
                .put("journal", r.journal == null ? null : r.journal.toString())
                .put("journal_frames", r.journalFrames)
                .put("journal_frames_not_written", r.journalFramesNotWritten)
                .put("journal_fault", r.journalFault)
                .put("stim_journal_fault", r.stimJournalFault)
                .put("decoder_saved", r.decoderSaved)
                .put("decoder_swaps", r.decoderSwaps)
                .put("decoder_final", r.decoderFinal)
                .put("decoder_final_generation", r.decoderFinalGeneration)
                .put("control_actions_journaled", r.controlActionsJournaled)
                .put("control_actions_not_journaled", r.controlActionsNotJournaled)
                .put("decoder_loaded", r.decoderLoaded);
        if (r.ticksPerBin > 0) {
            o.put("snn", snn(r));
        }
        if (!r.engines.isEmpty()) {
            o.put("model_type", r.modelType).put("model", r.model);
            Json.Arr chain = Json.array();
            for (SessionReport.EngineFigures e : r.engines) {
                Json.Obj eo = Json.object()
                        .put("name", e.name)
                        .put("device", e.device)
                        .put("arithmetic", e.arithmetic)
                        .put("usable", e.usable)
                        .put("active", e.active)
                        .put("reason", e.reason)
                        .put("frames", e.frames)
                        .put("faults", e.faults)
                        .put("decode_latency_us", percentiles(e.decodeNs));
                if (e.cycles != null && e.cycles.getTotalCount() > 0) {
                    eo.put("kernel_cycles", Json.object().put("count", e.cycles.getTotalCount())
                            .put("p50", e.cycles.getValueAtPercentile(50)).put("max", e.cycles.getMaxValue()));
                }
                chain.add(eo);
            }
            o.put("engine_chain", chain)
                    .put("failovers", r.failovers)
                    .put("cold_takeovers", r.coldTakeovers)
                    .put("golden", Json.object().put("engine", r.goldenEngine).put("compared", r.goldenCompared)
                            .put("mismatches", r.goldenMismatches));
        }
        Json.Arr generations = Json.array();
        for (SessionReport.EngineGeneration g : r.engineGenerations) {
            generations.add(Json.object().put("generation", g.generation).put("decoder", g.decoder)
                    .put("model", g.model).put("engine", g.engine).put("failovers", g.failovers)
                    .put("golden", Json.object().put("engine", g.goldenEngine).put("compared", g.goldenCompared)
                            .put("mismatches", g.goldenMismatches)));
        }
        o.put("engine_generations", generations);
        if (r.frontEnd != null) {
            o.put("frontend", frontEnd(r.frontEnd));
        }
        LabJson.add(o, r);
        return o;
    }

    /** The broadband front end's figures ({@code "frontend"} in the report). */
    private static Json.Obj frontEnd(SessionReport.FrontEndFigures f) {
        Json.Arr outputs = Json.array();
        for (String s : f.outputs) {
            outputs.add(s);
        }
        Json.Arr dead = Json.array();
        for (int c : f.deadChannels) {
            dead.node().add(c);
        }
        return Json.object().put("outputs", outputs).put("features", f.features).put("car", f.car)
                .put("filter", f.filter).put("threshold_k", f.thresholdK).put("calibrated", f.calibrated)
                .put("median_rms_uv", round(f.medianRmsUv, 3)).put("dead_channels", dead)
                .put("dead", f.deadDescription).put("crossings", f.crossings)
                .put("non_finite_values", f.nonFiniteValues);
    }

    /** Threshold crossings scored against a synthetic source's true spikes ({@code "detection"}). */
    static Json.Obj detection(DetectionScorer.Summary d) {
        return Json.object().put("channels_scored", d.channels).put("live_seconds", round(d.liveSeconds, 3))
                .put("true_spikes", d.trueSpikes).put("hits", d.hits).put("false_positives", d.falsePositives)
                .put("hit_rate", round(d.hitRate, 4)).put("min_channel_hit_rate", round(d.minChannelHitRate, 4))
                .put("false_positives_per_s", round(d.falsePositivesPerSecond, 4)).put("truth_lost", d.truthLost);
    }

    /** The detection line of the human summary. */
    static String detectionText(DetectionScorer.Summary d) {
        return String.format(Locale.ROOT, "  detection    hit rate %.4f (lowest channel %.4f), %.3f false positives"
                        + " per s per channel; %d true spikes on %d channels in %.1f s live", d.hitRate,
                d.minChannelHitRate, d.falsePositivesPerSecond, d.trueSpikes, d.channels, d.liveSeconds);
    }

    /**
     * For a live SNN decoder: reservoir size, ticks per bin and the per-tick latency, i.e. the decode stage's
     * per-bin percentiles divided by the ticks per bin (the readout's dot product is included, spread over the
     * ticks). Only for a live SNN decoder.
     */
    private static Json.Obj snn(SessionReport r) {
        Histogram h = r.latencyNs.get(Stage.DECODE.key());
        Json.Obj tick = Json.object();
        if (h == null || h.getTotalCount() == 0) {
            tick.put("p50", Double.NaN).put("p99", Double.NaN).put("max", Double.NaN);
        } else {
            tick.put("p50", round(h.getValueAtPercentile(50) / 1000.0 / r.ticksPerBin, 3))
                    .put("p99", round(h.getValueAtPercentile(99) / 1000.0 / r.ticksPerBin, 3))
                    .put("max", round(h.getMaxValue() / 1000.0 / r.ticksPerBin, 3));
        }
        return Json.object().put("neurons", r.snnNeurons).put("ticks_per_bin", r.ticksPerBin).put("tick_us", tick);
    }

    private static Json.Obj percentiles(Histogram h) {
        Json.Obj o = Json.object();
        if (h == null || h.getTotalCount() == 0) {
            return o.put("count", 0L).put("p50", Double.NaN).put("p99", Double.NaN).put("p999", Double.NaN)
                    .put("max", Double.NaN);
        }
        return o.put("count", h.getTotalCount())
                .put("p50", us(h.getValueAtPercentile(50)))
                .put("p99", us(h.getValueAtPercentile(99)))
                .put("p999", us(h.getValueAtPercentile(99.9)))
                .put("max", us(h.getMaxValue()));
    }

    private static double us(long ns) {
        return round(ns / 1000.0, 3);
    }

    private static double round(double v, int digits) {
        if (!Double.isFinite(v)) {
            return v;
        }
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    /** The human summary. */
    static String text(SessionReport r) {
        StringBuilder sb = new StringBuilder();
        // Bins need not be whole milliseconds (500 us at 2 kHz), which integer division would print as "0 ms".
        String binMs = r.binWidthUs % 1000 == 0 ? Long.toString(r.binWidthUs / 1000)
                : Double.toString(r.binWidthUs / 1000.0);
        sb.append(String.format(Locale.ROOT, "Reflex closed loop: %s decoder on %s, %d channels, %s ms bins,"
                        + " deadline %d us, topology %s (%s)%n", r.decoder, r.engine, r.channels, binMs,
                r.deadlineUs, r.topology, r.ending));
        sb.append(String.format(Locale.ROOT, "  calibration  %d frames in %.1f s, fit in %.0f ms%n",
                r.calibrationFrames, r.calibrationSeconds, r.fitMs));
        sb.append(String.format(Locale.ROOT, "  live         %d frames in %.1f s; dropped %d, not taken in %d,"
                        + " deadline misses %d, invalid input %d, safe outputs %d, errors %d%n", r.frames,
                r.liveSeconds, r.dropped, r.notTakenIn, r.deadlineMisses, r.invalidInput, r.safeOutputs, r.errors()));
        sb.append("  ").append(r.targetKind).append(" R2 ");
        for (Map.Entry<String, Double> e : r.r2.entrySet()) {
            sb.append(String.format(Locale.ROOT, " %s %.3f%s", e.getKey(), e.getValue(),
                    e.getKey().equals(r.decoder) ? " (live)" : " (same frames, off the critical path)"));
        }
        sb.append(System.lineSeparator());
        sb.append(String.format(Locale.ROOT, "  latency, us (live)%-14s %9s %9s %9s %9s %8s%n", "", "p50", "p99",
                "p99.9", "max", "count"));
        for (Map.Entry<String, Histogram> e : r.latencyNs.entrySet()) {
            Histogram h = e.getValue();
            if (h.getTotalCount() == 0) {
                continue;
            }
            sb.append(String.format(Locale.ROOT, "    %-28s %9.1f %9.1f %9.1f %9.1f %8d%n", label(e.getKey()),
                    h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3,
                    h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3, h.getTotalCount()));
        }
        if (!r.engines.isEmpty()) {
            sb.append(String.format(Locale.ROOT, "  engines      %s model %s; failovers %d%s; golden check against %s:"
                            + " %d frames compared, %d mismatches%n", r.modelType, r.model, r.failovers,
                    r.coldTakeovers > 0 ? " (" + r.coldTakeovers + " cold)" : "", r.goldenEngine, r.goldenCompared,
                    r.goldenMismatches));
            for (SessionReport.EngineFigures e : r.engines) {
                String lat = e.decodeNs == null || e.decodeNs.getTotalCount() == 0 ? ""
                        : String.format(Locale.ROOT, ", decode p50 %.1f us max %.1f us",
                        e.decodeNs.getValueAtPercentile(50) / 1e3, e.decodeNs.getMaxValue() / 1e3);
                String cyc = e.cycles == null || e.cycles.getTotalCount() == 0 ? ""
                        : String.format(Locale.ROOT, ", kernel cycles p50 %d max %d",
                        e.cycles.getValueAtPercentile(50), e.cycles.getMaxValue());
                sb.append(String.format(Locale.ROOT, "    %s %-10s %6d frames%s%s  [%s; %s]%n", e.active ? "*" : " ",
                        e.name, e.frames, lat, cyc, e.reason, e.device));
            }
        }
        Histogram dec = r.latencyNs.get(Stage.DECODE.key());
        if (r.ticksPerBin > 0 && dec != null && dec.getTotalCount() > 0) {
            sb.append(String.format(Locale.ROOT, "  snn          %d neurons, %d ticks per bin; per tick (decode / ticks):"
                            + " p50 %.2f us, p99 %.2f us%n", r.snnNeurons, r.ticksPerBin,
                    dec.getValueAtPercentile(50) / 1e3 / r.ticksPerBin, dec.getValueAtPercentile(99) / 1e3 / r.ticksPerBin));
        }
        sb.append(String.format(Locale.ROOT, "  GC during live: %d collections (%d ms); pipeline threads allocated"
                + " %s%n", r.gcCount, r.gcTimeMs, r.pipelineAllocatedBytes < 0 ? "(unknown)"
                : r.pipelineAllocatedBytes + " bytes"));
        sb.append(LabJson.text(r));
        if (r.frontEnd != null) {
            SessionReport.FrontEndFigures f = r.frontEnd;
            sb.append(String.format(Locale.ROOT, "  front end    %s from %s, CAR %s, thresholds -%.1f x RMS (median RMS"
                            + " %.2f uV%s), %d crossings; dead channels: %s%n", String.join(" + ", f.outputs),
                    f.filter, f.car, f.thresholdK, f.medianRmsUv, f.calibrated ? "" : ", NOT CALIBRATED",
                    f.crossings, f.deadDescription.isEmpty() ? "none" : f.deadDescription));
        }
        sb.append("  journal: ").append(r.journal == null ? "off" : r.journal + " (" + r.journalFrames + " frames)")
                .append(System.lineSeparator());
        if (r.decoderLoaded != null || r.decoderSaved != null) {
            sb.append("  decoder file: ").append(r.decoderLoaded != null ? "loaded " + r.decoderLoaded
                    + " (no calibration)" : "saved " + r.decoderSaved).append(System.lineSeparator());
        }
        if (r.journalFault != null) {
            sb.append("  JOURNAL FAULT: ").append(r.journalFault).append(" (").append(r.journalFramesNotWritten)
                    .append(" frames not written)").append(System.lineSeparator());
        }
        if (r.stimJournalFault != null) {
            sb.append("  STIM JOURNAL FAULT: ").append(r.stimJournalFault).append(System.lineSeparator());
        }
        return sb.toString();
    }

    private static String label(String track) {
        if (track.equals(Stage.INGEST.key())) {
            return "ingest (acquisition->ingest)";
        }
        if (track.equals("ingest_to_emit")) {
            return "ingest->emit (end to end)";
        }
        for (Stage s : Stage.ALL) {
            if (s.key().equals(track)) {
                return track;
            }
        }
        return track + " (lag behind emit)";
    }
}
