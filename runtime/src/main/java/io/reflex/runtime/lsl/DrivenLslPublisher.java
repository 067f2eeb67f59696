package io.reflex.runtime.lsl;

import io.reflex.lsl.ChannelFormat;
import io.reflex.lsl.InletOptions;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamInlet;
import io.reflex.lsl.StreamOutlet;
import io.reflex.lsl.XmlElement;

import io.reflex.decoders.synth.CenterOutSource;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * A simulated amplifier for a closed-loop simulation: publishes only neural channels (as {@link SplitLslPublisher}'s
 * neural stream: type {@value SplitLslPublisher#NEURAL_TYPE}, labels n0, n1, ..., source_id the name), cosine-tuned
 * to the velocity that another program publishes on an LSL stream with channels labelled {@code vx} and {@code vy}
 * (the task's intended velocity, {@code reflex task}). The simulated cortex thus "intends" what the task's user
 * intends, and a decoder calibrated on that stream decodes it. Until the driving stream is found, and while it is
 * silent, the last velocity received (zero at first) is used.
 *
 * <p>The driving stream is resolved on a thread of its own, so publishing starts at once; the publishing thread polls
 * it without waiting before every sample.
 */
public final class DrivenLslPublisher implements AutoCloseable {
    private final CenterOutSource generator;
    private final LslBackend backend;
    private final StreamOutlet neural;
    private final String drivingName;
    private final float[] spikes;
    private final Thread resolver;
    /** Set once by the resolver thread; read by the publishing thread. */
    private volatile StreamInlet driving;
    private volatile String drivingError;
    private volatile boolean closed;
    private double[] drivingSample;
    private int ix;
    private int iy;
    private double vxMps;
    private double vyMps;
    private volatile long neuralPublished;
    private volatile long drivingSamples;

    public DrivenLslPublisher(LslBackend backend, String neuralName, String drivingName, int channels, double rateHz,
                              long seed) {
        this.backend = backend;
        this.drivingName = drivingName;
        this.generator = new CenterOutSource(new CenterOutSource.Context().channels(channels).sampleRateHz(rateHz)
                .seed(seed));
        this.spikes = new float[channels];
        StreamInfo.Builder n = StreamInfo.builder(neuralName, SplitLslPublisher.NEURAL_TYPE, channels, rateHz,
                ChannelFormat.FLOAT32, neuralName);
        XmlElement nc = n.desc().appendChild("channels");
        RealTimePacer.describeSpikeChannels(nc, channels);
        this.neural = backend.createOutlet(n.build());
        this.resolver = new Thread(this::resolveDriving, "reflex-source-driven-by");
        resolver.setDaemon(true);
        resolver.start();
    }

    private void resolveDriving() {
        String predicate = new LslSampleSource.Selector().name(drivingName).predicate();
        while (!closed) {
            List<StreamInfo> found = backend.resolve(predicate, 1, 1.0);
            if (found.isEmpty()) {
                continue;
            }
            StreamInlet in = backend.createInlet(found.get(0), new InletOptions().postprocessClockSync(true));
            try {
                StreamInfo full = in.fullInfo(5.0);
                List<String> labels = KinematicsInlet.labels(full);
                int x = labels.indexOf("vx");
                int y = labels.indexOf("vy");
                if (x < 0 || y < 0) {
                    drivingError = "stream '" + drivingName + "' has no channels labelled vx and vy; its labels are "
                            + labels;
                    in.close();
                    return;
                }
                in.open(5.0);
                ix = x;
                iy = y;
                drivingSample = new double[full.channelCount()];
                driving = in;
                return;
            } catch (RuntimeException e) {
                in.close();
                if (closed) {
                    return;
                }
                // the task restarted between resolving and connecting: resolve again
            }
        }
    }

    /** Takes the newest driving velocity, then produces and pushes one neural sample stamped {@code timestampS}. */
    public void publishOne(double timestampS) {
        StreamInlet in = driving;
        if (in != null) {
            long n = 0;
            while (in.pullSample(drivingSample, 0.0) != 0.0) {
                n++;
                double vx = drivingSample[ix];
                double vy = drivingSample[iy];
                if (Double.isFinite(vx) && Double.isFinite(vy)) {
                    vxMps = vx;
                    vyMps = vy;
                }
            }
            if (n > 0) {
                drivingSamples = drivingSamples + n;
            }
        }
        generator.spikesFor(vxMps, vyMps, spikes);
        neural.pushSample(spikes, timestampS);
        neuralPublished = neuralPublished + 1;
    }

    /**
     * Publishes in real time until {@code durationS} passed (0 = until {@code stop} returns true), each sample at its
     * due time stamped with it (LSL clock).
     */
    public void run(double durationS, BooleanSupplier stop) {
        RealTimePacer.run(neural.info().nominalSrate(), durationS,
                () -> stop.getAsBoolean() || drivingError != null, this::publishOne);
    }

    /** Why the driving stream cannot be used (it lacks vx, vy), or null. */
    public String drivingError() {
        return drivingError;
    }

    /** True once the driving stream is connected. */
    public boolean driven() {
        return driving != null;
    }

    public StreamOutlet neural() {
        return neural;
    }

    public long neuralPublished() {
        return neuralPublished;
    }

    /** Samples of the driving stream received. */
    public long drivingSamples() {
        return drivingSamples;
    }

    @Override
    public void close() {
        closed = true;
        try {
            resolver.join(3_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        StreamInlet in = driving;
        if (in != null) {
            in.close();
        }
        neural.close();
    }
}
