package io.reflex.runtime.lsl;

import io.reflex.runtime.source.BroadbandGenerator;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Publishes the synthetic broadband source ({@link BroadbandGenerator}) as an LSL outlet in real time, in chunks as
 * an amplifier does: {@code channels} voltage channels (µV, float32, labelled e0, e1, ...) plus four reference
 * channels px, py, vx, vy (the true kinematics), {@code chunkSamples} samples per push, each chunk pushed when its
 * last sample is due with one timestamp per sample (sample n at {@code start + n / rate}, LSL clock). The true
 * spike times are not published: a scorer needs the generator in its own process ({@code reflex demo --broadband}).
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
    private final double[] stamps;
    private long published;
    private long chunks;

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

    public BroadbandLslPublisher(LslBackend backend, String name, String sourceId, BroadbandGenerator generator,
                                 int chunkSamples) {
        if (chunkSamples < 1 || chunkSamples > 100_000) {
            throw new IllegalArgumentException("chunkSamples must be in [1, 100000]; got " + chunkSamples);
        }
        this.generator = generator;
        this.channels = generator.context().channels();
        this.rateHz = generator.context().sampleRateHz();
        this.chunkSamples = chunkSamples;
        this.sample = new float[channels];
        this.chunk = new float[(channels + 4) * chunkSamples];
        this.stamps = new double[chunkSamples];
        this.outlet = backend.createOutlet(describe(name, sourceId, channels, rateHz, generator.context().seed(),
                chunkSamples));
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

    /** Produces the next chunk; sample i is stamped {@code firstS + i / rate}. */
    public void publishChunk(double firstS) {
        int width = channels + 4;
        for (int s = 0; s < chunkSamples; s++) {
            generator.nextSample(sample, kinematics);
            int base = s * width;
            System.arraycopy(sample, 0, chunk, base, channels);
            for (int k = 0; k < 4; k++) {
                chunk[base + channels + k] = (float) kinematics[k];
            }
            stamps[s] = firstS + s / rateHz;
        }
        outlet.pushChunk(chunk, chunkSamples, stamps);
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
    }
}
