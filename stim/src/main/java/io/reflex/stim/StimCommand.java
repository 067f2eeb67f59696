package io.reflex.stim;

import java.util.Arrays;

/**
 * One biphasic, charge-balanced pulse train on one or more electrodes. Preallocated, mutable and reused: the hot
 * path fills an instance in place and never allocates.
 *
 * <p>All quantities are integers in small units so that safety checks are exact: amplitudes in nanoamperes,
 * durations in nanoseconds, frequency in millihertz, times in nanoseconds on the host's monotonic clock. The
 * charge of one phase is {@code amplitudeNa * widthNs} in attocoulombs (1 aC = 1 nA x 1 ns = 1e-18 C).
 *
 * <p>Every listed channel receives the same waveform at the same time. Phase 1 comes first; {@link #polarity}
 * says whether phase 1 is cathodic or anodic. Both amplitudes are magnitudes (positive numbers).
 *
 * <p>Not thread-safe: an instance is owned by one thread at a time.
 */
public final class StimCommand {
    /** Phase 1 is cathodic (negative), phase 2 anodic: the usual choice for neural stimulation. */
    public static final int CATHODIC_FIRST = 0;
    /** Phase 1 is anodic (positive), phase 2 cathodic. */
    public static final int ANODIC_FIRST = 1;

    /** Largest channel list one command may carry (the wire format and the journal are sized for it). */
    public static final int MAX_CHANNELS = 64;

    /**
     * {@link #inputTimeNs()} of a command whose input's age is unknown; the {@link StimController} refuses such a
     * command ({@link StimVerdict#STALE_INPUT}), since it cannot show that it was decided on fresh data.
     */
    public static final long NO_INPUT_TIME = Long.MIN_VALUE;

    private final int[] channels = new int[MAX_CHANNELS];
    private int channelCount;
    private int polarity = CATHODIC_FIRST;
    private int phase1AmplitudeNa;
    private int phase2AmplitudeNa;
    private int phase1WidthNs;
    private int phase2WidthNs;
    private int interphaseGapNs;
    private long frequencyMilliHz;
    private int pulseCount;
    private long triggerTimeNs;
    private long inputTimeNs = NO_INPUT_TIME;

    /** Clears every field to zero (no channels) and the input time to {@link #NO_INPUT_TIME}. */
    public StimCommand clear() {
        Arrays.fill(channels, 0, channelCount, 0);
        channelCount = 0;
        polarity = CATHODIC_FIRST;
        phase1AmplitudeNa = 0;
        phase2AmplitudeNa = 0;
        phase1WidthNs = 0;
        phase2WidthNs = 0;
        interphaseGapNs = 0;
        frequencyMilliHz = 0;
        pulseCount = 0;
        triggerTimeNs = 0;
        inputTimeNs = NO_INPUT_TIME;
        return this;
    }

    /** Copies every field of {@code src} into this instance without allocating. */
    public StimCommand copyFrom(StimCommand src) {
        System.arraycopy(src.channels, 0, channels, 0, src.channelCount);
        if (src.channelCount < channelCount) {
            Arrays.fill(channels, src.channelCount, channelCount, 0);
        }
        channelCount = src.channelCount;
        polarity = src.polarity;
        phase1AmplitudeNa = src.phase1AmplitudeNa;
        phase2AmplitudeNa = src.phase2AmplitudeNa;
        phase1WidthNs = src.phase1WidthNs;
        phase2WidthNs = src.phase2WidthNs;
        interphaseGapNs = src.interphaseGapNs;
        frequencyMilliHz = src.frequencyMilliHz;
        pulseCount = src.pulseCount;
        triggerTimeNs = src.triggerTimeNs;
        inputTimeNs = src.inputTimeNs;
        return this;
    }

    /**
     * Appends a channel (electrode index). Returns false, changing nothing, when {@link #MAX_CHANNELS} are set;
     * the envelope rejects duplicates and out-of-range indices.
     */
    public boolean addChannel(int electrode) {
        if (channelCount == MAX_CHANNELS) {
            return false;
        }
        channels[channelCount++] = electrode;
        return true;
    }

    /** Removes all channels. */
    public StimCommand clearChannels() {
        Arrays.fill(channels, 0, channelCount, 0);
        channelCount = 0;
        return this;
    }

    public int channelCount() {
        return channelCount;
    }

    /** The electrode index at position {@code i} (0 &le; i &lt; {@link #channelCount()}). */
    public int channel(int i) {
        if (i < 0 || i >= channelCount) {
            throw new IndexOutOfBoundsException("channel index " + i + " not in [0, " + channelCount + ")");
        }
        return channels[i];
    }

    /** {@link #CATHODIC_FIRST} or {@link #ANODIC_FIRST}; anything else is rejected by the envelope. */
    public int polarity() {
        return polarity;
    }

    public StimCommand polarity(int polarity) {
        this.polarity = polarity;
        return this;
    }

