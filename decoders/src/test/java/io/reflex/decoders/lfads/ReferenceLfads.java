package io.reflex.decoders.lfads;

import io.reflex.decoders.bundle.ModelBundle;

/**
 * A deliberately plain double-precision LFADS forward pass written straight from decoders/LFADS.md §1.3 (no
 * buffers reused, nothing clever), used as the test oracle for {@link LfadsFloat32}.
 */
final class ReferenceLfads {
    final double[][] factors;
    final double[][] logRates;
    final double[][] gen;

    private final ModelBundle b;
    private final LfadsDims d;

    ReferenceLfads(ModelBundle b, double[][] x) {
        this.b = b;
        this.d = LfadsDims.from(b);
        int T = x.length;
        int steps = T + d.reconSeqLen() - d.encSeqLen();
        double[] g;
        if (!d.causal()) {
            double[] h0 = w(LfadsTensors.IC_H0);
            int E = d.icEncDim();
            double[] hf = slice(h0, 0, E);
            for (int t = 0; t < T; t++) {
                hf = gru(LfadsTensors.IC_FWD, x[t], hf);
            }
            double[] hb = slice(h0, E, E);
            for (int t = T - 1; t >= 0; t--) {
                hb = gru(LfadsTensors.IC_BWD, x[t], hb);
            }
            double[] icAll = lin(LfadsTensors.IC_LINEAR, concat(hf, hb));
            double[] ic = slice(icAll, 0, d.icDim());
            g = lin(LfadsTensors.IC_TO_G0, ic);
        } else {
            g = w(LfadsTensors.G0);
        }
        int C = d.ciEncDim();
        double[][] F = new double[T][];
        double[][] B = new double[T][];
        double[] c = new double[d.conDim()];
        if (d.hasController()) {
            double[] h0 = w(LfadsTensors.CI_H0);
            double[] h = slice(h0, 0, C);
            for (int t = 0; t < T; t++) {
                h = gru(LfadsTensors.CI_FWD, x[t], h);
                F[t] = h;
            }
            if (!d.causal()) {
                h = slice(h0, C, C);
                for (int t = T - 1; t >= 0; t--) {
                    h = gru(LfadsTensors.CI_BWD, x[t], h);
                    B[t] = h;
                }
            }
            c = w(LfadsTensors.CON_H0);
        }
        double[] wfac = LfadsTensors.facNorm(w(LfadsTensors.FAC_LINEAR), d.facDim(), d.genDim());
        double[] f = mat(wfac, d.genDim(), g);
        factors = new double[steps][];
        logRates = new double[steps][];
        gen = new double[steps][];
        int L = d.ciLag();
        for (int t = 0; t < steps; t++) {
            double[] u = new double[0];
            if (d.hasController()) {
                double[] ciF = (t - L >= 0 && t < T) ? F[t - L] : new double[C];
                double[] ci = ciF;
                if (!d.causal()) {
                    double[] ciB = (t + L <= T - 1) ? B[t + L] : new double[C];
                    ci = concat(ciF, ciB);
                }
                c = gru(LfadsTensors.CON, concat(ci, f), c);
                u = slice(lin(LfadsTensors.CO_LINEAR, c), 0, d.coDim());
            }
            g = gru(LfadsTensors.GEN, u, g);
            f = mat(wfac, d.genDim(), g);
            gen[t] = g;
            factors[t] = f;
            logRates[t] = lin(LfadsTensors.READOUT, f);
        }
    }

    private double[] w(String name) {
        return b.floatAsDouble(name);
    }

    private double[] gru(String p, double[] x, double[] h) {
        int H = h.length;
        double[] a = add(mat(w(p + "weight_ih"), x.length, x), w(p + "bias_ih"));
        double[] whh = w(p + "weight_hh");
        double[] bhh = w(p + "bias_hh");
        double[] out = new double[H];
        double[] z = new double[H];
        double[] r = new double[H];
        for (int i = 0; i < H; i++) {
            z[i] = sig(a[i] + row(whh, i, H, h) + bhh[i]);
            r[i] = sig(a[H + i] + row(whh, H + i, H, h) + bhh[H + i]);
        }
        double[] rh = new double[H];
        for (int i = 0; i < H; i++) {
            rh[i] = r[i] * h[i];
        }
        double clip = d.cellClip();
        for (int i = 0; i < H; i++) {
            double n = Math.tanh(a[2 * H + i] + row(whh, 2 * H + i, H, rh) + bhh[2 * H + i]);
            out[i] = Math.max(-clip, Math.min(clip, z[i] * h[i] + (1 - z[i]) * n));
        }
        return out;
    }

    private double[] lin(String p, double[] x) {
        return add(mat(w(p + "weight"), x.length, x), w(p + "bias"));
    }

    static double sig(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    static double row(double[] w, int i, int cols, double[] x) {
        double s = 0;
        for (int j = 0; j < cols; j++) {
            s += w[i * cols + j] * x[j];
        }
        return s;
    }

    static double[] mat(double[] w, int cols, double[] x) {
        int rows = cols == 0 ? 0 : w.length / cols;
        if (cols == 0) {
            return null;
        }
        double[] y = new double[rows];
        for (int i = 0; i < rows; i++) {
            y[i] = row(w, i, cols, x);
        }
        return y;
    }

    static double[] add(double[] a, double[] b) {
        if (a == null) {
            return b.clone();
        }
        double[] y = new double[b.length];
        for (int i = 0; i < b.length; i++) {
            y[i] = a[i] + b[i];
        }
        return y;
    }

    static double[] slice(double[] a, int from, int n) {
        double[] y = new double[n];
        System.arraycopy(a, from, y, 0, n);
        return y;
    }

    static double[] concat(double[] a, double[] b) {
        double[] y = new double[a.length + b.length];
        System.arraycopy(a, 0, y, 0, a.length);
        System.arraycopy(b, 0, y, a.length, b.length);
        return y;
    }
}
