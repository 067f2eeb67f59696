package io.reflex.gpu;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.engine.EngineException;
import java.util.Arrays;

/**
 * The batch path of the Aparapi engines' {@code trials} call: windows of an LFADS model in one
 * {@link AparapiLfadsBatch} launch per decoder step (causal) or per batch (acausal), on the engine's device choice, up to
 * {@link #MAX_PER_LAUNCH} windows a launch. The batch is opened at the first call and opened again, larger, when a
 * call brings more windows than it holds; it is closed with the engine's model. Each window's factors are bit for bit
 * (aparapi-fixed) or exactly as (aparapi) the engine's own {@code trial} of that window alone
 * (AparapiEngineTrialsTest).
 */
final class TrialBatcher implements AutoCloseable {
    /** Most windows one launch runs; a call with more runs in several launches. */
    static final int MAX_PER_LAUNCH = 4096;

    private final ModelBundle bundle;
    private final boolean fixedPoint;
    private final AparapiFixedEngine.DeviceChoice choice;
    private final int readoutDim;
    private final int limit;
    private AparapiLfadsBatch batch;
    private float[][] logRates = new float[0][];
    private String fault;

    TrialBatcher(ModelBundle bundle, boolean fixedPoint, AparapiFixedEngine.DeviceChoice choice, int readoutDim) {
        this(bundle, fixedPoint, choice, readoutDim, MAX_PER_LAUNCH);
    }

    /** With a smaller launch limit, for tests of the splitting. */
    TrialBatcher(ModelBundle bundle, boolean fixedPoint, AparapiFixedEngine.DeviceChoice choice, int readoutDim,
                 int limit) {
        this.bundle = bundle;
        this.fixedPoint = fixedPoint;
        this.choice = choice;
        this.readoutDim = readoutDim;
        this.limit = limit;
    }

    /**
     * The engines' {@code trials} call once the engine is ready: checks the windows and outputs against the model's
     * shape ({@code inputs} per bin, {@code steps} × {@code outputsPerStep} out), runs them on {@code batcher} (null:
     * no trials, an SNN) and zeroes every output on any status but OK.
     *
     * @return OK; INVALID_INPUT for a window or output that does not fit; a launch's status otherwise
     */
    static int trials(TrialBatcher batcher, float[][] windows, int bins, float[][] outs, int steps, int inputs,
                      int outputsPerStep) {
        long need = (long) steps * outputsPerStep;
        boolean bad = batcher == null || steps <= 0 || windows == null || outs == null || outs.length < windows.length;
        for (int i = 0; !bad && i < windows.length; i++) {
            bad = windows[i] == null || outs[i] == null || windows[i].length < (long) bins * inputs
                    || outs[i].length < need;
        }
        int s = bad ? DecodeStatus.INVALID_INPUT
                : windows.length == 0 ? DecodeStatus.OK : batcher.run(windows, bins, outs, steps);
        if (s != DecodeStatus.OK) {
            zero(outs);
        }
        return s;
    }

    /** Zeroes every output array there is. */
    static void zero(float[][] outs) {
        if (outs != null) {
            for (float[] o : outs) {
                if (o != null) {
                    Arrays.fill(o, 0f);
                }
            }
        }
    }

    /** Why the last call returned ENGINE_FAULT, or null. */
    String fault() {
        return fault;
    }

    /** Device and mode of the open batch, or null before the first call. */
    String device() {
        return batch == null ? null : batch.device();
    }

    /**
     * Runs {@code windows} (already checked by the engine: same length, counts valid, outputs long enough) into
     * {@code outs}.
     *
     * @return OK, or the first other status of a launch (every output zeroed)
     */
    int run(float[][] windows, int bins, float[][] outs, int steps) {
        fault = null;
        int n = windows.length;
        int per = ensure(Math.min(n, limit));
        int s = per > 0 ? DecodeStatus.OK : DecodeStatus.ENGINE_FAULT;
        if (s == DecodeStatus.OK) {
            per = Math.min(per, n);
            if (logRates.length < per || (per > 0 && logRates[0].length < steps * readoutDim)) {
                logRates = new float[Math.max(per, logRates.length)][steps * readoutDim];
            }
            for (int start = 0; start < n && s == DecodeStatus.OK; start += per) {
                int end = Math.min(n, start + per);
                s = batch.trials(Arrays.copyOfRange(windows, start, end), bins, Arrays.copyOfRange(outs, start, end),
                        Arrays.copyOf(logRates, end - start));
                if (s == DecodeStatus.ENGINE_FAULT) {
                    fault = batch.fault();
                }
            }
        }
        if (s != DecodeStatus.OK) {
            zero(outs);
        }
        return s;
    }

    /**
     * A batch holding {@code n} windows (a power of two up to the limit); where the model is too large for that many
     * in one launch (AparapiLfadsBatch's memory bound), as many as fit, down to one.
     *
     * @return the windows the open batch holds, or 0 when not even one could be opened ({@link #fault()} says why)
     */
    private int ensure(int n) {
        if (batch != null && batch.maxTrials() >= n) {
            return batch.maxTrials();
        }
        int cap = Math.max(n, Math.min(limit, Integer.highestOneBit(Math.max(1, n - 1)) << 1));
        close();
        while (true) {
            try {
                batch = AparapiLfadsBatch.open(bundle, fixedPoint, choice, cap);
                return cap;
            } catch (EngineException e) {
                if (cap == 1 || e.getMessage() == null || !e.getMessage().contains("fewer trials")) {
                    fault = "opening a batch: " + e.getMessage();
                    return 0;
                }
                cap = Math.max(1, cap / 2);
            }
        }
    }

    @Override
    public void close() {
        if (batch != null) {
            batch.close();
            batch = null;
        }
    }
}
