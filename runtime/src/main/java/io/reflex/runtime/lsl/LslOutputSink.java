package io.reflex.runtime.lsl;

import io.reflex.lsl.ChannelFormat;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamOutlet;
import io.reflex.lsl.XmlElement;

import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.pipeline.OutputSink;

/**
 * Publishes each frame's output command as one LSL sample stamped with the frame's input timestamp (the
 * acquisition time of the bin's last sample), so a consumer can measure input-to-command latency on the LSL clock.
 * Allocation-free per frame.
 */
public final class LslOutputSink implements OutputSink {
    private final StreamOutlet outlet;
    private long published;

    public LslOutputSink(StreamOutlet outlet) {
        this.outlet = outlet;
    }

    /** The stream a decoder's output goes out on: float32, one channel per output, one sample per bin. */
    public static StreamInfo describe(String name, String sourceId, int outputs, long binWidthUs,
                                      java.util.List<String> labels) {
        StreamInfo.Builder b = StreamInfo.builder(name, "Control", outputs, 1e6 / binWidthUs, ChannelFormat.FLOAT32,
                sourceId);
        XmlElement chans = b.desc().appendChild("channels");
        for (int i = 0; i < outputs; i++) {
            chans.appendChild("channel").appendChildValue("label", i < labels.size() ? labels.get(i) : "out" + i)
                    .appendChildValue("unit", "m/s");
        }
        b.desc().appendChildValue("producer", "reflex");
        return b.build();
    }

    @Override
    public String name() {
        return "lsl:" + outlet.info().name();
    }

    @Override
    public void emit(Frame frame) {
        outlet.pushSample(frame.output, frame.acquisitionTimeS);
        published++;
    }

    /** Samples published (read after the emit thread stopped). */
    public long published() {
        return published;
    }

    public StreamOutlet outlet() {
        return outlet;
    }
}
