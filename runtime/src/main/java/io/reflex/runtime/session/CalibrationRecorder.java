package io.reflex.runtime.session;

import io.reflex.decoders.CalibrationSet;
import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.pipeline.FrameHandler;
import java.util.concurrent.CountDownLatch;

/** Records calibration rows (features, true targets) from frames decoded before any decoder was installed. */
final class CalibrationRecorder implements FrameHandler {
    final CountDownLatch done = new CountDownLatch(1);
    private final CalibrationSet set;
    private final int[] targetIndex;
    private final float[] truth;
    volatile int recorded;
    /** Frames offered for calibration, valid or not. */
    volatile long seen;

    CalibrationRecorder(CalibrationSet set, DecodeTargets targets) {
        this.set = set;
        this.targetIndex = targets == null ? new int[0] : targets.indices();
        this.truth = new float[targetIndex.length];
    }

    @Override
    public void onFrame(Frame frame) {
        if (set == null || frame.decoderGeneration != 0 || set.full()
                || frame.hasFlag(Frame.FLAG_FRONTEND_CALIBRATING)) {
            return;
        }
        seen++;
        for (int k = 0; k < targetIndex.length; k++) {
            truth[k] = frame.targets[targetIndex[k]];
        }
        if (frame.hasFlag(Frame.FLAG_TRIAL_START)) {
            set.markTrialStart();
        }
        if (set.add(frame.features, truth)) {
            recorded = set.size();
        }
        if (set.full()) {
            done.countDown();
        }
    }
}
