package io.reflex.decoders.engine;

import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.lfads.LfadsMode;
import java.util.List;

/**
 * The fitted state of an {@link EngineDecoder}, without its engines: the model bundle, the LFADS mode, and the
 * ridge readout exactly as the decoder held it (float32). {@link #open} rebuilds the decoder on any engine chain;
 * on an engine of the fixed family it decodes bit for bit as the decoder {@link EngineDecoder#fittedModel()} was
 * taken from. A decoder file (decoders/DECODER_FILE.md, types lfads and snn) holds one.
 *
 * @param bundle     the model every engine loads
 * @param mode       the LFADS streaming mode, or null for the bundle's own (always null for SNN)
 * @param features   engine outputs per bin that the readout reads
 * @param outputs    readout outputs per bin
 * @param weights    readout weights {@code [outputs][features]}, row-major
 * @param intercepts readout intercepts {@code [outputs]}
 * @param lambda     the relative ridge penalty of the fit (information; NaN when unknown)
 */
public record FittedModel(ModelBundle bundle, LfadsMode mode, int features, int outputs, float[] weights,
                          float[] intercepts, double lambda) {

    /** Checks the shapes (the engines check the rest when {@link #open} loads the bundle). */
    public FittedModel {
        if (bundle == null || weights == null || intercepts == null) {
            throw new IllegalArgumentException("bundle, weights and intercepts must be set");
        }
        if (features < 1 || outputs < 1 || weights.length != (long) outputs * features
                || intercepts.length != outputs) {
            throw new IllegalArgumentException("readout of " + weights.length + " weights and " + intercepts.length
                    + " intercepts does not fit " + outputs + " outputs of " + features + " features");
        }
    }

    /** The model type of the bundle: {@code "lfads"} or {@code "snn"}. */
    public String modelType() {
        return bundle.modelType();
    }

    /**
     * The fitted decoder on {@code engines} (null or empty: {@link EngineDecoder#DEFAULT_ENGINES}), named after the
     * model type.
     *
     * @throws EngineException          when no engine of the chain can run the model
     * @throws IllegalArgumentException when the chain's engines read another number of features than the readout
     */
    public EngineDecoder open(List<EngineSpec> engines) {
        EngineDecoder.Context ctx = new EngineDecoder.Context().name(bundle.modelType()).bundle(bundle)
                .engines(engines == null || engines.isEmpty() ? EngineDecoder.DEFAULT_ENGINES : engines).mode(mode)
                .outputs(outputs);
        return new EngineDecoder(ctx, this);
    }
}
