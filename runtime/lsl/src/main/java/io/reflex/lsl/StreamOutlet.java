package io.reflex.lsl;

/**
 * Publishes one LSL stream. Implemented by the pure-Java outlet ({@link JavaOutlet}) and the liblsl binding.
 *
 * <p>Timestamps are LSL-clock seconds ({@link LslClock}); a timestamp of 0.0 means "now". Values of another
 * numeric type than the stream's format are converted (rounded for integer formats). Push methods are called by
 * one thread at a time; after start-up they allocate nothing (string samples excepted).
 */
public interface StreamOutlet extends AutoCloseable {

    /** The stream's info as published (uid, ports, creation time filled in). */
    StreamInfo info();

    void pushSample(float[] values, double timestamp);

    void pushSample(double[] values, double timestamp);

    void pushSample(int[] values, double timestamp);

    void pushSample(short[] values, double timestamp);

    void pushSample(byte[] values, double timestamp);

    void pushSample(long[] values, double timestamp);

    /** Pushes a string sample (UTF-8 on the wire; allocates the encoded bytes). */
    void pushSample(String[] values, double timestamp);

    /**
     * Pushes {@code samples} samples stored channel-interleaved in {@code data}; the last sample gets
     * {@code timestamp} (0.0 = now) and earlier ones are back-dated by 1/srate each (sent with deduced
     * timestamps, as liblsl does).
     */
    void pushChunk(float[] data, int samples, double timestamp);

    /** As {@link #pushChunk(float[], int, double)} for doubles. */
    void pushChunk(double[] data, int samples, double timestamp);

    /** Pushes samples with one explicit timestamp each. */
    void pushChunk(float[] data, int samples, double[] timestamps);

    /** As {@link #pushChunk(float[], int, double[])} for doubles. */
    void pushChunk(double[] data, int samples, double[] timestamps);

    /**
     * As {@link #pushChunk(float[], int, double[])} for int16 counts (an amplifier's raw samples); on a stream of
     * another numeric format each value is converted as {@link #pushSample(short[], double)} converts it.
     */
    void pushChunk(short[] data, int samples, double[] timestamps);

    /** True while at least one inlet is connected. */
    boolean haveConsumers();

    /** Waits until an inlet connects; false on timeout. */
    boolean waitForConsumers(double timeoutS);

    /** Stops serving and releases every socket and thread. */
    @Override
    void close();
}
