package io.reflex.runtime.journal;

import java.util.Arrays;

/**
 * One frame read back from a journal. A {@link JournalReader} refills the same record for every frame and only
 * grows its arrays when a frame is larger than any before. Fields mirror {@link io.reflex.runtime.pipeline.Frame}
 * (see {@link JournalFormat}); array fields may be longer than their counts ({@code sampleCount}, {@code channels},
 * {@code referenceCount}, {@code outputCount}) say.
 */
public final class JournalRecord {
    public long sequence;
    public long sourceSequence;
    public double acquisitionTimeS;
    public long deadlineNs;
    public int flags;
    public int decodeStatus;
    public int decoderGeneration;
    public long[] stampNs = new long[0];
    public int sampleCount;
    public int channels;
    public int referenceCount;
    public int outputCount;
    /** Features of the frame: {@code channels}, or channels × outputs for a broadband front end with both outputs. */
    public int featureCount;
    public double[] sampleTimestampsS = new double[0];
    public float[] samples = new float[0];
    public float[] reference = new float[0];
    public float[] features = new float[0];
    public float[] targets = new float[0];
    public float[] output = new float[0];
    public float[] safeOutput = new float[0];
    /** Set by {@link JournalReader#nextRecord}: the number of paired targets of a paired-targets record. */
    public int pairedCount;
    /** Set by {@link JournalReader#nextRecord}: the targets a kinematics stream paired with frame {@link #sequence}. */
    public float[] pairedTargets = new float[0];
    /** Set by {@link JournalReader#nextRecord} for a marker record: its timestamp on the local LSL clock, s. */
    public double markerTimeS;
    /** For a marker record: the sequence of the last frame journaled before it (-1: none). */
    public long markerAfterSequence;
    /** For a marker record: its text (the first {@link JournalFormat#MAX_MARKER_CHARS} chars). */
    public String markerText = "";
    /** For a marker record: the text's length in chars before it was cut. */
    public int markerLength;

    /** Valid samples as a new array (sample-major). */
    public float[] samplesCopy() {
        return Arrays.copyOf(samples, sampleCount * channels);
    }

    /** Output values as a new array. */
    public float[] outputCopy() {
        return Arrays.copyOf(output, outputCount);
    }

    /** Features as a new array. */
    public float[] featuresCopy() {
        return Arrays.copyOf(features, featureCount);
    }
}
