package io.reflex.decoders.lfads;

import static org.assertj.core.api.Assertions.assertThat;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.bundle.TensorInfo;
import io.reflex.decoders.fixed.FixedPoint;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden vectors from tools/python/golden.py (torch float64 and float32, decoders/src/test/resources/golden):
 * Java float32 against torch float64, the fixed-point model against Java float32, and the Java quantiser against
 * the exporter's {@code :q} tensors.
 */
class LfadsGoldenTest {

    static Stream<Path> goldenBundles() throws IOException, URISyntaxException {
        URL dir = LfadsGoldenTest.class.getResource("/golden");
        if (dir == null) {
            return Stream.empty();
        }
        try (Stream<Path> s = Files.list(Path.of(dir.toURI()))) {
            List<Path> l = s.filter(p -> p.getFileName().toString().matches("lfads-.*\\.rbundle")).sorted().toList();
            return l.stream();
        }
    }

    record Case(float[] x, int bins) {
    }

    private static Case input(ModelBundle b, int n) {
        TensorInfo in = b.info("golden.input");
        int T = in.dim(1);
        int D = in.dim(2);
        short[] all = b.int16("golden.input");
        float[] x = new float[T * D];
        for (int k = 0; k < x.length; k++) {
            x[k] = all[n * T * D + k];
        }
        return new Case(x, T);
    }

    @ParameterizedTest
    @MethodSource("goldenBundles")
    void float32MatchesTorchFloat64(Path file) throws IOException {
        ModelBundle b = ModelBundle.open(file);
        Assumptions.assumeTrue(b.hasSection("golden"), "skipped: " + file + " has no golden section");
        int cases = b.sectionInt("golden", "cases");
        LfadsFloat32 k = new LfadsFloat32(b);
        LfadsDims d = k.dims();
        int Tr = d.reconSeqLen();
        double[] ref = b.float64("golden.logrates");
        double[] refFac = b.float64("golden.factors");
        double[] refGen = b.float64("golden.gen_states");
        float[] ref32 = b.float32("golden.logrates_f32");
        float[] fac = new float[Tr * d.facDim()];
        float[] lr = new float[Tr * d.readoutDim()];
        double worstRel = 0;
        double worstRelFwd = 0;
        double worstRel32 = 0;
        int T = d.encSeqLen();
        double worstFac = 0;
        double worstGen = 0;
        for (int n = 0; n < cases; n++) {
            Case c = input(b, n);
            assertThat(k.trial(c.x(), c.bins(), fac, lr)).isEqualTo(DecodeStatus.OK);
            int base = n * Tr * d.readoutDim();
            for (int i = 0; i < Tr * d.readoutDim(); i++) {
                double rate = Math.exp(ref[base + i]);
                double rel = Math.abs(Math.exp(lr[i]) - rate) / rate;
                if (i / d.readoutDim() < T) {
                    worstRel = Math.max(worstRel, rel);
                } else {
                    worstRelFwd = Math.max(worstRelFwd, rel);
                }
                worstRel32 = Math.max(worstRel32, Math.abs(Math.exp(ref32[base + i]) - rate) / rate);
            }
            for (int i = 0; i < Tr * d.facDim(); i++) {
                worstFac = Math.max(worstFac, Math.abs(fac[i] - refFac[n * Tr * d.facDim() + i]));
            }
            float[] gen = k.lastGenStates();
            for (int i = 0; i < Tr * d.genDim(); i++) {
                worstGen = Math.max(worstGen, Math.abs(gen[i] - refGen[n * Tr * d.genDim() + i]));
            }
        }
        System.out.printf("golden %s: Java float32 vs torch float64: max rel err rates %.3e on data bins, %.3e on"
                + " forward-prediction bins (torch float32: %.3e), max |d factor| %.3e, max |d gen state| %.3e,"
                + " cases %d%n", file.getFileName(), worstRel, worstRelFwd, worstRel32, worstFac, worstGen, cases);
        assertThat(worstRel).as("max relative error on rates").isLessThanOrEqualTo(1e-5);
        // lfads-torch (encoder.py: ci_fwd[:, :ci_len] before padding) and decoders/LFADS.md §1.3 give ci_t = 0 for
        // t >= T. tools/python/lfads_model.py at the time of writing feeds F_{t-L} for T <= t < T + L instead, so
        // golden forward-prediction steps (recon_seq_len > encod_seq_len) can differ; this check runs as soon as
        // the golden vectors follow lfads-torch.
        Assumptions.assumeTrue(worstRelFwd <= 1e-5, "skipped: golden forward-prediction steps of " + file.getFileName()
                + " differ (" + worstRelFwd + "): the golden generator feeds ci_t = F_{t-L} for t >= encod_seq_len, "
                + "lfads-torch and decoders/LFADS.md §1.3 feed 0");
    }

