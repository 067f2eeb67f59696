package io.reflex.decoders.lfads;

import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.bundle.ModelBundleWriter;
import io.reflex.decoders.fixed.ActivationLuts;
import io.reflex.decoders.fixed.FixedPoint;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes LFADS bundles from Java: the float32 tensors under their lfads-torch names, {@code fac_norm}, the
 * fixed-point {@code :q} copies (FIXED_POINT.md §2, the same rules as tools/python/export_lfads.py) and the LUTs.
 * Used for random-initialised models (benchmarks, tests) and for the Java side of the quantiser check.
 */
public final class LfadsBundleBuilder {

    private final LfadsDims d;
    private final Map<String, float[]> tensors = new LinkedHashMap<>();
    private final Map<String, int[]> shapes = new LinkedHashMap<>();

    public LfadsBundleBuilder(LfadsDims dims) {
        this.d = dims;
    }

    /**
     * A model with lfads-torch-like random initial weights: GRU weights U(−1/√H, 1/√H), linear weights
     * N(0, 1/fan_in), {@code b_ih} 1 for z and r; with {@code randomBiases} every bias (b_hh included) and the
     * initial states get small random values too, so that tests exercise every term.
     */
    public static LfadsBundleBuilder random(LfadsDims d, long seed, boolean randomBiases) {
        LfadsBundleBuilder b = new LfadsBundleBuilder(d);
        SplittableRandom rnd = new SplittableRandom(seed);
        int D = d.dataDim();
        if (!d.causal()) {
            b.state(rnd, LfadsTensors.IC_H0, new int[] {2, 1, d.icEncDim()}, randomBiases);
            b.gru(rnd, LfadsTensors.IC_FWD, D, d.icEncDim(), randomBiases);
            b.gru(rnd, LfadsTensors.IC_BWD, D, d.icEncDim(), randomBiases);
            b.linear(rnd, LfadsTensors.IC_LINEAR, 2 * d.icDim(), 2 * d.icEncDim(), randomBiases);
            b.linear(rnd, LfadsTensors.IC_TO_G0, d.genDim(), d.icDim(), randomBiases);
        } else {
            b.state(rnd, LfadsTensors.G0, new int[] {d.genDim()}, true);
        }
        if (d.hasController()) {
            int dirs = d.causal() ? 1 : 2;
            b.state(rnd, LfadsTensors.CI_H0, new int[] {dirs, 1, d.ciEncDim()}, randomBiases);
            b.gru(rnd, LfadsTensors.CI_FWD, D, d.ciEncDim(), randomBiases);
            if (!d.causal()) {
                b.gru(rnd, LfadsTensors.CI_BWD, D, d.ciEncDim(), randomBiases);
            }
            b.gru(rnd, LfadsTensors.CON, d.conInputDim(), d.conDim(), randomBiases);
            b.linear(rnd, LfadsTensors.CO_LINEAR, 2 * d.coDim(), d.conDim(), randomBiases);
        }
        b.state(rnd, LfadsTensors.CON_H0, new int[] {1, d.conDim()}, randomBiases);
        b.gru(rnd, LfadsTensors.GEN, d.coDim(), d.genDim(), randomBiases);
        float[] fac = new float[d.facDim() * d.genDim()];
        for (int k = 0; k < fac.length; k++) {
            fac[k] = (float) (rnd.nextGaussian() / Math.sqrt(d.genDim()));
        }
        b.put(LfadsTensors.FAC_LINEAR, new int[] {d.facDim(), d.genDim()}, fac);
        b.linear(rnd, LfadsTensors.READOUT, d.readoutDim(), d.facDim(), randomBiases);
        return b;
    }

    /** Sets (or replaces) a float32 tensor. */
    public LfadsBundleBuilder put(String name, int[] shape, float[] values) {
        tensors.put(name, values.clone());
        shapes.put(name, shape.clone());
        return this;
    }

