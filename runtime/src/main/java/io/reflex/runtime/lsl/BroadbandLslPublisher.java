package io.reflex.runtime.lsl;

import io.reflex.lsl.ChannelFormat;
import io.reflex.lsl.LslBackend;
import io.reflex.lsl.StreamInfo;
import io.reflex.lsl.StreamOutlet;
import io.reflex.lsl.XmlElement;

import io.reflex.runtime.source.BroadbandGenerator;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Publishes the synthetic broadband source ({@link BroadbandGenerator}) as an LSL outlet in real time, in chunks as
 * an amplifier does: {@code channels} voltage channels (µV, float32, labelled e0, e1, ...) plus four reference
 * channels px, py, vx, vy (the true kinematics), {@code chunkSamples} samples per push, each chunk pushed when its
 * last sample is due with one timestamp per sample (sample n at {@code start + n / rate}, LSL clock). The true
 * spike times are not published: a scorer needs the generator in its own process ({@code reflex demo --broadband}).
 *
 * <p>As int16 ({@link #int16}): the voltage as whole counts of {@code scaleUv} µV each (rounded, clamped to the int16
 * range; a non-finite value, which int16 cannot carry, is sent as 0), as an amplifier sends its raw samples, and the
 * kinematics on a second stream of their own (type {@value SplitLslPublisher#KINEMATICS_TYPE}, px, py, vx, vy,
 * float32), every {@code kinematicsEvery}-th sample with that sample's timestamp, as a lab's task software would
 * publish them. A session reads it with {@code frontend.inputScaleUv = scaleUv} and {@code source.lsl.kinematics}.
 */
public final class BroadbandLslPublisher implements AutoCloseable {
    private final BroadbandGenerator generator;
    private final StreamOutlet outlet;
    private final int channels;
    private final int chunkSamples;
    private final double rateHz;
    private final float[] sample;
    private final double[] kinematics = new double[4];
    private final float[] chunk;
    /** int16 mode: the chunk as counts; null for float32. */
    private final short[] counts;
    private final float scaleUv;
    /** int16 mode: the kinematics outlet; null for float32. */
    private final StreamOutlet kinematicsOutlet;
    private final int kinematicsEvery;
    private final float[] kin = new float[4];
    /** int16 mode: the kinematics of each sample of the chunk (px, py, vx, vy); null for float32. */
    private final float[] chunkKinematics;
    private final double[] stamps;
    private long published;
    private long chunks;
    /** Loop mode ({@link #loop}): the precomputed chunks, int16 or float32 as the stream; null otherwise. */
    private short[] loopCounts;
    private float[] loopFloats;
    private float[] loopKinematics;
    private int loopChunks;

    /** Describes the stream: type "Broadband", channel labels, units and types in desc. */
    public static StreamInfo describe(String name, String sourceId, int channels, double rateHz, long seed,
                                      int chunkSamples) {
        StreamInfo.Builder b = StreamInfo.builder(name, "Broadband", channels + 4, rateHz, ChannelFormat.FLOAT32,
                sourceId);
        XmlElement chans = b.desc().appendChild("channels");
        for (int i = 0; i < channels; i++) {
            chans.appendChild("channel").appendChildValue("label", "e" + i).appendChildValue("unit", "microvolts")
                    .appendChildValue("type", "Broadband");
        }
        for (String k : new String[] {"px", "py", "vx", "vy"}) {
            chans.appendChild("channel").appendChildValue("label", k)
                    .appendChildValue("unit", k.startsWith("p") ? "m" : "m/s").appendChildValue("type", "Reference");
        }
        b.desc().appendChild("synthetic").appendChildValue("model", "center-out cosine-tuned units, broadband")
                .appendChildValue("seed", Long.toString(seed))
                .appendChildValue("chunk_samples", Integer.toString(chunkSamples));
        return b.build();
    }

    /** Describes the int16 stream: type "Broadband", the voltage channels only, the count's size in desc. */
    public static StreamInfo describeInt16(String name, String sourceId, int channels, double rateHz, long seed,
                                           int chunkSamples, double scaleUv) {
        StreamInfo.Builder b = StreamInfo.builder(name, "Broadband", channels, rateHz, ChannelFormat.INT16, sourceId);
        XmlElement chans = b.desc().appendChild("channels");
        for (int i = 0; i < channels; i++) {
            chans.appendChild("channel").appendChildValue("label", "e" + i).appendChildValue("unit", "counts")
                    .appendChildValue("type", "Broadband");
        }
        b.desc().appendChild("acquisition").appendChildValue("resolution_uv", Double.toString(scaleUv));
        b.desc().appendChild("synthetic").appendChildValue("model", "center-out cosine-tuned units, broadband")
                .appendChildValue("seed", Long.toString(seed))
                .appendChildValue("chunk_samples", Integer.toString(chunkSamples));
        return b.build();
    }

    /** Publishes float32 µV with the kinematics in four reference channels of the same stream. */
    public BroadbandLslPublisher(LslBackend backend, String name, String sourceId, BroadbandGenerator generator,
                                 int chunkSamples) {
        this(backend, name, sourceId, generator, chunkSamples, 0, null, 1);
    }

    /**
     * Publishes int16 counts of {@code scaleUv} µV on {@code name}, and the kinematics on {@code kinematicsName}
     * every {@code kinematicsEvery}-th sample.
     */
    public static BroadbandLslPublisher int16(LslBackend backend, String name, String sourceId,
                                              BroadbandGenerator generator, int chunkSamples, double scaleUv,
                                              String kinematicsName, int kinematicsEvery) {
        if (!(scaleUv > 0 && scaleUv <= 1e6)) {
            throw new IllegalArgumentException("scaleUv must be in (0, 1e6] µV per count; got " + scaleUv);
        }
        if (kinematicsName == null || kinematicsName.isBlank() || kinematicsEvery < 1 || kinematicsEvery > 100_000) {
            throw new IllegalArgumentException("int16 needs a kinematics stream name and kinematicsEvery in"
                    + " [1, 100000]; got '" + kinematicsName + "', " + kinematicsEvery);
        }
        return new BroadbandLslPublisher(backend, name, sourceId, generator, chunkSamples, scaleUv, kinematicsName,
                kinematicsEvery);
    }

    private BroadbandLslPublisher(LslBackend backend, String name, String sourceId, BroadbandGenerator generator,
                                  int chunkSamples, double scaleUv, String kinematicsName, int kinematicsEvery) {
        if (chunkSamples < 1 || chunkSamples > 100_000) {
            throw new IllegalArgumentException("chunkSamples must be in [1, 100000]; got " + chunkSamples);
        }
        this.generator = generator;
        this.channels = generator.context().channels();
        this.rateHz = generator.context().sampleRateHz();
        this.chunkSamples = chunkSamples;
        this.sample = new float[channels];
        this.stamps = new double[chunkSamples];
        this.kinematicsEvery = kinematicsEvery;
        this.scaleUv = (float) scaleUv;
        long seed = generator.context().seed();
        if (kinematicsName == null) {
            this.chunk = new float[(channels + 4) * chunkSamples];
            this.counts = null;
            this.chunkKinematics = null;
            this.kinematicsOutlet = null;
            this.outlet = backend.createOutlet(describe(name, sourceId, channels, rateHz, seed, chunkSamples));
        } else {
            this.chunk = null;
            this.counts = new short[channels * chunkSamples];
            this.chunkKinematics = new float[4 * chunkSamples];
            this.outlet = backend.createOutlet(describeInt16(name, sourceId, channels, rateHz, seed, chunkSamples,
                    scaleUv));
            StreamInfo.Builder k = StreamInfo.builder(kinematicsName, SplitLslPublisher.KINEMATICS_TYPE, 4,
                    rateHz / kinematicsEvery, ChannelFormat.FLOAT32, kinematicsName);
            XmlElement kc = k.desc().appendChild("channels");
            for (String label : new String[] {"px", "py", "vx", "vy"}) {
                kc.appendChild("channel").appendChildValue("label", label)
                        .appendChildValue("unit", label.startsWith("p") ? "m" : "m/s");
            }
            StreamOutlet ko;
            try {
                ko = backend.createOutlet(k.build());
            } catch (RuntimeException e) {
                outlet.close();
                throw e;
            }
            this.kinematicsOutlet = ko;
        }
    }

    /** The kinematics outlet of the int16 mode; null for float32. */
    public StreamOutlet kinematicsOutlet() {
        return kinematicsOutlet;
    }

    /** µV to counts of {@code scaleUv}: rounded, clamped to the int16 range; non-finite as 0. */
    static short toCount(float uv, float scaleUv) {
        if (!Float.isFinite(uv)) {
            return 0;
        }
        return (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, Math.round(uv / scaleUv)));
    }

    public StreamOutlet outlet() {
        return outlet;
    }

    /** Samples published so far. */
    public long published() {
        return published;
    }

    /** Chunks pushed so far. */
    public long chunks() {
        return chunks;
    }

    /**
     * Loop mode, for throughput measurements on a machine where generating the signal would compete with the
     * consumer for the CPU (as an amplifier on a machine of its own does not): generates {@code seconds} of signal
     * now, whole chunks (at least one), and from then on publishes those chunks over and over, stamped as they go
     * out, so publishing costs the LSL push alone. The signal repeats with that period (the kinematics jump at the
     * seam). Call it before the first chunk.
     *
     * @return this publisher
     * @throws IllegalArgumentException when {@code seconds} is not in (0, 3600], the loop would not fit one Java
     *                                  array, or it would take more than half the JVM's maximum heap
     * @throws IllegalStateException    when chunks were already published
     */
    public BroadbandLslPublisher loop(double seconds) {
        if (!(seconds > 0 && seconds <= 3_600)) {
            throw new IllegalArgumentException("loop seconds must be in (0, 3600]; got " + seconds);
        }
        if (published != 0 || loopChunks != 0) {
            throw new IllegalStateException("loop must be set up before the first chunk, once");
        }
        long n = Math.max(1, (long) Math.ceil(seconds * rateHz / chunkSamples - 1e-9));
        long perSample = counts != null ? channels : channels + 4L;
        long elements = n * chunkSamples * perSample;
        long bytes = counts != null ? elements * 2 + n * chunkSamples * 16L : elements * 4;
        long heap = Runtime.getRuntime().maxMemory();
        if (elements > Integer.MAX_VALUE - 16 || bytes > heap / 2) {
            throw new IllegalArgumentException(String.format("a loop of %.3f s of %d channels at %.0f Hz needs %d MiB;"
                    + " the JVM may use %d MiB in all (at most half for the loop): shorten the loop or raise -Xmx"
                    + " (REFLEX_JAVA_OPTS)", seconds, channels, rateHz, bytes >> 20, heap >> 20));
        }
        int block = chunkSamples * (int) perSample;
        if (counts != null) {
            loopCounts = new short[(int) elements];
            loopKinematics = new float[(int) (n * chunkSamples * 4)];
            for (int i = 0; i < n; i++) {
                generateInt16(loopCounts, i * block, loopKinematics, i * chunkSamples * 4);
            }
        } else {
            loopFloats = new float[(int) elements];
            for (int i = 0; i < n; i++) {
                generateFloat(loopFloats, i * block);
            }
        }
        loopChunks = (int) n;
        return this;
    }

    /** Chunks in the loop ({@link #loop}); 0 when the generator runs live. */
    public int loopChunks() {
        return loopChunks;
    }

    /** {@code chunkSamples} float32 samples (the voltage, then px, py, vx, vy) from the generator into dst. */
    private void generateFloat(float[] dst, int offset) {
        int width = channels + 4;
        for (int s = 0; s < chunkSamples; s++) {
            generator.nextSample(sample, kinematics);
            int base = offset + s * width;
            System.arraycopy(sample, 0, dst, base, channels);
            for (int k = 0; k < 4; k++) {
                dst[base + channels + k] = (float) kinematics[k];
            }
        }
    }

    /** {@code chunkSamples} samples as counts into dst and their kinematics into kinDst. */
    private void generateInt16(short[] dst, int offset, float[] kinDst, int kinOffset) {
        for (int s = 0; s < chunkSamples; s++) {
            generator.nextSample(sample, kinematics);
            int base = offset + s * channels;
            for (int c = 0; c < channels; c++) {
                dst[base + c] = toCount(sample[c], scaleUv);
            }
            for (int k = 0; k < 4; k++) {
                kinDst[kinOffset + s * 4 + k] = (float) kinematics[k];
            }
        }
    }

    /** Produces the next chunk; sample i is stamped {@code firstS + i / rate}. */
    public void publishChunk(double firstS) {
        for (int s = 0; s < chunkSamples; s++) {
            stamps[s] = firstS + s / rateHz;
        }
        if (counts != null) {
            publishInt16Chunk();
            return;
        }
        if (loopChunks > 0) {
            int block = chunkSamples * (channels + 4);
            System.arraycopy(loopFloats, (int) (chunks % loopChunks) * block, chunk, 0, block);
        } else {
            generateFloat(chunk, 0);
        }
        outlet.pushChunk(chunk, chunkSamples, stamps);
        published += chunkSamples;
        chunks++;
    }

    private void publishInt16Chunk() {
        long first = published;
        if (loopChunks > 0) {
            int at = (int) (chunks % loopChunks);
            System.arraycopy(loopCounts, at * chunkSamples * channels, counts, 0, chunkSamples * channels);
            System.arraycopy(loopKinematics, at * chunkSamples * 4, chunkKinematics, 0, chunkSamples * 4);
        } else {
            generateInt16(counts, 0, chunkKinematics, 0);
        }
        outlet.pushChunk(counts, chunkSamples, stamps);
        // then the task's stream: the kinematics of the chunk's samples that carry one, each with its sample's stamp
        for (int s = 0; s < chunkSamples; s++) {
            if ((first + s) % kinematicsEvery == 0) {
                System.arraycopy(chunkKinematics, s * 4, kin, 0, 4);
                kinematicsOutlet.pushSample(kin, stamps[s]);
            }
        }
        published += chunkSamples;
        chunks++;
    }

    /**
     * Publishes in real time until {@code durationS} passed (0 = until {@code stop} returns true): every chunk whose
     * last sample is due within the duration goes out (late ones at once).
     */
    public void run(double durationS, BooleanSupplier stop) {
        long start = System.nanoTime();
        boolean bounded = durationS > 0;
        long end = bounded ? start + (long) (durationS * 1e9) : 0;
        while (!stop.getAsBoolean()) {
            long first = published;
            long lastDue = start + (long) ((first + chunkSamples - 1) * 1e9 / rateHz);
            if (bounded && lastDue - end >= 0) {
                return;
            }
            long now = System.nanoTime();
            if (now < lastDue) {
                LockSupport.parkNanos(lastDue - now);
                continue;
            }
            publishChunk((start + first * 1e9 / rateHz) * 1e-9);
        }
    }

    @Override
    public void close() {
        outlet.close();
        if (kinematicsOutlet != null) {
            kinematicsOutlet.close();
        }
    }
}
