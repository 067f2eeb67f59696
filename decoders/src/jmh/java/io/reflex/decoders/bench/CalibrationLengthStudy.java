package io.reflex.decoders.bench;

import io.reflex.decoders.CalibrationSet;
import io.reflex.decoders.catalog.Decoders;
import io.reflex.decoders.Metrics;
import io.reflex.decoders.TrainableDecoder;
import io.reflex.decoders.synth.CenterOutSource;

import java.util.Locale;
import java.util.Map;

/**
 * Offline velocity R² against calibration length: for each length, {@code seeds} sessions of the synthetic
 * center-out source (96 channels, 20 ms bins = 20 samples at 1 kHz), fit on the first block, decode the next
 * {@code testSeconds}, print a markdown table of the mean and minimum R² over the seeds. A measurement, not a test:
 * run it from the test classpath like the JMH benchmarks.
 *
 * <p>Arguments (all optional): seeds (default 20), test seconds (default 8), modulation min and max in Hz per m/s
 * (default 50 150), then the calibration lengths in seconds (default 4 5 6 8 10 12 20).
 */
public final class CalibrationLengthStudy {
    private static final int CHANNELS = 96;
    private static final int SAMPLES_PER_BIN = 20;

    private CalibrationLengthStudy() {
    }

    public static void main(String[] args) {
        final int seeds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        final double testSeconds = args.length > 1 ? Double.parseDouble(args[1]) : 8;
        final double modMin = args.length > 2 ? Double.parseDouble(args[2]) : 50;
        final double modMax = args.length > 3 ? Double.parseDouble(args[3]) : 150;
        double[] lengths = {4, 5, 6, 8, 10, 12, 20};
        if (args.length > 4) {
            lengths = new double[args.length - 4];
            for (int i = 4; i < args.length; i++) {
                lengths[i - 4] = Double.parseDouble(args[i]);
            }
        }
        final String[][] configs = {{"kalman", "gain", "steady"}, {"kalman", "gain", "full"}, {"wiener", "lags", "10"}};
        System.out.printf(Locale.ROOT, "%d channels, modulation U(%.0f, %.0f) Hz per m/s, %d seeds, %.0f s test%n%n",
                CHANNELS, modMin, modMax, seeds, testSeconds);
        System.out.println("| calibration | Kalman steady mean / min | Kalman full mean / min | Wiener mean / min |");
        System.out.println("|---|---|---|---|");
        for (double cal : lengths) {
            final StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "| %.0f s |", cal));
            for (String[] cfg : configs) {
                double sum = 0;
                double min = Double.POSITIVE_INFINITY;
                int failed = 0;
                for (long seed = 1; seed <= seeds; seed++) {
                    final double r2 = run(cfg[0], Map.of(cfg[1], cfg[2]), seed, cal, testSeconds, modMin, modMax);
                    if (Double.isNaN(r2)) {
                        failed++;
                    } else {
                        sum += r2;
                        min = Math.min(min, r2);
                    }
                }
                line.append(String.format(Locale.ROOT, " %.3f / %.3f%s |", sum / (seeds - failed), min,
                        failed > 0 ? " (" + failed + " fits refused)" : ""));
            }
            System.out.println(line);
        }
    }

    /** Mean velocity R² of one session; NaN when the fit is refused (e.g. targets that never vary). */
    static double run(String decoder, Map<String, String> options, long seed, double calibrationSeconds,
                      double testSeconds, double modMin, double modMax) {
        final CenterOutSource source = new CenterOutSource(new CenterOutSource.Context().channels(CHANNELS)
                .seed(seed).modulationMinHzPerMps(modMin).modulationMaxHzPerMps(modMax));
        final int binsPerSecond = (int) Math.round(source.sampleRateHz() / SAMPLES_PER_BIN);
        final CalibrationSet set = new CalibrationSet((int) Math.round(calibrationSeconds * binsPerSecond),
                CHANNELS, 2);
        final float[] counts = new float[CHANNELS];
        final double[] kin = new double[4];
        final double[] vel = new double[2];
        while (!set.full()) {
            source.nextBin(SAMPLES_PER_BIN, counts, kin);
            vel[0] = kin[2];
            vel[1] = kin[3];
            set.add(counts, vel);
        }
        final TrainableDecoder dec = Decoders.create(decoder, CHANNELS, options);
        try {
            dec.fit(set);
        } catch (IllegalArgumentException e) {
            return Double.NaN;
        }
        final Metrics.R2Accumulator r2 = new Metrics.R2Accumulator(2);
        final float[] out = new float[2];
        final int testBins = (int) Math.round(testSeconds * binsPerSecond);
        for (int b = 0; b < testBins; b++) {
            source.nextBin(SAMPLES_PER_BIN, counts, kin);
            dec.decode(counts, out);
            vel[0] = kin[2];
            vel[1] = kin[3];
            r2.add(vel, out);
        }
        return r2.meanR2();
    }
}
