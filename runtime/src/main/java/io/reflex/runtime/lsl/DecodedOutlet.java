package io.reflex.runtime.lsl;

import io.reflex.lsl.ChannelFormat;
import io.reflex.lsl.JavaOutlet;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamOutlet;
import io.reflex.lsl.XmlElement;

import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.pipeline.OutputSink;
import java.util.List;

/**
 * The daemon's decoded output as an LSL outlet, for the task software (a cursor display): one float32 sample per
 * bin holding the output that left the emit stage (the decoder's, or the safe output), stamped with the neural
 * bin's timestamp (the acquisition time of its last sample, local LSL clock), so the display can both align the
 * command with its own clock and measure the loop's latency.
 *
 * <p>Called by the emit stage for every frame, calibration included (the safe output then). A push copies the values
 * into each consumer's preallocated queue and returns: it neither allocates nor waits on a slow consumer (the queue
 * drops its oldest sample instead). A push that throws is counted, never rethrown, so a broken outlet costs frames
 * on the display, not on the closed loop.
 */
public final class DecodedOutlet implements OutputSink, AutoCloseable {
    /** Longest wait at close for pushed samples to go out, ns. */
    public static final long CLOSE_DRAIN_NS = 500_000_000L;

    private final StreamOutlet outlet;
    private volatile long frames;
    private volatile long pushed;
    private volatile long failures;
    private volatile String lastFailure;

    public DecodedOutlet(StreamOutlet outlet) {
        this.outlet = outlet;
    }

    /**
     * The stream of a decoded output: float32, one channel per output labelled by {@code labels}, nominal rate one
     * sample per bin.
     */
    public static StreamInfo describe(String name, String type, String sourceId, List<String> labels,
                                      long binWidthUs) {
        StreamInfo.Builder b = StreamInfo.builder(name, type, labels.size(), 1e6 / binWidthUs, ChannelFormat.FLOAT32,
                sourceId.isEmpty() ? name : sourceId);
        XmlElement chans = b.desc().appendChild("channels");
        for (String label : labels) {
            chans.appendChild("channel").appendChildValue("label", label).appendChildValue("type", "Decoded");
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
        frames = frames + 1;
        try {
            outlet.pushSample(frame.output, frame.acquisitionTimeS);
            pushed = pushed + 1;
        } catch (RuntimeException e) {
            failures = failures + 1;
            lastFailure = e.toString();
        }
    }

    /** Frames the emit stage handed over. */
    public long frames() {
        return frames;
    }

    /** Samples pushed. */
    public long pushed() {
        return pushed;
    }

    /** Pushes that threw. */
    public long failures() {
        return failures;
    }

    /** The last push failure, or null. */
    public String lastFailure() {
        return lastFailure;
    }

    public StreamOutlet outlet() {
        return outlet;
    }

    /**
     * Closes the outlet after the samples already pushed have gone out to the connected displays, waiting at most
     * {@link #CLOSE_DRAIN_NS} (the last bins of a run would otherwise be cut off).
     */
    @Override
    public void close() {
        if (outlet instanceof JavaOutlet j) {
            long end = System.nanoTime() + CLOSE_DRAIN_NS;
            while (j.unsentSamples() > 0 && System.nanoTime() - end < 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
            }
        }
        outlet.close();
    }
}
