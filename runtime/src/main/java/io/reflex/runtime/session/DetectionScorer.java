package io.reflex.runtime.session;

import io.reflex.runtime.pipeline.Frame;
import io.reflex.runtime.pipeline.FrameHandler;
import io.reflex.runtime.source.BroadbandGenerator;

/**
 * Scores the front end's threshold crossings against the broadband generator's true spikes, as an observer off the
 * critical path. Only live frames count (a decoder installed, so after the RMS calibration and the fit).
 *
 * <p><b>Matching.</b> A true spike belongs to the bin that holds its trough sample. Per channel and bin, the
 * crossings and the true spikes are matched by count, with one bin of slack either way: crossings or true spikes
 * left unmatched in a bin may still match the other kind in the next bin (a crossing comes a few samples before
 * its trough, and the filter delays the trough, so a spike at a bin edge can land on either side). A true spike
 * still unmatched after that is a miss, a crossing a false positive. Hit rate = matched / true spikes; false
 * positives per second per channel = unmatched crossings / (live seconds × scored channels).
 *
 * <p>Dead channels are left out of every figure (their units still fire in the truth): the scorer is told which
 * they are when the run has ended ({@link #summary}). Allocation-free per frame.
 */
public final class DetectionScorer implements FrameHandler {
    private final BroadbandGenerator.Truth truth;
    private final int channels;
    private final int crossingsOffset;
    private final double sampleRateHz;
    private final int[] trueInBin;
    private final long[] trueSpikes;
    private final long[] hits;
    private final long[] falsePositives;
    private final int[] carryTrue;
    private final int[] carryCrossings;
    private volatile long liveSamples;
    private volatile long frames;

    /**
     * @param crossingsOffset index of channel 0's crossing count in the frame's features (0 when crossings are the
     *                        first output)
     */
    public DetectionScorer(BroadbandGenerator generator, int crossingsOffset) {
        this.truth = generator.truth();
        this.channels = generator.context().channels();
        this.sampleRateHz = generator.context().sampleRateHz();
        this.crossingsOffset = crossingsOffset;
        this.trueInBin = new int[channels];
        this.trueSpikes = new long[channels];
        this.hits = new long[channels];
        this.falsePositives = new long[channels];
        this.carryTrue = new int[channels];
        this.carryCrossings = new int[channels];
    }

    @Override
    public void onFrame(Frame frame) {
        long start = frame.sourceSequence;
        long end = start + frame.input.size();
        for (long e = truth.pollBefore(end); e >= 0; e = truth.pollBefore(end)) {
            if (BroadbandGenerator.Truth.sample(e) >= start) {
                trueInBin[BroadbandGenerator.Truth.channel(e)]++;
            }
        }
        boolean live = frame.decoderGeneration != 0 && !frame.hasFlag(Frame.FLAG_FRONTEND_CALIBRATING);
        if (live) {
            for (int c = 0; c < channels; c++) {
                int t = trueInBin[c];
                int x = (int) frame.features[crossingsOffset + c];
                trueSpikes[c] += t;
                // last bin's leftovers first: they have no later bin to match
                int m = Math.min(carryTrue[c], x);
                hits[c] += m;
                x -= m;
                m = Math.min(carryCrossings[c], t);
                hits[c] += m;
                t -= m;
                falsePositives[c] += carryCrossings[c] - m;
                m = Math.min(t, x);
                hits[c] += m;
                carryTrue[c] = t - m;
                carryCrossings[c] = x - m;
                // a true spike carried once and still unmatched is a miss: it is never counted as a hit
            }
            liveSamples += end - start;
        }
        java.util.Arrays.fill(trueInBin, 0);
        frames++;
    }

    /** The figures over the live frames, leaving out {@code deadChannels}; call once the pipeline has drained. */
    public Summary summary(int[] deadChannels) {
        boolean[] dead = new boolean[channels];
        for (int c : deadChannels) {
            dead[c] = true;
        }
        Summary s = new Summary();
        double minHit = Double.NaN;
        for (int c = 0; c < channels; c++) {
            if (dead[c]) {
                continue;
            }
            s.channels++;
            s.trueSpikes += trueSpikes[c];
            s.hits += hits[c];
            s.falsePositives += falsePositives[c] + carryCrossings[c];
            if (trueSpikes[c] > 0) {
                double h = (double) hits[c] / trueSpikes[c];
                minHit = Double.isNaN(minHit) ? h : Math.min(minHit, h);
            }
        }
        s.liveSeconds = liveSamples / sampleRateHz;
        s.hitRate = s.trueSpikes == 0 ? Double.NaN : (double) s.hits / s.trueSpikes;
        s.minChannelHitRate = minHit;
        s.falsePositivesPerSecond = s.liveSeconds > 0 && s.channels > 0
                ? s.falsePositives / (s.liveSeconds * s.channels) : Double.NaN;
        s.truthLost = truth.lost();
        return s;
    }

    /** Frames seen (live or not). */
    public long frames() {
        return frames;
    }

    /** Detection quality over the live frames. */
    public static final class Summary {
        /** Channels scored (all but the dead). */
        public int channels;
        public double liveSeconds;
        public long trueSpikes;
        public long hits;
        public long falsePositives;
        /** hits / true spikes over the scored channels. */
        public double hitRate;
        /** The lowest per-channel hit rate. */
        public double minChannelHitRate;
        /** Unmatched crossings per second per scored channel. */
        public double falsePositivesPerSecond;
        /** True spikes lost because the scorer fell a whole truth ring behind (0 in a sound run). */
        public long truthLost;
    }
}
