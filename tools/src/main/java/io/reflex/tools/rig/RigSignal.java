package io.reflex.tools.rig;

import io.reflex.decoders.CalibrationSet;
import io.reflex.decoders.Decoder;
import io.reflex.decoders.catalog.Decoders;
import io.reflex.decoders.TrainableDecoder;
import io.reflex.decoders.engine.EngineSpec;
import io.reflex.decoders.synth.CenterOutSource;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * The samples the rig's source sends, generated before the run so that sending costs a copy: spike counts of a
 * simulated center-out population (per-millisecond counts, the features the decoders are fitted on), or broadband
 * Gaussian values (an amplifier's raw load; binned by the same summing stage, so their decoded values mean nothing).
 * The ring of samples is replayed over and over.
 */
public final class RigSignal {
    /** Signal kinds. */
    public static final String SPIKES = "spikes";
    public static final String BROADBAND = "broadband";

    private final String kind;
    private final int channels;
    private final int count;
    private final float[] samples;

    private RigSignal(String kind, int channels, int count, float[] samples) {
        this.kind = kind;
        this.channels = channels;
        this.count = count;
        this.samples = samples;
    }

    /** {@code count} samples of {@code channels} channels of {@code kind}. */
    public static RigSignal generate(String kind, int channels, int count, long seed) {
        return generate(kind, channels, count, seed, false);
    }

    /**
     * {@code count} samples of {@code channels} channels of {@code kind}, followed when {@code velocity} by two more
     * channels, the simulated hand's velocity {@code vx, vy} at that sample (the reference a daemon calibrates on;
     * the neural channels are the same as without them).
     */
    public static RigSignal generate(String kind, int channels, int count, long seed, boolean velocity) {
        int width = channels + (velocity ? 2 : 0);
        if (channels < 1 || count < 1 || (long) width * count > 64L << 20) {
            throw new IllegalArgumentException("signal of " + channels + " channels × " + count + " samples is out of"
                    + " range (at most 64 Mi values)");
        }
        if (!SPIKES.equals(kind) && !BROADBAND.equals(kind)) {
            throw new IllegalArgumentException("signal '" + kind + "' is not known; allowed: spikes, broadband");
        }
        float[] s = new float[width * count];
        CenterOutSource gen = new CenterOutSource(new CenterOutSource.Context().channels(channels).seed(seed));
        float[] one = new float[channels];
        double[] kin = new double[4];
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < count; i++) {
            int base = i * width;
            if (SPIKES.equals(kind) || velocity) {
                gen.nextSample(one, kin);
            }
            if (SPIKES.equals(kind)) {
                System.arraycopy(one, 0, s, base, channels);
            } else {
                for (int c = 0; c < channels; c++) {
                    // ~N(0, 1) by the sum of four uniforms (no allocation, no library)
                    s[base + c] = (float) ((rnd.nextDouble() + rnd.nextDouble() + rnd.nextDouble()
                            + rnd.nextDouble() - 2.0) * Math.sqrt(3.0));
                }
            }
            if (velocity) {
                s[base + channels] = (float) kin[2];
                s[base + channels + 1] = (float) kin[3];
            }
        }
        return new RigSignal(kind, width, count, s);
    }

    public String kind() {
        return kind;
    }

    public int channels() {
        return channels;
    }

    /** Samples in the ring. */
    public int count() {
        return count;
    }

    /** The ring, sample-major. */
    float[] samples() {
        return samples;
    }

    /** Offset into {@link #samples()} of sample {@code k} of the endless replay. */
    int offset(long k) {
        return (int) (k % count) * channels;
    }

    /**
     * A {@code name} decoder ({@code kalman}, {@code wiener}, or {@code lfads} / {@code snn} on the engine chain
     * {@code engines}, null for the default) fitted on 1,000 bins of simulated center-out spike counts with their
     * velocity; deterministic for a seed, so every series decodes with the same weights. (For LFADS the channel count
     * must be the model's input dimension; what it decodes from center-out counts means nothing, its cost is real.)
     *
     * @throws IllegalArgumentException for an unknown decoder, a channel count the model does not take, or an engine
     *                                  chain none of whose engines can run here (the reason is in the message)
     */
    public static Decoder fittedDecoder(String name, int channels, int samplesPerBin, long seed,
                                        List<EngineSpec> engines) {
        return fittedDecoder(name, channels, samplesPerBin, seed, engines, null);
    }

    /** As {@link #fittedDecoder(String, int, int, long, List)}, with the decoder's options (e.g. an LFADS model). */
    public static Decoder fittedDecoder(String name, int channels, int samplesPerBin, long seed,
                                        List<EngineSpec> engines, java.util.Map<String, String> options) {
        if (!Decoders.NAMES.contains(name)) {
            throw new IllegalArgumentException("decoder '" + name + "' is not known; allowed: " + new TreeSet<>(
                    Decoders.NAMES));
        }
        CenterOutSource gen = new CenterOutSource(new CenterOutSource.Context().channels(channels).seed(seed));
        CalibrationSet set = new CalibrationSet(1000, channels, 2);
        gen.fillVelocityCalibration(set, samplesPerBin);
        boolean onEngines = "lfads".equals(name) || "snn".equals(name);
        TrainableDecoder d = Decoders.create(name, channels, options, onEngines ? engines : null);
        try {
            d.fit(set);
        } catch (RuntimeException e) {
            closeQuietly(d);
            throw e;
        }
        return d;
    }

    /** Closes a decoder that holds native or engine resources; a failure to close is not the caller's concern. */
    static void closeQuietly(Object decoder) {
        if (decoder instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception ignored) {
                // nothing more to release
            }
        }
    }
}
