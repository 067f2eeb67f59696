package io.reflex.decoders.lfads;

import io.reflex.decoders.DecodeStatus;
import java.util.Arrays;

/**
 * Runs an LFADS model on Lorenz-driven Poisson spikes ({@link LorenzData}) in a given mode and scores the inferred
 * factors against the true Lorenz state: a linear map is fitted on the first {@code fitTrials} trials and R² is
 * measured on the next {@code testTrials} (held out). Also times every decode call.
 */
public final class LorenzEvaluation {

    /**
     * @param latentR2        mean R² of the 3 Lorenz coordinates on held-out trials
     * @param mode            how the model was run
     * @param arithmetic      float32 or fixed
     * @param trials          fit + test trials
     * @param binsPerTrial    bins per trial
     * @param calls           timed decode calls (trials in trial mode, bins otherwise)
     * @param binsPerCall     bins each timed call covers (T in trial mode, 1 otherwise)
     * @param latencyP50Ns    median latency of one call
     * @param latencyP99Ns    99th percentile
     * @param latencyMaxNs    maximum
     * @param meanRateHz      mean spike rate per neuron of the data
     * @param failedCalls     calls that returned a status other than OK
     * @param logRates        log-rates of the test trials {@code [testTrials][bins][readout]} (for comparisons)
     * @param factors         factors of all trials {@code [trials][bins][fac]}
     */
    public record Result(double latentR2, LfadsMode mode, LfadsArithmetic arithmetic, int trials, int binsPerTrial,
                         int calls, int binsPerCall, long latencyP50Ns, long latencyP99Ns, long latencyMaxNs,
                         double meanRateHz, int failedCalls, float[] logRates, float[] factors) {
    }

    private LorenzEvaluation() {
    }

    /**
     * @param kernel     a loaded kernel (its dims define neurons = encod_data_dim and bins = encod_seq_len)
     * @param mode       TRIAL, SLIDING or CAUSAL (CAUSAL needs a causal bundle)
     * @param dataSeed   Lorenz data set seed
     * @param fitTrials  trials that fit the linear map (≥ 2)
     * @param testTrials held-out trials that are scored (≥ 1)
     */
    public static Result run(LfadsKernel kernel, LfadsArithmetic arithmetic, LfadsMode mode, long dataSeed,
                             int fitTrials, int testTrials) {
        if (fitTrials < 2 || testTrials < 1) {
            throw new IllegalArgumentException("fitTrials must be >= 2 and testTrials >= 1, found " + fitTrials + ", "
                    + testTrials);
        }
        LfadsDims d = kernel.dims();
        int T = d.encSeqLen();
        int D = d.dataDim();
        int F = d.facDim();
        int N = d.readoutDim();
        int trials = fitTrials + testTrials;
        LorenzData data = new LorenzData(D, T);
        float[] counts = new float[T * D];
        double[] latents = new double[T * 3];
        double[] allLat = new double[trials * T * 3];
        float[] allFac = new float[trials * T * F];
        float[] testLr = new float[testTrials * T * N];
        float[] trialFac = new float[d.reconSeqLen() * F];
        float[] trialLr = new float[d.reconSeqLen() * N];
        float[] stepFac = new float[F];
        float[] stepLr = new float[N];
        LfadsStream stream = mode == LfadsMode.TRIAL ? null : new LfadsStream(kernel, mode);
        int calls = mode == LfadsMode.TRIAL ? trials : trials * T;
        long[] lat = new long[calls];
        int call = 0;
        int failed = 0;
        double spikes = 0;
        for (int i = 0; i < trials; i++) {
            data.trial(dataSeed, i, counts, latents, null);
            System.arraycopy(latents, 0, allLat, i * T * 3, T * 3);
            for (float c : counts) {
                spikes += c;
            }
            if (mode == LfadsMode.TRIAL) {
                long t0 = System.nanoTime();
                int s = kernel.trial(counts, T, trialFac, trialLr);
                lat[call++] = System.nanoTime() - t0;
                failed += s == DecodeStatus.OK ? 0 : 1;
                System.arraycopy(trialFac, 0, allFac, i * T * F, T * F);
                if (i >= fitTrials) {
                    System.arraycopy(trialLr, 0, testLr, (i - fitTrials) * T * N, T * N);
                }
            } else {
                stream.reset();
                for (int t = 0; t < T; t++) {
                    long t0 = System.nanoTime();
                    int s = stream.push(counts, t * D, stepFac, stepLr);
                    lat[call++] = System.nanoTime() - t0;
                    failed += s == DecodeStatus.OK ? 0 : 1;
                    System.arraycopy(stepFac, 0, allFac, (i * T + t) * F, F);
                    if (i >= fitTrials) {
                        System.arraycopy(stepLr, 0, testLr, ((i - fitTrials) * T + t) * N, N);
                    }
                }
            }
        }
        double[] x = new double[allFac.length];
        for (int k = 0; k < x.length; k++) {
            x[k] = allFac[k];
        }
        int splitX = fitTrials * T * F;
        int splitY = fitTrials * T * 3;
        double r2 = LatentR2.score(Arrays.copyOf(x, splitX), Arrays.copyOf(allLat, splitY),
                Arrays.copyOfRange(x, splitX, x.length), Arrays.copyOfRange(allLat, splitY, allLat.length), F, 3);
        Arrays.sort(lat);
        double meanRateHz = spikes / ((double) trials * T * D) / d.binS();
        return new Result(r2, mode, arithmetic, trials, T, calls, mode == LfadsMode.TRIAL ? T : 1,
                lat[calls / 2], lat[Math.min(calls - 1, (int) Math.ceil(calls * 0.99) - 1)], lat[calls - 1], meanRateHz,
                failed, testLr, allFac);
    }
}
