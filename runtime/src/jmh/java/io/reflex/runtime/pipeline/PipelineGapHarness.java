package io.reflex.runtime.pipeline;

import io.reflex.decoders.CalibrationSet;
import io.reflex.decoders.Decoder;
import io.reflex.decoders.TrainableDecoder;
import io.reflex.decoders.catalog.Decoders;
import io.reflex.decoders.synth.CenterOutSource;
import io.reflex.runtime.pipeline.SampleSource;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import org.agrona.concurrent.Agent;

/**
 * One frame at a time with the thread spinning in between, as in the rig ({@code ./reflex rig}, 1 kHz, 20-sample
 * bins): the pipeline's per-frame cost when its code and data have gone cold, next to a plain loop doing the same
 * work (append the samples to one reused block, sum each channel over the bin, Kalman decode). JMH's
 * {@code PipelineBenchmark} runs frames back to back, so everything stays in cache there; this harness does not.
 *
 * <pre>
 * java $REFLEX_JVM_FLAGS -cp ... io.reflex.runtime.pipeline.PipelineGapHarness [gapUs=20000] [frames=400]
 *      [warmFrames=20000] [rounds=2]
 * </pre>
 * One sample is released every {@code gapUs / 20} µs; the latency of a bin runs from the release of its last
 * sample to the sink (Reflex: manual agent, the fused stages on the calling thread, spinning with
 * {@link Thread#onSpinWait()} when idle; plain loop: the same source and spin). Each target is first warmed with
 * {@code warmFrames} back-to-back bins; the targets then alternate, {@code rounds} times.
 */
public final class PipelineGapHarness {
    private static final int CHANNELS = 96;
    private static final int SAMPLES_PER_BIN = 20;

    private PipelineGapHarness() {
    }

    /** Releases one sample per step (every poll once the time has come), and notes when. */
    private static final class GapSource implements SampleSource {
        private final float[] data;
        private final long stepNs;
        private long nextSendNs;
        private long count;
        long lastSendNs;

        GapSource(float[] data, long stepNs) {
            this.data = data;
            this.stepNs = stepNs;
        }

        @Override
        public String name() {
            return "gap";
        }

        @Override
        public int channels() {
            return CHANNELS;
        }

        @Override
        public double nominalRateHz() {
            return 1000;
        }

        @Override
        public int poll(SampleBlock block) {
            long now = System.nanoTime();
            if (now < nextSendNs || block.remaining() == 0) {
                return 0;
            }
            block.append(data, (int) (count % (data.length / CHANNELS)) * CHANNELS, now * 1e-9, null);
            count++;
            lastSendNs = now;
            nextSendNs = (nextSendNs == 0 ? now : nextSendNs) + stepNs;
            return 1;
        }
    }

    /** Per-bin latencies, and for Reflex the stage split: wait for ingest, features, decode, emit. */
    private static final class Results {
        final long[][] ns;
        int n;

        Results(int frames) {
            ns = new long[5][frames];
        }
    }