    @ParameterizedTest
    @MethodSource("goldenBundles")
    void fixedPointAgainstFloat32(Path file) throws IOException {
        ModelBundle b = ModelBundle.open(file);
        Assumptions.assumeTrue(b.hasSection("golden"), "skipped: " + file + " has no golden section");
        int cases = b.sectionInt("golden", "cases");
        LfadsFloat32 fl = new LfadsFloat32(b);
        LfadsFixed fx = new LfadsFixed(b);
        LfadsDims d = fl.dims();
        int Tr = d.reconSeqLen();
        float[] f1 = new float[Tr * d.facDim()];
        float[] l1 = new float[Tr * d.readoutDim()];
        float[] f2 = f1.clone();
        float[] l2 = l1.clone();
        double worst = 0;
        double sum = 0;
        long n = 0;
        for (int c = 0; c < cases; c++) {
            Case in = input(b, c);
            assertThat(fl.trial(in.x(), in.bins(), f1, l1)).isEqualTo(DecodeStatus.OK);
            assertThat(fx.trial(in.x(), in.bins(), f2, l2)).isEqualTo(DecodeStatus.OK);
            for (int i = 0; i < l1.length; i++) {
                double dl = Math.abs(l1[i] - l2[i]);
                worst = Math.max(worst, dl);
                sum += dl;
                n++;
            }
        }
        System.out.printf("golden %s: fixed point vs Java float32: max |d log-rate| %.3e, mean %.3e%n",
                file.getFileName(), worst, sum / n);
        // Untrained (random-init) models have no target; the trained ones are held to the 2e-2 budget in
        // LfadsDemoModelTest. Here the fixed-point model must at least stay within the coarse 1/8 band.
        assertThat(worst).isLessThan(0.125);
    }

    private static void assertSlice(short[] actual, short[] golden, int n, int len, String what) {
        for (int i = 0; i < len; i++) {
            if (actual[i] != golden[n * len + i]) {
                throw new AssertionError(what + " case " + n + " index " + i + ": Java " + actual[i] + ", reference "
                        + golden[n * len + i]);
            }
        }
    }

    /**
     * Two independent implementations of FIXED_POINT.md agree at 0 LSB: this Java golden model and
     * tools/python/fixed_point_ref.py (numpy), which wrote {@code golden.fixed.*}.
     */
    @ParameterizedTest
    @MethodSource("goldenBundles")
    void fixedPointEqualsTheNumpyReferenceBitForBit(Path file) throws IOException {
        ModelBundle b = ModelBundle.open(file);
        Assumptions.assumeTrue(b.hasTensor("golden.fixed.logrates"), "skipped: " + file + " has no golden.fixed.*");
        int cases = b.sectionInt("golden", "cases");
        LfadsFixed fx = new LfadsFixed(b);
        LfadsDims d = fx.dims();
        int T = d.encSeqLen();
        int Tr = d.reconSeqLen();
        short[] in = b.int16("golden.input");
        short[] x = new short[T * d.dataDim()];
        short[] fac = new short[Tr * d.facDim()];
        short[] lr = new short[Tr * d.readoutDim()];
        for (int n = 0; n < cases; n++) {
            System.arraycopy(in, n * x.length, x, 0, x.length);
            assertThat(fx.trialQ(x, T, fac, lr)).isEqualTo(DecodeStatus.OK);
            assertSlice(lr, b.int16("golden.fixed.logrates"), n, lr.length, "logrates");
            assertSlice(fac, b.int16("golden.fixed.factors"), n, fac.length, "factors");
            assertSlice(fx.lastGenStatesQ(), b.int16("golden.fixed.gen_states"), n, Tr * d.genDim(), "gen_states");
            assertSlice(fx.lastConStatesQ(), b.int16("golden.fixed.con_states"), n, Tr * d.conDim(), "con_states");
            assertSlice(fx.lastCoQ(), b.int16("golden.fixed.co"), n, Tr * d.coDim(), "co");
            assertSlice(fx.lastIcMeanQ(), b.int16("golden.fixed.ic_mean"), n, d.icDim(), "ic_mean");
        }
        System.out.printf("golden %s: Java fixed point equals tools/python/fixed_point_ref.py at 0 LSB on %d cases"
                + " (log-rates, factors, generator and controller states, co, ic_mean)%n", file.getFileName(), cases);
    }

    @ParameterizedTest
    @MethodSource("goldenBundles")
    void javaQuantiserReproducesExporterTensors(Path file) throws IOException {
        ModelBundle b = ModelBundle.open(file);
        int checked = QuantiserCheck.verify(b);
        System.out.printf("golden %s: %d :q tensors reproduced exactly by the Java quantiser%n", file.getFileName(),
                checked);
        assertThat(checked).isGreaterThan(5);
        assertThat(FixedPoint.VERSION).isEqualTo(b.sectionInt("arithmetic", "fixed_point_version"));
    }
}
