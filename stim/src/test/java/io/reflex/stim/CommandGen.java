package io.reflex.stim;

import java.util.SplittableRandom;

/**
 * Fast generator of commands around the limits of {@link TestEnvelopes#standard()}: every field is drawn either
 * uniformly in a plausible range or from the boundary (limit - 1, limit, limit + 1, 0, -1, extreme), so that both
 * sides of every check are hit often.
 */
final class CommandGen {
    private final SplittableRandom rnd;

    CommandGen(long seed) {
        rnd = new SplittableRandom(seed);
    }

    SplittableRandom random() {
        return rnd;
    }

    private int near(int limit, int typicalMax) {
        switch (rnd.nextInt(10)) {
            case 0:
                return limit - 1;
            case 1:
                return limit;
            case 2:
                return limit + 1;
            case 3:
                return rnd.nextInt(3) - 1; // -1, 0, 1
            case 4:
                return rnd.nextBoolean() ? Integer.MAX_VALUE : Integer.MIN_VALUE;
            default:
                return 1 + rnd.nextInt(Math.max(1, typicalMax));
        }
    }

    private long nearL(long limit, long typicalMax) {
        switch (rnd.nextInt(10)) {
            case 0:
                return limit - 1;
            case 1:
                return limit;
            case 2:
                return limit + 1;
            case 3:
                return rnd.nextInt(3) - 1;
            default:
                return 1 + rnd.nextLong(Math.max(1, typicalMax));
        }
    }

    /** Fills {@code c} with a random command whose trigger time is near {@code nowNs}. */
    void fill(StimCommand c, long nowNs) {
        c.clear();
        int n = rnd.nextInt(20) == 0 ? rnd.nextInt(8) : 1 + rnd.nextInt(rnd.nextBoolean() ? 1 : 4);
        for (int i = 0; i < n; i++) {
            c.addChannel(rnd.nextInt(50) == 0 ? rnd.nextInt(40) - 10 : rnd.nextInt(16));
        }
        c.polarity(rnd.nextInt(30) == 0 ? rnd.nextInt(5) - 1 : rnd.nextInt(2));
        // micro: 100 uA, small: 80 uA
        int a = near(rnd.nextBoolean() ? 100_000 : 80_000, 100_000);
        int w = near(rnd.nextInt(4) == 0 ? 400_000 : 200_000, 250_000);
        c.phase1AmplitudeNa(a).phase1WidthNs(w);
        // mostly balanced, sometimes off by a little or a lot
        switch (rnd.nextInt(4)) {
            case 0 -> c.phase2AmplitudeNa(a).phase2WidthNs(w);
            case 1 -> c.phase2AmplitudeNa(a).phase2WidthNs(w + rnd.nextInt(5) - 2);
            case 2 -> c.phase2AmplitudeNa(Math.max(1, a / 2)).phase2WidthNs(w * 2);
            default -> c.phase2AmplitudeNa(near(100_000, 100_000)).phase2WidthNs(near(200_000, 250_000));
        }
        c.interphaseGapNs(near(100_000, 60_000));
        c.pulseCount(rnd.nextInt(3) == 0 ? 1 : near(50, 20));
        c.frequencyMilliHz(nearL(rnd.nextBoolean() ? 300_000 : 200_000, 300_000));
        long ahead = rnd.nextInt(10) == 0 ? nearL(100_000_000L, 100_000_000L) : rnd.nextLong(5_000_000L);
        c.triggerTimeNs(nowNs + ahead);
        // Mostly fresh input; sometimes older or newer than the controller's 100 ms bound, or of unknown age.
        switch (rnd.nextInt(100)) {
            case 0 -> c.inputTimeNs(StimCommand.NO_INPUT_TIME);
            case 1 -> c.inputTimeNs(nowNs + rnd.nextLong(300_000_000L));
            case 2, 3 -> c.inputTimeNs(nowNs - rnd.nextLong(300_000_000L));
            default -> c.inputTimeNs(nowNs - rnd.nextLong(5_000_000L));
        }
    }
}
