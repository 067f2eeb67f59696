package io.reflex.decoders.lfads;

import io.reflex.decoders.DecodeStatus;
import io.reflex.decoders.bundle.ModelBundle;
import io.reflex.decoders.bundle.ModelBundleWriter;
import io.reflex.decoders.fixed.FixedPoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Golden vectors of the fixed-point LFADS model for the HDL and the hardware engines: the model's tensors plus
 * Q0 inputs and the Q12 outputs that {@link LfadsFixed} computes for them, bit-exact by definition
 * (FIXED_POINT.md §5–6). Inputs are Lorenz-driven Poisson counts ({@link LorenzData}).
 *
 * <p>Tensors added to the model bundle: {@code fixed.input} int16 {@code [n, T, D]} (Q0), {@code fixed.factors}
 * int16 {@code [n, Tr, fac]} (Q12), {@code fixed.logrates} int16 {@code [n, Tr, readout]} (Q12),
 * {@code fixed.gen_states} int16 {@code [n, Tr, gen]} (Q12); manifest section {@code fixed_golden}.
 *
 * <pre>java -cp decoders/target/classes:… io.reflex.decoders.lfads.LfadsFixedGolden MODEL.rbundle OUT.rbundle [cases] [seed]</pre>
 */
public final class LfadsFixedGolden {

    private LfadsFixedGolden() {
    }

    /** Writes {@code cases} golden cases of the model to {@code out} (a new ZIP bundle). */
    public static Path write(ModelBundle model, Path out, int cases, long seed) throws IOException {
        LfadsFixed k = new LfadsFixed(model);
        LfadsDims d = k.dims();
        int T = d.encSeqLen();
        int Tr = d.reconSeqLen();
        int D = d.dataDim();
        LorenzData data = new LorenzData(D, T);
        float[] counts = new float[T * D];
        short[] in = new short[cases * T * D];
        short[] fac = new short[cases * Tr * d.facDim()];
        short[] lr = new short[cases * Tr * d.readoutDim()];
        short[] gen = new short[cases * Tr * d.genDim()];
        short[] x = new short[T * D];
        short[] f = new short[Tr * d.facDim()];
        short[] l = new short[Tr * d.readoutDim()];
        for (int c = 0; c < cases; c++) {
            data.trial(seed, c, counts, null, null);
            for (int i = 0; i < x.length; i++) {
                x[i] = (short) Math.min(Short.MAX_VALUE, (int) counts[i]);
            }
            if (k.trialQ(x, T, f, l) != DecodeStatus.OK) {
                throw new IllegalStateException("fixed-point trial failed on case " + c);
            }
            System.arraycopy(x, 0, in, c * x.length, x.length);
            System.arraycopy(f, 0, fac, c * f.length, f.length);
            System.arraycopy(l, 0, lr, c * l.length, l.length);
            System.arraycopy(k.lastGenStatesQ(), 0, gen, c * Tr * d.genDim(), Tr * d.genDim());
        }
        ModelBundleWriter w = new ModelBundleWriter(model.modelType(), model.name())
                .createdBy(model.createdBy() + " ; LfadsFixedGolden " + cases + " cases, Lorenz seed " + seed)
                .hyperparameters(model.hyperparameters());
        if (model.hasSection("arithmetic")) {
            w.section("arithmetic", model.section("arithmetic"));
        }
        for (String t : model.tensorNames()) {
            if (!t.startsWith("golden.") && !t.startsWith("fixed.")) {
                w.copyTensor(model, t);
            }
        }
        w.section("fixed_golden", Map.of("cases", cases, "lorenz_seed", seed, "fixed_point_version", FixedPoint.VERSION));
        w.putInt16("fixed.input", new int[] {cases, T, D}, in, 0);
        w.putInt16("fixed.factors", new int[] {cases, Tr, d.facDim()}, fac, FixedPoint.ACT);
        w.putInt16("fixed.logrates", new int[] {cases, Tr, d.readoutDim()}, lr, FixedPoint.ACT);
        w.putInt16("fixed.gen_states", new int[] {cases, Tr, d.genDim()}, gen, FixedPoint.ACT);
        return w.writeZip(out);
    }

    /** {@code MODEL OUT [cases=8] [seed=77]}. */
    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: LfadsFixedGolden MODEL.rbundle OUT.rbundle [cases] [seed]");
            System.exit(2);
        }
        int cases = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        long seed = args.length > 3 ? Long.parseLong(args[3]) : 77;
        Path out = write(ModelBundle.open(Path.of(args[0])), Path.of(args[1]), cases, seed);
        System.out.println("wrote " + out);
    }
}
