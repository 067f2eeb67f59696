package io.reflex.tools.rig;

import io.reflex.runtime.pipeline.Stage;
import org.HdrHistogram.Histogram;

/**
 * Where Reflex's latency goes, per frame: waiting for ingest (schedule to ingest stamp), features, decode, and the
 * hand-off to the sink (decode stamp to the sink's arrival), from the frame's stage stamps.
 */
final class StageTimes {
    static final String[] KEYS = {"wait_ingest", "features", "decode", "emit"};
    final Histogram[] h = new Histogram[KEYS.length];

    StageTimes() {
        for (int i = 0; i < h.length; i++) {
            h[i] = new Histogram(1, LatencyRecorder.HIGHEST_NS, 3);
        }
    }

    void record(long dueNs, long[] stampNs, long arrivalNs) {
        long ingest = stampNs[Stage.INGEST.ordinal()];
        long features = stampNs[Stage.FEATURES.ordinal()];
        long decode = stampNs[Stage.DECODE.ordinal()];
        put(0, ingest - dueNs);
        put(1, features - ingest);
        put(2, decode - features);
        put(3, arrivalNs - decode);
    }

    private void put(int i, long ns) {
        h[i].recordValue(Math.max(1, Math.min(LatencyRecorder.HIGHEST_NS, ns)));
    }
}
