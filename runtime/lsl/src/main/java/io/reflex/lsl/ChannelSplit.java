package io.reflex.lsl;

import java.util.Arrays;

/**
 * How {@link StreamInlet#pullSample(float[], int, ChannelSplit, double)} divides a sample: the {@link #main()}
 * channels, in that order, go to the caller's array at an offset (e.g. a frame's neural channels, wherever they lie
 * in the stream), the {@link #rest()} channels to {@link #restValues()} (e.g. reference channels). Made once, before
 * pulling; it holds the arrays a pull needs, so pulls through it allocate nothing. One pulling thread at a time.
 */
public final class ChannelSplit {
    private final int channels;
    private final int[] main;
    private final int[] rest;
    private final float[] restValues;
    /** The whole sample, for inlets that cannot decode a split themselves (the default method). */
    final float[] scratch;

    /**
     * @param channels the stream's channel count
     * @param main     the channels that go to the caller's array, in the order they go there
     * @param rest     the channels that go to {@link #restValues()}, in that order
     * @throws IllegalArgumentException for a channel outside the stream or named twice
     */
    public ChannelSplit(int channels, int[] main, int[] rest) {
        if (channels < 1) {
            throw new IllegalArgumentException("a split needs a stream with channels, got " + channels);
        }
        boolean[] seen = new boolean[channels];
        for (int[] part : new int[][] {main, rest}) {
            for (int c : part) {
                if (c < 0 || c >= channels) {
                    throw new IllegalArgumentException("channel " + c + " is not one of the stream's " + channels);
                }
                if (seen[c]) {
                    throw new IllegalArgumentException("channel " + c + " is named twice in a split");
                }
                seen[c] = true;
            }
        }
        this.channels = channels;
        this.main = main.clone();
        this.rest = rest.clone();
        this.restValues = new float[rest.length];
        this.scratch = new float[channels];
    }

    /** The stream's channel count. */
    public int channels() {
        return channels;
    }

    /** The channels written to the caller's array (a copy). */
    public int[] main() {
        return main.clone();
    }

    /** The channels written to {@link #restValues()} (a copy). */
    public int[] rest() {
        return rest.clone();
    }

    int mainChannel(int i) {
        return main[i];
    }

    int mainCount() {
        return main.length;
    }

    int restChannel(int i) {
        return rest[i];
    }

    int restCount() {
        return rest.length;
    }

    /** The rest channels' values of the last sample pulled through this split. */
    public float[] restValues() {
        return restValues;
    }

    /** Spreads a whole sample (in stream order) as the split says. */
    void scatter(float[] sample, float[] dst, int offset) {
        for (int i = 0; i < main.length; i++) {
            dst[offset + i] = sample[main[i]];
        }
        for (int i = 0; i < rest.length; i++) {
            restValues[i] = sample[rest[i]];
        }
    }

    /** Checks the split against a stream of {@code streamChannels} and {@code dst} from {@code offset}. */
    void check(int streamChannels, float[] dst, int offset) {
        if (streamChannels != channels) {
            throw new IllegalArgumentException("split made for " + channels + " channels; the stream has "
                    + streamChannels);
        }
        if (offset < 0 || offset > dst.length - main.length) {
            throw new IllegalArgumentException("destination holds " + dst.length + " values; the split's "
                    + main.length + " channels do not fit from offset " + offset);
        }
    }

    @Override
    public String toString() {
        return "ChannelSplit{main=" + Arrays.toString(main) + ", rest=" + Arrays.toString(rest) + "}";
    }
}