    public int phase1AmplitudeNa() {
        return phase1AmplitudeNa;
    }

    public StimCommand phase1AmplitudeNa(int v) {
        this.phase1AmplitudeNa = v;
        return this;
    }

    public int phase2AmplitudeNa() {
        return phase2AmplitudeNa;
    }

    public StimCommand phase2AmplitudeNa(int v) {
        this.phase2AmplitudeNa = v;
        return this;
    }

    public int phase1WidthNs() {
        return phase1WidthNs;
    }

    public StimCommand phase1WidthNs(int v) {
        this.phase1WidthNs = v;
        return this;
    }

    public int phase2WidthNs() {
        return phase2WidthNs;
    }

    public StimCommand phase2WidthNs(int v) {
        this.phase2WidthNs = v;
        return this;
    }

    public int interphaseGapNs() {
        return interphaseGapNs;
    }

    public StimCommand interphaseGapNs(int v) {
        this.interphaseGapNs = v;
        return this;
    }

    /** Pulse repetition frequency in millihertz; ignored (may be 0) when {@link #pulseCount()} is 1. */
    public long frequencyMilliHz() {
        return frequencyMilliHz;
    }

    public StimCommand frequencyMilliHz(long v) {
        this.frequencyMilliHz = v;
        return this;
    }

    public int pulseCount() {
        return pulseCount;
    }

    public StimCommand pulseCount(int v) {
        this.pulseCount = v;
        return this;
    }

    /** Start of the first pulse, in nanoseconds on the host's monotonic clock ({@code System.nanoTime}). */
    public long triggerTimeNs() {
        return triggerTimeNs;
    }

    public StimCommand triggerTimeNs(long v) {
        this.triggerTimeNs = v;
        return this;
    }

    /**
     * Acquisition time of the newest input sample the command was decided on, in nanoseconds on the same clock as
     * {@link #triggerTimeNs()}; {@link #NO_INPUT_TIME} when unknown. It travels with the command inside the process
     * (journal included) but is not part of the wire format: the controller checks the input's age right before
     * the command is written to the stimulator.
     */
    public long inputTimeNs() {
        return inputTimeNs;
    }

    public StimCommand inputTimeNs(long v) {
        this.inputTimeNs = v;
        return this;
    }

    /** Sets a symmetric waveform: both phases with the same amplitude and width. */
    public StimCommand symmetric(int amplitudeNa, int widthNs, int gapNs) {
        phase1AmplitudeNa = amplitudeNa;
        phase2AmplitudeNa = amplitudeNa;
        phase1WidthNs = widthNs;
        phase2WidthNs = widthNs;
        interphaseGapNs = gapNs;
        return this;
    }

    /** Charge of phase 1 in attocoulombs (nA x ns); exact for in-range fields. */
    public long phase1ChargeAc() {
        return (long) phase1AmplitudeNa * phase1WidthNs;
    }

    /** Charge of phase 2 in attocoulombs (nA x ns); exact for in-range fields. */
    public long phase2ChargeAc() {
        return (long) phase2AmplitudeNa * phase2WidthNs;
    }

    /**
     * True when both commands carry the same waveform fields (channel order included; the input time, which is not
     * part of the waveform, is not compared). Allocation-free.
     */
    public boolean sameAs(StimCommand o) {
        if (channelCount != o.channelCount || polarity != o.polarity
                || phase1AmplitudeNa != o.phase1AmplitudeNa || phase2AmplitudeNa != o.phase2AmplitudeNa
                || phase1WidthNs != o.phase1WidthNs || phase2WidthNs != o.phase2WidthNs
                || interphaseGapNs != o.interphaseGapNs || frequencyMilliHz != o.frequencyMilliHz
                || pulseCount != o.pulseCount || triggerTimeNs != o.triggerTimeNs) {
            return false;
        }
        for (int i = 0; i < channelCount; i++) {
            if (channels[i] != o.channels[i]) {
                return false;
            }
        }
        return true;
    }

    /** For logs and test failures only (allocates). */
    @Override
    public String toString() {
        return "StimCommand{channels=" + Arrays.toString(Arrays.copyOf(channels, channelCount))
                + ", polarity=" + (polarity == CATHODIC_FIRST ? "cathodic-first" : polarity == ANODIC_FIRST
                ? "anodic-first" : String.valueOf(polarity))
                + ", phase1=" + phase1AmplitudeNa + "nA/" + phase1WidthNs + "ns"
                + ", gap=" + interphaseGapNs + "ns"
                + ", phase2=" + phase2AmplitudeNa + "nA/" + phase2WidthNs + "ns"
                + ", frequency=" + frequencyMilliHz + "mHz, pulses=" + pulseCount
                + ", trigger=" + triggerTimeNs + "ns"
                + (inputTimeNs == NO_INPUT_TIME ? ", input=unknown}" : ", input=" + inputTimeNs + "ns}");
    }
}
