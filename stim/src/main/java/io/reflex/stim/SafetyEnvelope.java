package io.reflex.stim;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Decides whether a {@link StimCommand} lies inside the configured safety envelope.
 *
 * <p><b>Exactness.</b> Every check is done in {@code long} integer arithmetic on nanoamperes, nanoseconds,
 * millihertz and attocoulombs (nA x ns), with operand ranges bounded first so that no product can overflow. The
 * Shannon limit, which involves an irrational power of ten, is turned at start-up into an exact integer ceiling on
 * the charge per phase by big-integer arithmetic (see {@link #shannonMaxChargeAc}); the hot path compares two
 * longs. No floating-point value takes part in a decision, so rounding can never let an unsafe command pass.
 *
 * <p><b>Time-dependent limits</b> (charge per second per channel, simultaneous channels, global current) are
 * checked against a bounded history of accepted trains, conservatively: a new train is compared with the sum of all
 * trains that overlap it (or lie within 1 s of it, for charge per second), whether or not those overlap each other.
 * A train's span runs from its trigger time to the end of its last pulse; its charge in any half-open 1 s window is
 * at most {@code maxPhaseCharge * min(pulseCount, ceil(frequencyHz))}. When the history is full of still-relevant
 * trains the command is rejected ({@link StimVerdict#HISTORY_FULL}).
 *
 * <p><b>Use.</b> {@link #check} then, if accepted and the command is about to be sent, {@link #commit} with the same
 * command; both allocate nothing. Owned by one thread.
 */
public final class SafetyEnvelope {
    /** Hard ceiling on any configured amplitude: 20 mA. */
    public static final int HARD_MAX_AMPLITUDE_NA = 20_000_000;
    /** Hard ceiling on any configured charge per phase: 10 uC. */
    public static final long HARD_MAX_CHARGE_PER_PHASE_PC = 10_000_000L;
    /** Hard ceiling on any configured charge per second per channel: 1 mC. */
    public static final long HARD_MAX_CHARGE_PER_SECOND_PC = 1_000_000_000L;
    /** Hard ceiling on any configured frequency: 10 kHz. */
    public static final long HARD_MAX_FREQUENCY_MILLI_HZ = 10_000_000L;
    /** Hard ceiling on the phase width: 10 ms. */
    public static final int HARD_MAX_PHASE_WIDTH_NS = 10_000_000;
    /** Hard ceiling on the interphase gap: 10 ms. */
    public static final int HARD_MAX_GAP_NS = 10_000_000;
    /** Hard ceiling on pulses per command. */
    public static final int HARD_MAX_PULSES = 100_000;
    /** Hard ceiling on a train's duration: 60 s. */
    public static final long HARD_MAX_TRAIN_DURATION_NS = 60_000_000_000L;
    /** Hard ceiling on how far ahead a command may be scheduled: 10 s. */
    public static final long HARD_MAX_SCHEDULE_AHEAD_NS = 10_000_000_000L;
    /** Hard ceiling on the global current cap: 100 mA. */
    public static final long HARD_MAX_GLOBAL_CURRENT_NA = 100_000_000L;
    /** Hard ceiling on the electrode area: 10 cm^2. */
    public static final long HARD_MAX_AREA_UM2 = 1_000_000_000L;
    /** Most electrodes one envelope describes. */
    public static final int MAX_ELECTRODES = 4096;

    /** Window for the charge-per-second limit. */
    public static final long CHARGE_RATE_WINDOW_NS = 1_000_000_000L;
    private static final long NS_PER_S_TIMES_MILLI = 1_000_000_000_000L;
    private static final long AC_PER_PC = 1_000_000L;
    /** Saturation value of charge sums; above every configurable charge-per-second limit (1e15 aC). */
    private static final long SATURATED_AC = 1_000_000_000_000_000_000L;

    private final Context ctx;
    private final int electrodeCount;
    private final int[] maxAmplitudeNa;
    private final long[] maxChargePerPhaseAc;
    private final long[] shannonMaxChargeAc;
    private final long[] toleranceAc;
    private final long[] maxFrequencyMilliHz;
    private final long[] maxChargePerSecondAc;

    // Scratch, allocation-free duplicate and per-channel accounting (stamped so nothing needs clearing).
    private final int[] seenStamp;
    private final long[] chargeAcc;
    private int stamp;

    // History of accepted trains (unordered; compacted by swap-remove).
    private final int historyCapacity;
    private final long[] hStartNs;
    private final long[] hEndNs;
    private final long[] hCurrentNa;
    private final long[] hWindowChargeAc;
    private final int[] hChannelCount;
    private final int[] hChannels;
    private int historySize;

    // Derived values of the last command that passed check(), for commit().
    private long lastStartNs;
    private long lastEndNs;
    private long lastCurrentNa;
    private long lastWindowChargeAc;
    private boolean lastAccepted;

    private SafetyEnvelope(Context ctx) {
        this.ctx = ctx;
        electrodeCount = ctx.electrodes.size();
        maxAmplitudeNa = new int[electrodeCount];
        maxChargePerPhaseAc = new long[electrodeCount];
        shannonMaxChargeAc = new long[electrodeCount];
        toleranceAc = new long[electrodeCount];
        maxFrequencyMilliHz = new long[electrodeCount];
        maxChargePerSecondAc = new long[electrodeCount];
        for (int e = 0; e < electrodeCount; e++) {
            ElectrodeLimits l = ctx.electrodes.get(e);
            maxAmplitudeNa[e] = l.maxAmplitudeNa();
            maxChargePerPhaseAc[e] = l.maxChargePerPhasePc() * AC_PER_PC;
            shannonMaxChargeAc[e] = ctx.shannonMaxChargeAc[e];
            toleranceAc[e] = l.chargeBalanceTolerancePc() * AC_PER_PC;
            maxFrequencyMilliHz[e] = l.maxFrequencyMilliHz();
            maxChargePerSecondAc[e] = l.maxChargePerSecondPc() * AC_PER_PC;
        }
        seenStamp = new int[electrodeCount];
        chargeAcc = new long[electrodeCount];
        historyCapacity = ctx.historyCapacity;
        hStartNs = new long[historyCapacity];
        hEndNs = new long[historyCapacity];
        hCurrentNa = new long[historyCapacity];
        hWindowChargeAc = new long[historyCapacity];
        hChannelCount = new int[historyCapacity];
        hChannels = new int[historyCapacity * StimCommand.MAX_CHANNELS];
    }

    /** The concluded configuration. */
    public Context context() {
        return ctx;
    }

    public int electrodeCount() {
        return electrodeCount;
    }

    /** Number of accepted trains still remembered for the time-dependent limits. */
    public int historySize() {
        return historySize;
    }

    /** Exact largest charge per phase (aC) that the Shannon limit allows on electrode {@code e}. */
    public long shannonMaxChargeAc(int e) {
        return shannonMaxChargeAc[e];
    }

    /** Forgets the history of accepted trains (for a fresh session after all stimulation has stopped). */
    public void clearHistory() {
        historySize = 0;
        lastAccepted = false;
    }

    /**
     * Checks a command issued at {@code nowNs}. Allocation-free.
     *
     * @return {@link StimVerdict#ACCEPTED} or the first failing reason
     */
    public int check(StimCommand c, long nowNs) {
        lastAccepted = false;
        final int n = c.channelCount();
        if (n < 1 || n > ctx.maxChannelsPerCommand) {
            return StimVerdict.BAD_CHANNEL_COUNT;
        }
        final int s = nextStamp();
        for (int i = 0; i < n; i++) {
            int ch = c.channel(i);
            if (ch < 0 || ch >= electrodeCount) {
                return StimVerdict.UNKNOWN_CHANNEL;
            }
            if (seenStamp[ch] == s) {
                return StimVerdict.DUPLICATE_CHANNEL;
            }
            seenStamp[ch] = s;
        }
        final int pol = c.polarity();
        if (pol != StimCommand.CATHODIC_FIRST && pol != StimCommand.ANODIC_FIRST) {
            return StimVerdict.BAD_POLARITY;
        }
        final int a1 = c.phase1AmplitudeNa();
        final int a2 = c.phase2AmplitudeNa();
        if (a1 <= 0 || a2 <= 0) {
            return StimVerdict.AMPLITUDE_NOT_POSITIVE;
        }
        final int w1 = c.phase1WidthNs();
        final int w2 = c.phase2WidthNs();
        if (w1 <= 0 || w2 <= 0 || w1 > ctx.maxPhaseWidthNs || w2 > ctx.maxPhaseWidthNs) {
            return StimVerdict.PHASE_WIDTH_OUT_OF_RANGE;
        }
        final int gap = c.interphaseGapNs();
        if (gap < 0 || gap > ctx.maxInterphaseGapNs) {
            return StimVerdict.GAP_OUT_OF_RANGE;
        }
        final int pulses = c.pulseCount();
        if (pulses < 1 || pulses > ctx.maxPulsesPerCommand) {
            return StimVerdict.PULSE_COUNT_OUT_OF_RANGE;
        }
        final long f = c.frequencyMilliHz();
        if (f < 0 || (pulses > 1 && f == 0)) {
            return StimVerdict.FREQUENCY_OUT_OF_RANGE;
        }
        // Bounded now: a1, a2 < 2^31, widths <= 1e7, so charges <= 2.2e16 aC; frequency checked per electrode.
        final long q1 = (long) a1 * w1;
        final long q2 = (long) a2 * w2;
        final long qMax = Math.max(q1, q2);
        final long imbalance = Math.abs(q1 - q2);
        for (int i = 0; i < n; i++) {
            int e = c.channel(i);
            if (a1 > maxAmplitudeNa[e] || a2 > maxAmplitudeNa[e]) {
                return StimVerdict.AMPLITUDE_OVER_LIMIT;
            }
            if (qMax > maxChargePerPhaseAc[e]) {
                return StimVerdict.CHARGE_PER_PHASE_OVER_LIMIT;
            }
            if (qMax > shannonMaxChargeAc[e]) {
                return StimVerdict.SHANNON_K_OVER_LIMIT;
            }
            if (imbalance > toleranceAc[e]) {
                return StimVerdict.CHARGE_IMBALANCE;
            }
            if (f > maxFrequencyMilliHz[e]) {
                return StimVerdict.FREQUENCY_OUT_OF_RANGE;
            }
        }
        // f <= 1e7 mHz and the pulse lasts <= 3e7 ns: products stay below 3e14.
        final long pulseNs = (long) w1 + gap + w2;
        if (pulses > 1 && pulseNs * f > NS_PER_S_TIMES_MILLI) {
            return StimVerdict.PULSE_LONGER_THAN_PERIOD;
        }
        // Span = (pulses-1) * 1e12/f + pulseNs; compare exactly: (pulses-1)*1e12 <= (max - pulseNs) * f.
        long spanNs;
        if (pulses == 1) {
            spanNs = pulseNs;
            if (spanNs > ctx.maxTrainDurationNs) {
                return StimVerdict.TRAIN_TOO_LONG;
            }
        } else {
            long room = ctx.maxTrainDurationNs - pulseNs;
            // (pulses-1) <= 1e5 so the left side <= 1e17; room <= 6e10 and f <= 1e7 so the right side <= 6e17.
            if (room < 0 || (long) (pulses - 1) * NS_PER_S_TIMES_MILLI > room * f) {
                return StimVerdict.TRAIN_TOO_LONG;
            }
            long interval = (long) (pulses - 1) * NS_PER_S_TIMES_MILLI;
            spanNs = (interval + f - 1) / f + pulseNs; // ceil: the recorded span never ends early
        }
        final long start = c.triggerTimeNs();
        if (start < nowNs) {
            return StimVerdict.TRIGGER_OUT_OF_WINDOW;
        }
        final long ahead = start - nowNs;
        if (ahead < 0 || ahead > ctx.maxScheduleAheadNs) {
            return StimVerdict.TRIGGER_OUT_OF_WINDOW;
        }
        final long end = start + spanNs; // start <= now + 1e10 and span <= 6e10: overflow only at the far end of time
        if (end < start) {
            return StimVerdict.TRIGGER_OUT_OF_WINDOW;
        }
        // pulses in any half-open 1 s window <= ceil(f / 1000 mHz) (and <= pulses)
        final long perWindowPulses = pulses == 1 ? 1 : Math.min(pulses, (f + 999) / 1000);
        // qMax <= maxChargePerPhase <= 1e13 aC (checked above) and perWindowPulses <= 1e4: at most 1e17.
        final long windowChargeAc = qMax * perWindowPulses;
        final long current = (long) Math.max(a1, a2) * n;

        purge(nowNs);
        int verdict = checkHistory(c, start, end, current, windowChargeAc);
        if (verdict != StimVerdict.ACCEPTED) {
            return verdict;
        }
        lastStartNs = start;
        lastEndNs = end;
        lastCurrentNa = current;
        lastWindowChargeAc = windowChargeAc;
        lastAccepted = true;
        return StimVerdict.ACCEPTED;
    }

    private int checkHistory(StimCommand c, long start, long end, long current, long windowChargeAc) {
        final int n = c.channelCount();
        // Simultaneous channels and global current: every remembered train whose span overlaps this one.
        final int s = nextStamp();
        for (int i = 0; i < n; i++) {
            seenStamp[c.channel(i)] = s;
            chargeAcc[c.channel(i)] = windowChargeAc;
        }
        int distinct = n;
        long currentSum = current;
        if (currentSum > ctx.globalCurrentCapNa) {
            return StimVerdict.GLOBAL_CURRENT_OVER_CAP;
        }
        if (distinct > ctx.maxSimultaneousChannels) {
            return StimVerdict.TOO_MANY_SIMULTANEOUS_CHANNELS;
        }
        for (int h = 0; h < historySize; h++) {
            final boolean overlaps = hStartNs[h] < end && start < hEndNs[h];
            final boolean withinRateWindow = hStartNs[h] < end + CHARGE_RATE_WINDOW_NS
                    && start < hEndNs[h] + CHARGE_RATE_WINDOW_NS;
            if (!withinRateWindow) {
                continue;
            }
            if (overlaps) {
                currentSum += hCurrentNa[h];
                if (currentSum > ctx.globalCurrentCapNa) {
                    return StimVerdict.GLOBAL_CURRENT_OVER_CAP;
                }
            }
            final int base = h * StimCommand.MAX_CHANNELS;
            for (int k = 0, m = hChannelCount[h]; k < m; k++) {
                int ch = hChannels[base + k];
                if (seenStamp[ch] != s) {
                    // A channel not in the new command: only counted toward simultaneity.
                    if (overlaps) {
                        seenStamp[ch] = s;
                        chargeAcc[ch] = 0;
                        distinct++;
                        if (distinct > ctx.maxSimultaneousChannels) {
                            return StimVerdict.TOO_MANY_SIMULTANEOUS_CHANNELS;
                        }
                    }
                    continue;
                }
                // Channel seen: in the new command (its sum is checked below) or counted only for simultaneity.
                // Saturating sum: acc <= SATURATED_AC and each term <= 1e17, so the addition cannot overflow.
                chargeAcc[ch] = Math.min(chargeAcc[ch] + hWindowChargeAc[h], SATURATED_AC);
            }
        }
        for (int i = 0; i < n; i++) {
            int ch = c.channel(i);
            if (chargeAcc[ch] > maxChargePerSecondAc[ch]) {
                return StimVerdict.CHARGE_RATE_OVER_LIMIT;
            }
        }
        if (historySize == historyCapacity) {
            return StimVerdict.HISTORY_FULL;
        }
        return StimVerdict.ACCEPTED;
    }

    /**
     * Records the command that the last {@link #check} accepted as sent, so that later commands are checked against
     * it. Returns false (recording nothing) if the last check did not accept a command.
     */
    public boolean commit(StimCommand c) {
        if (!lastAccepted || historySize == historyCapacity) {
            return false;
        }
        lastAccepted = false;
        int h = historySize++;
        hStartNs[h] = lastStartNs;
        hEndNs[h] = lastEndNs;
        hCurrentNa[h] = lastCurrentNa;
        hWindowChargeAc[h] = lastWindowChargeAc;
        int n = c.channelCount();
        hChannelCount[h] = n;
        int base = h * StimCommand.MAX_CHANNELS;
        for (int i = 0; i < n; i++) {
            hChannels[base + i] = c.channel(i);
        }
        return true;
    }

    /** End (ns, conservative) of the train that the last {@link #check} accepted. */
    public long acceptedEndNs() {
        return lastEndNs;
    }

    /** End (ns) of the latest remembered train, or {@code Long.MIN_VALUE} when none is remembered. */
    public long latestEndNs() {
        long latest = Long.MIN_VALUE;
        for (int h = 0; h < historySize; h++) {
            latest = Math.max(latest, hEndNs[h]);
        }
        return latest;
    }

    /** Drops trains that can no longer share a 1 s window with any command triggered at or after {@code nowNs}. */
    private void purge(long nowNs) {
        int h = 0;
        while (h < historySize) {
            if (hEndNs[h] + CHARGE_RATE_WINDOW_NS <= nowNs) {
                int last = --historySize;
                if (h != last) {
                    hStartNs[h] = hStartNs[last];
                    hEndNs[h] = hEndNs[last];
                    hCurrentNa[h] = hCurrentNa[last];
                    hWindowChargeAc[h] = hWindowChargeAc[last];
                    hChannelCount[h] = hChannelCount[last];
                    System.arraycopy(hChannels, last * StimCommand.MAX_CHANNELS, hChannels,
                            h * StimCommand.MAX_CHANNELS, hChannelCount[last]);
                }
            } else {
                h++;
            }
        }
    }

    private int nextStamp() {
        if (++stamp == 0) {
            Arrays.fill(seenStamp, 0);
            stamp = 1;
        }
        return stamp;
    }

    /**
     * Largest charge per phase Q (attocoulombs) with Shannon's k = log10(D) + log10(Q) at most {@code kMilli}/1000 for
     * a geometric area of {@code areaUm2}, D being the charge density in uC/cm^2 and Q the charge in uC (Shannon
     * 1992). With Q in aC and A in um^2, k = log10(Q^2 / A) - 16, so the limit is Q^2 &le; A * 10^(16 + k). Writing
     * k = p/q in lowest terms this is Q^(2q) &le; A^q * 10^(16q + p), decided exactly with big integers.
     */
    public static long shannonMaxChargeAc(long areaUm2, int kMilli) {
        if (areaUm2 <= 0) {
            throw new IllegalArgumentException("areaUm2 must be > 0, was " + areaUm2);
        }
        int g = BigInteger.valueOf(kMilli).gcd(BigInteger.valueOf(1000)).intValue();
        int p = kMilli / g;
        int q = 1000 / g;
        int tenExp = 16 * q + p;
        if (tenExp < 0) {
            throw new IllegalArgumentException("k limit too small: " + kMilli / 1000.0);
        }
        BigInteger rhs = BigInteger.valueOf(areaUm2).pow(q).multiply(BigInteger.TEN.pow(tenExp));
        double estimate = Math.sqrt((double) areaUm2) * Math.pow(10.0, (16.0 + kMilli / 1000.0) / 2.0);
        long cand = estimate >= 9.0e18 ? Long.MAX_VALUE / 2 : (long) estimate;
        while (cand > 0 && !shannonOk(cand, q, rhs)) {
            cand = cand - 1 - (cand >> 40);
        }
        while (shannonOk(cand + 1, q, rhs)) {
            cand++;
        }
        return cand;
    }

    private static boolean shannonOk(long chargeAc, int q, BigInteger rhs) {
        return BigInteger.valueOf(chargeAc).pow(2 * q).compareTo(rhs) <= 0;
    }

    /** Configuration of a {@link SafetyEnvelope}; {@link #conclude()} validates it and refuses unsafe limits. */
    public static final class Context {
        /** Default of the channel limits: min(8, electrode count), derived by {@link #conclude()}. */
        private static final int DERIVE = -1;
        private final List<ElectrodeLimits> electrodes = new ArrayList<>();
        private int maxChannelsPerCommand = DERIVE;
        private int maxSimultaneousChannels = DERIVE;
        private long globalCurrentCapNa = 1_000_000L;
        private int maxPhaseWidthNs = 1_000_000;
        private int maxInterphaseGapNs = 1_000_000;
        private int maxPulsesPerCommand = 1_000;
        private long maxTrainDurationNs = 10_000_000_000L;
        private long maxScheduleAheadNs = 1_000_000_000L;
        private int historyCapacity = 1024;
        private long[] shannonMaxChargeAc;
        private boolean concluded;

        /** Adds one electrode (its index is its position); the limits are copied. */
        public Context electrode(ElectrodeLimits limits) {
            electrodes.add(limits.copy());
            return this;
        }

        /** Adds {@code count} electrodes with the same limits. */
        public Context electrodes(int count, ElectrodeLimits limits) {
            for (int i = 0; i < count; i++) {
                electrodes.add(limits.copy());
            }
            return this;
        }

        public List<ElectrodeLimits> electrodes() {
            return java.util.Collections.unmodifiableList(electrodes);
        }

        /** Most channels one command may drive (1..64; default min(8, electrode count)). */
        public Context maxChannelsPerCommand(int v) {
            maxChannelsPerCommand = v;
            return this;
        }

        public int maxChannelsPerCommand() {
            return maxChannelsPerCommand;
        }

        /** Most channels stimulating at overlapping times (1..electrode count; default min(8, electrode count)). */
        public Context maxSimultaneousChannels(int v) {
            maxSimultaneousChannels = v;
            return this;
        }

        public int maxSimultaneousChannels() {
            return maxSimultaneousChannels;
        }

        /** Cap on the summed amplitude (nA) of all channels of all overlapping trains. */
        public Context globalCurrentCapNa(long v) {
            globalCurrentCapNa = v;
            return this;
        }

        public long globalCurrentCapNa() {
            return globalCurrentCapNa;
        }

        /** Longest phase, in ns. */
        public Context maxPhaseWidthNs(int v) {
            maxPhaseWidthNs = v;
            return this;
        }

        public int maxPhaseWidthNs() {
            return maxPhaseWidthNs;
        }

        /** Longest interphase gap, in ns. */
        public Context maxInterphaseGapNs(int v) {
            maxInterphaseGapNs = v;
            return this;
        }

        public int maxInterphaseGapNs() {
            return maxInterphaseGapNs;
        }

        /** Most pulses in one command. */
        public Context maxPulsesPerCommand(int v) {
            maxPulsesPerCommand = v;
            return this;
        }

        public int maxPulsesPerCommand() {
            return maxPulsesPerCommand;
        }

        /** Longest train (trigger to end of the last pulse), in ns. */
        public Context maxTrainDurationNs(long v) {
            maxTrainDurationNs = v;
            return this;
        }

        public long maxTrainDurationNs() {
            return maxTrainDurationNs;
        }

        /** How far after the check a trigger time may lie, in ns. */
        public Context maxScheduleAheadNs(long v) {
            maxScheduleAheadNs = v;
            return this;
        }

        public long maxScheduleAheadNs() {
            return maxScheduleAheadNs;
        }

        /** How many recent trains are remembered for the time-dependent limits. */
        public Context historyCapacity(int v) {
            historyCapacity = v;
            return this;
        }

        public int historyCapacity() {
            return historyCapacity;
        }

        /**
         * Validates every value (naming the field and its allowed range), refuses unsafe limits, derives the
         * Shannon charge ceilings and builds the envelope. Runs once.
         *
         * @throws IllegalArgumentException naming the first invalid or unsafe field
         * @throws IllegalStateException    if called twice
         */
        public SafetyEnvelope conclude() {
            if (concluded) {
                throw new IllegalStateException("SafetyEnvelope.Context.conclude() already ran");
            }
            if (electrodes.isEmpty() || electrodes.size() > MAX_ELECTRODES) {
                throw new IllegalArgumentException("stim envelope: electrode count must be in [1, " + MAX_ELECTRODES
                        + "], was " + electrodes.size());
            }
            if (maxChannelsPerCommand == DERIVE) {
                maxChannelsPerCommand = Math.min(8, electrodes.size());
            }
            if (maxSimultaneousChannels == DERIVE) {
                maxSimultaneousChannels = Math.min(8, electrodes.size());
            }
            range("maxChannelsPerCommand", maxChannelsPerCommand, 1, StimCommand.MAX_CHANNELS);
            range("maxSimultaneousChannels", maxSimultaneousChannels, 1, electrodes.size());
            range("globalCurrentCapNa", globalCurrentCapNa, 1, HARD_MAX_GLOBAL_CURRENT_NA);
            range("maxPhaseWidthNs", maxPhaseWidthNs, 1, HARD_MAX_PHASE_WIDTH_NS);
            range("maxInterphaseGapNs", maxInterphaseGapNs, 0, HARD_MAX_GAP_NS);
            range("maxPulsesPerCommand", maxPulsesPerCommand, 1, HARD_MAX_PULSES);
            range("maxTrainDurationNs", maxTrainDurationNs, 1, HARD_MAX_TRAIN_DURATION_NS);
            range("maxScheduleAheadNs", maxScheduleAheadNs, 0, HARD_MAX_SCHEDULE_AHEAD_NS);
            range("historyCapacity", historyCapacity, 1, 1 << 16);
            shannonMaxChargeAc = new long[electrodes.size()];
            for (int e = 0; e < electrodes.size(); e++) {
                ElectrodeLimits l = electrodes.get(e);
                String p = "electrode[" + e + "].";
                range(p + "areaUm2", l.areaUm2(), 1, HARD_MAX_AREA_UM2);
                range(p + "maxAmplitudeNa", l.maxAmplitudeNa(), 1, HARD_MAX_AMPLITUDE_NA);
                range(p + "maxChargePerPhasePc", l.maxChargePerPhasePc(), 1, HARD_MAX_CHARGE_PER_PHASE_PC);
                if (l.shannonKMilli() > ElectrodeLimits.MAX_SHANNON_K_MILLI) {
                    throw new IllegalArgumentException("stim envelope: " + p + "shannonK = "
                            + l.shannonKMilli() / 1000.0 + " is unsafe: the Shannon k limit may never exceed 1.85");
                }
                range(p + "shannonKMilli", l.shannonKMilli(), ElectrodeLimits.MIN_SHANNON_K_MILLI,
                        ElectrodeLimits.MAX_SHANNON_K_MILLI);
                range(p + "chargeBalanceTolerancePc", l.chargeBalanceTolerancePc(), 0,
                        l.maxChargePerPhasePc() / 10);
                range(p + "maxFrequencyMilliHz", l.maxFrequencyMilliHz(), 1, HARD_MAX_FREQUENCY_MILLI_HZ);
                range(p + "maxChargePerSecondPc", l.maxChargePerSecondPc(), 1, HARD_MAX_CHARGE_PER_SECOND_PC);
                long shannon = shannonMaxChargeAc(l.areaUm2(), l.shannonKMilli());
                // The configured k may be stricter than 1.85 (then the Shannon check binds on the hot path), but a
                // charge limit beyond what even k = 1.85 allows on this area is a mistake in the limits: refuse it.
                long absolute = shannonMaxChargeAc(l.areaUm2(), ElectrodeLimits.MAX_SHANNON_K_MILLI);
                long declared = l.maxChargePerPhasePc() * AC_PER_PC;
                if (declared > absolute) {
                    throw new IllegalArgumentException("stim envelope: " + p + "maxChargePerPhasePc = "
                            + l.maxChargePerPhasePc() + " is unsafe: on areaUm2 = " + l.areaUm2()
                            + " the Shannon limit k = 1.85 allows at most " + absolute / AC_PER_PC
                            + " pC per phase; lower maxChargePerPhasePc or check the area");
                }
                shannonMaxChargeAc[e] = shannon;
            }
            concluded = true;
            return new SafetyEnvelope(this);
        }

        private static void range(String field, long v, long lo, long hi) {
            if (v < lo || v > hi) {
                throw new IllegalArgumentException("stim envelope: " + field + " must be in [" + lo + ", " + hi
                        + "], was " + v);
            }
        }
    }
}
