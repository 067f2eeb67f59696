package io.reflex.decoders.snn;

/**
 * Pair-based STDP with exponential traces (decoders/SNN.md §2), switchable per synapse group
 * (recurrent synapses, input synapses). Java golden model only: the version-1 hardware kernel has no plasticity.
 *
 * <p>Traces are Q16 ({@link #TRACE_ONE} = 1.0 per spike): {@code x ← x − (x >> k) + s·2^16}. The rule's
 * {@code + s} is read as "one spike adds 1.0"; a trace of unit 1 would never decay under a flooring shift
 * ({@code 1 >> k = 0}), so the trace carries 16 fractional bits and a weight step is
 * {@code rshift_round(A · x, 16)} (decoders/FIXED_POINT.md §1), i.e. {@code A} weight units per unit of trace.
 * After every step the weight saturates to {@code [wMin, wMax]}. The order of events inside a tick is documented on
 * {@link LifPopulation}.
 */
public final class StdpParams {
    /** Trace increment of one spike (1.0 in Q16). */
    public static final int TRACE_ONE = 1 << 16;
    /** Fractional bits of a trace. */
    public static final int TRACE_FRAC = 16;

    private int kPlus = 4;
    private int kMinus = 4;
    private int aPlus = 64;
    private int aMinus = 64;
    private int wMin = Short.MIN_VALUE;
    private int wMax = Short.MAX_VALUE;
    private boolean recurrentPlastic = true;
    private boolean inputPlastic = false;
    private boolean concluded;

    /** Pre-synaptic trace decay shift {@code k+} in [1, 14] (time constant about 2^k ticks). */
    public StdpParams kPlus(int value) {
        kPlus = value;
        return this;
    }

    /** Post-synaptic trace decay shift {@code k−} in [1, 14]. */
    public StdpParams kMinus(int value) {
        kMinus = value;
        return this;
    }

    /** Potentiation amplitude {@code A+} in [0, 32767] weight units per unit of pre trace. */
    public StdpParams aPlus(int value) {
        aPlus = value;
        return this;
    }

    /** Depression amplitude {@code A−} in [0, 32767] weight units per unit of post trace. */
    public StdpParams aMinus(int value) {
        aMinus = value;
        return this;
    }

    /** Lowest weight after an update, in [−32768, wMax]. */
    public StdpParams wMin(int value) {
        wMin = value;
        return this;
    }

    /** Highest weight after an update, in [wMin, 32767]. */
    public StdpParams wMax(int value) {
        wMax = value;
        return this;
    }

    /** Whether recurrent synapses (neuron → neuron) learn. */
    public StdpParams recurrentPlastic(boolean value) {
        recurrentPlastic = value;
        return this;
    }

    /** Whether input synapses (input channel → neuron) learn. */
    public StdpParams inputPlastic(boolean value) {
        inputPlastic = value;
        return this;
    }

    /** Validates every field; idempotent. */
    public StdpParams conclude() {
        if (concluded) {
            return this;
        }
        if (kPlus < 1 || kPlus > 14) {
            throw new IllegalArgumentException("kPlus must be in [1, 14], got " + kPlus);
        }
        if (kMinus < 1 || kMinus > 14) {
            throw new IllegalArgumentException("kMinus must be in [1, 14], got " + kMinus);
        }
        if (aPlus < 0 || aPlus > Short.MAX_VALUE) {
            throw new IllegalArgumentException("aPlus must be in [0, 32767], got " + aPlus);
        }
        if (aMinus < 0 || aMinus > Short.MAX_VALUE) {
            throw new IllegalArgumentException("aMinus must be in [0, 32767], got " + aMinus);
        }
        if (wMin < Short.MIN_VALUE || wMin > Short.MAX_VALUE) {
            throw new IllegalArgumentException("wMin must be in [-32768, 32767], got " + wMin);
        }
        if (wMax < wMin || wMax > Short.MAX_VALUE) {
            throw new IllegalArgumentException("wMax must be in [wMin = " + wMin + ", 32767], got " + wMax);
        }
        concluded = true;
        return this;
    }

    public int kPlus() {
        return kPlus;
    }

    public int kMinus() {
        return kMinus;
    }

    public int aPlus() {
        return aPlus;
    }

    public int aMinus() {
        return aMinus;
    }

    public int wMin() {
        return wMin;
    }

    public int wMax() {
        return wMax;
    }

    public boolean recurrentPlastic() {
        return recurrentPlastic;
    }

    public boolean inputPlastic() {
        return inputPlastic;
    }
}
