package io.reflex.decoders.lfads;

import io.reflex.decoders.bundle.ModelBundle;

/** Tensor names of an LFADS bundle (lfads-torch state_dict keys, decoders/LFADS.md §2) and shape checks. */
public final class LfadsTensors {
    public static final String IC_H0 = "encoder.ic_enc_h0";
    public static final String IC_FWD = "encoder.ic_enc.fwd_gru.cell.";
    public static final String IC_BWD = "encoder.ic_enc.bwd_gru.cell.";
    public static final String IC_LINEAR = "encoder.ic_linear.";
    public static final String CI_H0 = "encoder.ci_enc_h0";
    public static final String CI_FWD = "encoder.ci_enc.fwd_gru.cell.";
    public static final String CI_BWD = "encoder.ci_enc.bwd_gru.cell.";
    public static final String CON_H0 = "decoder.con_h0";
    public static final String IC_TO_G0 = "decoder.ic_to_g0.";
    public static final String G0 = "decoder.g0";
    public static final String GEN = "decoder.rnn.cell.gen_cell.";
    public static final String CON = "decoder.rnn.cell.con_cell.";
    public static final String CO_LINEAR = "decoder.rnn.cell.co_linear.";
    public static final String FAC_LINEAR = "decoder.rnn.cell.fac_linear.weight";
    public static final String FAC_NORM = "decoder.rnn.cell.fac_norm";
    public static final String READOUT = "readout.0.";
    /** Suffix of the fixed-point copy of a tensor. */
    public static final String Q = ":q";

    private LfadsTensors() {
    }

    /** Checks the four tensors of a GRU cell with input width {@code in} and hidden size {@code h}. */
    static void requireGru(ModelBundle b, String prefix, int in, int h, boolean fixed) {
        String s = fixed ? Q : "";
        b.requireShape(prefix + "weight_ih" + s, 3 * h, in);
        b.requireShape(prefix + "weight_hh" + s, 3 * h, h);
        b.requireShape(prefix + "bias_ih" + s, 3 * h);
        b.requireShape(prefix + "bias_hh" + s, 3 * h);
    }

    /**
     * Kernel-normalised factor matrix in float64 from the raw {@code fac_linear.weight} (float32 values):
     * {@code Ŵ[i,:] = W[i,:] / max(‖W[i,:]‖₂, 1e−12)}.
     */
    public static double[] facNorm(double[] w, int rows, int cols) {
        double[] out = new double[w.length];
        for (int i = 0; i < rows; i++) {
            double ss = 0;
            for (int j = 0; j < cols; j++) {
                ss += w[i * cols + j] * w[i * cols + j];
            }
            double n = Math.max(Math.sqrt(ss), 1e-12);
            for (int j = 0; j < cols; j++) {
                out[i * cols + j] = w[i * cols + j] / n;
            }
        }
        return out;
    }
}
