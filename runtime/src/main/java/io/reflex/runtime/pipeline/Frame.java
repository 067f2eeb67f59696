package io.reflex.runtime.pipeline;

import java.util.Arrays;

/**
 * One ring slot: a bin of input samples on its way to an output command. Every array is sized when the pipeline
 * starts and never replaced; {@link #clear()} readies a slot for reuse. Fields are written by the stage that owns
 * the frame at the time (ingest, features, decode, emit in turn) and read by later stages and observers.
 */
public final class Frame {
    /** The input had NaN or infinite samples; the output is the safe output. */
    public static final int FLAG_INVALID_INPUT = 1;
    /** The deadline passed before the output could be emitted; the output is the safe output. */
    public static final int FLAG_DEADLINE_MISS = 1 << 1;
    /** The output is the decoder's safe output (for any reason, including an unfitted decoder). */
    public static final int FLAG_SAFE_OUTPUT = 1 << 2;
    /**
     * A trial starts in this bin (the source's {@code trial_start} reference was set in one of its samples): the
     * decode stage resets the decoder's stream state before decoding it.
     */
    public static final int FLAG_TRIAL_START = 1 << 3;
    /**
     * The broadband front end was still estimating its thresholds' RMS in this bin: the crossing features are 0, so a
     * calibration block leaves the bin out.
     */
    public static final int FLAG_FRONTEND_CALIBRATING = 1 << 4;

    /** Ring sequence of this frame (0, 1, 2, ... in publication order). */
    public long sequence;
    /** Index, in the source's sample stream, of the first sample of this frame. */
    public long sourceSequence;
    /** Acquisition time of the last sample of the bin, LSL clock (CLOCK_MONOTONIC) seconds. */
    public double acquisitionTimeS;
    /** The output must leave the emit stage before this nanoTime, else the safe output leaves instead. */
    public long deadlineNs;
    /** {@code FLAG_*} bits. */
    public int flags;
    /** {@link #decodeStatus} when the decoder was not called because the deadline had already passed. */
    public static final int DECODE_SKIPPED = -1;

    /** The {@link io.reflex.decoders.DecodeStatus} code of the decode, or {@link #DECODE_SKIPPED}. */
    public int decodeStatus;
    /** Counts decoder swaps: 0 before the first decoder was installed. */
    public int decoderGeneration;
    /** Index, in the decoder's engine chain, of the engine that decoded this frame; −1 when none did. */
    public int engine;
    /** Device cycles of the engine call that decoded this frame (kernel cycles in the RTL simulation), or −1. */
    public long engineCycles;
    /** nanoTime at the end of each {@link Stage}, indexed by ordinal. */
    public final long[] stampNs = new long[Stage.COUNT];

    /** The raw samples of this bin. */
    public final SampleBlock input;
    /**
     * The decoder's inputs: one feature per channel (spike counts in the bin), or with a broadband front end its
     * features (threshold crossings and/or spike-band power per channel).
     */
    public final float[] features;
    /** Mean reference over the bin (e.g. true kinematics), {@code input.referenceCount()} values. */
    public final float[] targets;
    /** The command that leaves the emit stage. */
    public final float[] output;
    /** The decoder's safe output for this frame, taken before decoding (hold or zero). */
    public final float[] safeOutput;
    /**
     * What the decoder returned for this bin when it returned OK, kept even when the command that left was replaced
     * by the safe output (a deadline missed after the decode): the live golden-model check compares the arithmetic,
     * not the timing.
     */
    public final float[] decoded;

    public Frame(int channels, int samplesPerFrame, int referenceCount, int outputCount) {
        this(channels, samplesPerFrame, referenceCount, outputCount, channels);
    }

    /** A slot whose decoder takes {@code featureCount} features (a broadband front end's channels × outputs). */
    public Frame(int channels, int samplesPerFrame, int referenceCount, int outputCount, int featureCount) {
        this.input = new SampleBlock(channels, samplesPerFrame, referenceCount);
        this.features = new float[featureCount];
        this.targets = new float[referenceCount];
        this.output = new float[outputCount];
        this.safeOutput = new float[outputCount];
        this.decoded = new float[outputCount];
    }

    /** Readies the slot for a new bin; arrays are zeroed, not replaced. */
    public void clear() {
        sequence = -1;
        sourceSequence = -1;
        acquisitionTimeS = 0;
        deadlineNs = 0;
        flags = 0;
        decodeStatus = 0;
        decoderGeneration = 0;
        engine = -1;
        engineCycles = -1;
        Arrays.fill(stampNs, 0L);
        input.clear();
        Arrays.fill(features, 0f);
        Arrays.fill(targets, 0f);
        Arrays.fill(output, 0f);
        Arrays.fill(safeOutput, 0f);
        Arrays.fill(decoded, 0f);
    }

    /** Nanoseconds from ingest to the end of {@code stage}. */
    public long sinceIngestNs(Stage stage) {
        return stampNs[stage.ordinal()] - stampNs[Stage.INGEST.ordinal()];
    }

    public boolean hasFlag(int flag) {
        return (flags & flag) != 0;
    }
}
