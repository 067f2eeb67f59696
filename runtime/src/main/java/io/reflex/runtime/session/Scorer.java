package io.reflex.runtime.session;

import io.reflex.decoders.Decoder;
import io.reflex.decoders.Metrics;
import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.pipeline.FrameHandler;
import java.util.List;

/**
 * Scores the live decoder's emitted output and each comparison decoder against the true targets. A comparison
 * decoder is reset at trial starts, as the decode stage resets the live one.
 */
final class Scorer implements FrameHandler {
    final Metrics.R2Accumulator live;
    final Metrics.R2Accumulator[] others;
    private final Decoder[] compare;
    private final int[] targetIndex;
    private final double[] truth;
    private final float[] out;
    volatile double runningR2 = Double.NaN;

    Scorer(List<Decoder> compare, DecodeTargets targets) {
        this.targetIndex = targets == null ? new int[0] : targets.indices();
        int n = Math.max(1, targetIndex.length);
        this.truth = new double[n];
        this.out = new float[n];
        this.live = new Metrics.R2Accumulator(n);
        this.compare = compare.toArray(new Decoder[0]);
        this.others = new Metrics.R2Accumulator[this.compare.length];
        for (int i = 0; i < others.length; i++) {
            others[i] = new Metrics.R2Accumulator(n);
        }
    }

    @Override
    public void onFrame(Frame frame) {
        if (frame.decoderGeneration == 0 || targetIndex.length == 0) {
            return;
        }
        for (int k = 0; k < targetIndex.length; k++) {
            truth[k] = frame.targets[targetIndex[k]];
        }
        live.add(truth, frame.output);
        for (int i = 0; i < compare.length; i++) {
            if (frame.hasFlag(Frame.FLAG_TRIAL_START)) {
                compare[i].reset();
            }
            compare[i].decode(frame.features, out);
            others[i].add(truth, out);
        }
        if ((live.count() & 31) == 0) {
            runningR2 = live.meanR2();
        }
    }
}
