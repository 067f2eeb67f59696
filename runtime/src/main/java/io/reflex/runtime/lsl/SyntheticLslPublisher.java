package io.reflex.runtime.lsl;

import io.reflex.lsl.ChannelFormat;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamOutlet;
import io.reflex.lsl.XmlElement;

import io.reflex.decoders.synth.CenterOutSource;

/**
 * Publishes the synthetic center-out neural source ({@link CenterOutSource}) as an LSL outlet in real time:
 * {@code channels} spike-count channels plus four reference channels labelled px, py, vx, vy (the true
 * kinematics), one sample per period, stamped with the LSL clock at the moment it is due.
 */
public final class SyntheticLslPublisher implements AutoCloseable {
    private final CenterOutSource generator;
    private final StreamOutlet outlet;
    private final int channels;
    private final double rateHz;
    private final float[] spikes;
    private final double[] kinematics = new double[4];
    private final float[] sample;
    private long published;

    /** Describes the stream: name, type "Spikes", channel labels and units in desc. */
    public static StreamInfo describe(String name, String sourceId, int channels, double rateHz, long seed) {
        StreamInfo.Builder b = StreamInfo.builder(name, "Spikes", channels + 4, rateHz, ChannelFormat.FLOAT32,
                sourceId);
        XmlElement chans = b.desc().appendChild("channels");
        RealTimePacer.describeSpikeChannels(chans, channels);
        for (String k : new String[] {"px", "py", "vx", "vy"}) {
            chans.appendChild("channel").appendChildValue("label", k)
                    .appendChildValue("unit", k.startsWith("p") ? "m" : "m/s").appendChildValue("type", "Reference");
        }
        b.desc().appendChild("synthetic").appendChildValue("model", "center-out cosine-tuned Poisson")
                .appendChildValue("seed", Long.toString(seed));
        return b.build();
    }

    public SyntheticLslPublisher(LslBackend backend, String name, String sourceId, int channels, double rateHz,
                                 long seed) {
        this.generator = new CenterOutSource(new CenterOutSource.Context().channels(channels).sampleRateHz(rateHz)
                .seed(seed));
        this.channels = channels;
        this.rateHz = rateHz;
        this.spikes = new float[channels];
        this.sample = new float[channels + 4];
        this.outlet = backend.createOutlet(describe(name, sourceId, channels, rateHz, seed));
    }

    public StreamOutlet outlet() {
        return outlet;
    }

    /** Samples published so far. */
    public long published() {
        return published;
    }

    /** Produces the next sample and pushes it with timestamp {@code timestampS}. */
    public void publishOne(double timestampS) {
        generator.nextSample(spikes, kinematics);
        System.arraycopy(spikes, 0, sample, 0, channels);
        for (int k = 0; k < 4; k++) {
            sample[channels + k] = (float) kinematics[k];
        }
        outlet.pushSample(sample, timestampS);
        published++;
    }

    /**
     * Publishes in real time until {@code durationS} passed (0 = until {@code stop} returns true), each sample at
     * its due time: every sample due within the duration goes out (late ones at once), so a run of D s at R Hz
     * publishes D·R samples however the thread was scheduled.
     */
    public void run(double durationS, java.util.function.BooleanSupplier stop) {
        RealTimePacer.run(rateHz, durationS, stop, this::publishOne);
    }

    @Override
    public void close() {
        outlet.close();
    }
}
