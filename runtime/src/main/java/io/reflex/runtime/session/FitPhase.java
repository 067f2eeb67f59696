package io.reflex.runtime.session;

import io.reflex.decoders.Decoder;
import io.reflex.decoders.TrainableDecoder;
import io.reflex.runtime.check.ConfigException;
import io.reflex.runtime.config.SavedDecoder;
import java.util.ArrayList;
import java.util.List;

/**
 * The fit phase: the live decoder and the comparison decoders that learn are fitted on the calibration block, and
 * the fitted live decoder is saved into the journal directory when it can be.
 */
final class FitPhase {
    private FitPhase() {
    }

    /**
     * Fits on {@code r.set} (a run without a calibration block has nothing to fit).
     *
     * @throws ConfigException {@code calibration.seconds}, when a decoder cannot be fitted on the block
     */
    static void run(SessionRun r, PhaseEnv env) {
        if (r.set == null) {
            return;
        }
        env.publish(SessionCounters.FIT);
        env.listener().onPhase("fit", "fitting " + r.live.name() + (r.compare.isEmpty() ? "" : " and "
                + names(r.compare)) + " on " + r.set.size() + " bins");
        long f0 = System.nanoTime();
        List<Decoder> toFit = new ArrayList<>();
        toFit.add(r.live);
        toFit.addAll(r.compare);
        for (Decoder d : toFit) {
            if (!(d instanceof TrainableDecoder)) {
                continue;
            }
            try {
                ((TrainableDecoder) d).fit(r.set);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("calibration.seconds", "fitting " + d.name() + " on " + r.set.size()
                        + " calibration bins failed: " + e.getMessage() + "; a longer calibration block"
                        + " (more reaches) usually helps");
            }
        }
        r.report.fitMs = (System.nanoTime() - f0) * 1e-6;
        save(r, env);
    }

    /**
     * Saves the fitted live decoder into the journal directory, when there is a journal and the decoder can be saved.
     * A failure to save is told as a notice and leaves {@code decoder_saved} null: the loop itself is sound.
     */
    private static void save(SessionRun r, PhaseEnv env) {
        if (r.journal == null || !SavedDecoder.savable(r.live)) {
            return;
        }
        try {
            r.report.decoderSaved = SavedDecoder.save(r.journal.path(), (TrainableDecoder) r.live, r.cfg,
                    r.set.size(), r.targets == null ? List.of() : r.targets.names(), "reflex session").toString();
        } catch (RuntimeException e) {
            env.listener().onNotice("the fitted decoder was not saved: " + e.getMessage());
        }
    }

    static String names(List<Decoder> ds) {
        List<String> n = new ArrayList<>();
        for (Decoder d : ds) {
            n.add(d.name());
        }
        return String.join(", ", n);
    }
}
