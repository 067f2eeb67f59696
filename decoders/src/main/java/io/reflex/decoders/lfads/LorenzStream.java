package io.reflex.decoders.lfads;

/**
 * The Lorenz-driven Poisson spikes of {@link LorenzData} as a continuous stream of samples, for a live source:
 * trials of {@code binsPerTrial} bins follow one another (trial 0, 1, 2, ... of data set {@code dataSeed}), and each
 * bin is {@code samplesPerBin} samples. A bin's Poisson counts are all delivered in its first sample (the others
 * carry zeros), so a pipeline that bins the stream in bins of {@code samplesPerBin} samples, aligned on the first
 * sample, sees exactly the counts of {@link LorenzData#trial}. The reference values of every sample are the bin's
 * normalised Lorenz state ({@code lx, ly, lz}) and {@code trial_start}, 1 in the first sample of a trial and 0
 * elsewhere. Allocates nothing per sample after construction. Not thread-safe.
 */
public final class LorenzStream {
    /** Reference names, in the order {@link #nextSample} writes them. */
    public static final java.util.List<String> REFERENCES = java.util.List.of("lx", "ly", "lz", "trial_start");
    /**
     * Offset added to a user's seed to get the data-set seed, away from the seeds tools/python/train_lfads.py trains
     * the demo models on.
     */
    public static final long DEMO_SEED_OFFSET = 1_000_000L;

    private final LorenzData data;
    private final long dataSeed;
    private final int samplesPerBin;
    private final int neurons;
    private final int bins;
    private final float[] counts;
    private final double[] latents;
    private long trial = -1;
    private int bin;
    private int sample;

    /**
     * @param neurons       channels (the model's {@code encod_data_dim})
     * @param binsPerTrial  bins per trial (the model's {@code encod_seq_len})
     * @param samplesPerBin samples per bin, at least 1
     * @param dataSeed      the data set (see {@link #DEMO_SEED_OFFSET})
     */
    public LorenzStream(int neurons, int binsPerTrial, int samplesPerBin, long dataSeed) {
        if (samplesPerBin < 1) {
            throw new IllegalArgumentException("samplesPerBin must be >= 1, found " + samplesPerBin);
        }
        this.data = new LorenzData(neurons, binsPerTrial);
        this.dataSeed = dataSeed;
        this.samplesPerBin = samplesPerBin;
        this.neurons = neurons;
        this.bins = binsPerTrial;
        this.counts = new float[binsPerTrial * neurons];
        this.latents = new double[binsPerTrial * LorenzData.LATENT_DIM];
        this.bin = binsPerTrial;
    }

    /** Channels per sample. */
    public int neurons() {
        return neurons;
    }

    /** The trial the next sample belongs to (−1 before the first sample). */
    public long trial() {
        return trial;
    }

    /**
     * The next sample.
     *
     * @param values    receives {@link #neurons()} counts
     * @param reference receives {@code lx, ly, lz, trial_start} (at least 4 values)
     */
    public void nextSample(float[] values, double[] reference) {
        if (sample == 0 && bin == bins) {
            trial++;
            data.trial(dataSeed, trial, counts, latents, null);
            bin = 0;
        }
        if (sample == 0) {
            System.arraycopy(counts, bin * neurons, values, 0, neurons);
        } else {
            java.util.Arrays.fill(values, 0, neurons, 0f);
        }
        reference[0] = latents[bin * 3];
        reference[1] = latents[bin * 3 + 1];
        reference[2] = latents[bin * 3 + 2];
        reference[3] = bin == 0 && sample == 0 ? 1.0 : 0.0;
        if (++sample == samplesPerBin) {
            sample = 0;
            bin++;
        }
    }
}
