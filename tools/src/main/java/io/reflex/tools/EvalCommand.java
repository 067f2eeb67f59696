package io.reflex.tools;

import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.lfads.LfadsArithmetic;
import io.reflex.decoders.lfads.LfadsKernel;
import io.reflex.decoders.lfads.LfadsMode;
import io.reflex.decoders.lfads.LorenzEvaluation;
import io.reflex.decoders.lfads.LorenzStream;
import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.engine.EngineException;
import io.reflex.decoders.lfads.LatentR2;
import io.reflex.decoders.lfads.LfadsDims;
import io.reflex.decoders.lfads.LorenzData;
import io.reflex.gpu.AparapiEngine;
import io.reflex.gpu.AparapiFixedEngine;
import io.reflex.gpu.AparapiLfadsBatch;
import java.util.Arrays;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code reflex eval}: the offline evaluation of the shipped LFADS demo models on Lorenz-driven Poisson spikes (no
 * pipeline, no pacing): the trial model in the chosen mode and arithmetic and the causal model in causal mode, each
 * scored by latent R² on held-out trials (a linear map from the inferred factors to the true Lorenz state, fitted on
 * other trials), with every decode call timed. The live closed loop is {@code reflex demo --decoder lfads}.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        header = "Offline evaluation of the LFADS demo models on Lorenz-driven spikes (latent R², decode timing).",
        description = {"Runs the shipped LFADS demo models over held-out Lorenz trials outside the pipeline, as fast as"
                + " possible: the trial-mode model (lfads-lorenz-small) in the chosen mode and arithmetic, and the causal"
                + " model (lfads-lorenz-causal) in causal mode. Reports latent R² (a linear map from the factors to the"
                + " true Lorenz state, fitted on separate trials) and the latency of every decode call."})
