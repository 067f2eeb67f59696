package io.reflex.runtime.pipeline;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.Decoder;
import org.agrona.concurrent.CachedNanoClock;

/** Small decoders whose outputs tests can predict. */
final class TestDecoders {
    private TestDecoders() {
    }

    /** out[0] = sum of features, out[1] = feature 0; safe output holds the last good output. */
    static class Sum implements Decoder {
        final int inputs;
        final float[] last = new float[2];
        int decodes;

        Sum(int inputs) {
            this.inputs = inputs;
        }

        @Override
        public String name() {
            return "sum";
        }

        @Override
        public int inputCount() {
            return inputs;
        }

        @Override
        public int outputCount() {
            return 2;
        }

        @Override
        public int decode(float[] features, float[] out) {
            decodes++;
            float sum = 0;
            for (int i = 0; i < inputs; i++) {
                if (!Float.isFinite(features[i])) {
                    safeOutput(out);
                    return DecodeStatus.INVALID_INPUT;
                }
                sum += features[i];
            }
            out[0] = sum;
            out[1] = features[0];
            last[0] = out[0];
            last[1] = out[1];
            return DecodeStatus.OK;
        }

        @Override
        public void safeOutput(float[] out) {
            out[0] = last[0];
            out[1] = last[1];
        }

        @Override
        public void reset() {
            last[0] = 0;
            last[1] = 0;
        }
    }

    /** A {@link Sum} whose decode takes {@code decodeNs} of (manual) clock time. */
    static final class Slow extends Sum {
        private final CachedNanoClock clock;
        volatile long decodeNs;

        Slow(int inputs, CachedNanoClock clock, long decodeNs) {
            super(inputs);
            this.clock = clock;
            this.decodeNs = decodeNs;
        }

        @Override
        public int decode(float[] features, float[] out) {
            clock.advance(decodeNs);
            return super.decode(features, out);
        }
    }
}
