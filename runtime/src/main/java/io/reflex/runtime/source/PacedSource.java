package io.reflex.runtime.source;

import io.reflex.runtime.pipeline.SampleBlock;
import io.reflex.runtime.pipeline.SampleSource;
import java.util.List;
import org.agrona.concurrent.NanoClock;

/**
 * Turns a {@link SampleGenerator} into a real-time source: sample {@code n} becomes available at
 * {@code start + n / rate} on the injected clock and carries that instant as its LSL timestamp. The clock starts
 * at the first {@link #poll}. With a manual clock, tests decide exactly when samples arrive.
 */
public final class PacedSource implements SampleSource {
    private final String name;
    private final int channels;
    private final double rateHz;
    private final List<String> referenceNames;
    private final int referenceCount;
    private final SampleGenerator generator;
    private final NanoClock clock;
    private final long maxSamples;
    private final float[] values;
    private final double[] reference;
    private long startNs = Long.MIN_VALUE;
    private long produced;

    /**
     * @param referenceNames names of the reference values the generator writes (e.g. px, py, vx, vy)
     * @param maxSamples samples after which the stream ends; {@code Long.MAX_VALUE} for an endless stream
     */
    public PacedSource(String name, int channels, double rateHz, List<String> referenceNames, SampleGenerator generator,
                       NanoClock clock, long maxSamples) {
        if (channels < 1) {
            throw new IllegalArgumentException("channels must be >= 1, got " + channels);
        }
        if (!(rateHz > 0) || Double.isInfinite(rateHz)) {
            throw new IllegalArgumentException("rateHz must be a positive finite number, got " + rateHz);
        }
        this.name = name;
        this.channels = channels;
        this.rateHz = rateHz;
        this.referenceNames = List.copyOf(referenceNames);
        this.referenceCount = referenceNames.size();
        this.generator = generator;
        this.clock = clock;
        this.maxSamples = maxSamples;
        this.values = new float[channels];
        this.reference = new double[Math.max(1, referenceCount)];
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public double nominalRateHz() {
        return rateHz;
    }

    @Override
    public int referenceCount() {
        return referenceCount;
    }

    @Override
    public List<String> referenceNames() {
        return referenceNames;
    }

    /** Samples produced so far. */
    public long produced() {
        return produced;
    }

    @Override
    public int poll(SampleBlock block) {
        long now = clock.nanoTime();
        if (startNs == Long.MIN_VALUE) {
            startNs = now;
        }
        if (produced >= maxSamples) {
            return END_OF_STREAM;
        }
        // The small epsilon keeps sample n due exactly at start + n / rate despite rounding.
        long due = Math.min(maxSamples, (long) Math.floor((now - startNs) * rateHz / 1e9 + 1e-9) + 1);
        int n = 0;
        while (produced < due && block.remaining() > 0) {
            generator.nextSample(values, reference);
            double ts = (startNs + produced * 1e9 / rateHz) * 1e-9;
            block.append(values, 0, ts, reference);
            produced++;
            n++;
        }
        return n;
    }
}
