package io.reflex.tools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.reflex.decoders.lfads.LfadsBundleBuilder;
import io.reflex.decoders.lfads.LfadsDims;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalCommandTest {

    @TempDir
    Path tmp;

    @Test
    void printsLatentR2ModeAndLatencyForBothModels() throws Exception {
        Path small = LfadsBundleBuilder.random(new LfadsDims(12, 10, 10, 8, 0, 0, 0, 8, 8, 3, 12, 1, 5.0, 0.02, false),
                1, true).writer("small", "test", true).writeZip(tmp.resolve("small.rbundle"));
        Path causal = LfadsBundleBuilder.random(new LfadsDims(12, 10, 10, 0, 6, 6, 2, 0, 8, 3, 12, 1, 5.0, 0.02, true),
                2, true).writer("causal", "test", true).writeZip(tmp.resolve("causal.rbundle"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = EvalCommand.run(small, causal, "sliding", "fixed", 3, 4, 2, true,
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(rc).as(err.toString(StandardCharsets.UTF_8)).isZero();
        JsonNode j = Json.mapper().readTree(out.toString(StandardCharsets.UTF_8));
        assertThat(j.get("decoder").asText()).isEqualTo("lfads");
        assertThat(j.get("mode").asText()).isEqualTo("sliding");
        assertThat(j.get("latent_r2").isNumber()).isTrue();
        assertThat(j.at("/decode_latency_us/per").asText()).isEqualTo("bin");
        assertThat(j.at("/decode_latency_us/p50_us").asDouble()).isPositive();
        assertThat(j.at("/result/engine").asText()).isEqualTo("cpu-fixed");
        assertThat(j.at("/causal/mode").asText()).isEqualTo("causal");
        assertThat(j.at("/causal/latent_r2").isNumber()).isTrue();
        assertThat(j.at("/data/neurons").asInt()).isEqualTo(12);
    }

    @Test
    void badModeIsRefusedWithExitCode2() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = EvalCommand.run(null, null, "backwards", "float32", 1, 4, 2, true, System.out,
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(rc).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("mode must be one of trial, sliding, causal");
    }

    /**
     * The causal model's trials as one batch on the Aparapi engines beside their CPU twins: fixed point bit for bit,
     * float32 within 1e-4, both timed, the batch's latent R² equal to the twin's in fixed point.
     */
    @Test
    void aBatchOnAparapiAgreesWithItsCpuTwin() throws Exception {
        Path small = LfadsBundleBuilder.random(new LfadsDims(12, 10, 10, 8, 0, 0, 0, 8, 8, 3, 12, 1, 5.0, 0.02, false),
                1, true).writer("small", "test", true).writeZip(tmp.resolve("small.rbundle"));
        Path causal = LfadsBundleBuilder.random(new LfadsDims(12, 10, 10, 0, 6, 6, 2, 0, 8, 3, 12, 1, 5.0, 0.02, true),
                2, true).writer("causal", "test", true).writeZip(tmp.resolve("causal.rbundle"));
        for (String[] c : new String[][] {{"aparapi-fixed", "fixed", "jtp"}, {"aparapi-fixed", "fixed", "auto"},
                {"aparapi", "float32", "jtp"}}) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int rc = EvalCommand.run(small, causal, "causal", c[1], 3, 6, 3, true, c[0], c[2],
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            assertThat(rc).as("%s: %s", c[0], err.toString(StandardCharsets.UTF_8)).isZero();
            JsonNode j = Json.mapper().readTree(out.toString(StandardCharsets.UTF_8));
            JsonNode b = j.get("batch");
            assertThat(b.get("engine").asText()).isEqualTo(c[0]);
            assertThat(b.get("trials").asInt()).isEqualTo(9);
            assertThat(b.get("status").asText()).isEqualTo("ok");
            assertThat(b.get("compared").asLong()).isEqualTo(9L * 10 * (3 + 12));
            assertThat(b.get("agrees").asBoolean()).isTrue();
            assertThat(b.get("batch_ms").asDouble()).isPositive();
            assertThat(b.get("twin_ms").asDouble()).isPositive();
            if (c[1].equals("fixed")) {
                assertThat(b.get("twin").asText()).isEqualTo("cpu-fixed");
                assertThat(b.get("mismatches").asLong()).isZero();
                assertThat(b.get("latent_r2").asDouble()).isEqualTo(j.at("/causal/latent_r2").asDouble());
            } else {
                assertThat(b.get("twin").asText()).isEqualTo("cpu");
                assertThat(b.get("max_rel_difference").asDouble()).isLessThanOrEqualTo(1e-4);
            }
            if (c[2].equals("jtp")) {
                assertThat(b.get("execution_mode").asText()).isEqualTo("jtp");
            }
            assertThat(b.get("acausal").asBoolean()).isFalse();
            assertThat(b.get("model").asText()).isEqualTo("causal");
            // causal mode: the trial-mode model is not evaluated, so not batched
            assertThat(j.has("trial_batch")).isFalse();
        }
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertThat(EvalCommand.run(small, causal, "causal", "fixed", 3, 6, 3, true, "gpu", "auto", System.out,
                new PrintStream(err, true, StandardCharsets.UTF_8))).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--batch must be aparapi-fixed or aparapi");
        err.reset();
        assertThat(EvalCommand.run(small, causal, "causal", "fixed", 3, 6, 3, true, "aparapi", "cuda", System.out,
                new PrintStream(err, true, StandardCharsets.UTF_8))).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--device must be auto, opencl or jtp");
    }

    /**
     * In trial mode the trial-mode (acausal) model's trials run as a second batch (whole trials in one launch) beside
     * its CPU twin: fixed point bit for bit with the latent R² of the evaluation itself, float32 within 1e-4; with and
     * without a controller.
     */
    @Test
    void inTrialModeTheAcausalModelRunsAsABatchBesideItsCpuTwin() throws Exception {
        Path causal = LfadsBundleBuilder.random(new LfadsDims(12, 10, 10, 0, 6, 6, 2, 0, 8, 3, 12, 1, 5.0, 0.02, true),
                2, true).writer("causal", "test", true).writeZip(tmp.resolve("causal.rbundle"));
        Path plain = LfadsBundleBuilder.random(new LfadsDims(12, 10, 10, 8, 0, 0, 0, 8, 8, 3, 12, 1, 5.0, 0.02, false),
                1, true).writer("small", "test", true).writeZip(tmp.resolve("small.rbundle"));
        Path ctl = LfadsBundleBuilder.random(new LfadsDims(12, 10, 12, 8, 4, 6, 2, 8, 8, 3, 12, 2, 0.3, 0.02, false),
                3, true).writer("small-ctl", "test", true).writeZip(tmp.resolve("small-ctl.rbundle"));
        for (String[] c : new String[][] {{"aparapi-fixed", "fixed", "jtp"}, {"aparapi-fixed", "fixed", "auto"},
                {"aparapi", "float32", "jtp"}, {"aparapi", "float32", "auto"}}) {
            for (Path small : new Path[] {plain, ctl}) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                ByteArrayOutputStream err = new ByteArrayOutputStream();
                int rc = EvalCommand.run(small, causal, "trial", c[1], 3, 6, 3, true, c[0], c[2],
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
                assertThat(rc).as("%s %s: %s", c[0], small, err.toString(StandardCharsets.UTF_8)).isZero();
                JsonNode j = Json.mapper().readTree(out.toString(StandardCharsets.UTF_8));
                assertThat(j.at("/batch/acausal").asBoolean()).isFalse();
                JsonNode b = j.get("trial_batch");
                assertThat(b.get("acausal").asBoolean()).isTrue();
                assertThat(b.get("model").asText()).isEqualTo(small == ctl ? "small-ctl" : "small");
                assertThat(b.get("engine").asText()).isEqualTo(c[0]);
                assertThat(b.get("trials").asInt()).isEqualTo(9);
                assertThat(b.get("bins_per_trial").asInt()).isEqualTo(10);
                assertThat(b.get("status").asText()).isEqualTo("ok");
                int steps = small == ctl ? 12 : 10;
                assertThat(b.get("compared").asLong()).isEqualTo(9L * steps * (3 + 12));
                assertThat(b.get("agrees").asBoolean()).isTrue();
                assertThat(b.get("batch_ms").asDouble()).isPositive();
                if (c[1].equals("fixed")) {
                    assertThat(b.get("twin").asText()).isEqualTo("cpu-fixed");
                    assertThat(b.get("mismatches").asLong()).isZero();
                    assertThat(b.get("latent_r2").asDouble()).isEqualTo(j.at("/result/latent_r2").asDouble());
                } else {
                    assertThat(b.get("twin").asText()).isEqualTo("cpu");
                    assertThat(b.get("max_rel_difference").asDouble()).isLessThanOrEqualTo(1e-4);
                }
                if (c[2].equals("jtp")) {
                    assertThat(b.get("execution_mode").asText()).isEqualTo("jtp");
                }
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(EvalCommand.run(plain, causal, "trial", "fixed", 3, 6, 3, false, "aparapi-fixed", "jtp",
                new PrintStream(out, true, StandardCharsets.UTF_8), System.err)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("batch of 9 causal trials of causal")
                .contains("batch of 9 acausal trials of small").contains("0 of 1350 outputs differ");
    }
}