    public static void main(String[] args) {
        long gapUs = 20_000;
        int frames = 400;
        int warmFrames = 20_000;
        int rounds = 2;
        for (String a : args) {
            String[] kv = a.split("=", 2);
            switch (kv[0]) {
                case "gapUs" -> gapUs = Long.parseLong(kv[1]);
                case "frames" -> frames = Integer.parseInt(kv[1]);
                case "warmFrames" -> warmFrames = Integer.parseInt(kv[1]);
                case "rounds" -> rounds = Integer.parseInt(kv[1]);
                default -> throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        float[] data = new float[1000 * CHANNELS];
        Random r = new Random(1);
        for (int i = 0; i < data.length; i++) {
            data[i] = r.nextInt(3);
        }
        Decoder reflexDecoder = kalman();
        Decoder plainDecoder = kalman();
        runReflex(reflexDecoder, data, 0, new Results(warmFrames));
        runPlain(plainDecoder, data, 0, new Results(warmFrames));
        long stepNs = gapUs * 1000 / SAMPLES_PER_BIN;
        for (int round = 1; round <= rounds; round++) {
            Results reflex = new Results(frames);
            Results plain = new Results(frames);
            runReflex(reflexDecoder, data, stepNs, reflex);
            runPlain(plainDecoder, data, stepNs, plain);
            System.out.printf(Locale.ROOT, "round %d, gap %d µs, %d frames each: reflex p50 %.2f µs p90 %.2f"
                            + " (wait_ingest %.2f, features %.2f, decode %.2f, emit %.2f); plain loop p50 %.2f µs"
                            + " p90 %.2f; p50 ratio %.2f%n", round, gapUs, frames, us(reflex.ns[0], 50),
                    us(reflex.ns[0], 90), us(reflex.ns[1], 50), us(reflex.ns[2], 50), us(reflex.ns[3], 50),
                    us(reflex.ns[4], 50), us(plain.ns[0], 50), us(plain.ns[0], 90),
                    us(reflex.ns[0], 50) / us(plain.ns[0], 50));
        }
    }

    private static void runReflex(Decoder decoder, float[] data, long stepNs, Results out) {
        GapSource src = new GapSource(data, stepNs);
        OutputSink sink = new OutputSink() {
            @Override
            public String name() {
                return "harness";
            }

            @Override
            public void emit(Frame frame) {
                long now = System.nanoTime();
                long[] s = frame.stampNs;
                int i = out.n++;
                out.ns[0][i] = now - src.lastSendNs;
                out.ns[1][i] = s[Stage.INGEST.ordinal()] - src.lastSendNs;
                out.ns[2][i] = s[Stage.FEATURES.ordinal()] - s[Stage.INGEST.ordinal()];
                out.ns[3][i] = s[Stage.DECODE.ordinal()] - s[Stage.FEATURES.ordinal()];
                out.ns[4][i] = now - s[Stage.DECODE.ordinal()];
            }
        };
        decoder.reset();
        Pipeline p = new Pipeline(new Pipeline.Context().source(src).channels(CHANNELS).binWidthUs(20_000)
                .ringSize(1024).deadlineUs(1_000_000).decoder(decoder).sink(sink));
        try (p) {
            Agent agent = p.startManual();
            while (out.n < out.ns[0].length) {
                if (agent.doWork() == 0) {
                    Thread.onSpinWait();
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void runPlain(Decoder decoder, float[] data, long stepNs, Results out) {
        decoder.reset();
        GapSource src = new GapSource(data, stepNs);
        SampleBlock block = new SampleBlock(CHANNELS, SAMPLES_PER_BIN, 0);
        float[] features = new float[CHANNELS];
        float[] output = new float[decoder.outputCount()];
        while (out.n < out.ns[0].length) {
            int n = src.poll(block);
            if (block.isFull()) {
                if (!block.sumChannelsInto(features)) {
                    throw new IllegalStateException("non-finite bin");
                }
                decoder.decode(features, output);
                out.ns[0][out.n++] = System.nanoTime() - src.lastSendNs;
                block.clear();
            } else if (n == 0) {
                Thread.onSpinWait();
            }
        }
    }

    private static double us(long[] ns, double percentile) {
        long[] sorted = ns.clone();
        Arrays.sort(sorted);
        int i = (int) Math.min(sorted.length - 1, Math.floor(percentile / 100 * sorted.length));
        return sorted[i] / 1e3;
    }

    private static Decoder kalman() {
        CenterOutSource gen = new CenterOutSource(new CenterOutSource.Context().channels(CHANNELS).seed(3));
        CalibrationSet set = new CalibrationSet(1000, CHANNELS, 2);
        gen.fillVelocityCalibration(set, SAMPLES_PER_BIN);
        TrainableDecoder d = Decoders.create("kalman", CHANNELS, null);
        d.fit(set);
        return d;
    }
}
