package io.reflex.decoders.lfads;

import io.reflex.decoders.bundle.BundleException;
import io.reflex.decoders.bundle.ModelBundle;

/**
 * Dimensions and structural options of an LFADS model, read from a bundle's hyperparameters
 * (decoders/BUNDLE.md, decoders/LFADS.md §1).
 *
 * <p>Supported structures: with a controller ({@code ci_enc_dim, con_dim, co_dim > 0}) or without
 * (all three 0, as in the published FPGA design); acausal (bidirectional encoders, g0 from the IC encoder) or
 * causal ({@code causal = true}: forward-only CI encoder, learned {@code decoder.g0}, no IC encoder). External
 * inputs ({@code ext_input_dim > 0}) are refused.
 *
 * @param dataDim    D, neurons (input channels)
 * @param encSeqLen  T, bins the encoders read
 * @param reconSeqLen Tr ≥ T, decoder steps (T data bins plus Tr − T forward-prediction steps)
 * @param icEncDim   IC encoder GRU size (0 in a causal model)
 * @param ciEncDim   CI encoder GRU size (0 without a controller)
 * @param conDim     controller GRU size
 * @param coDim      controller outputs u
 * @param icDim      initial-condition size (0 in a causal model)
 * @param genDim     generator GRU size
 * @param facDim     factors
 * @param readoutDim log-rate outputs
 * @param ciLag      controller input lag L ≥ 0
 * @param cellClip   GRU state clip
 * @param binS       bin width in seconds
 * @param causal     forward-only CI encoder and learned g0
 */
