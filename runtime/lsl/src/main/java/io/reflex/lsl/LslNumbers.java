package io.reflex.lsl;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Renders doubles the way liblsl's C++ streams do, with exact decimal rounding (as glibc does).
 *
 * <p>Stream-info XML uses {@code setprecision(16) << showpoint} (C's {@code %#.16g}, e.g.
 * {@code 100.0000000000000}); time-correction replies use {@code setprecision(16)} without showpoint
 * ({@code %.16g}, e.g. {@code 592.177877513}).
 */
public final class LslNumbers {
    private static final int DIGITS = 16;
    private static final MathContext MC = new MathContext(DIGITS, RoundingMode.HALF_EVEN);

    private LslNumbers() {
    }

    /** C's {@code %#.16g}: 16 significant digits, trailing zeros and the decimal point kept. */
    public static String showpoint16(double v) {
        return format(v, true);
    }

    /** C's {@code %.16g}: 16 significant digits, trailing zeros and a bare decimal point removed. */
    public static String general16(double v) {
        return format(v, false);
    }

    /** Longest text {@link #putSecondsNs} writes: a sign, 10 integer digits, the point and 9 decimals. */
    public static final int SECONDS_NS_MAX_CHARS = 21;

    /**
     * Writes nanoseconds as decimal seconds with all 9 fractional digits ({@code 592.177877513}) into {@code dst}
     * at {@code offset} and returns the offset after the last character. Allocation-free and exact, for the time
     * probe path, where every microsecond between a clock reading and the send is bias; any double parser reads it.
     */
    public static int putSecondsNs(long ns, byte[] dst, int offset) {
        int pos = offset;
        long v = ns;
        if (v < 0) {
            dst[pos++] = '-';
            v = -v; // Long.MIN_VALUE cannot occur: nanoTime is nowhere near it
        }
        long seconds = v / 1_000_000_000L;
        long fraction = v - seconds * 1_000_000_000L;
        int digits = 1;
        for (long t = seconds; t >= 10; t /= 10) {
            digits++;
        }
        for (int i = digits - 1; i >= 0; i--) {
            dst[pos + i] = (byte) ('0' + seconds % 10);
            seconds /= 10;
        }
        pos += digits;
        dst[pos++] = '.';
        for (int i = 8; i >= 0; i--) {
            dst[pos + i] = (byte) ('0' + fraction % 10);
            fraction /= 10;
        }
        return pos + 9;
    }

    private static String format(double v, boolean showpoint) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        String sign = (v < 0 || (v == 0 && 1 / v < 0)) ? "-" : "";
        double a = Math.abs(v);
        String mantissa;
        int exp;
        if (a == 0) {
            mantissa = "0" + "0".repeat(DIGITS - 1);
            exp = 0;
        } else {
            BigDecimal bd = new BigDecimal(a).round(MC);
            String digits = bd.unscaledValue().toString();
            exp = digits.length() - 1 - bd.scale();
            if (digits.length() < DIGITS) {
                digits = digits + "0".repeat(DIGITS - digits.length());
            } else if (digits.length() > DIGITS) {
                digits = digits.substring(0, DIGITS);
            }
            mantissa = digits;
        }
        StringBuilder sb = new StringBuilder(sign);
        if (exp < -4 || exp >= DIGITS) {
            sb.append(mantissa.charAt(0)).append('.').append(mantissa, 1, DIGITS);
            trim(sb, showpoint);
            sb.append('e').append(exp < 0 ? '-' : '+');
            int e = Math.abs(exp);
            if (e < 10) {
                sb.append('0');
            }
            sb.append(e);
        } else if (exp < 0) {
            sb.append("0.");
            sb.append("0".repeat(-exp - 1));
            sb.append(mantissa);
            trim(sb, showpoint);
        } else {
            sb.append(mantissa, 0, exp + 1).append('.').append(mantissa, exp + 1, DIGITS);
            trim(sb, showpoint);
        }
        return sb.toString();
    }

    private static void trim(StringBuilder sb, boolean showpoint) {
        if (showpoint) {
            return;
        }
        int end = sb.length();
        while (sb.charAt(end - 1) == '0') {
            end--;
        }
        if (sb.charAt(end - 1) == '.') {
            end--;
        }
        sb.setLength(end);
    }
}