    /** A float32 tensor set so far (live array). */
    public float[] get(String name) {
        return tensors.get(name);
    }

    private void state(SplittableRandom rnd, String name, int[] shape, boolean random) {
        int n = 1;
        for (int s : shape) {
            n *= s;
        }
        float[] v = new float[n];
        if (random) {
            for (int k = 0; k < n; k++) {
                v[k] = (float) (0.5 * rnd.nextGaussian());
            }
        }
        put(name, shape, v);
    }

    private void gru(SplittableRandom rnd, String prefix, int in, int h, boolean randomBiases) {
        double a = 1.0 / Math.sqrt(h);
        float[] wih = new float[3 * h * in];
        float[] whh = new float[3 * h * h];
        for (int k = 0; k < wih.length; k++) {
            wih[k] = (float) ((rnd.nextDouble() * 2 - 1) * a);
        }
        for (int k = 0; k < whh.length; k++) {
            whh[k] = (float) ((rnd.nextDouble() * 2 - 1) * a);
        }
        float[] bih = new float[3 * h];
        float[] bhh = new float[3 * h];
        for (int k = 0; k < 3 * h; k++) {
            bih[k] = k < 2 * h ? 1f : 0f;
            if (randomBiases) {
                bih[k] += (float) (0.2 * rnd.nextGaussian());
                bhh[k] = (float) (0.2 * rnd.nextGaussian());
            }
        }
        put(prefix + "weight_ih", new int[] {3 * h, in}, wih);
        put(prefix + "weight_hh", new int[] {3 * h, h}, whh);
        put(prefix + "bias_ih", new int[] {3 * h}, bih);
        put(prefix + "bias_hh", new int[] {3 * h}, bhh);
    }

    private void linear(SplittableRandom rnd, String prefix, int out, int in, boolean randomBiases) {
        float[] w = new float[out * in];
        for (int k = 0; k < w.length; k++) {
            w[k] = (float) (rnd.nextGaussian() / Math.sqrt(Math.max(in, 1)));
        }
        float[] b = new float[out];
        if (randomBiases) {
            for (int k = 0; k < out; k++) {
                b[k] = (float) (0.2 * rnd.nextGaussian());
            }
        }
        put(prefix + "weight", new int[] {out, in}, w);
        put(prefix + "bias", new int[] {out}, b);
    }

    /** The manifest hyperparameters of these dimensions (the keys export_lfads.py writes). */
    public Map<String, Object> hyperparameters() {
        Map<String, Object> hp = new LinkedHashMap<>();
        hp.put("encod_data_dim", d.dataDim());
        hp.put("encod_seq_len", d.encSeqLen());
        hp.put("recon_seq_len", d.reconSeqLen());
        hp.put("ic_enc_dim", d.icEncDim());
        hp.put("ci_enc_dim", d.ciEncDim());
        hp.put("con_dim", d.conDim());
        hp.put("co_dim", d.coDim());
        hp.put("ic_dim", d.icDim());
        hp.put("gen_dim", d.genDim());
        hp.put("fac_dim", d.facDim());
        hp.put("ext_input_dim", 0);
        hp.put("ci_lag", d.ciLag());
        hp.put("readout_dim", d.readoutDim());
        hp.put("ic_enc_seq_len", 0);
        hp.put("cell_clip", d.cellClip());
        hp.put("bin_s", d.binS());
        hp.put("gate_order", "zrn");
        hp.put("reset", "before");
        hp.put("causal", d.causal());
        hp.put("causal_ic", d.causal() ? "learned_g0" : "none");
        hp.put("controller", d.hasController());
        hp.put("readin", "identity");
        hp.put("inference", "posterior_mean");
        return hp;
    }

