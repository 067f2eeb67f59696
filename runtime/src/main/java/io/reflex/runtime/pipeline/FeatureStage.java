package io.reflex.runtime.pipeline;

import io.reflex.runtime.frontend.FrontEnd;

/**
 * Bins the frame's samples. With a broadband {@link FrontEnd}, the front end turns the bin's voltage into the
 * features (flagging the bins of its RMS calibration); otherwise each feature is the sum of its channel over the bin (a spike count when samples are
 * per-millisecond counts), each target the mean reference value over the bin. Flags NaN or infinite samples, and
 * the bins in which a trial starts (the source's {@code trial_start} reference is non-zero in one of the samples).
 */
final class FeatureStage implements FrameHandler {
    private final PipelineCounters counters;
    private final int trialStartReference;
    private final FrontEnd frontEnd;

    /**
     * @param trialStartReference index of the {@code trial_start} reference, or −1 when the source has none
     * @param frontEnd            the broadband front end, or null to sum samples (spike counts)
     */
    FeatureStage(PipelineCounters counters, int trialStartReference, FrontEnd frontEnd) {
        this.counters = counters;
        this.trialStartReference = trialStartReference;
        this.frontEnd = frontEnd;
    }

    @Override
    public void onFrame(Frame frame) {
        SampleBlock in = frame.input;
        int n = in.size();
        if (frontEnd != null) {
            // Dead and non-finite channels are the front end's to exclude, not a reason to drop the bin.
            if (n > 0 && frontEnd.process(in.samples(), n, frame.features) == FrontEnd.CALIBRATING) {
                frame.flags |= Frame.FLAG_FRONTEND_CALIBRATING;
            }
        } else if (!in.sumChannelsInto(frame.features)) {
            frame.flags |= Frame.FLAG_INVALID_INPUT;
            counters.invalidInput.increment();
        }
        int refs = in.referenceCount();
        if (refs > 0 && n > 0) {
            float[] ref = in.reference();
            float[] targets = frame.targets;
            for (int k = 0; k < refs; k++) {
                float sum = 0f;
                for (int s = 0; s < n; s++) {
                    sum += ref[s * refs + k];
                }
                targets[k] = sum / n;
            }
            if (trialStartReference >= 0 && targets[trialStartReference] != 0f) {
                frame.flags |= Frame.FLAG_TRIAL_START;
            }
        }
    }
}
