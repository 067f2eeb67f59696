package io.reflex.runtime.session;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.Decoder;
import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.pipeline.FrameHandler;

/**
 * The live decoder's outputs against its twin on the reference engine of the same arithmetic ({@code cpu-fixed}, the
 * golden model the hardware must match bit for bit; {@code cpu} for float32 chains), as an observer off the critical
 * path. The twin sees exactly the bins the live chain stepped (a bin skipped at the deadline or refused as invalid
 * input did not advance the live state, so it does not advance the twin), and is reset at the same trial starts. A
 * frame is compared when the live decode returned OK, against what the decoder returned ({@link Frame#decoded}), also
 * when the frame then missed its deadline and left with the safe output; any differing bit counts as a mismatch.
 */
final class GoldenCheck implements FrameHandler {
    private volatile Decoder twin;
    private volatile String engine = "";
    private float[] out;
    private long compared;
    private long mismatches;
    private long firstMismatchSequence = -1;

    /** Arms the check with the twin, before the live decoder is installed; callable from any thread once. */
    void arm(Decoder twinDecoder, String engineName) {
        this.out = new float[twinDecoder.outputCount()];
        this.engine = engineName;
        this.twin = twinDecoder;
    }

    @Override
    public void onFrame(Frame f) {
        Decoder t = twin;
        if (t == null || f.decoderGeneration == 0) {
            return;
        }
        if (f.hasFlag(Frame.FLAG_TRIAL_START)) {
            t.reset();
        }
        if (f.decodeStatus == Frame.DECODE_SKIPPED || f.hasFlag(Frame.FLAG_INVALID_INPUT)) {
            return;
        }
        t.decode(f.features, out);
        if (f.decodeStatus != DecodeStatus.OK) {
            return;
        }
        // the decoder's own output (Frame.decoded), also for a frame that missed its deadline after the decode and
        // left with the safe output: what is checked is the engine's arithmetic
        compared++;
        for (int i = 0; i < out.length; i++) {
            if (Float.floatToRawIntBits(out[i]) != Float.floatToRawIntBits(f.decoded[i])) {
                if (mismatches++ == 0) {
                    firstMismatchSequence = f.sequence;
                }
                return;
            }
        }
    }

    /** The reference engine's name, or "" when the check was not armed. */
    String engine() {
        return engine;
    }

    boolean armed() {
        return twin != null;
    }

    long compared() {
        return compared;
    }

    long mismatches() {
        return mismatches;
    }

    long firstMismatchSequence() {
        return firstMismatchSequence;
    }
}
