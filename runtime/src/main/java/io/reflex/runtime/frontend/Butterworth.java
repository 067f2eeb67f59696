package io.reflex.runtime.frontend;

/**
 * Butterworth filter design as cascaded second-order sections (biquads), computed in code from the order and the
 * corner frequencies: the analog Butterworth prototype, frequency pre-warping ({@code tan(pi * f / fs)}) and the
 * bilinear transform.
 *
 * <p>A design is a {@code double[sections][6]} array in the layout scipy uses for {@code output='sos'}: each row
 * is {@code {b0, b1, b2, 1, a1, a2}} for {@code H(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2)}. An odd
 * order ends with one first-order section ({@code b2 = a2 = 0}). Unlike scipy, which puts the whole gain into the
 * first section, every section here has unit gain in the passband (at DC for low-pass, at Nyquist for
 * high-pass), which keeps intermediate values at signal scale; the overall transfer function is the same.
 *
 * <p>The band-pass design is a high-pass of the given order cascaded with a low-pass of the same order (its
 * roll-off on each side is that of the given order), not scipy's {@code btype='bandpass'} transform of order
 * {@code 2 * order}; the two differ slightly near the corners when the band is narrow. Design runs at
 * configuration time and allocates; filtering is {@link BiquadBank}'s job.
 */
public final class Butterworth {
    /** The highest order accepted: beyond this a cascade in double precision stops being useful. */
    public static final int MAX_ORDER = 16;

    private Butterworth() {
    }

    /**
     * A low-pass design.
     *
     * @param order        1..{@link #MAX_ORDER}
     * @param cornerHz     the -3 dB frequency, strictly between 0 and {@code sampleRateHz / 2}
     * @param sampleRateHz the sample rate, > 0
     * @return {@code ceil(order / 2)} sections, {@code {b0, b1, b2, 1, a1, a2}} each
     */
    public static double[][] lowPass(int order, double cornerHz, double sampleRateHz) {
        return design(order, cornerHz, sampleRateHz, false);
    }

    /** A high-pass design; the arguments as for {@link #lowPass}. */
    public static double[][] highPass(int order, double cornerHz, double sampleRateHz) {
        return design(order, cornerHz, sampleRateHz, true);
    }

    /**
     * A band-pass design: {@link #highPass}{@code (order, lowCornerHz)} followed by
     * {@link #lowPass}{@code (order, highCornerHz)}, {@code 2 * ceil(order / 2)} sections.
     *
     * @param lowCornerHz  the lower -3 dB frequency of the high-pass part
     * @param highCornerHz the upper -3 dB frequency of the low-pass part, above {@code lowCornerHz}
     */
    public static double[][] bandPass(int order, double lowCornerHz, double highCornerHz, double sampleRateHz) {
        if (!(lowCornerHz < highCornerHz)) {
            throw new IllegalArgumentException("band-pass lowCornerHz must be below highCornerHz; got "
                    + lowCornerHz + " and " + highCornerHz);
        }
        return cascade(highPass(order, lowCornerHz, sampleRateHz), lowPass(order, highCornerHz, sampleRateHz));
    }

    /** The sections of {@code first} followed by those of {@code second} (copies). */
    public static double[][] cascade(double[][] first, double[][] second) {
        double[][] out = new double[first.length + second.length][];
        for (int i = 0; i < first.length; i++) {
            out[i] = first[i].clone();
        }
        for (int i = 0; i < second.length; i++) {
            out[first.length + i] = second[i].clone();
        }
        return out;
    }

    /**
     * The magnitude of a cascade's frequency response at one frequency, evaluated from the coefficients (for
     * tests and reports, not the hot path).
     */
    public static double magnitude(double[][] sos, double frequencyHz, double sampleRateHz) {
        double w = 2 * Math.PI * frequencyHz / sampleRateHz;
        double c1 = Math.cos(w), s1 = -Math.sin(w), c2 = Math.cos(2 * w), s2 = -Math.sin(2 * w);
        double gain = 1;
        for (double[] q : sos) {
            double nr = q[0] + q[1] * c1 + q[2] * c2, ni = q[1] * s1 + q[2] * s2;
            double dr = q[3] + q[4] * c1 + q[5] * c2, di = q[4] * s1 + q[5] * s2;
            gain *= Math.sqrt((nr * nr + ni * ni) / (dr * dr + di * di));
        }
        return gain;
    }

    private static double[][] design(int order, double cornerHz, double sampleRateHz, boolean highPass) {
        if (order < 1 || order > MAX_ORDER) {
            throw new IllegalArgumentException("order must be 1.." + MAX_ORDER + "; got " + order);
        }
        if (!(sampleRateHz > 0) || Double.isInfinite(sampleRateHz)) {
            throw new IllegalArgumentException("sampleRateHz must be a finite value > 0; got " + sampleRateHz);
        }
        if (!(cornerHz > 0 && cornerHz < sampleRateHz / 2)) {
            throw new IllegalArgumentException("cornerHz must be in (0, " + sampleRateHz / 2
                    + ") (below Nyquist at sampleRateHz " + sampleRateHz + "); got " + cornerHz);
        }
        // Pre-warped analog corner over 2*fs: the bilinear transform then puts the -3 dB point exactly at cornerHz.
        double t = Math.tan(Math.PI * cornerHz / sampleRateHz);
        double tt = t * t;
        int pairs = order / 2;
        double[][] sos = new double[pairs + (order % 2)][];
        for (int k = 0; k < pairs; k++) {
            // Analog prototype pole pair at angle theta from the imaginary axis: s^2 + 2 sin(theta) s + 1.
            double theta = Math.PI * (2 * k + 1) / (2.0 * order);
            double twoZeta = 2 * Math.sin(theta);
            double a0 = 1 + twoZeta * t + tt;
            double a1 = 2 * (tt - 1) / a0;
            double a2 = (1 - twoZeta * t + tt) / a0;
            double g = highPass ? 1 / a0 : tt / a0;
            sos[k] = highPass
                    ? new double[] {g, -2 * g, g, 1, a1, a2}
                    : new double[] {g, 2 * g, g, 1, a1, a2};
        }
        if (order % 2 == 1) {
            double a0 = 1 + t;
            double a1 = (t - 1) / a0;
            double g = highPass ? 1 / a0 : t / a0;
            sos[pairs] = highPass
                    ? new double[] {g, -g, 0, 1, a1, 0}
                    : new double[] {g, g, 0, 1, a1, 0};
        }
        return sos;
    }
}
