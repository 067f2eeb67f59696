package io.reflex.tools;

import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.lfads.LfadsArithmetic;
import io.reflex.decoders.lfads.LfadsKernel;
import io.reflex.decoders.lfads.LfadsMode;
import io.reflex.decoders.lfads.LorenzEvaluation;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * {@code reflex demo --decoder lfads}: runs the shipped LFADS demo model on Lorenz-driven Poisson spikes in the
 * chosen mode and arithmetic, scores the inferred factors against the true Lorenz state (latent R² on held-out
 * trials via a fitted linear map), times every decode call, and does the same for the causal model in causal mode.
 */
final class LfadsDemo {
    /** Class-path location of the trial-mode demo model. */
    static final String SMALL_MODEL = "/models/lfads-lorenz-small.rbundle";
    /** Class-path location of the causal demo model. */
    static final String CAUSAL_MODEL = "/models/lfads-lorenz-causal.rbundle";
    /** Offset of the demo's Lorenz data seeds, away from the seeds tools/python/train_lfads.py trains on. */
    static final long DATA_SEED_OFFSET = 1_000_000L;
    /** Untimed rounds of 3 trials per model before the timed run. */
    static final int WARMUP_ROUNDS = 20;

    private LfadsDemo() {
    }

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

    /** Runs the demo; returns the process exit code. */
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
                throw new IllegalArgumentException("--lfads-fit-trials must be >= 2 and --lfads-test-trials >= 1");
            }
            small = load(modelPath, SMALL_MODEL);
            causal = load(causalPath, CAUSAL_MODEL);
        } catch (IOException | RuntimeException e) {
            err.println("reflex demo: " + e.getMessage());
            return 2;
        }
        long dataSeed = DATA_SEED_OFFSET + seed;
        ModelBundle main = mode == LfadsMode.CAUSAL ? causal : small;
        LfadsKernel kernel;
        try {
            kernel = arithmetic.load(main);
        } catch (RuntimeException e) {
            err.println("reflex demo: " + main.source() + ": " + e.getMessage());
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
