package io.reflex.lsl;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * Reflex's side of the time-correction comparison in tools/bench/lsl/side-by-side.sh: an outlet that stays up
 * for probes, or an inlet that prints the median of its per-wave corrections (microseconds, the value to add to
 * the outlet's timestamps; 0 is the truth on one machine). Configuration from {@code LSLAPICFG}, as liblsl reads it.
 *
 * <pre>
 * java $FLAGS -cp ... io.reflex.lsl.LslTimeCorrectionHarness outlet &lt;name&gt; &lt;seconds&gt;
 * java $FLAGS -cp ... io.reflex.lsl.LslTimeCorrectionHarness timecorr &lt;name&gt; &lt;estimates&gt;
 * </pre>
 */
public final class LslTimeCorrectionHarness {
    private LslTimeCorrectionHarness() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3 || !(args[0].equals("outlet") || args[0].equals("timecorr"))) {
            System.err.println("usage: LslTimeCorrectionHarness outlet <name> <seconds> | timecorr <name> <estimates>");
            System.exit(2);
        }
        LslConfig cfg = LslConfig.fromEnvironment().conclude();
        if (args[0].equals("outlet")) {
            outlet(cfg, args[1], Double.parseDouble(args[2]));
        } else {
            System.exit(timecorr(cfg, args[1], Integer.parseInt(args[2])));
        }
    }

    private static void outlet(LslConfig cfg, String name, double seconds) {
        StreamInfo desc = StreamInfo.builder(name, "Bench", 1, 100, ChannelFormat.FLOAT32, name).build();
        try (JavaOutlet outlet = new JavaOutlet(desc, cfg, LslError.logging())) {
            System.out.println("outlet " + name + " up");
            long endNs = System.nanoTime() + (long) (seconds * 1e9);
            float[] v = new float[1];
            while (System.nanoTime() < endNs) {
                outlet.pushSample(v, LslClock.now());
                v[0]++;
                LockSupport.parkNanos(10_000_000L);
            }
        }
    }

    private static int timecorr(LslConfig cfg, String name, int estimates) {
        List<StreamInfo> found = new Resolver(cfg).resolve(Resolver.byProperty("name", name), 1, 20);
        if (found.isEmpty()) {
            System.err.println("LslTimeCorrectionHarness: stream " + name + " not resolved within 20 s");
            return 1;
        }
        double[] corr = new double[estimates];
        double[] rtt = new double[estimates];
        int n = 0;
        try (JavaInlet inlet = new JavaInlet(found.get(0), cfg, new InletOptions().timeCorrection(true),
                LslError.logging())) {
            inlet.timeCorrection(10);
            TimeCorrector c = inlet.timeCorrector();
            long seen = c.waves();
            for (; n < estimates; n++) {
                double v = c.awaitWave(seen, 10);
                if (Double.isNaN(v)) {
                    break;
                }
                seen = c.waves();
                corr[n] = v * 1e6;
                rtt[n] = c.uncertaintyS() * 1e6;
            }
        }
        double[] cs = Arrays.copyOf(corr, n);
        double[] rs = Arrays.copyOf(rtt, n);
        Arrays.sort(cs);
        Arrays.sort(rs);
        System.out.printf(Locale.ROOT, "timecorr reflex-inlet stream=%s estimates=%d: median=%.1f us min=%.1f us"
                + " max=%.1f us rtt_median=%.1f us%n", name, n, n > 0 ? cs[n / 2] : Double.NaN,
                n > 0 ? cs[0] : Double.NaN, n > 0 ? cs[n - 1] : Double.NaN, n > 0 ? rs[n / 2] : Double.NaN);
        return n == estimates ? 0 : 1;
    }
}
