package io.reflex.stim;

/**
 * Safety limits of one electrode, as configured. Validated by {@link SafetyEnvelope.Context#conclude()}; see
 * stim/README.md for the meaning and units of each limit.
 */
public final class ElectrodeLimits {
    /** Default Shannon k limit, in thousandths (k = 1.5). */
    public static final int DEFAULT_SHANNON_K_MILLI = 1500;
    /** The Shannon k limit can never be configured above 1.85 (thousandths). */
    public static final int MAX_SHANNON_K_MILLI = 1850;
    /** Lowest accepted Shannon k limit (thousandths); below it nothing useful could be delivered. */
    public static final int MIN_SHANNON_K_MILLI = -4000;

    private long areaUm2;
    private int maxAmplitudeNa;
    private long maxChargePerPhasePc;
    private int shannonKMilli = DEFAULT_SHANNON_K_MILLI;
    private long chargeBalanceTolerancePc;
    private long maxFrequencyMilliHz;
    private long maxChargePerSecondPc;

    /** A copy of {@code o}. */
    public ElectrodeLimits copy() {
        ElectrodeLimits c = new ElectrodeLimits();
        c.areaUm2 = areaUm2;
        c.maxAmplitudeNa = maxAmplitudeNa;
        c.maxChargePerPhasePc = maxChargePerPhasePc;
        c.shannonKMilli = shannonKMilli;
        c.chargeBalanceTolerancePc = chargeBalanceTolerancePc;
        c.maxFrequencyMilliHz = maxFrequencyMilliHz;
        c.maxChargePerSecondPc = maxChargePerSecondPc;
        return c;
    }

    /** Geometric surface area of the electrode in square micrometres (1 cm^2 = 1e8 um^2). */
    public ElectrodeLimits areaUm2(long v) {
        areaUm2 = v;
        return this;
    }

    public long areaUm2() {
        return areaUm2;
    }

    /** Largest phase amplitude, in nanoamperes. */
    public ElectrodeLimits maxAmplitudeNa(int v) {
        maxAmplitudeNa = v;
        return this;
    }

    public int maxAmplitudeNa() {
        return maxAmplitudeNa;
    }

    /** Largest charge of one phase, in picocoulombs (1 nC = 1000 pC). */
    public ElectrodeLimits maxChargePerPhasePc(long v) {
        maxChargePerPhasePc = v;
        return this;
    }

    public long maxChargePerPhasePc() {
        return maxChargePerPhasePc;
    }

    /** Shannon k limit in thousandths (1500 = k 1.5); never above {@link #MAX_SHANNON_K_MILLI}. */
    public ElectrodeLimits shannonKMilli(int v) {
        shannonKMilli = v;
        return this;
    }

    /**
     * Shannon k limit as a decimal; rounded down to thousandths (rounding down only makes the limit stricter).
     */
    public ElectrodeLimits shannonK(double k) {
        if (!Double.isFinite(k)) {
            throw new IllegalArgumentException("shannonK must be finite, was " + k);
        }
        double milli = Math.floor(k * 1000.0 + 1e-9);
        shannonKMilli = milli > Integer.MAX_VALUE ? Integer.MAX_VALUE : milli < Integer.MIN_VALUE
                ? Integer.MIN_VALUE : (int) milli;
        return this;
    }

    public int shannonKMilli() {
        return shannonKMilli;
    }

    /** Largest allowed difference between the two phases' charges, in picocoulombs. */
    public ElectrodeLimits chargeBalanceTolerancePc(long v) {
        chargeBalanceTolerancePc = v;
        return this;
    }

    public long chargeBalanceTolerancePc() {
        return chargeBalanceTolerancePc;
    }

    /** Highest pulse repetition frequency, in millihertz. */
    public ElectrodeLimits maxFrequencyMilliHz(long v) {
        maxFrequencyMilliHz = v;
        return this;
    }

    public long maxFrequencyMilliHz() {
        return maxFrequencyMilliHz;
    }

    /** Largest charge (one phase per pulse, summed over pulses) in any 1 s window, in picocoulombs. */
    public ElectrodeLimits maxChargePerSecondPc(long v) {
        maxChargePerSecondPc = v;
        return this;
    }

    public long maxChargePerSecondPc() {
        return maxChargePerSecondPc;
    }

    @Override
    public String toString() {
        return "ElectrodeLimits{areaUm2=" + areaUm2 + ", maxAmplitudeNa=" + maxAmplitudeNa
                + ", maxChargePerPhasePc=" + maxChargePerPhasePc + ", shannonKMilli=" + shannonKMilli
                + ", chargeBalanceTolerancePc=" + chargeBalanceTolerancePc
                + ", maxFrequencyMilliHz=" + maxFrequencyMilliHz + ", maxChargePerSecondPc=" + maxChargePerSecondPc
                + "}";
    }
}
