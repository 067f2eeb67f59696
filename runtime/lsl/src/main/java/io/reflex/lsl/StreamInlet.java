package io.reflex.lsl;

/**
 * Receives one LSL stream. Implemented by the pure-Java inlet ({@link JavaInlet}) and the liblsl binding.
 *
 * <p>Pull methods write into caller-provided arrays (channel count values, or samples × channels for chunks) and
 * return the sample's timestamp, or 0.0 when nothing arrived within the timeout. Returned timestamps are on the
 * outlet's clock unless the inlet was opened with clock post-processing; {@link #timeCorrection} maps them to the
 * local clock. Pulls are made by one thread at a time and allocate nothing (string samples excepted).
 */
public interface StreamInlet extends AutoCloseable {

    /** The stream's info as resolved (short form; {@link #fullInfo} fetches the desc tree). */
    StreamInfo info();

    /** Fetches the full info (with desc) from the outlet. */
    StreamInfo fullInfo(double timeoutS);

    /** Connects, negotiates and verifies the test pattern; throws on failure (pull methods open implicitly). */
    void open(double timeoutS);

    double pullSample(float[] dst, double timeoutS);

    /**
     * As {@link #pullSample(float[], double)}, but writes the channel values to {@code dst[offset]} onwards and
     * touches nothing else in {@code dst} (e.g. straight into a frame's block). When nothing arrives (0.0 returned)
     * the values there are unspecified: the caller must not count them as a sample.
     *
     * @throws IllegalArgumentException if {@code dst} does not hold the stream's channels from {@code offset}
     */
    double pullSample(float[] dst, int offset, double timeoutS);

    /**
     * Pulls one sample divided as {@code split} says: its main channels to {@code dst[offset]} onwards (nothing
     * else in {@code dst} touched), its rest channels to {@link ChannelSplit#restValues()}. When nothing arrives
     * (0.0 returned) the values there are unspecified. This default pulls the whole sample into the split's own
     * array and spreads it; the Java inlet decodes each channel from its receive buffer straight to its place.
     *
     * @throws IllegalArgumentException if the split was made for another channel count, or {@code dst} does not
     *                                  hold its main channels from {@code offset}
     */
    default double pullSample(float[] dst, int offset, ChannelSplit split, double timeoutS) {
        split.check(info().channelCount(), dst, offset);
        double ts = pullSample(split.scratch, timeoutS);
        if (ts != 0.0) {
            split.scatter(split.scratch, dst, offset);
        }
        return ts;
    }

    double pullSample(double[] dst, double timeoutS);

    double pullSample(int[] dst, double timeoutS);

    double pullSample(short[] dst, double timeoutS);

    double pullSample(byte[] dst, double timeoutS);

    double pullSample(long[] dst, double timeoutS);

    /** Pulls a string sample (allocates the Strings). */
    double pullSample(String[] dst, double timeoutS);

    /**
     * Pulls up to {@code maxSamples} samples, waiting up to the timeout for the first; returns how many were
     * written (channel-interleaved into {@code dst}, timestamps into {@code timestamps}).
     */
    int pullChunk(float[] dst, double[] timestamps, int maxSamples, double timeoutS);

    /** As {@link #pullChunk(float[], double[], int, double)} for doubles. */
    int pullChunk(double[] dst, double[] timestamps, int maxSamples, double timeoutS);

    /** Seconds to add to this stream's timestamps to map them to the local clock; NaN if none within timeout. */
    double timeCorrection(double timeoutS);

    /** Samples buffered and not yet pulled. */
    int samplesAvailable();

    /** Samples lost to a full buffer (or skipped in latest mode). */
    long droppedSamples();

    /** True once the stream is gone for good (outlet vanished and no unique source_id to recover by). */
    boolean lost();

    @Override
    void close();
}
