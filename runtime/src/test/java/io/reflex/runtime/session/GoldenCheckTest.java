package io.reflex.runtime.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.Decoder;
import io.reflex.runtime.pipeline.Frame;
import org.junit.jupiter.api.Test;

/**
 * The live golden check compares what the decoder returned, not what left the process: a frame that missed its
 * deadline after the decode (safe output sent) is still compared, a skipped or invalid one is not, and one
 * differing bit is a mismatch.
 */
class GoldenCheckTest {

    /** A twin whose output is the sum of the features so far (a stream state, like LFADS's). */
    private static final class SumTwin implements Decoder {
        float sum;

        @Override
        public String name() {
            return "sum";
        }

        @Override
        public int inputCount() {
            return 2;
        }

        @Override
        public int outputCount() {
            return 1;
        }

        @Override
        public int decode(float[] features, float[] out) {
            sum += features[0] + features[1];
            out[0] = sum;
            return DecodeStatus.OK;
        }

        @Override
        public void safeOutput(float[] out) {
            out[0] = 0f;
        }

        @Override
        public void reset() {
            sum = 0f;
        }
    }

    private static Frame frame(float a, float b, float decoded, int status, int flags) {
        Frame f = new Frame(2, 1, 0, 1);
        f.decoderGeneration = 1;
        f.features[0] = a;
        f.features[1] = b;
        f.decodeStatus = status;
        f.flags = flags;
        f.decoded[0] = decoded;
        f.output[0] = (flags & Frame.FLAG_SAFE_OUTPUT) != 0 ? 0f : decoded;
        return f;
    }

    @Test
    void aFrameLateAfterItsDecodeIsComparedOnWhatTheDecoderReturned() {
        GoldenCheck g = new GoldenCheck();
        g.arm(new SumTwin(), "cpu-fixed");
        g.onFrame(frame(1, 2, 3, DecodeStatus.OK, 0));
        // late: the command that left was the safe output (0), the decoder had returned 3 + 4 = 7
        g.onFrame(frame(1, 3, 7, DecodeStatus.OK, Frame.FLAG_DEADLINE_MISS | Frame.FLAG_SAFE_OUTPUT));
        assertThat(g.compared()).isEqualTo(2);
        assertThat(g.mismatches()).isZero();
        // skipped at the deadline before the decode: the live state did not advance, neither does the twin
        g.onFrame(frame(5, 5, 0, Frame.DECODE_SKIPPED, Frame.FLAG_DEADLINE_MISS | Frame.FLAG_SAFE_OUTPUT));
        g.onFrame(frame(0, 1, 8, DecodeStatus.OK, 0));
        assertThat(g.compared()).isEqualTo(3);
        assertThat(g.mismatches()).isZero();
        // one bit off
        g.onFrame(frame(0, 1, Math.nextUp(9f), DecodeStatus.OK, Frame.FLAG_DEADLINE_MISS | Frame.FLAG_SAFE_OUTPUT));
        assertThat(g.mismatches()).isEqualTo(1);
        assertThat(g.compared()).isEqualTo(4);
    }
}
