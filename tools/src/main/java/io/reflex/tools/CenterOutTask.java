package io.reflex.tools;

import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * The rules of {@code reflex task}'s center-out task, without I/O (so tests drive it with their own clock): targets
 * on a circle, one at a time in blocks that visit each once in a random order; a trial succeeds when the cursor stays
 * inside the target window for the hold time, and times out otherwise; between trials the cursor is put back at the
 * centre for an inter-trial interval.
 *
 * <p>The simulated user's intended velocity points from the cursor to the target, proportional to the distance
 * ({@link Context#gainPerS}) and capped ({@link Context#maxSpeedMps}); zero between trials. While the task is
 * calibrating the cursor follows that intent exactly (the "observed" reaches a decoder is fitted on); under decoder
 * control it moves only by the decoded velocity ({@link #applyDecoded}). Markers go to the given {@link Markers}.
 */
final class CenterOutTask {

    /** Receives the task's event markers as they happen. */
    interface Markers {
        void mark(String text, double timeS);
    }

    /** Task parameters; validated by {@link #conclude()}. */
    static final class Context {
        int targets = 8;
        double radiusM = 0.10;
        double windowM = 0.025;
        double holdS = 0.2;
        double trialTimeoutS = 5.0;
        double itiS = 0.3;
        double gainPerS = 4.0;
        double maxSpeedMps = 0.25;
        long seed = 1;

        Context conclude() {
            range("--targets", targets, 1, 360);
            range("--radius-m", radiusM, 0.001, 10);
            range("--window-m", windowM, 0.0005, radiusM);
            range("--hold-ms", holdS * 1e3, 0, 60_000);
            range("--trial-timeout-s", trialTimeoutS, 0.1, 3600);
            range("--iti-ms", itiS * 1e3, 0, 60_000);
            range("--speed-mps", maxSpeedMps, 0.001, 100);
            return this;
        }

        private static void range(String option, double value, double min, double max) {
            if (!(value >= min && value <= max)) {
                throw new IllegalArgumentException(option + " must be in [" + fmt(min) + ", " + fmt(max) + "], got "
                        + fmt(value));
            }
        }

        private static String fmt(double v) {
            return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
        }
    }

    private final Context ctx;
    private final Markers markers;
    private final Random order;
    private final int[] block;
    private int blockPosition;
    private boolean decoderControl;
    private boolean inTrial;
    private double phaseStartS;
    private double holdStartS = Double.NaN;
    private double entryS = Double.NaN;
    private int target;
    private double targetX;
    private double targetY;
    private double cursorX;
    private double cursorY;
    private double intentX;
    private double intentY;
    private long trialNumber;
    private long calibrationTrials;
    private long trials;
    private long successes;
    private long timeouts;
    private double pathM;
    private double[] timesToTargetS = new double[256];

    CenterOutTask(Context ctx, Markers markers, double startS) {
        this.ctx = ctx.conclude();
        this.markers = markers;
        this.order = new Random(ctx.seed);
        this.block = new int[ctx.targets];
        this.blockPosition = block.length;
        markers.mark("block_start calibration", startS);
        phaseStartS = startS;
    }

    /** Advances the task to {@code nowS} by a frame of {@code dtS}: intent, cursor (while calibrating), trial state. */
    void step(double nowS, double dtS) {
        if (!inTrial) {
            intentX = 0;
            intentY = 0;
            cursorX = 0;
            cursorY = 0;
            if (nowS - phaseStartS >= ctx.itiS) {
                startTrial(nowS);
            }
            return;
        }
        double dx = targetX - cursorX;
        double dy = targetY - cursorY;
        double vx = ctx.gainPerS * dx;
        double vy = ctx.gainPerS * dy;
        double speed = Math.hypot(vx, vy);
        if (speed > ctx.maxSpeedMps) {
            vx *= ctx.maxSpeedMps / speed;
            vy *= ctx.maxSpeedMps / speed;
        }
        intentX = vx;
        intentY = vy;
        if (!decoderControl) {
            cursorX += vx * dtS;
            cursorY += vy * dtS;
        }
        judge(nowS);
    }

    /** Moves the cursor by a decoded velocity held for {@code dtS}; only under decoder control and during a trial. */
    void applyDecoded(double vxMps, double vyMps, double dtS) {
        if (!decoderControl || !inTrial || !Double.isFinite(vxMps) || !Double.isFinite(vyMps)) {
            return;
        }
        cursorX += vxMps * dtS;
        cursorY += vyMps * dtS;
        pathM += Math.hypot(vxMps, vyMps) * dtS;
    }

    /** Hands the cursor to the decoder: the trial in progress is aborted and the decoder-control block begins. */
    void startDecoderControl(double nowS) {
        if (decoderControl) {
            return;
        }
        if (inTrial) {
            markers.mark("trial_aborted " + trialNumber, nowS);
        }
        markers.mark("block_end calibration", nowS);
        markers.mark("block_start decoder", nowS);
        decoderControl = true;
        inTrial = false;
        phaseStartS = nowS;
    }

    /** Ends the block in progress (at the end of the run). */
    void finish(double nowS) {
        if (inTrial) {
            markers.mark("trial_aborted " + trialNumber, nowS);
            inTrial = false;
        }
        markers.mark("block_end " + (decoderControl ? "decoder" : "calibration"), nowS);
    }

    private void startTrial(double nowS) {
        if (blockPosition == block.length) {
            for (int i = 0; i < block.length; i++) {
                block[i] = i;
            }
            for (int i = block.length - 1; i > 0; i--) {
                int j = order.nextInt(i + 1);
                int t = block[i];
                block[i] = block[j];
                block[j] = t;
            }
            blockPosition = 0;
        }
        target = block[blockPosition++];
        double angle = 2 * Math.PI * target / ctx.targets;
        targetX = ctx.radiusM * Math.cos(angle);
        targetY = ctx.radiusM * Math.sin(angle);
        trialNumber++;
        inTrial = true;
        phaseStartS = nowS;
        holdStartS = Double.NaN;
        entryS = Double.NaN;
        markers.mark("trial_start " + trialNumber, nowS);
        markers.mark(String.format(Locale.ROOT, "target_on %d %.4f %.4f", target, targetX, targetY), nowS);
    }

    private void judge(double nowS) {
        boolean inside = Math.hypot(targetX - cursorX, targetY - cursorY) <= ctx.windowM;
        if (inside) {
            if (Double.isNaN(holdStartS)) {
                holdStartS = nowS;
                entryS = nowS;
            }
            if (nowS - holdStartS >= ctx.holdS) {
                double tt = entryS - phaseStartS;
                markers.mark(String.format(Locale.ROOT, "target_reached %d %.0f", target, tt * 1e3), nowS);
                endTrial(nowS, true, tt);
                return;
            }
        } else {
            holdStartS = Double.NaN;
        }
        if (nowS - phaseStartS >= ctx.trialTimeoutS) {
            markers.mark("target_timeout " + target, nowS);
            endTrial(nowS, false, 0);
        }
    }

    private void endTrial(double nowS, boolean success, double timeToTargetS) {
        if (decoderControl) {
            trials++;
            if (success) {
                if (successes == timesToTargetS.length) {
                    timesToTargetS = Arrays.copyOf(timesToTargetS, timesToTargetS.length * 2);
                }
                timesToTargetS[(int) successes] = timeToTargetS;
                successes++;
            } else {
                timeouts++;
            }
        } else {
            calibrationTrials++;
        }
        inTrial = false;
        phaseStartS = nowS;
    }

    boolean decoderControl() {
        return decoderControl;
    }

    double cursorX() {
        return cursorX;
    }

    double cursorY() {
        return cursorY;
    }

    double intentX() {
        return intentX;
    }

    double intentY() {
        return intentY;
    }

    /** Trials completed while calibrating (cursor under the scripted intent). */
    long calibrationTrials() {
        return calibrationTrials;
    }

    /** Trials completed under decoder control (successes + timeouts). */
    long trials() {
        return trials;
    }

    long successes() {
        return successes;
    }

    long timeouts() {
        return timeouts;
    }

    /** Distance the cursor moved under decoder control, m. */
    double pathM() {
        return pathM;
    }

    /** Times from target on to the entry that was held, of the successful trials under decoder control, s. */
    double[] timesToTargetS() {
        return Arrays.copyOf(timesToTargetS, (int) successes);
    }

    /** The {@code q}-quantile (nearest rank) of {@code values}; NaN when empty. */
    static double quantile(double[] values, double q) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] s = values.clone();
        Arrays.sort(s);
        int rank = (int) Math.ceil(q * s.length);
        return s[Math.max(0, Math.min(s.length - 1, rank - 1))];
    }
}
