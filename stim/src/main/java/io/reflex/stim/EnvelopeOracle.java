package io.reflex.stim;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * A second, independent judge of the envelope for what has actually been <em>emitted</em>: the simulated
 * stimulator runs every command it receives through one, and the property tests run every command a driver sees
 * through one. It works from the definitions rather than from {@link SafetyEnvelope}'s conservative shortcuts:
 * it places every pulse at its exact (rational) time, checks the charge in every half-open 1 s window per
 * channel, and the channel count and summed current at every instant a train starts. It allocates and is slow
 * compared with the envelope; it is not for the hot path.
 *
 * <p>The trigger-time window is not judged (the oracle has no "now"); trains are remembered while a command
 * scheduled up to {@code maxScheduleAheadNs} out of order could still share a window with them, and a command
 * further out of order than that is itself reported as {@link StimVerdict#TRIGGER_OUT_OF_WINDOW}.
 */
public final class EnvelopeOracle {
    private static final long NS_1E12 = 1_000_000_000_000L;
    private static final long WINDOW_NS = SafetyEnvelope.CHARGE_RATE_WINDOW_NS;

    private final SafetyEnvelope.Context cfg;
    private final List<ElectrodeLimits> electrodes;
    private final List<Train> trains = new ArrayList<>();
    private long maxTriggerSeenNs = Long.MIN_VALUE;
    private long checked;
    private long violations;
    private final long[] violationsByReason = new long[StimVerdict.COUNT];

    /** An oracle for the limits in {@code envelope}'s configuration. */
    public EnvelopeOracle(SafetyEnvelope envelope) {
        this.cfg = envelope.context();
        this.electrodes = cfg.electrodes();
    }

    /** Commands judged. */
    public long checked() {
        return checked;
    }

    /** Commands that broke the envelope. */
    public long violations() {
        return violations;
    }

    /** Violations with reason {@code verdict}. */
    public long violations(int verdict) {
        return violationsByReason[verdict];
    }

    /**
     * Judges one emitted command against the envelope and every earlier emitted command, then remembers it.
     *
     * @return {@link StimVerdict#ACCEPTED} when inside the envelope, else a reason it is not
     */
    public int judge(StimCommand c) {
        checked++;
        int v = judgeAlone(c);
        if (v == StimVerdict.ACCEPTED) {
            v = judgeWithHistory(c);
        }
        if (v != StimVerdict.ACCEPTED) {
            violations++;
            violationsByReason[v]++;
        }
        return v;
    }

    private int judgeAlone(StimCommand c) {
        int n = c.channelCount();
        if (n < 1 || n > cfg.maxChannelsPerCommand()) {
            return StimVerdict.BAD_CHANNEL_COUNT;
        }
        for (int i = 0; i < n; i++) {
            if (c.channel(i) < 0 || c.channel(i) >= electrodes.size()) {
                return StimVerdict.UNKNOWN_CHANNEL;
            }
            for (int j = 0; j < i; j++) {
                if (c.channel(i) == c.channel(j)) {
                    return StimVerdict.DUPLICATE_CHANNEL;
                }
            }
        }
        if (c.polarity() != StimCommand.CATHODIC_FIRST && c.polarity() != StimCommand.ANODIC_FIRST) {
            return StimVerdict.BAD_POLARITY;
        }
        if (c.phase1AmplitudeNa() <= 0 || c.phase2AmplitudeNa() <= 0) {
            return StimVerdict.AMPLITUDE_NOT_POSITIVE;
        }
        if (c.phase1WidthNs() <= 0 || c.phase2WidthNs() <= 0 || c.phase1WidthNs() > cfg.maxPhaseWidthNs()
                || c.phase2WidthNs() > cfg.maxPhaseWidthNs()) {
            return StimVerdict.PHASE_WIDTH_OUT_OF_RANGE;
        }
        if (c.interphaseGapNs() < 0 || c.interphaseGapNs() > cfg.maxInterphaseGapNs()) {
            return StimVerdict.GAP_OUT_OF_RANGE;
        }
        if (c.pulseCount() < 1 || c.pulseCount() > cfg.maxPulsesPerCommand()) {
            return StimVerdict.PULSE_COUNT_OUT_OF_RANGE;
        }
        long f = c.frequencyMilliHz();
        if (f < 0 || (c.pulseCount() > 1 && f == 0)) {
            return StimVerdict.FREQUENCY_OUT_OF_RANGE;
        }
        BigInteger q1 = BigInteger.valueOf(c.phase1AmplitudeNa()).multiply(BigInteger.valueOf(c.phase1WidthNs()));
        BigInteger q2 = BigInteger.valueOf(c.phase2AmplitudeNa()).multiply(BigInteger.valueOf(c.phase2WidthNs()));
        BigInteger qMax = q1.max(q2);
        for (int i = 0; i < n; i++) {
            ElectrodeLimits l = electrodes.get(c.channel(i));
            if (c.phase1AmplitudeNa() > l.maxAmplitudeNa() || c.phase2AmplitudeNa() > l.maxAmplitudeNa()) {
                return StimVerdict.AMPLITUDE_OVER_LIMIT;
            }
            if (qMax.compareTo(BigInteger.valueOf(l.maxChargePerPhasePc()).multiply(BigInteger.valueOf(1_000_000)))
                    > 0) {
                return StimVerdict.CHARGE_PER_PHASE_OVER_LIMIT;
            }
            if (shannonK(qMax, l.areaUm2(), l.shannonKMilli()) > 0) {
                return StimVerdict.SHANNON_K_OVER_LIMIT;
            }
            if (q1.subtract(q2).abs().compareTo(BigInteger.valueOf(l.chargeBalanceTolerancePc())
                    .multiply(BigInteger.valueOf(1_000_000))) > 0) {
                return StimVerdict.CHARGE_IMBALANCE;
            }
            if (f > l.maxFrequencyMilliHz()) {
                return StimVerdict.FREQUENCY_OUT_OF_RANGE;
            }
        }
        long pulseNs = (long) c.phase1WidthNs() + c.interphaseGapNs() + c.phase2WidthNs();
        if (c.pulseCount() > 1) {
            // period = 1e12 / f ns; the pulse must fit: pulseNs <= 1e12 / f
            if (BigInteger.valueOf(pulseNs).multiply(BigInteger.valueOf(f)).compareTo(BigInteger.valueOf(NS_1E12))
                    > 0) {
                return StimVerdict.PULSE_LONGER_THAN_PERIOD;
            }
        }
        // duration = (pulses - 1) * 1e12 / f + pulseNs <= maxTrainDurationNs, in exact rationals (times f)
        BigInteger lhs = BigInteger.valueOf(c.pulseCount() - 1L).multiply(BigInteger.valueOf(NS_1E12))
                .add(BigInteger.valueOf(pulseNs).multiply(BigInteger.valueOf(Math.max(f, 1))));
        BigInteger rhs = BigInteger.valueOf(cfg.maxTrainDurationNs()).multiply(BigInteger.valueOf(Math.max(f, 1)));
        if (c.pulseCount() == 1 ? pulseNs > cfg.maxTrainDurationNs() : lhs.compareTo(rhs) > 0) {
            return StimVerdict.TRAIN_TOO_LONG;
        }
        return StimVerdict.ACCEPTED;
    }

    /**
     * Sign of (k - limit) where k = log10(Q^2 / A) - 16 for Q in aC and A in um^2 (Shannon 1992, Q in uC and D in
     * uC/cm^2). Decided in double unless within 1e-6 of the limit, where it is decided exactly.
     */
    static int shannonK(BigInteger qAc, long areaUm2, int kMilli) {
        double k = 2 * log10(qAc) - Math.log10(areaUm2) - 16.0;
        double limit = kMilli / 1000.0;
        if (k > limit + 1e-6) {
            return 1;
        }
        if (k < limit - 1e-6) {
            return -1;
        }
        int g = BigInteger.valueOf(kMilli).gcd(BigInteger.valueOf(1000)).intValue();
        int p = kMilli / g;
        int q = 1000 / g;
        // Q^(2q) vs A^q * 10^(16q + p)
        BigInteger left = qAc.pow(2 * q);
        BigInteger right = BigInteger.valueOf(areaUm2).pow(q).multiply(BigInteger.TEN.pow(16 * q + p));
        return Integer.signum(left.compareTo(right));
    }

    private static double log10(BigInteger v) {
        return Math.log10(v.doubleValue());
    }

    private int judgeWithHistory(StimCommand c) {
        Train x = new Train(c);
        if (maxTriggerSeenNs != Long.MIN_VALUE && x.start < maxTriggerSeenNs - cfg.maxScheduleAheadNs()) {
            return StimVerdict.TRIGGER_OUT_OF_WINDOW;
        }
        maxTriggerSeenNs = Math.max(maxTriggerSeenNs, x.start);
        long horizon = maxTriggerSeenNs - cfg.maxScheduleAheadNs() - WINDOW_NS;
        trains.removeIf(t -> t.endCeilNs < horizon);
        trains.add(x);
        // Instants to examine: every train start inside x's span (and x's start).
        for (Train at : trains) {
            if (at.start < x.start || !x.activeAt(at.start)) {
                continue;
            }
            long current = 0;
            java.util.HashSet<Integer> chans = new java.util.HashSet<>();
            for (Train t : trains) {
                if (t.activeAt(at.start)) {
                    current += t.currentNa;
                    for (int ch : t.channels) {
                        chans.add(ch);
                    }
                }
            }
            if (current > cfg.globalCurrentCapNa()) {
                return StimVerdict.GLOBAL_CURRENT_OVER_CAP;
            }
            if (chans.size() > cfg.maxSimultaneousChannels()) {
                return StimVerdict.TOO_MANY_SIMULTANEOUS_CHANNELS;
            }
        }
        for (int ch : x.channels) {
            if (maxWindowChargeAc(ch, x) > electrodes.get(ch).maxChargePerSecondPc() * 1_000_000L) {
                return StimVerdict.CHARGE_RATE_OVER_LIMIT;
            }
        }
        return StimVerdict.ACCEPTED;
    }

    /** Largest charge on {@code ch} in a half-open 1 s window that holds at least one pulse of {@code x}. */
    private long maxWindowChargeAc(int ch, Train x) {
        List<Pulse> pulses = new ArrayList<>();
        for (Train t : trains) {
            if (!t.has(ch) || t.endCeilNs + WINDOW_NS < x.start || t.start > x.endCeilNs + WINDOW_NS) {
                continue;
            }
            for (int i = 0; i < t.pulses; i++) {
                Pulse p = t.pulse(i);
                // only pulses within 1 s of x's span can share a window with one of x's pulses
                if (p.floorNs + WINDOW_NS + 1 >= x.start && p.floorNs <= x.endCeilNs + WINDOW_NS) {
                    pulses.add(p);
                }
            }
        }
        pulses.sort(EnvelopeOracle::compare);
        long best = 0;
        long sum = 0;
        int hi = 0;
        for (int lo = 0; lo < pulses.size(); lo++) {
            if (hi < lo) {
                hi = lo;
                sum = 0;
            }
            while (hi < pulses.size() && lessThanOneSecondApart(pulses.get(lo), pulses.get(hi))) {
                sum += pulses.get(hi).chargeAc;
                hi++;
            }
            best = Math.max(best, sum);
            sum -= pulses.get(lo).chargeAc;
        }
        return best;
    }

    /** Exact comparison of pulse times floor + rem/f. */
    private static int compare(Pulse a, Pulse b) {
        if (a.floorNs != b.floorNs) {
            return Long.compare(a.floorNs, b.floorNs);
        }
        return Long.compare(a.rem * b.f, b.rem * a.f);
    }

    /** Exactly: time(b) - time(a) &lt; 1 s, for time(a) &le; time(b). */
    private static boolean lessThanOneSecondApart(Pulse a, Pulse b) {
        long d = b.floorNs - a.floorNs - WINDOW_NS;
        if (d >= 1) {
            return false;
        }
        if (d <= -1) {
            return true;
        }
        // d == 0: b - a - 1s = rem_b/f_b - rem_a/f_a
        return b.rem * a.f < a.rem * b.f;
    }

    private static final class Pulse {
        final long floorNs;
        final long rem;
        final long f;
        final long chargeAc;

        Pulse(long floorNs, long rem, long f, long chargeAc) {
            this.floorNs = floorNs;
            this.rem = rem;
            this.f = f;
            this.chargeAc = chargeAc;
        }
    }

    private static final class Train {
        final long start;
        final long f;
        final int pulses;
        final long pulseNs;
        final long endCeilNs;
        final int[] channels;
        final long currentNa;
        final long chargeAc;

        Train(StimCommand c) {
            start = c.triggerTimeNs();
            f = Math.max(c.frequencyMilliHz(), 1);
            pulses = c.pulseCount();
            pulseNs = (long) c.phase1WidthNs() + c.interphaseGapNs() + c.phase2WidthNs();
            long lastStartNum = (pulses - 1L) * NS_1E12;
            long lastStartCeil = pulses == 1 ? 0 : (lastStartNum + f - 1) / f;
            endCeilNs = start + lastStartCeil + pulseNs;
            channels = new int[c.channelCount()];
            for (int i = 0; i < channels.length; i++) {
                channels[i] = c.channel(i);
            }
            currentNa = (long) Math.max(c.phase1AmplitudeNa(), c.phase2AmplitudeNa()) * channels.length;
            chargeAc = Math.max((long) c.phase1AmplitudeNa() * c.phase1WidthNs(),
                    (long) c.phase2AmplitudeNa() * c.phase2WidthNs());
        }

        boolean has(int ch) {
            for (int c : channels) {
                if (c == ch) {
                    return true;
                }
            }
            return false;
        }

        Pulse pulse(int i) {
            if (pulses == 1) {
                return new Pulse(start, 0, 1, chargeAc);
            }
            long num = i * NS_1E12;
            return new Pulse(start + num / f, num % f, f, chargeAc);
        }

        /** Exactly: start &le; tau &lt; start + (pulses-1)*1e12/f + pulseNs. */
        boolean activeAt(long tau) {
            if (tau < start) {
                return false;
            }
            long rel = tau - start - pulseNs; // tau < start + pulseNs + L  <=>  rel < L
            if (rel < 0) {
                return true;
            }
            if (pulses == 1) {
                return false;
            }
            if (rel > SafetyEnvelope.HARD_MAX_TRAIN_DURATION_NS) {
                return false;
            }
            // rel < (pulses-1)*1e12/f  <=>  rel*f < (pulses-1)*1e12
            return BigInteger.valueOf(rel).multiply(BigInteger.valueOf(f))
                    .compareTo(BigInteger.valueOf(pulses - 1L).multiply(BigInteger.valueOf(NS_1E12))) < 0;
        }
    }
}
