package io.reflex.tools;

import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.lfads.LfadsArithmetic;
import io.reflex.decoders.lfads.LfadsKernel;
import io.reflex.decoders.lfads.LfadsMode;
import io.reflex.decoders.lfads.LorenzEvaluation;
import io.reflex.decoders.lfads.LorenzStream;
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

    @Override
    public Integer call() {
        return run(model, causalModel, mode, arithmetic, seed, fitTrials, testTrials, json, System.out, System.err);
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

    /** Runs the evaluation; returns the process exit code. */
    static int run(Path modelPath, Path causalPath, String modeName, String arithmeticName, long seed, int fitTrials,
                   int testTrials, boolean json, PrintStream out, PrintStream err) {
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
        }
        return r.failedCalls() == 0 && rc.failedCalls() == 0 ? 0 : 1;
    }
}