public record LfadsDims(int dataDim, int encSeqLen, int reconSeqLen, int icEncDim, int ciEncDim, int conDim,
                        int coDim, int icDim, int genDim, int facDim, int readoutDim, int ciLag, double cellClip,
                        double binS, boolean causal) {

    /** Largest dimension (channels, units, factors) a bundle may declare: the runtime's channel limit. */
    public static final int MAX_DIM = 65_536;
    /** Longest window in bins (65,536 bins are 22 minutes of 20 ms bins). */
    public static final int MAX_SEQ_LEN = 65_536;
    /** Most values a per-window buffer may hold ({@code recon_seq_len} × the widest per-bin vector): 256 MiB. */
    public static final long MAX_WINDOW_VALUES = 1L << 26;

    /**
     * Validates the combination and bounds every size before anything is allocated from it; throws
     * IllegalArgumentException naming the field.
     */
    public LfadsDims {
        positive("encod_data_dim", dataDim);
        positive("encod_seq_len", encSeqLen);
        positive("gen_dim", genDim);
        positive("fac_dim", facDim);
        positive("readout_dim", readoutDim);
        if (reconSeqLen < encSeqLen) {
            throw new IllegalArgumentException("recon_seq_len " + reconSeqLen + " < encod_seq_len " + encSeqLen);
        }
        boolean anyCon = ciEncDim > 0 || conDim > 0 || coDim > 0;
        boolean allCon = ciEncDim > 0 && conDim > 0 && coDim > 0;
        if (anyCon && !allCon) {
            throw new IllegalArgumentException("ci_enc_dim, con_dim and co_dim must be all > 0 (controller) or all 0,"
                    + " found " + ciEncDim + ", " + conDim + ", " + coDim);
        }
        if (ciEncDim < 0 || conDim < 0 || coDim < 0 || icEncDim < 0 || icDim < 0) {
            throw new IllegalArgumentException("dimensions must be >= 0");
        }
        if (causal) {
            if (!allCon) {
                throw new IllegalArgumentException("a causal model needs a controller (ci_enc_dim, con_dim, co_dim > 0)");
            }
            if (icEncDim != 0 || icDim != 0) {
                throw new IllegalArgumentException("a causal model (learned g0) has ic_enc_dim = ic_dim = 0");
            }
        } else {
            positive("ic_enc_dim", icEncDim);
            positive("ic_dim", icDim);
        }
        bounded("encod_data_dim", dataDim, MAX_DIM);
        bounded("encod_seq_len", encSeqLen, MAX_SEQ_LEN);
        bounded("recon_seq_len", reconSeqLen, MAX_SEQ_LEN);
        bounded("ic_enc_dim", icEncDim, MAX_DIM);
        bounded("ci_enc_dim", ciEncDim, MAX_DIM);
        bounded("con_dim", conDim, MAX_DIM);
        bounded("co_dim", coDim, MAX_DIM);
        bounded("ic_dim", icDim, MAX_DIM);
        bounded("gen_dim", genDim, MAX_DIM);
        bounded("fac_dim", facDim, MAX_DIM);
        bounded("readout_dim", readoutDim, MAX_DIM);
        // the per-window buffers hold recon_seq_len rows of the widest per-bin vector
        long widest = Math.max(Math.max(dataDim, readoutDim), Math.max(Math.max(genDim, facDim),
                Math.max(2L * ciEncDim, Math.max(conDim, 2L * coDim))));
        if ((long) reconSeqLen * widest > MAX_WINDOW_VALUES) {
            throw new IllegalArgumentException("recon_seq_len " + reconSeqLen + " bins of " + widest
                    + " values need " + (long) reconSeqLen * widest + " values per window; at most "
                    + MAX_WINDOW_VALUES);
        }
        if (ciLag < 0 || ciLag > encSeqLen) {
            throw new IllegalArgumentException("ci_lag must be in [0, encod_seq_len], found " + ciLag);
        }
        if (!(cellClip > 0) || !Double.isFinite(cellClip)) {
            throw new IllegalArgumentException("cell_clip must be a positive finite number, found " + cellClip);
        }
        if (!(binS > 0) || !Double.isFinite(binS)) {
            throw new IllegalArgumentException("bin_s must be a positive finite number, found " + binS);
        }
    }

    private static void bounded(String key, int v, int max) {
        if (v > max) {
            throw new IllegalArgumentException(key + " must be at most " + max + ", found " + v);
        }
    }

    private static void positive(String key, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(key + " must be > 0, found " + v);
        }
    }

    /** True when the model has a controller (and a CI encoder). */
    public boolean hasController() {
        return conDim > 0;
    }

    /** Width of ci_t: 2·ci_enc_dim (acausal), ci_enc_dim (causal) or 0. */
    public int ciWidth() {
        return hasController() ? (causal ? 1 : 2) * ciEncDim : 0;
    }

    /** Controller input width: ci width + fac_dim (0 without a controller). */
    public int conInputDim() {
        return hasController() ? ciWidth() + facDim : 0;
    }

    /** Multiply-accumulates of one causal step (CI fwd GRU, controller, generator, factors, readout). */
    public long causalStepMacs() {
        long m = 0;
        if (hasController()) {
            m += 3L * ciEncDim * (dataDim + ciEncDim);
            m += 3L * conDim * (conInputDim() + conDim) + 2L * coDim * conDim;
        }
        m += 3L * genDim * (coDim + genDim) + (long) facDim * genDim + (long) readoutDim * facDim;
        return m;
    }

    /** Reads and validates the dimensions of an LFADS bundle. */
    public static LfadsDims from(ModelBundle b) {
        b.requireModelType("lfads");
        if (b.hpInt("ext_input_dim", 0) != 0) {
            throw new BundleException(b.source() + ": hyperparameter 'ext_input_dim' is " + b.hpInt("ext_input_dim")
                    + "; external inputs are not supported");
        }
        String gates = b.hpString("gate_order", "zrn");
        if (!gates.equals("zrn")) {
            throw new BundleException(b.source() + ": hyperparameter 'gate_order' is '" + gates + "'; only \"zrn\"");
        }
        String reset = b.hpString("reset", "before");
        if (!reset.equals("before")) {
            throw new BundleException(b.source() + ": hyperparameter 'reset' is '" + reset + "'; only \"before\"");
        }
        if (b.hpInt("ic_enc_seq_len", 0) != 0) {
            throw new BundleException(b.source() + ": hyperparameter 'ic_enc_seq_len' must be 0");
        }
        boolean causal = b.hpBoolean("causal", false);
        String ic = b.hpString("causal_ic", causal ? "learned_g0" : "none");
        if (causal && !ic.equals("learned_g0")) {
            throw new BundleException(b.source() + ": hyperparameter 'causal_ic' is '" + ic + "'; a causal bundle "
                    + "needs \"learned_g0\"");
        }
        try {
            return new LfadsDims(b.hpInt("encod_data_dim"), b.hpInt("encod_seq_len"), b.hpInt("recon_seq_len"),
                    b.hpInt("ic_enc_dim"), b.hpInt("ci_enc_dim"), b.hpInt("con_dim"), b.hpInt("co_dim"),
                    b.hpInt("ic_dim"), b.hpInt("gen_dim"), b.hpInt("fac_dim"), b.hpInt("readout_dim"),
                    b.hpInt("ci_lag"), b.hpDouble("cell_clip"), b.hpDouble("bin_s", 0.02), causal);
        } catch (IllegalArgumentException e) {
            throw new BundleException(b.source() + ": hyperparameters: " + e.getMessage(), e);
        }
    }
}