final class EvalCommand implements Callable<Integer> {

    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "trial",
            description = "trial, sliding or causal (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--arithmetic", paramLabel = "A", defaultValue = "float32",
            description = "float32 or fixed (the bit-exact fixed-point golden model) (default: ${DEFAULT-VALUE}).")
    String arithmetic;

    @Option(names = "--model", paramLabel = "BUNDLE",
            description = "Model bundle for trial/sliding mode (default: the shipped lfads-lorenz-small).")
    Path model;

    @Option(names = "--causal-model", paramLabel = "BUNDLE",
            description = "Causal model bundle (default: the shipped lfads-lorenz-causal).")
    Path causalModel;

    @Option(names = "--fit-trials", paramLabel = "N", defaultValue = "40",
            description = "Trials that fit the factors-to-Lorenz map (default: ${DEFAULT-VALUE}).")
    int fitTrials;

    @Option(names = "--test-trials", paramLabel = "N", defaultValue = "20",
            description = "Held-out trials scored (default: ${DEFAULT-VALUE}).")
    int testTrials;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the Lorenz data (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Option(names = "--batch", paramLabel = "ENGINE",
            description = "Also run the causal model's trials (fit and held-out, the same data) as one batch on"
                    + " aparapi-fixed or aparapi (AparapiLfadsBatch), beside its CPU twin (cpu-fixed or cpu) running"
                    + " them one after the other: the batch's outputs compared with the twin's (bit for bit in fixed"
                    + " point, within 1e-4 in float32), its latent R², and both times. Unless --mode causal, the"
                    + " trial-mode model's trials too (an acausal batch: whole trials, one launch).")
    String batch;

    @Option(names = "--device", paramLabel = "D", defaultValue = "auto",
            description = "With --batch: auto, opencl or jtp (default: ${DEFAULT-VALUE}).")
    String device;

    @Override
    public Integer call() {
        return run(model, causalModel, mode, arithmetic, seed, fitTrials, testTrials, json, batch, device, System.out,
                System.err);
    }

    /** Class-path location of the trial-mode demo model. */
    static final String SMALL_MODEL = "/models/lfads-lorenz-small.rbundle";
    /** Class-path location of the causal demo model. */
    static final String CAUSAL_MODEL = "/models/lfads-lorenz-causal.rbundle";
    /** Offset of the Lorenz data seeds, away from the seeds tools/python/train_lfads.py trains on. */
    static final long DATA_SEED_OFFSET = LorenzStream.DEMO_SEED_OFFSET;
    /** Untimed rounds of 3 trials per model before the timed run. */
    static final int WARMUP_ROUNDS = 20;

    static ModelBundle load(Path path, String resource) throws IOException {
        return path != null ? ModelBundle.open(path) : ModelBundle.fromResource(resource);
    }

    static Json.Obj latency(LorenzEvaluation.Result r) {
        return Json.object()
                .put("per", r.binsPerCall() == 1 ? "bin" : "trial")
                .put("calls", r.calls())
                .put("p50_us", r.latencyP50Ns() / 1e3)
                .put("p99_us", r.latencyP99Ns() / 1e3)
                .put("max_us", r.latencyMaxNs() / 1e3)
                .put("per_bin_p50_us", r.latencyP50Ns() / 1e3 / r.binsPerCall());
    }

    static Json.Obj modelReport(ModelBundle b, LorenzEvaluation.Result r) {
        return Json.object()
                .put("model", b.name())
                .put("model_source", b.source())
                .put("mode", r.mode().jsonName())
                .put("arithmetic", r.arithmetic().jsonName())
                .put("engine", r.arithmetic() == LfadsArithmetic.FLOAT32 ? "cpu" : "cpu-fixed")
                .put("latent_r2", r.latentR2())
                .put("decode_latency_us", latency(r))
                .put("failed_calls", r.failedCalls());
    }

    /** Runs the evaluation without a batch; returns the process exit code. */
    static int run(Path modelPath, Path causalPath, String modeName, String arithmeticName, long seed, int fitTrials,
                   int testTrials, boolean json, PrintStream out, PrintStream err) {
        return run(modelPath, causalPath, modeName, arithmeticName, seed, fitTrials, testTrials, json, null, "auto",
                out, err);
    }

    /**
     * Runs the evaluation, with the causal model's trials as one batch on {@code batchEngine} unless null, and (unless
     * the mode is causal) the trial-mode model's trials as a second batch.
     */
    static int run(Path modelPath, Path causalPath, String modeName, String arithmeticName, long seed, int fitTrials,
                   int testTrials, boolean json, String batchEngine, String deviceName, PrintStream out,
                   PrintStream err) {
        LfadsMode mode;
        LfadsArithmetic arithmetic;
        ModelBundle small;
        ModelBundle causal;
        try {
            mode = LfadsMode.parse(modeName);
            arithmetic = LfadsArithmetic.parse(arithmeticName);
            if (fitTrials < 2 || testTrials < 1) {
                throw new IllegalArgumentException("--fit-trials must be >= 2 and --test-trials >= 1");
            }
            small = load(modelPath, SMALL_MODEL);
            causal = load(causalPath, CAUSAL_MODEL);
            if (batchEngine != null && !batchEngine.equals(AparapiFixedEngine.NAME)
                    && !batchEngine.equals(AparapiEngine.NAME)) {
                throw new IllegalArgumentException("--batch must be " + AparapiFixedEngine.NAME + " or "
                        + AparapiEngine.NAME + "; got '" + batchEngine + "'");
            }
            if (batchEngine != null) {
                deviceChoice(deviceName);
            }
        } catch (IOException | RuntimeException e) {
            err.println("reflex eval: " + e.getMessage());
            return 2;
        }
        long dataSeed = DATA_SEED_OFFSET + seed;
        ModelBundle main = mode == LfadsMode.CAUSAL ? causal : small;
        LfadsKernel kernel;
        try {
            kernel = arithmetic.load(main);
        } catch (RuntimeException e) {
            err.println("reflex eval: " + main.source() + ": " + e.getMessage());
            return 2;
        }
        LfadsKernel causalKernel = arithmetic.load(causal);
        // Warm the JIT on other trials first, so that the timed run measures compiled code, as a long session would.
        for (int w = 0; w < WARMUP_ROUNDS; w++) {
            LorenzEvaluation.run(kernel, arithmetic, mode, dataSeed + 1 + w, 2, 1);
            LorenzEvaluation.run(causalKernel, arithmetic, LfadsMode.CAUSAL, dataSeed + 1 + w, 2, 1);
        }
        LorenzEvaluation.Result r = LorenzEvaluation.run(kernel, arithmetic, mode, dataSeed, fitTrials, testTrials);
        LorenzEvaluation.Result rc = LorenzEvaluation.run(causalKernel, arithmetic, LfadsMode.CAUSAL, dataSeed,
                fitTrials, testTrials);
        BatchRun br = null;
        BatchRun bt = null;
        if (batchEngine != null) {
            try {
                br = batch(causal, batchEngine, deviceChoice(deviceName), dataSeed, fitTrials, testTrials);
                if (mode != LfadsMode.CAUSAL) {
                    bt = batch(small, batchEngine, deviceChoice(deviceName), dataSeed, fitTrials, testTrials);
                }
            } catch (EngineException e) {
                err.println("reflex eval: --batch " + batchEngine + ": " + e.getMessage());
                return 2;
            }
        }
        if (json) {
            Json.Obj o = Json.object()
                    .put("decoder", "lfads")
                    .put("data", Json.object().put("source", "lorenz").put("seed", dataSeed)
                            .put("neurons", kernel.dims().dataDim()).put("bins_per_trial", r.binsPerTrial())
                            .put("bin_ms", kernel.dims().binS() * 1e3).put("fit_trials", fitTrials)
                            .put("test_trials", testTrials).put("mean_rate_hz", r.meanRateHz()))
                    .put("mode", r.mode().jsonName())
                    .put("latent_r2", r.latentR2())
                    .put("decode_latency_us", latency(r))
                    .put("result", modelReport(main, r))
                    .put("causal", modelReport(causal, rc));
            if (br != null) {
                o.put("batch", br.json());
            }
            if (bt != null) {
                o.put("trial_batch", bt.json());
            }
            out.println(o.toJson());
        } else {
            out.printf("LFADS on Lorenz-driven Poisson spikes: %d neurons, %d bins of %.0f ms, %.1f spikes/s per neuron%n",
                    kernel.dims().dataDim(), r.binsPerTrial(), kernel.dims().binS() * 1e3, r.meanRateHz());
            out.printf("  %-24s mode %-7s %-7s latent R² %.4f   decode p50 %.1f µs per %s (%.2f µs per bin)%n",
                    main.name(), r.mode().jsonName(), r.arithmetic().jsonName(), r.latentR2(), r.latencyP50Ns() / 1e3,
                    r.binsPerCall() == 1 ? "bin" : "trial", r.latencyP50Ns() / 1e3 / r.binsPerCall());
            out.printf("  %-24s mode %-7s %-7s latent R² %.4f   decode p50 %.1f µs per bin%n",
                    causal.name(), rc.mode().jsonName(), rc.arithmetic().jsonName(), rc.latentR2(),
                    rc.latencyP50Ns() / 1e3);
            out.printf("  (linear map fitted on %d trials, R² on %d held-out trials, data seed %d)%n", fitTrials,
                    testTrials, dataSeed);
            for (BatchRun b : new BatchRun[] {br, bt}) {
                if (b != null) {
                    out.printf("  batch of %d %s trials of %s on %s (%s): %.2f ms (%.3f ms per trial), %s one after"
                            + " the other %.2f ms (%.3f ms per trial); latent R² %.4f; %s%n", b.trials,
                            b.acausal ? "acausal" : "causal", b.model, b.engine, b.device, b.batchNs / 1e6,
                            b.batchNs / 1e6 / b.trials, b.twin, b.cpuNs / 1e6, b.cpuNs / 1e6 / b.trials, b.latentR2,
                            b.agreementText());
                }
            }
        }
        boolean batchOk = (br == null || br.agrees()) && (bt == null || bt.agrees());
        return r.failedCalls() == 0 && rc.failedCalls() == 0 && batchOk ? 0 : 1;
    }

    static AparapiFixedEngine.DeviceChoice deviceChoice(String name) {
        return switch (name) {
            case "auto" -> AparapiFixedEngine.DeviceChoice.AUTO;
            case "opencl" -> AparapiFixedEngine.DeviceChoice.OPENCL;
            case "jtp" -> AparapiFixedEngine.DeviceChoice.JTP;
            default -> throw new IllegalArgumentException("--device must be auto, opencl or jtp; got '" + name + "'");
        };
    }

    /** Float32 batch outputs agree with {@code cpu} when |a − b| ≤ this · max(1, |b|) (gpu-engine/README.md). */
    static final double FLOAT_TOLERANCE = 1e-4;

    /** A model's trials as one batch beside its CPU twin: times, outputs compared, latent R². */
    static final class BatchRun {
        String model;
        boolean acausal;
        String engine;
        String twin;
        String device;
        String executionMode;
        int trials;
        int binsPerTrial;
        int status;
        long batchNs;
        long cpuNs;
        long compared;
        long mismatches;
        double maxRelDifference;
        boolean fixed;
        double latentR2;

        boolean agrees() {
            return status == DecodeStatus.OK && (fixed ? mismatches == 0 : maxRelDifference <= FLOAT_TOLERANCE);
        }

        String agreementText() {
            if (status != DecodeStatus.OK) {
                return "the batch failed (status " + status + ")";
            }
            return fixed ? mismatches + " of " + compared + " outputs differ from " + twin + "'s (0 expected)"
                    : String.format("largest |a-b|/max(1,|b|) against %s %.2e (tolerance %.0e)", twin,
                            maxRelDifference, FLOAT_TOLERANCE);
        }

        Json.Obj json() {
            return Json.object().put("model", model).put("acausal", acausal).put("engine", engine).put("device", device).put("execution_mode", executionMode)
                    .put("twin", twin).put("trials", trials).put("bins_per_trial", binsPerTrial)
                    .put("status", DecodeStatus.name(status))
                    .put("batch_ms", batchNs / 1e6).put("batch_per_trial_ms", batchNs / 1e6 / trials)
                    .put("twin_ms", cpuNs / 1e6).put("twin_per_trial_ms", cpuNs / 1e6 / trials)
                    .put("batch_over_twin", (double) batchNs / cpuNs)
                    .put("compared", compared).put("mismatches", fixed ? mismatches : -1)
                    .put("max_rel_difference", maxRelDifference).put("latent_r2", latentR2)
                    .put("agrees", agrees());
        }
    }

    /**
     * Runs the fit and held-out trials of a model's evaluation (the same Lorenz data; windows of the model's
     * {@code encod_seq_len} bins) once through the CPU twin one trial after the other and once as a batch (causal: one
     * launch per decoder step; acausal: whole trials in one launch), each timed after one untimed round (so both run
     * compiled code and a warm device); compares every factor and log-rate and scores the batch's factors as
     * {@link LorenzEvaluation} scores the twin's.
     */
    static BatchRun batch(ModelBundle bundle, String engine, AparapiFixedEngine.DeviceChoice choice, long dataSeed,
                          int fitTrials, int testTrials) {
        boolean fixed = engine.equals(AparapiFixedEngine.NAME);
        LfadsArithmetic arithmetic = fixed ? LfadsArithmetic.FIXED : LfadsArithmetic.FLOAT32;
        int trials = fitTrials + testTrials;
        try (AparapiLfadsBatch gpu = AparapiLfadsBatch.open(bundle, fixed, choice, trials)) {
            LfadsKernel cpu = arithmetic.load(bundle);
            LfadsDims d = cpu.dims();
            int bins = d.encSeqLen();
            int steps = gpu.trialSteps(bins);
            int f = d.facDim();
            int n = d.readoutDim();
            LorenzData data = new LorenzData(d.dataDim(), bins);
            float[][] counts = new float[trials][bins * d.dataDim()];
            double[] latents = new double[trials * bins * 3];
            double[] lat = new double[bins * 3];
            for (int i = 0; i < trials; i++) {
                data.trial(dataSeed, i, counts[i], lat, null);
                System.arraycopy(lat, 0, latents, i * bins * 3, bins * 3);
            }
            float[][] cpuFac = new float[trials][steps * f];
            float[][] cpuLr = new float[trials][steps * n];
            float[][] gpuFac = new float[trials][steps * f];
            float[][] gpuLr = new float[trials][steps * n];
            BatchRun br = new BatchRun();
            br.model = bundle.name();
            br.acausal = gpu.acausal();
            br.engine = engine;
            br.twin = fixed ? "cpu-fixed" : "cpu";
            br.fixed = fixed;
            br.trials = trials;
            br.binsPerTrial = bins;
            br.device = gpu.device();
            br.executionMode = gpu.executionMode();
            long cpuNs = Long.MAX_VALUE;
            long batchNs = Long.MAX_VALUE;
            for (int round = 0; round < 2; round++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < trials; i++) {
                    cpu.trial(counts[i], bins, cpuFac[i], cpuLr[i]);
                }
                long t1 = System.nanoTime();
                br.status = gpu.trials(counts, bins, gpuFac, gpuLr);
                long t2 = System.nanoTime();
                cpuNs = t1 - t0;
                batchNs = t2 - t1;
                if (br.status != DecodeStatus.OK) {
                    break;
                }
            }
            br.cpuNs = cpuNs;
            br.batchNs = batchNs;
            for (int i = 0; i < trials; i++) {
                compare(br, cpuFac[i], gpuFac[i]);
                compare(br, cpuLr[i], gpuLr[i]);
            }
            double[] x = new double[trials * bins * f];
            for (int i = 0; i < trials; i++) {
                for (int k = 0; k < bins * f; k++) {
                    x[i * bins * f + k] = gpuFac[i][k];
                }
            }
            int splitX = fitTrials * bins * f;
            int splitY = fitTrials * bins * 3;
            br.latentR2 = LatentR2.score(Arrays.copyOf(x, splitX), Arrays.copyOf(latents, splitY),
                    Arrays.copyOfRange(x, splitX, x.length), Arrays.copyOfRange(latents, splitY, latents.length), f,
                    3);
            return br;
        }
    }

    private static void compare(BatchRun br, float[] want, float[] got) {
        for (int k = 0; k < want.length; k++) {
            br.compared++;
            if (Float.floatToIntBits(want[k]) != Float.floatToIntBits(got[k])) {
                br.mismatches++;
            }
            double rel = Math.abs((double) got[k] - want[k]) / Math.max(1.0, Math.abs((double) want[k]));
            if (!(rel <= br.maxRelDifference)) {
                br.maxRelDifference = Double.isNaN(rel) ? Double.POSITIVE_INFINITY : Math.max(br.maxRelDifference, rel);
            }
        }
    }
}
