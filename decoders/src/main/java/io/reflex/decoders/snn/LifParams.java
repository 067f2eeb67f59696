package io.reflex.decoders.snn;

/**
 * Population-wide parameters of the LIF core of decoders/FIXED_POINT.md §7 (a Context: fluent setters, defaults
 * here, {@link #conclude()} validates every field).
 *
 * <p>All voltages and currents are int32 in one integer unit with no implied scaling. Decay factors are
 * {@code 1 − 2^−k}: {@code kSyn = 3} is a synaptic time constant of about 8 ticks, {@code kMem = 4} about 16.
 */
public final class LifParams {
    private int kSyn = 3;
    private int kMem = 4;
    private int thetaV = 1 << 16;
    private int vRest = 0;
    private int vReset = 0;
    private int tRefTicks = 2;
    private ResetMode resetMode = ResetMode.SUBTRACT;
    private boolean concluded;

    /** Synaptic decay shift {@code k_syn} in [0, 31]. */
    public LifParams kSyn(int value) {
        kSyn = value;
        return this;
    }

    /** Membrane decay shift {@code k_mem} in [0, 31]. */
    public LifParams kMem(int value) {
        kMem = value;
        return this;
    }

    /** Threshold θ (int32); must exceed {@code vReset}. A neuron fires when {@code V ≥ θ}. */
    public LifParams thetaV(int value) {
        thetaV = value;
        return this;
    }

    /** Resting potential the membrane leaks towards. */
    public LifParams vRest(int value) {
        vRest = value;
        return this;
    }

    /** Membrane value during the refractory period and after a zero reset. */
    public LifParams vReset(int value) {
        vReset = value;
        return this;
    }

    /** Refractory period {@code T_ref} in ticks, [0, 65535]. */
    public LifParams tRefTicks(int value) {
        tRefTicks = value;
        return this;
    }

    /** Reset mode after a spike. */
    public LifParams resetMode(ResetMode value) {
        resetMode = value;
        return this;
    }

    /** Validates every field; idempotent. Throws {@link IllegalArgumentException} naming the field and range. */
    public LifParams conclude() {
        if (concluded) {
            return this;
        }
        if (kSyn < 0 || kSyn > 31) {
            throw new IllegalArgumentException("kSyn must be in [0, 31], got " + kSyn);
        }
        if (kMem < 0 || kMem > 31) {
            throw new IllegalArgumentException("kMem must be in [0, 31], got " + kMem);
        }
        if (thetaV <= vReset) {
            throw new IllegalArgumentException("thetaV must be > vReset (" + vReset + "), got " + thetaV);
        }
        if (tRefTicks < 0 || tRefTicks > 0xFFFF) {
            throw new IllegalArgumentException("tRefTicks must be in [0, 65535], got " + tRefTicks);
        }
        if (resetMode == null) {
            throw new IllegalArgumentException("resetMode must be SUBTRACT or ZERO, got null");
        }
        concluded = true;
        return this;
    }

    public int kSyn() {
        return kSyn;
    }

    public int kMem() {
        return kMem;
    }

    public int thetaV() {
        return thetaV;
    }

    public int vRest() {
        return vRest;
    }

    public int vReset() {
        return vReset;
    }

    public int tRefTicks() {
        return tRefTicks;
    }

    public ResetMode resetMode() {
        return resetMode;
    }

    /** A copy with the same values, not yet concluded. */
    public LifParams copy() {
        return new LifParams().kSyn(kSyn).kMem(kMem).thetaV(thetaV).vRest(vRest).vReset(vReset)
            .tRefTicks(tRefTicks).resetMode(resetMode);
    }

    @Override
    public String toString() {
        return "LifParams{kSyn=" + kSyn + ", kMem=" + kMem + ", thetaV=" + thetaV + ", vRest=" + vRest
            + ", vReset=" + vReset + ", tRefTicks=" + tRefTicks + ", resetMode=" + resetMode + '}';
    }
}
