package io.reflex.runtime.pipeline;

/**
 * Bins the frame's samples: each feature is the sum of its channel over the bin (a spike count when samples are
 * per-millisecond counts), each target the mean reference value over the bin. Flags NaN or infinite samples, and
 * the bins in which a trial starts (the source's {@code trial_start} reference is non-zero in one of the samples).
 */
final class FeatureStage implements FrameHandler {
    private final PipelineCounters counters;
    private final int trialStartReference;

    /** @param trialStartReference index of the {@code trial_start} reference, or −1 when the source has none */
    FeatureStage(PipelineCounters counters, int trialStartReference) {
        this.counters = counters;
        this.trialStartReference = trialStartReference;
    }

    @Override
    public void onFrame(Frame frame) {
        SampleBlock in = frame.input;
        int n = in.size();
        boolean finite = in.sumChannelsInto(frame.features);
        if (!finite) {
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
