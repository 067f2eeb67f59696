package io.reflex.tools;

import io.reflex.runtime.session.LabStreams;
import io.reflex.runtime.session.SessionReport;
import java.util.Locale;

/**
 * The report keys of a session's lab streams (docs/lab-setup.md; README "demo --json / daemon --json keys"):
 * {@code source} (an LSL source's outages), {@code kinematics} (pairing with a separate kinematics stream),
 * {@code markers} (the task's marker stream) and {@code decoded_outlet}; each only when that part ran.
 */
final class LabJson {
    private LabJson() {
    }

    /** Adds the keys of the parts that ran to {@code o}. */
    static void add(Json.Obj o, SessionReport r) {
        LabStreams.SourceFigures s = r.lslSource;
        if (s != null) {
            o.put("source", Json.object().put("outages", s.outages).put("reconnects", s.reconnects)
                    .put("longest_gap_ms", Math.round(s.longestGapMs * 10) / 10.0).put("outage_ms", s.outageMs)
                    .put("samples", s.samples).put("inlet_dropped", s.inletDropped)
                    .put("inlet_dropped_live", s.inletDroppedLive)
                    .put("staleness_live_us", s.stalenessLiveUs == null ? null : Json.object()
                            .put("p50", round1(s.stalenessLiveUs[0])).put("p99", round1(s.stalenessLiveUs[1]))
                            .put("max", round1(s.stalenessLiveUs[2]))));
        }
        LabStreams.KinematicsFigures k = r.kinematics;
        if (k != null) {
            o.put("kinematics", Json.object().put("stream", k.stream).put("samples", k.samples)
                    .put("paired", k.paired).put("before_start", k.beforeStart).put("late", k.late)
                    .put("missing", k.missing).put("late_samples", k.lateSamples).put("pending", k.pending));
        }
        LabStreams.MarkerFigures m = r.markers;
        if (m != null) {
            Json.Obj mo = Json.object().put("stream", m.stream).put("received", m.received).put("last", m.last);
            if (m.journaled != null) {
                mo.put("journaled", m.journaled).put("not_journaled", m.notJournaled);
            }
            o.put("markers", mo);
        }
        LabStreams.DecodedOutletFigures d = r.decodedOutlet;
        if (d != null) {
            Json.Arr labels = Json.array();
            d.labels.forEach(labels::add);
            o.put("decoded_outlet", Json.object().put("name", d.name).put("type", d.type).put("labels", labels)
                    .put("pushed", d.pushed)
                    .put("frames_emitted", d.framesEmitted).put("failures", d.failures));
        }
    }

    /** The summary lines of the parts that ran ("" when none did). */
    static String text(SessionReport r) {
        StringBuilder sb = new StringBuilder();
        if (r.lslSource != null) {
            sb.append(String.format(Locale.ROOT, "  source       %d outages (silence > %.0f ms), %d reconnects, longest"
                    + " gap %.1f ms%n", r.lslSource.outages, r.lslSource.outageMs, r.lslSource.reconnects,
                    r.lslSource.longestGapMs));
        }
        if (r.kinematics != null) {
            LabStreams.KinematicsFigures k = r.kinematics;
            sb.append(String.format(Locale.ROOT, "  kinematics   '%s': %d samples; bins paired %d, before its start %d,"
                            + " late %d, in gaps %d; late samples %d%n", k.stream, k.samples, k.paired, k.beforeStart,
                    k.late, k.missing, k.lateSamples));
        }
        if (r.markers != null) {
            sb.append(String.format(Locale.ROOT, "  markers      '%s': %d received%s%s%n", r.markers.stream,
                    r.markers.received, r.markers.journaled == null ? ""
                            : String.format(Locale.ROOT, ", %d journaled%s", r.markers.journaled,
                            r.markers.notJournaled > 0 ? " (" + r.markers.notJournaled + " not)" : ""),
                    r.markers.last.isEmpty() ? "" : ", last '" + r.markers.last + "'"));
        }
        if (r.decodedOutlet != null) {
            LabStreams.DecodedOutletFigures d = r.decodedOutlet;
            sb.append(String.format(Locale.ROOT, "  decoded out  LSL '%s' (%s) %s: %d of %d frames pushed%s%n",
                    d.name, d.type, d.labels, d.pushed, d.framesEmitted, d.failures > 0 ? ", " + d.failures + " pushes failed" : ""));
        }
        return sb.toString();
    }

    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
