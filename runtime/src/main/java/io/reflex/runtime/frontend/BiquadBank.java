package io.reflex.runtime.frontend;

/**
 * The same cascade of biquad sections applied to every channel of a sample-major block ({@code samples[s *
 * channels + c]}, the layout of {@code SampleBlock}), with each channel's filter state carried from one call to
 * the next, so that a signal filtered in chunks of any sizes gives the same output, bit for bit, as filtered in
 * one call.
 *
 * <p>Direct form II transposed, two state values per section per channel. State, coefficients and the value
 * carried from one section to the next are {@code double}; only the block's input and output are {@code float}.
 * Double state because a high-pass corner of a few hundred Hz at 30 kHz puts the poles within about 0.05 of the
 * unit circle, where float state would add round-off noise amplified by the poles' gain and shift the response
 * of the low-frequency sections; the state is small (16 bytes per section per channel, 64 KiB for four sections
 * at 1,024 channels), so the cost is memory traffic the benchmark shows, not accuracy.
 *
 * <p>All arrays are sized at construction; {@link #process} allocates nothing. The loops run over channels
 * innermost (contiguous in a sample-major block) with no per-sample virtual calls. A non-finite input makes that
 * channel's state non-finite until {@link #resetChannel}: put a dead-channel gate (see {@link ChannelHealth},
 * {@link CommonAverageReference}) in front. Not thread-safe: one owner thread.
 */
public final class BiquadBank {
    private final int channels;
    private final int sections;
    private final double[] b0;
    private final double[] b1;
    private final double[] b2;
    private final double[] a1;
    private final double[] a2;
    /** State, section-major: {@code z1[k * channels + c]}. */
    private final double[] z1;
    private final double[] z2;
    /** One sample of all channels between sections. */
    private final double[] row;

    /**
     * @param sos      sections {@code {b0, b1, b2, a0, a1, a2}} (as from {@link Butterworth}); each row is
     *                 normalised by its {@code a0}, which must be non-zero; at least one section
     * @param channels channels per sample, >= 1
     */
    public BiquadBank(double[][] sos, int channels) {
        if (channels < 1) {
            throw new IllegalArgumentException("channels must be >= 1; got " + channels);
        }
        if (sos == null || sos.length < 1) {
            throw new IllegalArgumentException("sos must have at least one section");
        }
        this.channels = channels;
        this.sections = sos.length;
        b0 = new double[sections];
        b1 = new double[sections];
        b2 = new double[sections];
        a1 = new double[sections];
        a2 = new double[sections];
        for (int k = 0; k < sections; k++) {
            double[] q = sos[k];
            if (q == null || q.length != 6) {
                throw new IllegalArgumentException("sos section " + k + " must have 6 coefficients");
            }
            for (double v : q) {
                if (!Double.isFinite(v)) {
                    throw new IllegalArgumentException("sos section " + k + " has a non-finite coefficient");
                }
            }
            if (q[3] == 0) {
                throw new IllegalArgumentException("sos section " + k + " has a0 = 0");
            }
            b0[k] = q[0] / q[3];
            b1[k] = q[1] / q[3];
            b2[k] = q[2] / q[3];
            a1[k] = q[4] / q[3];
            a2[k] = q[5] / q[3];
        }
        z1 = new double[sections * channels];
        z2 = new double[sections * channels];
        row = new double[channels];
    }

    public int channels() {
        return channels;
    }

    public int sections() {
        return sections;
    }

    /**
     * Filters {@code sampleCount} samples. {@code in} and {@code out} may be the same array (in place) and may be
     * at different offsets; with the same array the offsets must be equal.
     *
     * @param in          sample-major input, {@code channels} values per sample from {@code inOffset}
     * @param out         sample-major output, same shape, from {@code outOffset}
     * @param sampleCount samples to filter (0 does nothing)
     */
    public void process(float[] in, int inOffset, float[] out, int outOffset, int sampleCount) {
        checkRange("in", in, inOffset, sampleCount);
        checkRange("out", out, outOffset, sampleCount);
        final int n = channels;
        final double[] x = row;
        for (int s = 0; s < sampleCount; s++) {
            final int inBase = inOffset + s * n;
            for (int c = 0; c < n; c++) {
                x[c] = in[inBase + c];
            }
            for (int k = 0; k < sections; k++) {
                final double cb0 = b0[k], cb1 = b1[k], cb2 = b2[k], ca1 = a1[k], ca2 = a2[k];
                final int zBase = k * n;
                for (int c = 0; c < n; c++) {
                    final double xi = x[c];
                    final double y = cb0 * xi + z1[zBase + c];
                    z1[zBase + c] = cb1 * xi - ca1 * y + z2[zBase + c];
                    z2[zBase + c] = cb2 * xi - ca2 * y;
                    x[c] = y;
                }
            }
            final int outBase = outOffset + s * n;
            for (int c = 0; c < n; c++) {
                out[outBase + c] = (float) x[c];
            }
        }
    }

    private void checkRange(String name, float[] a, int offset, int sampleCount) {
        if (sampleCount < 0 || offset < 0 || (long) offset + (long) sampleCount * channels > a.length) {
            throw new IllegalArgumentException(name + ": " + sampleCount + " samples of " + channels
                    + " channels from offset " + offset + " do not fit an array of " + a.length);
        }
    }

    /** Filters {@code sampleCount} samples of {@code samples} in place, from offset 0. */
    public void processInPlace(float[] samples, int sampleCount) {
        process(samples, 0, samples, 0, sampleCount);
    }

    /** Zeroes every channel's state (as at construction). */
    public void reset() {
        java.util.Arrays.fill(z1, 0);
        java.util.Arrays.fill(z2, 0);
    }

    /** Zeroes one channel's state, e.g. after it carried a non-finite value. */
    public void resetChannel(int channel) {
        if (channel < 0 || channel >= channels) {
            throw new IllegalArgumentException("channel must be 0.." + (channels - 1) + "; got " + channel);
        }
        for (int k = 0; k < sections; k++) {
            z1[k * channels + channel] = 0;
            z2[k * channels + channel] = 0;
        }
    }
}
