package io.reflex.tools.rig;

import io.reflex.runtime.pipeline.SampleBlock;

/** The feature stage's work for the baselines: each feature is its channel's sum over the bin. */
final class Bins {
    private Bins() {
    }

    static boolean sum(SampleBlock in, float[] features) {
        int channels = in.channels();
        int n = in.size();
        float[] samples = in.samples();
        for (int c = 0; c < channels; c++) {
            features[c] = 0f;
        }
        for (int s = 0; s < n; s++) {
            int base = s * channels;
            for (int c = 0; c < channels; c++) {
                features[c] += samples[base + c];
            }
        }
        boolean finite = true;
        for (int c = 0; c < channels; c++) {
            finite &= Float.isFinite(features[c]);
        }
        return finite;
    }
}
