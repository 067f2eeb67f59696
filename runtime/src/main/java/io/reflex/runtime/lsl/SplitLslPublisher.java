package io.reflex.runtime.lsl;

import io.reflex.lsl.ChannelFormat;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamOutlet;
import io.reflex.lsl.XmlElement;

import io.reflex.decoders.synth.CenterOutSource;

/**
 * The synthetic center-out task published as a lab's programs publish it: the amplifier's stream carries only the
 * neural channels (type {@value #NEURAL_TYPE}, labelled n0, n1, ...), and the task software's stream carries the
 * cursor kinematics (type {@value #KINEMATICS_TYPE}, channels px, py, vx, vy) at a lower rate, every
 * {@code kinematicsEvery}-th neural sample, with the same timestamp as that neural sample. For trying a lab
 * configuration (docs/lab-setup.md) and for tests; the two outlets share the process but not the stream.
 */
public final class SplitLslPublisher implements AutoCloseable {
    /** Type of the neural stream. */
    public static final String NEURAL_TYPE = "Spikes";
    /** Type of the kinematics stream. */
    public static final String KINEMATICS_TYPE = "Kinematics";

    private final CenterOutSource generator;
    private final LslBackend backend;
    private final StreamInfo neuralInfo;
    /** Written by the publishing thread only (a restart replaces it there). */
    private volatile StreamOutlet neural;
    private final StreamOutlet kinematics;
    private final int kinematicsEvery;
    private final float[] spikes;
    private final double[] truth = new double[4];
    private final float[] kin = new float[4];
    private volatile long silentUntilNs;
    private volatile long restartSilenceNs = -1;
    private long reopenAtNs;
    private long index;
    private volatile long neuralPublished;
    private volatile long kinematicsPublished;

    /**
     * @param kinematicsEvery one kinematics sample per this many neural samples (1 = every sample)
     */
    public SplitLslPublisher(LslBackend backend, String neuralName, String kinematicsName, int channels,
                             double rateHz, int kinematicsEvery, long seed) {
        if (kinematicsEvery < 1) {
            throw new IllegalArgumentException("kinematicsEvery must be >= 1, got " + kinematicsEvery);
        }
        this.generator = new CenterOutSource(new CenterOutSource.Context().channels(channels).sampleRateHz(rateHz)
                .seed(seed));
        this.kinematicsEvery = kinematicsEvery;
        this.spikes = new float[channels];
        StreamInfo.Builder n = StreamInfo.builder(neuralName, NEURAL_TYPE, channels, rateHz, ChannelFormat.FLOAT32,
                neuralName);
        XmlElement nc = n.desc().appendChild("channels");
        RealTimePacer.describeSpikeChannels(nc, channels);
        StreamInfo.Builder k = StreamInfo.builder(kinematicsName, KINEMATICS_TYPE, 4, rateHz / kinematicsEvery,
                ChannelFormat.FLOAT32, kinematicsName);
        XmlElement kc = k.desc().appendChild("channels");
        for (String label : new String[] {"px", "py", "vx", "vy"}) {
            kc.appendChild("channel").appendChildValue("label", label)
                    .appendChildValue("unit", label.startsWith("p") ? "m" : "m/s");
        }
        this.backend = backend;
        this.neuralInfo = n.build();
        this.neural = backend.createOutlet(neuralInfo);
        try {
            this.kinematics = backend.createOutlet(k.build());
        } catch (RuntimeException e) {
            neural.close();
            throw e;
        }
    }

    /** Produces the next sample and pushes it (and, every {@code kinematicsEvery}-th, the kinematics). */
    public void publishOne(double timestampS) {
        generator.nextSample(spikes, truth);
        long now = System.nanoTime();
        long restart = restartSilenceNs;
        if (restart >= 0) {
            restartSilenceNs = -1;
            neural.close();
            neural = null;
            reopenAtNs = now + restart;
        }
        if (neural == null && now - reopenAtNs >= 0) {
            neural = backend.createOutlet(neuralInfo);
        }
        boolean silent = neural == null || now - silentUntilNs < 0;
        if (!silent) {
            neural.pushSample(spikes, timestampS);
            neuralPublished = neuralPublished + 1;
        }
        if (index % kinematicsEvery == 0) {
            for (int i = 0; i < 4; i++) {
                kin[i] = (float) truth[i];
            }
            kinematics.pushSample(kin, timestampS);
            kinematicsPublished = kinematicsPublished + 1;
        }
        index++;
    }

    /**
     * Holds the neural stream back for {@code seconds} from now (an amplifier outage); the task keeps publishing
     * kinematics, and the samples due meanwhile are lost, as they would be.
     */
    public void silenceNeural(double seconds) {
        silentUntilNs = System.nanoTime() + (long) (seconds * 1e9);
    }

    /**
     * Closes the neural outlet and opens it again, with the same stream info and source_id, {@code seconds} later (an
     * amplifier program restarted); done by the publishing thread at its next sample.
     */
    public void restartNeural(double seconds) {
        restartSilenceNs = (long) (seconds * 1e9);
    }

    /**
     * Publishes in real time until {@code durationS} passed (0 = until {@code stop} returns true), each sample at its
     * due time stamped with it (LSL clock).
     */
    public void run(double durationS, java.util.function.BooleanSupplier stop) {
        RealTimePacer.run(neuralInfo.nominalSrate(), durationS, stop, this::publishOne);
    }

    /** The neural outlet (null while a restart is in progress). */
    public StreamOutlet neural() {
        return neural;
    }

    public StreamOutlet kinematics() {
        return kinematics;
    }

    public long neuralPublished() {
        return neuralPublished;
    }

    public long kinematicsPublished() {
        return kinematicsPublished;
    }

    @Override
    public void close() {
        StreamOutlet n = neural;
        if (n != null) {
            n.close();
        }
        kinematics.close();
    }
}
