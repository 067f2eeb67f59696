package io.reflex.tools;

import io.reflex.runtime.session.ClosedLoopSession;
import java.io.PrintStream;
import java.util.Locale;

/**
 * Prints session phases and progress to stderr: one rewritten line on a terminal, a line every 2 s otherwise; or,
 * given a {@link JsonLines} log, one JSON object per phase, notice and progress line (every 2 s).
 */
final class ProgressPrinter implements ClosedLoopSession.Listener {
    private final PrintStream err;
    private final JsonLines json;
    private final boolean terminal;
    private final boolean quiet;
    private long lastLineNs;
    private boolean lineOpen;
    private volatile java.util.function.Supplier<String> suffix = () -> "";

    ProgressPrinter(PrintStream err, boolean quiet) {
        this(err, quiet, null);
    }

    /** @param json the structured log, or null for text */
    ProgressPrinter(PrintStream err, boolean quiet, JsonLines json) {
        this.err = err;
        this.json = json;
        this.terminal = json == null && System.console() != null;
        this.quiet = quiet;
    }

    @Override
    public synchronized void onPhase(String phase, String detail) {
        if (quiet) {
            return;
        }
        if (json != null) {
            json.write(json.event("phase").put("phase", phase).put("detail", detail));
            return;
        }
        endLine();
        err.println("reflex: phase " + phase + ": " + detail);
        err.flush();
    }

    @Override
    public synchronized void onTick(ClosedLoopSession.Progress p) {
        if (quiet) {
            return;
        }
        long now = System.nanoTime();
        if (!terminal && now - lastLineNs < 2_000_000_000L) {
            return;
        }
        lastLineNs = now;
        if (json != null) {
            com.fasterxml.jackson.databind.node.ObjectNode o = json.event("progress").put("phase", p.phase)
                    .put("elapsed_s", Math.round(p.phaseElapsedS * 1000) / 1000.0);
            if (p.phase.equals("calibration")) {
                o.put("calibration_frames", p.calibrationFrames).put("calibration_target", p.calibrationTarget);
            } else {
                o.put("frames", p.frames).put("deadline_misses", p.deadlineMisses);
                if (!Double.isNaN(p.liveR2)) {
                    o.put("live_r2", p.liveR2);
                }
                String extra = suffix.get();
                if (!extra.isBlank()) {
                    o.put("status", extra.trim());
                }
            }
            json.write(o.put("dropped", p.dropped));
            return;
        }
        String time = p.phaseSeconds > 0 ? String.format(Locale.ROOT, "%5.1f/%.0f s", p.phaseElapsedS, p.phaseSeconds)
                : String.format(Locale.ROOT, "%7.1f s", p.phaseElapsedS);
        String line;
        if (p.phase.equals("calibration")) {
            line = String.format(Locale.ROOT, "  calibrating %s  recorded %d/%d bins  dropped %d", time,
                    p.calibrationFrames, p.calibrationTarget, p.dropped);
        } else {
            line = String.format(Locale.ROOT, "  live %s  frames %d  dropped %d  deadline misses %d  R2 %s", time,
                    p.frames, p.dropped, p.deadlineMisses,
                    Double.isNaN(p.liveR2) ? "-" : String.format(Locale.ROOT, "%.3f", p.liveR2)) + suffix.get();
        }
        if (terminal) {
            err.print("\r" + line + "   ");
            lineOpen = true;
        } else {
            err.println(line);
        }
        err.flush();
    }

    /** Appends {@code s.get()} to every live progress line (e.g. the stimulation state or its latched fault). */
    void suffix(java.util.function.Supplier<String> s) {
        suffix = s;
    }

    /** Printed even when quiet: what the operator must know when it happens (an engine failover). */
    @Override
    public synchronized void onNotice(String message) {
        if (json != null) {
            json.message("notice", message);
            return;
        }
        endLine();
        err.println("reflex: " + message);
        err.flush();
    }

    /** Ends a rewritten progress line before other output. */
    synchronized void endLine() {
        if (lineOpen) {
            err.println();
            lineOpen = false;
        }
    }
}
