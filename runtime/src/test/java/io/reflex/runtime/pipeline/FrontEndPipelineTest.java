package io.reflex.runtime.pipeline;

import static io.reflex.runtime.TestClocks.clockAt;
import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.runtime.frontend.FrontEnd;
import io.reflex.runtime.pipeline.SampleSource;
import io.reflex.runtime.session.DetectionScorer;
import io.reflex.runtime.session.Sources;
import io.reflex.runtime.source.BroadbandGenerator;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.Agent;
import org.junit.jupiter.api.Test;

/** The broadband front end in the features stage, fed in LSL-like chunks that do not divide the bin. */
class FrontEndPipelineTest {
    private static final int CH = 16;
    private static final double FS = 30_000;
    private static final int[] CHUNKS = {7, 11, 12, 64};

    /** Delivers the generator's samples in whole chunks of 7, 11, 12 and 64 samples in turn, holding a remainder. */
    private static final class ChunkedSource implements SampleSource {
        private final BroadbandGenerator gen;
        private final long maxSamples;
        private final float[] chunk = new float[64 * CH];
        private final double[] kin = new double[4];
        private final float[] sample = new float[CH];
        private int chunkSize;
        private int chunkPos;
        private int next;
        private long produced;

        ChunkedSource(BroadbandGenerator gen, long maxSamples) {
            this.gen = gen;
            this.maxSamples = maxSamples;
        }

        @Override
        public String name() {
            return "chunked broadband";
        }

        @Override
        public int channels() {
            return CH;
        }

        @Override
        public double nominalRateHz() {
            return FS;
        }

        @Override
        public List<String> referenceNames() {
            return Sources.KINEMATICS;
        }

        @Override
        public int poll(SampleBlock block) {
            if (chunkPos == chunkSize) {
                if (produced >= maxSamples) {
                    return END_OF_STREAM;
                }
                chunkSize = CHUNKS[next++ % CHUNKS.length];
                for (int s = 0; s < chunkSize; s++) {
                    gen.nextSample(sample, kin);
                    System.arraycopy(sample, 0, chunk, s * CH, CH);
                }
                produced += chunkSize;
                chunkPos = 0;
            }
            int n = 0;
            while (chunkPos < chunkSize && block.remaining() > 0) {
                block.append(chunk, chunkPos * CH, produced * 1e-4, kin);
                chunkPos++;
                n++;
            }
            return n;
        }
    }

    private static BroadbandGenerator generator() {
        return new BroadbandGenerator(new BroadbandGenerator.Context().channels(CH).seed(11).deadChannels(2, 7, 13));
    }

    @Test
    void chunkedBroadbandBecomesTheSameFeaturesAsWholeBinsWithDeadChannelsExcludedAndSpikesFound()
            throws Exception {
        BroadbandGenerator gen = generator();
        List<float[]> features = new ArrayList<>();
        List<Integer> flags = new ArrayList<>();
        DetectionScorer scorer = new DetectionScorer(gen, 0);
        FrontEnd fe;
        long samples = 30 * 3_000; // 3 s of 1 ms bins
        FrontEnd.Context fc = new FrontEnd.Context().rmsSeconds(0.5)
                .outputs(List.of("crossings", "power"));
        try (Pipeline p = new Pipeline(new Pipeline.Context().source(new ChunkedSource(gen, samples)).channels(CH)
                .binWidthUs(1_000).clock(clockAt(0)).decoder(new TestDecoders.Sum(2 * CH))
                .frontEnd(fc).observer("copy", f -> {
                    features.add(f.features.clone());
                    flags.add(f.flags);
                }).observer("detection", scorer))) {
            assertThat(p.context().featureCount()).isEqualTo(2 * CH);
            assertThat(p.context().samplesPerFrame()).isEqualTo(30);
            Agent agent = p.startManual();
            while (!p.ingestStopped() || !p.drained()) {
                agent.doWork();
            }
            fe = p.frontEnd();
            // the last chunk may run past 3 s
            assertThat(p.counters().framesOut.get()).isBetween(3_000L, 3_003L);
            assertThat(p.counters().invalidInput.get()).isZero();
        }
        assertThat(fe.describeDead()).isEqualTo("2 (non-finite), 7 (flat), 13 (clipped)");

        // the same samples in whole bins through a front end of its own: bit-for-bit the same features
        BroadbandGenerator again = generator();
        FrontEnd direct = new FrontEnd(new FrontEnd.Context().rmsSeconds(0.5).outputs(List.of("crossings", "power"))
                .channels(CH).sampleRateHz(FS).samplesPerBin(30));
        float[] bin = new float[30 * CH];
        float[] sample = new float[CH];
        double[] kin = new double[4];
        float[] expected = new float[2 * CH];
        int calibrating = 0;
        for (int b = 0; b < 3_000; b++) {
            for (int s = 0; s < 30; s++) {
                again.nextSample(sample, kin);
                System.arraycopy(sample, 0, bin, s * CH, CH);
            }
            int status = direct.process(bin, 30, expected);
            assertThat(features.get(b)).as("bin %d", b).containsExactly(expected);
            boolean flagged = (flags.get(b) & Frame.FLAG_FRONTEND_CALIBRATING) != 0;
            assertThat(flagged).as("bin %d calibrating", b).isEqualTo(status == FrontEnd.CALIBRATING);
            calibrating += flagged ? 1 : 0;
            // channel 2 is found dead in the bin of its first NaN (sample 999, bin 33), the others at once
            for (int c : b < 33 ? new int[] {7, 13} : new int[] {2, 7, 13}) {
                assertThat(features.get(b)[c]).isZero();
                assertThat(features.get(b)[CH + c]).isZero();
            }
        }
        assertThat(calibrating).isEqualTo(550);

        DetectionScorer.Summary d = scorer.summary(fe.deadChannels());
        System.out.printf("hit rate %.4f (lowest channel %.4f), %.3f false positives/s/channel, %d true spikes%n",
                d.hitRate, d.minChannelHitRate, d.falsePositivesPerSecond, d.trueSpikes);
        assertThat(d.channels).isEqualTo(CH - 3);
        assertThat(d.liveSeconds).isBetween(2.45, 2.46);
        assertThat(d.trueSpikes).isGreaterThan(200);
        assertThat(d.hitRate).isGreaterThanOrEqualTo(0.97);
        assertThat(d.falsePositivesPerSecond).isLessThanOrEqualTo(1.0);
        assertThat(d.truthLost).isZero();
    }
}