    /**
     * A writer holding every tensor: float32 originals, {@code fac_norm}, and (with {@code fixedPoint}) the
     * {@code :q} copies, the Q12 initial states and the LUTs with the {@code arithmetic} section.
     */
    public ModelBundleWriter writer(String name, String createdBy, boolean fixedPoint) {
        ModelBundleWriter w = new ModelBundleWriter("lfads", name).createdBy(createdBy).hyperparameters(hyperparameters());
        for (Map.Entry<String, float[]> e : tensors.entrySet()) {
            w.putFloat32(e.getKey(), shapes.get(e.getKey()), e.getValue());
        }
        double[] facNorm = LfadsTensors.facNorm(toDouble(tensors.get(LfadsTensors.FAC_LINEAR)), d.facDim(), d.genDim());
        float[] facNormF = new float[facNorm.length];
        for (int k = 0; k < facNorm.length; k++) {
            facNormF[k] = (float) facNorm[k];
        }
        w.putFloat32(LfadsTensors.FAC_NORM, new int[] {d.facDim(), d.genDim()}, facNormF);
        if (!fixedPoint) {
            return w;
        }
        Map<String, Object> arithmetic = new LinkedHashMap<>();
        arithmetic.put("fixed_point_version", FixedPoint.VERSION);
        arithmetic.put("act_frac", FixedPoint.ACT);
        arithmetic.put("pre_frac", FixedPoint.PRE);
        arithmetic.put("gate_frac", FixedPoint.GATE);
        arithmetic.put("lut_n", FixedPoint.LUT_N);
        w.section("arithmetic", arithmetic);
        for (Map.Entry<String, float[]> e : tensors.entrySet()) {
            String n = e.getKey();
            int[] s = shapes.get(n);
            if (n.endsWith("weight_ih") || n.endsWith("weight_hh") || (n.endsWith(".weight") && !n.equals(LfadsTensors.FAC_LINEAR))) {
                QuantSource.Weight q = QuantSource.quantiseWeight(toDouble(e.getValue()));
                w.putInt16(n + LfadsTensors.Q, s, q.values(), q.fracBits());
                String bias = n.endsWith("weight_ih") ? n.replace("weight_ih", "bias_ih")
                        : n.endsWith("weight_hh") ? n.replace("weight_hh", "bias_hh") : n.replace(".weight", ".bias");
                int fv = n.endsWith("weight_ih") && n.startsWith("encoder.") ? 0 : FixedPoint.ACT;
                int fb = q.fracBits() + fv;
                w.putInt32(bias + LfadsTensors.Q, shapes.get(bias), FixedPoint.quantizeBias(toDouble(tensors.get(bias)), fb), fb);
            }
        }
        QuantSource.Weight fq = QuantSource.quantiseWeight(facNorm);
        w.putInt16(LfadsTensors.FAC_NORM + LfadsTensors.Q, new int[] {d.facDim(), d.genDim()}, fq.values(), fq.fracBits());
        for (String s : new String[] {LfadsTensors.IC_H0, LfadsTensors.CI_H0, LfadsTensors.CON_H0, LfadsTensors.G0}) {
            if (tensors.containsKey(s)) {
                w.putInt16(s + LfadsTensors.Q, shapes.get(s), FixedPoint.quantizeState(toDouble(tensors.get(s))), FixedPoint.ACT);
            }
        }
        w.putInt16("lut_sigmoid", new int[] {FixedPoint.LUT_N}, ActivationLuts.sigmoid(), FixedPoint.GATE);
        w.putInt16("lut_tanh", new int[] {FixedPoint.LUT_N}, ActivationLuts.tanh(), FixedPoint.GATE);
        return w;
    }

    /** The bundle in memory. */
    public ModelBundle build(String name, boolean fixedPoint) {
        return writer(name, "LfadsBundleBuilder", fixedPoint).toBundle();
    }

    static double[] toDouble(float[] v) {
        double[] out = new double[v.length];
        for (int k = 0; k < v.length; k++) {
            out[k] = v[k];
        }
        return out;
    }
}
